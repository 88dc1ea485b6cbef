"""`POST /slack/events` refuses floods and forgeries before reading or logging them."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import aiohttp
import pytest

from tests.fakes.fixtures import RunningApp
from tests.fakes.signing import SlackSigner, command_body

EVENTS = "/slack/events"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
SECRET_MARK = "https://hooks.slack.example/secret-response-url"


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def test_a_huge_unsigned_body_is_refused_unread_and_unlogged(
    running_app: RunningApp, http: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    body = command_body("help", response_url=SECRET_MARK) + "&pad=" + "x" * (3 * 1024 * 1024)

    async with http.post(running_app.url + EVENTS, data=body, headers=FORM) as response:
        assert response.status == 413

    assert SECRET_MARK not in caplog.text and "xxxxxxxx" not in caplog.text


async def test_a_refused_request_leaves_no_body_in_the_log(
    running_app: RunningApp, http: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    request = SlackSigner("not-the-secret").command("help", response_url=SECRET_MARK)

    async with http.post(running_app.url + EVENTS, data=request.body, headers=request.headers) as r:
        assert r.status == 401

    assert SECRET_MARK not in caplog.text
    assert "refused a Slack request without a valid signature" in caplog.text


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Slack-Request-Timestamp": "yesterday", "X-Slack-Signature": "v0=00"},
        {"X-Slack-Request-Timestamp": "1700000000", "X-Slack-Signature": "v0=ü€"},
        {"X-Slack-Request-Timestamp": "", "X-Slack-Signature": ""},
        {"X-Slack-Request-Timestamp": "9" * 400, "X-Slack-Signature": "v0=1"},
    ],
)
async def test_a_malformed_signature_header_is_a_quiet_401(
    running_app: RunningApp,
    http: aiohttp.ClientSession,
    caplog: pytest.LogCaptureFixture,
    headers: dict[str, str],
) -> None:
    caplog.set_level(logging.DEBUG)
    body = command_body("help", user_id="U0FORGED")
    sent = {**FORM, **{k: v.encode().decode("latin-1") for k, v in headers.items()}}

    async with http.post(running_app.url + EVENTS, data=body, headers=sent) as response:
        assert response.status == 401

    assert "Traceback" not in caplog.text and "U0FORGED" not in caplog.text
