"""The Slack Web API client and the Bolt app, both on the one aiohttp session of the process."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, Protocol

import aiohttp
from pydantic import SecretStr
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

import commands
from bot.core.settings import Settings
from bot.services import Services

log = logging.getLogger("campaignbot")


def secret_of(value: SecretStr | None) -> str | None:
    return value.get_secret_value() if value is not None else None


def slack_retry_handlers() -> list[AsyncRetryHandler]:
    """Retry what Slack asks us to (429 + Retry-After), dropped connections and 500/503."""
    return [
        AsyncConnectionErrorRetryHandler(max_retry_count=2),
        AsyncRateLimitErrorRetryHandler(max_retry_count=2),
        AsyncServerErrorRetryHandler(max_retry_count=2),
    ]


def build_slack_client(settings: Settings, session: aiohttp.ClientSession) -> AsyncWebClient:
    """One Web API client on the shared session (created in the running loop, closed by serve)."""
    return AsyncWebClient(
        token=secret_of(settings.slack_bot_token),
        base_url=settings.slack_api_url,
        session=session,
        retry_handlers=slack_retry_handlers(),
    )


def describe_slack_request(body: Mapping[str, Any]) -> str:
    """What a request was about, for logs: kind, command or callback, user; never tokens or URLs."""
    parts = [str(body.get("type") or ("slash_command" if "command" in body else "request"))]
    if command := body.get("command"):
        parts.append(str(command))
    view = body.get("view")
    if isinstance(view, Mapping) and view.get("callback_id"):
        parts.append(f"view={view['callback_id']}")
    actions = body.get("actions")
    if isinstance(actions, list):
        ids = [str(a.get("action_id")) for a in actions if isinstance(a, Mapping)]
        parts.append("actions=" + ",".join(ids))
    event = body.get("event")
    if isinstance(event, Mapping) and event.get("type"):
        parts.append(f"event={event['type']}")
    user = body.get("user")
    user_id = user.get("id") if isinstance(user, Mapping) else body.get("user_id")
    if user_id:
        parts.append(f"user={user_id}")
    return " ".join(parts)


async def _log_listener_error(error: Exception, body: dict[str, Any]) -> None:
    """Last resort for listener failures; domain errors are answered by commands/ itself."""
    log.error(
        "Slack listener failed on %s: %s",
        describe_slack_request(body),
        type(error).__name__,
        exc_info=error,
    )


def build_bolt_app(settings: Settings, services: Services, client: AsyncWebClient) -> AsyncApp:
    """The Bolt app: single workspace, the token travels in `client`, listeners from commands/."""
    app = AsyncApp(
        name="campaignbot",
        client=client,
        signing_secret=secret_of(settings.slack_signing_secret) or "",
    )
    commands.register(app, services)
    app.error(_log_listener_error)
    return app


class SlackLink(Protocol):
    async def connected(self) -> bool: ...


class SchedulerLike(Protocol):
    @property
    def running(self) -> bool: ...


class AuthTestLink:
    """HTTP mode: Slack counts as connected once `auth.test` succeeded; retried until it does."""

    def __init__(self, client: AsyncWebClient) -> None:
        self._client = client
        self.ok = False
        self.identity: dict[str, Any] = {}

    async def check(self) -> bool:
        try:
            response = await self._client.auth_test()
        except SlackApiError as exc:
            log.error("Slack auth.test failed: %s", exc.response.get("error"))
            return False
        except (aiohttp.ClientError, TimeoutError) as exc:
            log.error("Slack is unreachable: %s", type(exc).__name__)
            return False
        self.identity = {k: response.get(k) for k in ("team_id", "user_id", "bot_id", "url")}
        self.ok = True
        return True

    async def connected(self) -> bool:
        return self.ok or await self.check()
