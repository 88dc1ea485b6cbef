"""Socket Mode kept alive: a watchdog that replaces a connection slack_sdk could not revive."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Protocol

log = logging.getLogger("campaignbot")


class _ConnectionState(Protocol):
    async def is_connected(self) -> bool: ...


class SocketHandler(Protocol):
    """What the watchdog needs of `AsyncSocketModeHandler` (and what test doubles provide)."""

    @property
    def client(self) -> _ConnectionState: ...

    async def connect_async(self) -> None: ...

    async def close_async(self) -> None: ...


class SocketModeWatchdog:
    """Keeps one Socket Mode connection alive: connects, then every `interval` seconds checks it
    and replaces a handler that stayed dead for `tolerance` checks (slack_sdk's own reconnect can
    get stuck on a closed session: python-slack-sdk #1913, #1922)."""

    def __init__(
        self,
        factory: Callable[[], SocketHandler],
        *,
        interval: float = 30.0,
        tolerance: int = 2,
    ) -> None:
        self._factory = factory
        self.interval = interval
        self.tolerance = tolerance
        self.handler: SocketHandler | None = None
        self.restarts = 0
        self._misses = 0
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Connect and watch in the background, so a Slack outage does not block startup."""
        self._task = asyncio.create_task(self._run(), name="socket-mode-watchdog")

    async def _run(self) -> None:
        while True:
            try:
                if self.handler is None:
                    await self._connect_new()
                else:
                    await self.check_once()
            except Exception:  # the watchdog must outlive any one failure
                log.exception("Socket Mode watchdog check failed")
            await asyncio.sleep(self.interval)

    async def _connect_new(self) -> None:
        self.handler = self._factory()
        await self.handler.connect_async()
        log.info("Socket Mode connected")

    async def check_once(self) -> bool:
        """One check; replaces the handler after `tolerance` consecutive dead checks."""
        if await self.connected():
            self._misses = 0
            return True
        self._misses += 1
        if self._misses >= self.tolerance:
            log.warning("Socket Mode connection is dead; reconnecting with a new handler")
            await self._close_handler()
            await self._connect_new()
            self.restarts += 1
            self._misses = 0
        return False

    async def connected(self) -> bool:
        return self.handler is not None and await self.handler.client.is_connected()

    async def _close_handler(self) -> None:
        handler, self.handler = self.handler, None
        if handler is not None:
            try:
                await handler.close_async()
            except Exception:  # a broken connection may fail to close; it is dropped anyway
                log.warning("closing the old Socket Mode handler failed", exc_info=True)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self._close_handler()
