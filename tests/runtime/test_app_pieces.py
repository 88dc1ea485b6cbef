"""What `campaignbot run` is built on: its settings check, the Slack client's retries, logs that
never show a token, the signing helpers, and FakeSlack itself (every Slack test leans on it)."""

from __future__ import annotations

import io
import json
import logging
import os
from pathlib import Path

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.runtime.lifespan import check_run_settings
from bot.runtime.logs import RedactingFilter, configure_logging
from bot.runtime.slack import build_slack_client
from tests.fakes.fixtures import APP_TOKEN, BOT_TOKEN, SIGNING_SECRET, SettingsFactory
from tests.fakes.signing import SlackSigner, github_signature
from tests.fakes.slack import FakeSlack

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
