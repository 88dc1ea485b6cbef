"""Requests signed exactly as Slack (and GitHub) sign them, for tests that go through real HTTP.

Body builders are plain functions returning the raw body string; `SlackSigner` adds the
`X-Slack-Signature` / `X-Slack-Request-Timestamp` headers (timestamp injectable for replay tests).

    signer = SlackSigner(SIGNING_SECRET)
    request = signer.command("help", user_id="U1")
    await http.post(url, data=request.body, headers=request.headers)
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

TEAM_ID = "T0000FAKE"
APP_ID = "A0000APP"
USER_ID = "U0000USER"
CHANNEL_ID = "C0000CHAN"
TRIGGER_ID = "1337.4242.0123456789abcdef"
RESPONSE_URL = "https://hooks.slack.invalid/commands/T0000FAKE/1/abc"
VERIFICATION_TOKEN = "deprecated-verification-token"

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"

Json = dict[str, Any]


# ---------------------------------------------------------------------------------------------
# bodies
# ---------------------------------------------------------------------------------------------


def command_body(
    text: str,
    *,
    command: str = "/campaign",
    user_id: str = USER_ID,
    user_name: str = "alice",
    channel_id: str = CHANNEL_ID,
    channel_name: str = "security",
    team_id: str = TEAM_ID,
    trigger_id: str = TRIGGER_ID,
    response_url: str = RESPONSE_URL,
) -> str:
    """A slash command as Slack posts it: a form body."""
    return urlencode(
        {
            "token": VERIFICATION_TOKEN,
            "team_id": team_id,
            "team_domain": "fake-workspace",
            "channel_id": channel_id,
            "channel_name": channel_name,
            "user_id": user_id,
            "user_name": user_name,
            "command": command,
            "text": text,
            "api_app_id": APP_ID,
            "is_enterprise_install": "false",
            "response_url": response_url,
            "trigger_id": trigger_id,
        }
    )


def interactive_body(payload: Json) -> str:
    """Interactivity: the JSON payload in a `payload=` form field."""
    return "payload=" + quote(json.dumps(payload))


def _user(user_id: str, team_id: str) -> Json:
    return {"id": user_id, "username": user_id.lower(), "name": user_id.lower(), "team_id": team_id}


def button(action_id: str, value: str = "", *, block_id: str = "actions") -> Json:
    """One clicked button, as it appears in `actions[]`."""
    return {
        "type": "button",
        "action_id": action_id,
        "block_id": block_id,
        "value": value,
        "text": {"type": "plain_text", "text": action_id},
        "action_ts": f"{time.time():.6f}",
    }


def block_actions_body(
    actions: Json | list[Json],
    *,
    user_id: str = USER_ID,
    team_id: str = TEAM_ID,
    trigger_id: str = TRIGGER_ID,
    response_url: str | None = RESPONSE_URL,
    channel_id: str | None = CHANNEL_ID,
    message_ts: str | None = None,
    view: Json | None = None,
) -> str:
    """A `block_actions` payload from a message (channel + message_ts) or a view (`view=`)."""
    payload: Json = {
        "type": "block_actions",
        "team": {"id": team_id, "domain": "fake-workspace"},
        "user": _user(user_id, team_id),
        "api_app_id": APP_ID,
        "token": VERIFICATION_TOKEN,
        "trigger_id": trigger_id,
        "actions": actions if isinstance(actions, list) else [actions],
    }
    if view is not None:
        payload["container"] = {"type": "view", "view_id": view.get("id", "V0000VIEW")}
        payload["view"] = view
    else:
        payload["container"] = {
            "type": "message",
            "message_ts": message_ts,
            "channel_id": channel_id,
        }
        payload["channel"] = {"id": channel_id, "name": "security"}
        payload["message"] = {"type": "message", "ts": message_ts, "text": ""}
    if response_url is not None and view is None:
        payload["response_url"] = response_url
    return interactive_body(payload)


def view_submission_body(
    view: Json,
    values: dict[str, dict[str, Json]] | None = None,
    *,
    user_id: str = USER_ID,
    team_id: str = TEAM_ID,
    view_id: str = "V0000VIEW",
    view_hash: str = "156772938.1827394",
    trigger_id: str = TRIGGER_ID,
) -> str:
    """A `view_submission`: the submitted view with `state.values[block_id][action_id]`."""
    submitted = {
        "id": view_id,
        "team_id": team_id,
        "hash": view_hash,
        "private_metadata": "",
        "callback_id": "",
        **view,
        "state": {"values": values or {}},
    }
    payload: Json = {
        "type": "view_submission",
        "team": {"id": team_id, "domain": "fake-workspace"},
        "user": _user(user_id, team_id),
        "api_app_id": APP_ID,
        "token": VERIFICATION_TOKEN,
        "trigger_id": trigger_id,
        "view": submitted,
        "response_urls": [],
    }
    return interactive_body(payload)


def event_body(
    event: Json,
    *,
    team_id: str = TEAM_ID,
    event_id: str | None = None,
    event_time: int | None = None,
) -> str:
    """An Events API `event_callback` envelope (JSON)."""
    return json.dumps(
        {
            "token": VERIFICATION_TOKEN,
            "team_id": team_id,
            "api_app_id": APP_ID,
            "type": "event_callback",
            "event_id": event_id or f"Ev{uuid.uuid4().hex[:10].upper()}",
            "event_time": event_time or int(time.time()),
            "authorizations": [{"team_id": team_id, "user_id": "U0000BOT", "is_bot": True}],
            "event": event,
        }
    )


def app_home_opened_body(user_id: str = USER_ID, *, tab: str = "home", **kwargs: Any) -> str:
    event = {
        "type": "app_home_opened",
        "user": user_id,
        "channel": "D0000HOME",
        "tab": tab,
        "event_ts": f"{time.time():.6f}",
    }
    return event_body(event, **kwargs)


def url_verification_body(challenge: str) -> str:
    return json.dumps(
        {"token": VERIFICATION_TOKEN, "challenge": challenge, "type": "url_verification"}
    )


# ---------------------------------------------------------------------------------------------
# signing
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SignedRequest:
    body: str
    headers: dict[str, str]


class SlackSigner:
    """Signs bodies as Slack does: `v0=` + HMAC-SHA256(secret, `v0:{timestamp}:{body}`)."""

    def __init__(self, secret: str, *, clock: Callable[[], float] = time.time) -> None:
        self.secret = secret
        self.clock = clock

    def signature(self, body: str, timestamp: int | str) -> str:
        base = f"v0:{timestamp}:{body}".encode()
        return "v0=" + hmac.new(self.secret.encode(), base, hashlib.sha256).hexdigest()

    def sign(self, body: str, *, timestamp: int | None = None) -> SignedRequest:
        """Headers for `body`; JSON bodies get a JSON content type, others a form one."""
        ts = int(self.clock()) if timestamp is None else timestamp
        content_type = JSON if body.lstrip().startswith("{") else FORM
        headers = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": str(ts),
            "X-Slack-Signature": self.signature(body, ts),
        }
        return SignedRequest(body, headers)

    def command(self, text: str, *, timestamp: int | None = None, **fields: Any) -> SignedRequest:
        return self.sign(command_body(text, **fields), timestamp=timestamp)

    def block_actions(
        self, actions: Json | list[Json], *, timestamp: int | None = None, **fields: Any
    ) -> SignedRequest:
        return self.sign(block_actions_body(actions, **fields), timestamp=timestamp)

    def view_submission(
        self,
        view: Json,
        values: dict[str, dict[str, Json]] | None = None,
        *,
        timestamp: int | None = None,
        **fields: Any,
    ) -> SignedRequest:
        return self.sign(view_submission_body(view, values, **fields), timestamp=timestamp)

    def event(self, event: Json, *, timestamp: int | None = None, **fields: Any) -> SignedRequest:
        return self.sign(event_body(event, **fields), timestamp=timestamp)

    def app_home_opened(
        self, user_id: str = USER_ID, *, timestamp: int | None = None
    ) -> SignedRequest:
        return self.sign(app_home_opened_body(user_id), timestamp=timestamp)

    def url_verification(self, challenge: str, *, timestamp: int | None = None) -> SignedRequest:
        return self.sign(url_verification_body(challenge), timestamp=timestamp)


# ---------------------------------------------------------------------------------------------
# GitHub
# ---------------------------------------------------------------------------------------------


def github_signature(secret: str | bytes, body: str | bytes) -> str:
    """`X-Hub-Signature-256` as GitHub computes it: `sha256=` + HMAC-SHA256 hex of the raw body."""
    key = secret.encode() if isinstance(secret, str) else secret
    data = body.encode() if isinstance(body, str) else body
    return "sha256=" + hmac.new(key, data, hashlib.sha256).hexdigest()


def github_headers(
    secret: str | bytes, body: str | bytes, *, event: str, delivery: str | None = None
) -> dict[str, str]:
    """The headers of a GitHub webhook delivery of `event` with this body."""
    return {
        "Content-Type": "application/json",
        "User-Agent": "GitHub-Hookshot/fake",
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": delivery or str(uuid.uuid4()),
        "X-Hub-Signature-256": github_signature(secret, body),
    }
