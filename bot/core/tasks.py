"""Work that outlives its request (bolt runs listeners after `ack()`), drained at shutdown, and
kept from delaying other requests' acknowledgements.

Without tracking, SIGTERM would close the database under a listener still writing: the request
was answered, but its work would be lost.

Slack gives an acknowledgement 3 seconds and a reply on a response_url 30 minutes, so the
acknowledgements go first. The web server marks each Slack request while it answers it
(`answering()`). A listener's work after its ack (`after_ack()`) starts once its own request is
answered; it then waits for a moment when no request is being answered, for at most `ack_wait`
seconds (a burst of requests is acknowledged first, its replies follow); and it takes a turn:
up to `concurrent` pieces of work at once, below the database pool's size (a burst queues here,
in order, instead of timing out in the pool), but one at a time while requests are being
answered (an acknowledgement then waits for one piece of work at most, and the replies keep
coming however long the burst lasts).
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections import deque
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager, suppress

log = logging.getLogger(__name__)

CONCURRENT = 8
"""Listeners at work after their ack at once (the database pool holds 15 connections)."""
WHILE_ANSWERING = 1
"""Listeners at work at once while Slack requests are being answered."""
OWN_ACK_WAIT = 3.0
"""Seconds, at most, a listener's work waits for its own request's answer (Slack's limit)."""
ACK_WAIT = 1.0
"""Seconds, at most, a listener's work then waits for no request to be being answered."""

_answer_sent: contextvars.ContextVar[asyncio.Event | None] = contextvars.ContextVar(
    "answer_sent", default=None
)
"""Set by `answering()` in the request's context, which bolt's listener tasks inherit."""


class TaskTracker:
    def __init__(self, *, concurrent: int = CONCURRENT, ack_wait: float = ACK_WAIT) -> None:
        self._tasks: set[asyncio.Task[object]] = set()
        self.concurrent = concurrent
        self.ack_wait = ack_wait
        self._answering = 0
        self._quiet = asyncio.Event()
        self._quiet.set()
        self._working = 0
        self._waiting: deque[asyncio.Future[None]] = deque()

    def track_current(self) -> None:
        """Remember the running task until it finishes."""
        task = asyncio.current_task()
        if task is not None and task not in self._tasks:
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    @property
    def running(self) -> int:
        return len(self._tasks)

    @contextmanager
    def answering(self) -> Iterator[None]:
        """Around the web server's handling of one Slack request, until its answer is ready."""
        sent = asyncio.Event()
        token = _answer_sent.set(sent)
        self._answering += 1
        self._quiet.clear()
        try:
            yield
        finally:
            self._answering -= 1
            _answer_sent.reset(token)
            sent.set()
            if not self._answering:
                self._quiet.set()
            self._wake()

    @asynccontextmanager
    async def after_ack(self) -> AsyncIterator[None]:
        """A listener's work after its ack: once its own request is answered, at a quiet
        moment (or `ack_wait` later), and in turn."""
        sent = _answer_sent.get()
        if sent is not None and not sent.is_set():
            with suppress(TimeoutError):
                async with asyncio.timeout(OWN_ACK_WAIT):
                    await sent.wait()
        if self._answering:
            with suppress(TimeoutError):
                async with asyncio.timeout(self.ack_wait):
                    await self._quiet.wait()
        if self._waiting or self._working >= self._room():
            turn = asyncio.get_running_loop().create_future()
            self._waiting.append(turn)
            try:
                await turn
            except asyncio.CancelledError:
                if turn.done() and not turn.cancelled():  # the turn was given: give it back
                    self._working -= 1
                    self._wake()
                elif turn in self._waiting:
                    self._waiting.remove(turn)
                raise
        else:
            self._working += 1
        try:
            yield
        finally:
            self._working -= 1
            self._wake()

    def _room(self) -> int:
        return min(WHILE_ANSWERING, self.concurrent) if self._answering else self.concurrent

    def _wake(self) -> None:
        """Give turns, in order, while there is room (a turn counts as working once given)."""
        while self._waiting and self._working < self._room():
            turn = self._waiting.popleft()
            if not turn.done():
                turn.set_result(None)
                self._working += 1

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
