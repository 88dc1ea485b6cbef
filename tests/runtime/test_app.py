"""`campaignbot run` end to end: real HTTP to serve(), FakeSlack behind it."""

from __future__ import annotations

import asyncio
import gc
import io
import json
import logging
import os
import signal
import time
import warnings
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook.async_client import AsyncWebhookClient
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.core import notices
from bot.runtime.lifespan import check_run_settings
from bot.runtime.logs import RedactingFilter, configure_logging
from bot.runtime.slack import build_slack_client
from bot.runtime.socket_mode import SocketModeWatchdog
from bot.runtime.web import Health, build_web_app
from store import outbox
from store.engine import create_engine
from tests.fakes.fixtures import (
    APP_TOKEN,
    BOT_TOKEN,
    SIGNING_SECRET,
    RunningApp,
    SettingsFactory,
    StartApp,
)
from tests.fakes.signing import SlackSigner, event_body, github_signature
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


# -- settings -------------------------------------------------------------------------------------


def test_run_refuses_to_start_naming_every_bad_setting(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)  # no stray .env
    for name in list(os.environ):
        if name.startswith(("CAMPAIGN_", "GITHUB_")) or name in ("PORT", "LOG_FORMAT"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("PORT", "not-a-port")
    monkeypatch.setenv("LOG_FORMAT", "xml")
    monkeypatch.setenv("SLACK_APP_TOKEN", "xoxb-wrong-kind")

    with pytest.raises(SystemExit) as exit_info:
        check_run_settings()

    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, "one message"
    for name in ("PORT", "LOG_FORMAT", "SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "CAMPAIGN_ADMINS"):
        assert name in err
    assert "xoxb-wrong-kind" not in err


def test_run_accepts_complete_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    monkeypatch.setenv("SLACK_SIGNING_SECRET", SIGNING_SECRET)
    monkeypatch.setenv("CAMPAIGN_ADMINS", "U1,U2")
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)

    settings = check_run_settings()

    assert settings.admin_ids == {"U1", "U2"}
    assert not settings.socket_mode


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


# -- Slack client ---------------------------------------------------------------------------------


async def test_slack_client_retries_after_a_rate_limit(
    fake_slack: FakeSlack, app_settings: SettingsFactory
) -> None:
    fake_slack.rate_limit("chat.postMessage", times=1, retry_after=0)
    async with aiohttp.ClientSession() as session:
        client = build_slack_client(app_settings(), session)
        response = await client.chat_postMessage(channel="C1", text="hello")

    assert response["ok"]
    attempts = fake_slack.calls("chat.postMessage")
    assert [call.status for call in attempts] == [429, 200]
    assert attempts[1].token == BOT_TOKEN


async def test_slack_client_retries_a_server_error(
    fake_slack: FakeSlack, app_settings: SettingsFactory
) -> None:
    fake_slack.http_error("users.info", status=503)
    fake_slack.add_user("U1", email="u1@example.com", tz="Europe/Paris")
    async with aiohttp.ClientSession() as session:
        client = build_slack_client(app_settings(), session)
        response = await client.users_info(user="U1")

    assert response["user"]["tz"] == "Europe/Paris"
    assert [call.status for call in fake_slack.calls("users.info")] == [503, 200]


# -- logging --------------------------------------------------------------------------------------


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_logs_never_show_tokens(app_settings: SettingsFactory, log_format: str) -> None:
    stream = io.StringIO()
    settings = app_settings(log_format=log_format, github_token="ghs_plainsecret1234567890")
    handler = configure_logging(settings, stream)
    logger = logging.getLogger("campaignbot.test")
    try:
        logger.warning("headers %s", {"Authorization": f"Bearer {BOT_TOKEN}"})
        logger.warning("app token %s and %s", APP_TOKEN, "ghp_abcdefABCDEF0123456789")
        try:
            raise RuntimeError("github_pat_11ABCDEFG0123456789_abcdefghijklmnop leaked")
        except RuntimeError:
            logger.exception("failed with %s", "xoxp-9999-8888-user")
        logger.warning("signing secret %s", SIGNING_SECRET)
    finally:
        logging.getLogger().removeHandler(handler)

    output = stream.getvalue()
    for secret in (
        BOT_TOKEN,
        APP_TOKEN,
        "ghp_abcdef",
        "github_pat_11",
        "xoxp-9999",
        SIGNING_SECRET,
    ):
        assert secret not in output
    assert "xoxb-[REDACTED]" in output and "RuntimeError" in output
    if log_format == "json":
        lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
        assert [line["level"] for line in lines] == ["WARNING", "WARNING", "ERROR", "WARNING"]


def test_redacting_filter_leaves_ordinary_words_alone() -> None:
    record = logging.LogRecord(
        "x", logging.INFO, __file__, 1, "laughs_at %s", ("ghs_abc123",), None
    )
    RedactingFilter().filter(record)
    assert record.getMessage() == "laughs_at ghs_[REDACTED]"


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


# -- signing helpers ------------------------------------------------------------------------------


def test_github_signature_matches_githubs_test_vector() -> None:
    assert github_signature("It's a Secret to Everybody", "Hello, World!") == (
        "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
    )


def test_slack_signer_matches_slack_sdk_verifier(slack_signer: SlackSigner) -> None:
    from slack_sdk.signature import SignatureVerifier

    request = slack_signer.command("help")
    verifier = SignatureVerifier(SIGNING_SECRET)
    assert verifier.is_valid_request(request.body, request.headers)


# -- the fake itself (every Slack test leans on it) -----------------------------------------------


async def test_fake_slack_refuses_and_records_blocks_over_slacks_limits(
    fake_slack: FakeSlack, app_settings: SettingsFactory
) -> None:
    header = {"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}
    modal = {
        "type": "modal",
        "title": {"type": "plain_text", "text": "New campaign"},
        "private_metadata": "x" * 3001,
        "blocks": [{"type": "divider"}] * 101,
    }
    async with aiohttp.ClientSession() as session:
        client = build_slack_client(app_settings(), session)
        with pytest.raises(SlackApiError) as message_error:
            await client.chat_postMessage(channel="C1", text="x", blocks=[header])
        with pytest.raises(SlackApiError) as view_error:
            await client.views_open(trigger_id="t", view=modal)

    assert message_error.value.response["error"] == "invalid_blocks"
    assert view_error.value.response["error"] == "invalid_arguments"
    problems = [violation.problem for violation in fake_slack.violations]
    assert any("header text" in p for p in problems)
    assert any("private_metadata" in p for p in problems)
    assert any("101 blocks" in p for p in problems)


async def test_fake_slack_views_hash_users_uploads_and_response_urls(
    fake_slack: FakeSlack, app_settings: SettingsFactory
) -> None:
    fake_slack.add_user("U1", email="dev@example.com", tz="Europe/Berlin")
    modal = {
        "type": "modal",
        "title": {"type": "plain_text", "text": "Loading"},
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "…"}}],
    }
    hook = fake_slack.response_url()
    async with aiohttp.ClientSession() as session:
        client = build_slack_client(app_settings(), session)
        opened = (await client.views_open(trigger_id="t", view=modal))["view"]
        with pytest.raises(SlackApiError) as stale:
            await client.views_update(view_id=opened["id"], hash="stale", view=modal)
        await client.views_update(view_id=opened["id"], hash=opened["hash"], view=modal)
        found = await client.users_lookupByEmail(email="dev@example.com")
        with pytest.raises(SlackApiError) as missing:
            await client.users_lookupByEmail(email="nobody@example.com")
        dm = await client.conversations_open(users="U1")
        await client.files_upload_v2(channel="C1", content=b"png", filename="burndown.png")
        await AsyncWebhookClient(hook, session=session).send(text="done", response_type="ephemeral")

    assert stale.value.response["error"] == "hash_conflict"
    assert found["user"]["tz"] == "Europe/Berlin"
    assert missing.value.response["error"] == "users_not_found"
    assert dm["channel"]["id"] == fake_slack.dm_channel("U1")
    assert list(fake_slack.uploads.values()) == [b"png"]
    assert fake_slack.hook_calls(hook.rsplit("/", 1)[1])[0].args["text"] == "done"
    assert fake_slack.violations == []
