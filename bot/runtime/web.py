"""The one aiohttp application: Slack's HTTP endpoint, `/healthz`, and extra routes (webhooks)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.signature import SignatureVerifier
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.core.clock import Clock, system_clock
from bot.core.notices import OutboxStats
from bot.core.tasks import TaskTracker
from bot.metrics import (
    ACK_SECONDS,
    OUTBOX_FAILED,
    OUTBOX_OLDEST_SECONDS,
    OUTBOX_PENDING,
    REGISTRY,
)
from store import outbox
from store.engine import ping

log = logging.getLogger(__name__)

SLACK_EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
METRICS_PATH = "/metrics"
MAX_BODY_BYTES = 25 * 1024 * 1024
"""GitHub webhook payloads can reach 25 MB; aiohttp's default limit is 1 MB."""
OUTBOX_STUCK = timedelta(minutes=10)
SLACK_BODY_MAX = 1024 * 1024
"""Slack's requests are a few kilobytes; a megabyte leaves room and refuses floods unread."""


class SlackLink(Protocol):
    async def connected(self) -> bool: ...


class SchedulerLike(Protocol):
    @property
    def running(self) -> bool: ...


@dataclass
class Health:
    """What `/healthz` checks: the database answers, Slack is connected, the scheduler runs,
    the outbox is not stuck."""

    engine: AsyncEngine
    slack: SlackLink
    scheduler: SchedulerLike | None = None
    timeout: float = 5.0
    clock: Clock = system_clock
    outbox_stats: OutboxStats | None = None
    """The outbox as the last check saw it (shown beside the checks)."""

    async def _database(self) -> str:
        try:
            async with asyncio.timeout(self.timeout):
                await ping(self.engine)
        except Exception as exc:  # any failure means "not healthy"; the type says which
            log.warning("health: database check failed: %s", exc)
            return f"failed ({type(exc).__name__})"
        return "ok"

    async def _slack(self) -> str:
        try:
            async with asyncio.timeout(self.timeout):
                return "ok" if await self.slack.connected() else "not connected"
        except TimeoutError:
            return "failed (timeout)"

    def _scheduler(self) -> str:
        if self.scheduler is None:
            return "not configured"
        return "ok" if self.scheduler.running else "not running"

    async def _outbox(self) -> str:
        """Stuck when a notice has waited longer than `OUTBOX_STUCK`; failed ones are counted
        beside the checks (a channel that is gone must not restart the bot)."""
        try:
            async with asyncio.timeout(self.timeout), self.engine.connect() as conn:
                self.outbox_stats = await outbox.stats(conn)
        except Exception as exc:  # reported as the outbox's failure; the database check says why
            return f"failed ({type(exc).__name__})"
        oldest = self.outbox_stats.oldest_pending
        if oldest is not None and self.clock() - oldest > OUTBOX_STUCK:
            minutes = int((self.clock() - oldest).total_seconds() // 60)
            return f"stuck (a notice has waited {minutes} min)"
        return "ok"

    async def report(self) -> tuple[bool, dict[str, str]]:
        checks = {
            "database": await self._database(),
            "slack": await self._slack(),
            "scheduler": self._scheduler(),
            "outbox": await self._outbox(),
        }
        healthy = all(value in ("ok", "not configured") for value in checks.values())
        return healthy, checks


# ---------------------------------------------------------------------------------------------
# Web application
# ---------------------------------------------------------------------------------------------


def slack_signature_ok(verifier: SignatureVerifier, body: bytes, headers: Any) -> bool:
    """Slack's v0 signature, checked before anything else reads the body. A malformed header
    (a timestamp that is not a number, a signature that is not ASCII) is just a bad signature."""
    try:
        return verifier.is_valid(
            body=body,
            timestamp=headers.get("X-Slack-Request-Timestamp"),
            signature=headers.get("X-Slack-Signature"),
        )
    except (ValueError, TypeError, OverflowError, UnicodeDecodeError):
        return False


def _slack_events_handler(
    bolt_app: AsyncApp, signing_secret: str, tasks: TaskTracker
) -> Callable[[web.Request], Awaitable[web.Response]]:
    verifier = SignatureVerifier(signing_secret) if signing_secret else None

    async def slack_events(request: web.Request) -> web.Response:
        # Listeners' work after their acks waits while a request is being answered.
        with tasks.answering():
            return await answer(request)

    async def answer(request: web.Request) -> web.Response:
        # Slack's payloads stay far below this; anything larger is refused unread.
        if (request.content_length or 0) > SLACK_BODY_MAX:
            return web.Response(status=413, text="request body too large")
        body = await request.content.read(SLACK_BODY_MAX + 1)
        if len(body) > SLACK_BODY_MAX:
            return web.Response(status=413, text="request body too large")
        if verifier is None or not slack_signature_ok(verifier, body, request.headers):
            # Never log the body of a refused request: it may carry a response_url or a token.
            log.info("refused a Slack request without a valid signature (%d bytes)", len(body))
            return web.Response(status=401, text="invalid signature")
        started = time.perf_counter()
        bolt_request = AsyncBoltRequest(
            body=body.decode("utf-8"), query=request.query_string, headers=dict(request.headers)
        )
        response = await to_aiohttp_response(await bolt_app.async_dispatch(bolt_request))
        ACK_SECONDS.observe(time.perf_counter() - started)
        return response

    return slack_events


def _health_handler(health: Health) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def healthz(_request: web.Request) -> web.Response:
        healthy, checks = await health.report()
        body: dict[str, Any] = {"status": "ok" if healthy else "unavailable", "checks": checks}
        if health.outbox_stats is not None:
            body["outbox"] = health.outbox_stats.model_dump(mode="json")
        if not healthy:
            body["failed"] = [
                name for name, value in checks.items() if value not in ("ok", "not configured")
            ]
        return web.json_response(body, status=200 if healthy else 503)

    return healthz


def _metrics_handler(health: Health) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def metrics(_request: web.Request) -> web.Response:
        """Prometheus' text format; the outbox gauges are read from the database now."""
        try:
            async with asyncio.timeout(health.timeout), health.engine.connect() as conn:
                stats = await outbox.stats(conn)
            OUTBOX_PENDING.set(stats.pending)
            OUTBOX_FAILED.set(stats.failed)
            oldest = stats.oldest_pending
            age = (health.clock() - oldest).total_seconds() if oldest is not None else 0.0
            OUTBOX_OLDEST_SECONDS.set(max(0.0, age))
        except Exception as exc:  # the counters are still worth scraping
            log.warning("metrics: outbox not read: %s", type(exc).__name__)
        body = generate_latest(REGISTRY)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    return metrics


def build_web_app(
    bolt_app: AsyncApp | None,
    health: Health,
    *,
    signing_secret: str = "",
    extra_routes: Sequence[web.AbstractRouteDef] = (),
    tasks: TaskTracker | None = None,
) -> web.Application:
    """The one aiohttp app: Slack's HTTP endpoint (HTTP mode only), health, and extra routes
    such as `/github/webhooks`. `tasks` is the listeners' tracker (their work after an ack
    waits while Slack requests are being answered)."""
    app = web.Application(client_max_size=MAX_BODY_BYTES)
    routes: list[web.AbstractRouteDef] = [
        web.get(HEALTH_PATH, _health_handler(health)),
        web.get(METRICS_PATH, _metrics_handler(health)),
    ]
    if bolt_app is not None:
        handler = _slack_events_handler(bolt_app, signing_secret, tasks or TaskTracker())
        routes.append(web.post(SLACK_EVENTS_PATH, handler))
    app.add_routes([*routes, *extra_routes])
    return app
