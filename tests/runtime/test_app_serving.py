"""`campaignbot run` end to end: real HTTP to serve(), FakeSlack behind it. Health, request
verification, shutdown and Socket Mode; what it is built on is in tests/runtime/test_app_pieces.py.
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import signal
import threading
import time
import warnings
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.core import notices
from bot.runtime.socket_mode import SocketModeWatchdog
from bot.runtime.web import Health, build_web_app
from store import outbox
from store.engine import create_engine
from tests.fakes.fixtures import APP_TOKEN, RunningApp, StartApp
from tests.fakes.signing import SlackSigner, event_body
from tests.fakes.slack import BOT_ID, FakeSlack

EVENTS = "/slack/events"


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def get_health(http: aiohttp.ClientSession, app: RunningApp) -> tuple[int, dict[str, Any]]:
    async with http.get(f"{app.url}/healthz") as response:
        return response.status, await response.json()


# -- health ---------------------------------------------------------------------------------------


async def test_healthz_is_ok_when_database_and_slack_answer(
    running_app: RunningApp, http: aiohttp.ClientSession, fake_slack: FakeSlack
) -> None:
    status, body = await get_health(http, running_app)

    assert status == 200
    assert body["checks"] == {
        "database": "ok",
        "slack": "ok",
        "scheduler": "ok",
        "outbox": "ok",
    }
    assert body["outbox"] == {"pending": 0, "failed": 0, "oldest_pending": None}
    assert fake_slack.calls("auth.test", ok=True)


async def test_healthz_is_503_while_slack_refuses_the_token_and_recovers(
    start_app: StartApp, http: aiohttp.ClientSession, fake_slack: FakeSlack
) -> None:
    fake_slack.fail("auth.test", "invalid_auth")
    app = await start_app()

    status, body = await get_health(http, app)
    assert status == 503
    assert body["failed"] == ["slack"]

    fake_slack.clear("auth.test")
    status, _ = await get_health(http, app)
    assert status == 200


class _Connected:
    async def connected(self) -> bool:
        return True


class _Scheduler:
    running = False


async def _serve_web_app(app: web.Application) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    return runner, f"http://{host}:{port}"


async def test_healthz_names_an_unreachable_database_and_a_stopped_scheduler(
    tmp_path: Path, http: aiohttp.ClientSession
) -> None:
    before = set(threading.enumerate())
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path}/missing/dir/t.db")
    health = Health(engine=engine, slack=_Connected(), scheduler=_Scheduler())
    runner, url = await _serve_web_app(build_web_app(None, health))
    try:
        async with http.get(f"{url}/healthz") as response:
            body = await response.json()
            assert response.status == 503
        assert body["failed"] == ["database", "scheduler", "outbox"]
        assert body["checks"]["slack"] == "ok"
    finally:
        await runner.cleanup()
        await engine.dispose()
        await _aiosqlite_threads_ended(since=before)


async def _aiosqlite_threads_ended(since: set[threading.Thread]) -> None:
    """A failed aiosqlite connect stops its worker thread without waiting for it, and the thread
    then answers a future of this test's loop: were the loop closed by then (a busy machine),
    the thread's traceback would surface in whichever test runs next. Wait for them here."""
    started = set(threading.enumerate()) - since
    workers = [thread for thread in started if "_connection_worker_thread" in thread.name]
    for thread in workers:
        await asyncio.to_thread(thread.join, 10)
        assert not thread.is_alive()


async def test_healthz_says_when_the_outbox_is_stuck(
    sqlite_engine: AsyncEngine, http: aiohttp.ClientSession
) -> None:
    written = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    async with sqlite_engine.begin() as conn:
        await outbox.enqueue(conn, [notices.launch(1, "C0SEC", written)])
    clock = [written + timedelta(minutes=9)]
    health = Health(engine=sqlite_engine, slack=_Connected(), clock=lambda: clock[0])
    runner, url = await _serve_web_app(build_web_app(None, health))
    try:
        async with http.get(f"{url}/healthz") as response:
            assert response.status == 200
            assert (await response.json())["outbox"]["pending"] == 1
        clock[0] = written + timedelta(minutes=11)
        async with http.get(f"{url}/healthz") as response:
            body = await response.json()
            assert response.status == 503
        assert body["failed"] == ["outbox"]
        assert body["checks"]["outbox"] == "stuck (a notice has waited 11 min)"
    finally:
        await runner.cleanup()


# -- request verification -------------------------------------------------------------------------


async def test_unsigned_request_is_refused(
    running_app: RunningApp, http: aiohttp.ClientSession
) -> None:
    body = "command=%2Fcampaign&text=help"
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    async with http.post(running_app.url + EVENTS, data=body, headers=headers) as response:
        assert response.status == 401


async def test_wrongly_signed_request_is_refused(
    running_app: RunningApp, http: aiohttp.ClientSession
) -> None:
    request = SlackSigner("not-the-secret").command("help")
    async with http.post(running_app.url + EVENTS, data=request.body, headers=request.headers) as r:
        assert r.status == 401


async def test_replayed_request_older_than_five_minutes_is_refused(
    running_app: RunningApp, http: aiohttp.ClientSession, slack_signer: SlackSigner
) -> None:
    request = slack_signer.command("help", timestamp=int(time.time()) - 301)
    async with http.post(running_app.url + EVENTS, data=request.body, headers=request.headers) as r:
        assert r.status == 401


async def test_signed_url_verification_echoes_the_challenge(
    running_app: RunningApp, http: aiohttp.ClientSession, slack_signer: SlackSigner
) -> None:
    request = slack_signer.url_verification("3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P")
    async with http.post(running_app.url + EVENTS, data=request.body, headers=request.headers) as r:
        assert r.status == 200
        assert (await r.json()) == {
            "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"
        }


async def test_signed_slash_command_passes_verification_and_reaches_bolt(
    running_app: RunningApp,
    http: aiohttp.ClientSession,
    slack_signer: SlackSigner,
    fake_slack: FakeSlack,
) -> None:
    request = slack_signer.command("help", response_url=fake_slack.response_url())
    async with http.post(running_app.url + EVENTS, data=request.body, headers=request.headers) as r:
        # 200 once /campaign is registered; 404 ("unhandled") while commands/ is empty.
        assert r.status in (200, 404)
    assert fake_slack.violations == []


# -- shutdown -------------------------------------------------------------------------------------


async def test_stop_event_shuts_down_cleanly(
    start_app: StartApp, http: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture
) -> None:
    app = await start_app()
    status, _ = await get_health(http, app)
    assert status == 200

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        await app.shutdown()
        gc.collect()

    assert app.task.done() and app.task.exception() is None
    unclosed = [r for r in caplog.records if "Unclosed" in r.getMessage()]
    assert unclosed == [] and [w for w in caught if "Unclosed" in str(w.message)] == []
    with pytest.raises(aiohttp.ClientConnectionError):
        await get_health(http, app)


async def test_sigterm_stops_the_bot(start_app: StartApp) -> None:
    app = await start_app()
    assert signal.getsignal(signal.SIGTERM) not in (signal.SIG_DFL, signal.SIG_IGN, None)

    os.kill(os.getpid(), signal.SIGTERM)
    await asyncio.wait_for(app.task, 15)

    assert app.stop.is_set()
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL


# -- Socket Mode ----------------------------------------------------------------------------------


class _FakeConnection:
    def __init__(self) -> None:
        self.alive = False

    async def is_connected(self) -> bool:
        return self.alive


class _FakeHandler:
    def __init__(self, connected: asyncio.Event) -> None:
        self._client = _FakeConnection()
        self._connected = connected
        self.closed = False

    @property
    def client(self) -> _FakeConnection:
        return self._client

    async def connect_async(self) -> None:
        self._client.alive = True
        self._connected.set()

    async def close_async(self) -> None:
        self.closed = True
        self._client.alive = False


async def test_watchdog_replaces_a_dead_socket_mode_connection() -> None:
    handlers: list[_FakeHandler] = []
    connected = [asyncio.Event(), asyncio.Event()]

    def factory() -> _FakeHandler:
        handlers.append(_FakeHandler(connected[len(handlers)]))
        return handlers[-1]

    watchdog = SocketModeWatchdog(factory, interval=0.01, tolerance=2)
    watchdog.start()
    try:
        await asyncio.wait_for(connected[0].wait(), 5)
        assert await watchdog.connected()

        handlers[0].client.alive = False  # the connection dies silently
        await asyncio.wait_for(connected[1].wait(), 5)

        assert handlers[0].closed
        assert watchdog.handler is handlers[1] and await watchdog.connected()
        assert watchdog.restarts == 1
    finally:
        await watchdog.close()
    assert handlers[1].closed


async def test_watchdog_tolerates_one_missed_check() -> None:
    handler = _FakeHandler(asyncio.Event())
    watchdog = SocketModeWatchdog(lambda: handler, interval=3600, tolerance=2)
    watchdog.handler = handler

    assert await watchdog.check_once() is False
    assert watchdog.restarts == 0 and not handler.closed


async def test_socket_mode_connects_serves_health_and_acks_events(
    start_app: StartApp, http: aiohttp.ClientSession, fake_slack: FakeSlack
) -> None:
    app = await start_app(slack_app_token=APP_TOKEN, slack_signing_secret=None)
    await fake_slack.wait_for("socket.ping")  # the client pings right after connecting

    status, body = await get_health(http, app)
    assert (status, body["checks"]["slack"]) == (200, "ok")
    opened = fake_slack.calls("apps.connections.open", ok=True)
    assert opened[0].token == APP_TOKEN

    own_message = {"type": "message", "bot_id": BOT_ID, "text": "hi", "channel": "C1", "ts": "1.2"}
    envelope_id = await fake_slack.push("events_api", json.loads(event_body(own_message)))
    acks = await fake_slack.wait_for("socket.ack")  # bolt acks its own message without listeners
    assert acks[0].args["envelope_id"] == envelope_id

    async with http.post(app.url + EVENTS, data="{}") as response:
        assert response.status == 404  # no HTTP endpoint for Slack in Socket Mode
