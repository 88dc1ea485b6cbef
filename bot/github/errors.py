"""Errors of the GitHub source, one family so callers can catch `GitHubError` and be done.

Messages name the request (method and path) and GitHub's own message. They never carry request
headers, so a token cannot leak through `str()`, `repr()` or a logged traceback.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


class GitHubError(Exception):
    """Anything that went wrong talking to GitHub."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        method: str | None = None,
        path: str | None = None,
    ) -> None:
        self.message = message
        self.status = status
        self.method = method
        self.path = path
        super().__init__(self._describe())

    def _describe(self) -> str:
        where = f"{self.method} {self.path}" if self.method and self.path else ""
        status = f" → {self.status}" if self.status is not None else ""
        prefix = f"GitHub {where}{status}: " if where or status else "GitHub: "
        return prefix + self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self)!r})"


class GitHubAuthError(GitHubError):
    """401: the token is bad, expired or revoked, or the App cannot get one. Retrying won't help."""


class GitHubForbidden(GitHubError):
    """403 that is not a rate limit: a missing scope or permission, or an archived repo."""


class GitHubNotFound(GitHubError):
    """404: the thing does not exist, or the token may not see it (GitHub does not say which)."""


class GitHubValidationError(GitHubError):
    """422: GitHub refused the request's content, e.g. an assignee without write access."""

    def __init__(
        self,
        message: str,
        *,
        errors: Sequence[Any] = (),
        status: int | None = 422,
        method: str | None = None,
        path: str | None = None,
    ) -> None:
        self.errors = list(errors)
        super().__init__(message, status=status, method=method, path=path)

    @property
    def details(self) -> list[str]:
        """The human-readable reasons GitHub gave for each refused field."""
        out: list[str] = []
        for error in self.errors:
            if isinstance(error, str):
                out.append(error)
            elif isinstance(error, dict) and error.get("message"):
                out.append(str(error["message"]))
            elif isinstance(error, dict) and error.get("field"):
                out.append(f"{error.get('field')}: {error.get('code', 'invalid')}")
        return out

    def _describe(self) -> str:
        base = super()._describe()
        details = self.details
        return f"{base} ({'; '.join(details)})" if details else base


class GitHubRateLimitError(GitHubError):
    """Still rate limited after waiting the allowed number of times."""


class GitHubUnavailable(GitHubError):
    """5xx answers or dropped connections that outlasted the retries (or could not be retried)."""


class GitHubResponseError(GitHubError):
    """GitHub answered something this client cannot read (malformed JSON, unexpected shape)."""
