"""Work that outlives its request (bolt runs listeners after `ack()`), drained at shutdown.

Without this, SIGTERM would close the database under a listener still writing: the request was
answered, but its work would be lost.
"""

from __future__ import annotations

import asyncio
import logging

log = logging.getLogger(__name__)


class TaskTracker:
    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[object]] = set()

    def track_current(self) -> None:
        """Remember the running task until it finishes."""
        task = asyncio.current_task()
        if task is not None and task not in self._tasks:
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    @property
    def running(self) -> int:
        return len(self._tasks)

    async def drain(self, timeout: float) -> None:  # noqa: ASYNC109 - shutdown has a deadline
        """Wait for tracked work to finish; cancel what is still running after `timeout`."""
        pending = [task for task in self._tasks if task is not asyncio.current_task()]
        if not pending:
            return
        log.info("waiting for %d requests still at work", len(pending))
        _, late = await asyncio.wait(pending, timeout=timeout)
        for task in late:
            task.cancel()
        if late:
            log.warning("cancelled %d requests still at work after %.0fs", len(late), timeout)
            await asyncio.gather(*late, return_exceptions=True)
