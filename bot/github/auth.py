"""How the client proves who it is: a personal token, or a GitHub App installation token.

Secrets live in `SecretStr` so that reprs, logs and tracebacks show stars, never the token.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any, Protocol

import gidgethub
from gidgethub.abc import GitHubAPI
from gidgethub.apps import get_installation_access_token
from pydantic import SecretStr

from bot.core.clock import Clock, system_clock
from bot.github.errors import GitHubAuthError, GitHubError, GitHubUnavailable

REFRESH_MARGIN = timedelta(minutes=5)
"""Refresh an installation token this long before it expires (clock skew, slow calls)."""


class Auth(Protocol):
    """Gives the `Authorization` header value for the next request."""

    async def authorization(self, api: GitHubAPI) -> str:
        """The header value; may call GitHub (through `api`) to get a fresh token."""
        ...

    def invalidate(self) -> None:
        """Forget any cached credential, after GitHub answered 401."""
        ...


class TokenAuth:
    """A personal access token (classic or fine-grained): sent as `Authorization: token …`."""

    def __init__(self, token: str | SecretStr) -> None:
        self._token = token if isinstance(token, SecretStr) else SecretStr(token)
        if not self._token.get_secret_value():
            raise ValueError("GitHub token is empty")

    async def authorization(self, api: GitHubAPI) -> str:
        return f"token {self._token.get_secret_value()}"

    def invalidate(self) -> None:
        """A personal token cannot be renewed; the next request will fail the same way."""

    def __repr__(self) -> str:
        return "TokenAuth(token=**********)"


class AppAuth:
    """A GitHub App installation: a JWT buys an installation token, cached until shortly before
    it expires so that a sync of thousands of requests asks GitHub for a token once an hour."""

    def __init__(
        self,
        app_id: int | str,
        private_key: str | SecretStr,
        installation_id: int | str,
        *,
        clock: Clock = system_clock,
        refresh_margin: timedelta = REFRESH_MARGIN,
    ) -> None:
        self.app_id = str(app_id)
        self.installation_id = str(installation_id)
        self._private_key = (
            private_key if isinstance(private_key, SecretStr) else SecretStr(private_key)
        )
        self._clock = clock
        self._refresh_margin = refresh_margin
        self._token: SecretStr | None = None
        self._expires_at: datetime | None = None
        self._lock = asyncio.Lock()
        self.fetches = 0

    @property
    def expires_at(self) -> datetime | None:
        return self._expires_at

    async def authorization(self, api: GitHubAPI) -> str:
        async with self._lock:  # one refresh even when many requests start together
            if self._needs_refresh():
                await self._refresh(api)
        assert self._token is not None
        return f"token {self._token.get_secret_value()}"

    def invalidate(self) -> None:
        self._token = None
        self._expires_at = None

    def _needs_refresh(self) -> bool:
        if self._token is None or self._expires_at is None:
            return True
        return self._clock() >= self._expires_at - self._refresh_margin

    async def _refresh(self, api: GitHubAPI) -> None:
        path = f"/app/installations/{self.installation_id}/access_tokens"
        try:
            answer = await get_installation_access_token(
                api,
                installation_id=self.installation_id,
                app_id=self.app_id,
                private_key=self._private_key.get_secret_value(),
            )
        except gidgethub.HTTPException as exc:
            raise _app_error(exc, path) from None
        self.fetches += 1
        self._token, self._expires_at = _parse_token(answer, path)

    def __repr__(self) -> str:
        return f"AppAuth(app_id={self.app_id}, installation_id={self.installation_id})"


def _parse_token(answer: Any, path: str) -> tuple[SecretStr, datetime]:
    """Read `{"token", "expires_at"}`; anything else is an answer we cannot use."""
    try:
        token = str(answer["token"])
        expires_at = datetime.fromisoformat(str(answer["expires_at"]).replace("Z", "+00:00"))
    except (TypeError, KeyError, ValueError) as exc:
        raise GitHubAuthError(
            "GitHub App installation token answer lacks token or expires_at",
            method="POST",
            path=path,
        ) from exc
    return SecretStr(token), expires_at


def _app_error(exc: gidgethub.HTTPException, path: str) -> GitHubError:
    """Map gidgethub's exception to ours; 5xx stays retryable, the rest is an auth failure."""
    status = int(exc.status_code)
    message = str(exc) or exc.status_code.phrase
    if status >= 500:
        return GitHubUnavailable(message, status=status, method="POST", path=path)
    return GitHubAuthError(
        f"GitHub App could not get an installation token: {message}",
        status=status,
        method="POST",
        path=path,
    )
