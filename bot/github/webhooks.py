"""`POST /github/webhooks`: verified, de-duplicated, answered at once, processed in order.

GitHub counts a delivery as failed unless it gets a 2xx within 10 seconds, so the handler only
checks, claims and queues: `X-Hub-Signature-256` must be `sha256=` + HMAC-SHA256(secret, raw body),
compared in constant time (401 otherwise); `X-GitHub-Delivery` is claimed as `github:GUID` in the
`deliveries` table, so a redelivery or a replay is acknowledged and not processed twice; then the
delivery is queued and answered 202. One worker task applies queued deliveries in arrival order
(bot.github.events). Events we do not handle are answered 200 and logged.

A delivery lost between its claim and its processing (the process died) is not retried by GitHub's
redelivery, but nothing is lost for good: the next `campaignbot sync` reconciles the inventory.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from gidgethub import BadRequest, ValidationFailure, sansio
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.core.clock import Clock, system_clock
from bot.github.events import EventProcessor, Result
from store import deliveries

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/github/webhooks"
SIGNATURE_PREFIX = "sha256="
MAX_QUEUED = 10_000


@dataclass(frozen=True)
class Outcome:
    """What became of one delivery (given to `on_processed`, for tests and logs)."""

    delivery: str
    event: str
    action: str | None
    result: Result


@dataclass(frozen=True)
class _Job:
    delivery: str
    event: str
    payload: dict[str, Any]


def signature_ok(secret: bytes, body: bytes, header: str | None) -> bool:
    """`X-Hub-Signature-256` checked in constant time; a missing header fails."""
    if not header:
        return False
    expected = SIGNATURE_PREFIX + hmac.new(secret, body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), header.encode("utf-8", "replace"))


def _answer(status: int, state: str, **extra: Any) -> web.Response:
    return web.json_response({"status": state, **extra}, status=status)


class WebhookReceiver:
    """The handler, its queue and its worker. `start` and `stop` belong to serve()'s lifespan."""

    def __init__(
        self,
        engine: AsyncEngine,
        secret: str,
        processor: EventProcessor,
        *,
        clock: Clock = system_clock,
        on_processed: Callable[[Outcome], Any] | None = None,
        max_queued: int = MAX_QUEUED,
    ) -> None:
        self.engine = engine
        self._secret = secret.encode()
        self.processor = processor
        self.clock = clock
        self.on_processed = on_processed
        self.queue: asyncio.Queue[_Job] = asyncio.Queue(max_queued)
        self._worker: asyncio.Task[None] | None = None

    def route(self) -> web.RouteDef:
        return web.post(WEBHOOK_PATH, self.handle)

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        if not signature_ok(self._secret, body, request.headers.get("X-Hub-Signature-256")):
            log.warning("GitHub webhook refused: missing or wrong X-Hub-Signature-256")
            return _answer(401, "unauthorized", error="bad or missing X-Hub-Signature-256")
        delivery = request.headers.get("X-GitHub-Delivery", "")
        event = request.headers.get("X-GitHub-Event", "")
        if not delivery or not event:
            return _answer(400, "bad request", error="X-GitHub-Event and X-GitHub-Delivery needed")
        try:
            parsed = sansio.Event.from_http(request.headers, body, secret=self._secret.decode())
        except (BadRequest, ValidationFailure, ValueError) as exc:
            return _answer(400, "bad request", error=str(exc) or "unreadable body")
        if not isinstance(parsed.data, dict):
            return _answer(400, "bad request", error="the payload is not a JSON object")
        action = parsed.data.get("action")
        if not self.processor.handles(event):
            log.info("GitHub webhook %s (%s) ignored: event not handled", event, delivery)
            return _answer(200, "ignored")
        key = f"github:{delivery}"[:300]
        async with self.engine.begin() as conn:
            claimed = await deliveries.claim(conn, key, self.clock())
        if not claimed:
            log.info("GitHub webhook %s.%s (%s) already received", event, action, delivery)
            return _answer(200, "duplicate")
        try:
            self.queue.put_nowait(_Job(delivery, event, parsed.data))
        except asyncio.QueueFull:
            async with self.engine.begin() as conn:
                await deliveries.release(conn, key)
            log.error("GitHub webhook queue is full; %s refused", delivery)
            return _answer(503, "busy")
        return _answer(202, "queued")

    # ---- the worker ------------------------------------------------------------------------

    def start(self) -> None:
        self._worker = asyncio.create_task(self._work(), name="github-webhooks")

    async def stop(self, timeout: float = 10.0) -> None:  # noqa: ASYNC109 - a bounded drain
        """Finish what is queued (within `timeout`), then stop the worker."""
        if self._worker is None:
            return
        try:
            await asyncio.wait_for(self.queue.join(), timeout)
        except TimeoutError:
            log.warning(
                "%d GitHub deliveries left unprocessed at shutdown; the next sync catches up",
                self.queue.qsize(),
            )
        self._worker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._worker
        self._worker = None

    async def _work(self) -> None:
        while True:
            job = await self.queue.get()
            try:
                outcome = await self._process(job)
            finally:
                self.queue.task_done()
            if self.on_processed is not None:
                self.on_processed(outcome)

    async def _process(self, job: _Job) -> Outcome:
        action = job.payload.get("action")
        action = action if isinstance(action, str) else None
        try:
            result = await self.processor.process(job.event, job.payload)
        except Exception:  # one bad delivery must not stop the worker
            log.exception("GitHub webhook %s.%s (%s) failed", job.event, action, job.delivery)
            result = Result("failed")
        log.info(
            "GitHub webhook %s.%s (%s): %s%s",
            job.event,
            action,
            job.delivery,
            result.status,
            f" ({result.note})" if result.note else "",
        )
        try:
            async with self.engine.begin() as conn:
                await deliveries.finish(conn, f"github:{job.delivery}"[:300], result.status)
        except Exception:  # the work is done; only its bookkeeping failed
            log.exception("recording GitHub delivery %s failed", job.delivery)
        return Outcome(job.delivery, job.event, action, result)
