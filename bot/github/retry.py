"""Waiting and retrying for the GitHub client: rate limits, 5xx answers and dropped connections.

A `Pacer` belongs to one client. A rate-limit pause it sets holds for every request of that
client (GitHub counts the limit per token, not per request), and each logical request carries an
`Attempt` that bounds its own retries and waits. The sleep and the clock are injected so that
tests never really wait.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from datetime import UTC, datetime

import aiohttp
from gidgethub import sansio

from bot.core.clock import Clock
from bot.github.errors import (
    GitHubAuthError,
    GitHubError,
    GitHubForbidden,
    GitHubNotFound,
    GitHubRateLimitError,
    GitHubResponseError,
    GitHubUnavailable,
    GitHubValidationError,
)
from bot.github.http import ClientStats, Sleep, as_list, decode, message, path_of, seconds

log = logging.getLogger(__name__)

RESET_MARGIN = 1.0
"""Seconds added to `x-ratelimit-reset`: the epoch is whole seconds and clocks drift."""
SECONDARY_BACKOFF = 60.0
"""GitHub: without `retry-after`, wait at least a minute after a secondary limit, then longer."""
IDEMPOTENT = frozenset({"GET", "HEAD", "PUT", "PATCH", "DELETE"})
TRANSIENT = (aiohttp.ClientConnectionError, asyncio.TimeoutError)
AUTH_TRANSIENT = (*TRANSIENT, GitHubUnavailable)


class Attempt:
    """The retry bookkeeping of one logical request."""

    def __init__(self, method: str, url: str) -> None:
        self.method = method
        self.path = path_of(url)
        self.failures = 0
        self.rate_limit_waits = 0
        self.secondary_waits = 0


class ServerError(Exception):
    def __init__(self, status: int, message: str) -> None:
        self.status = status
        super().__init__(f"{status} {message}".strip())


class Pacer:
    """The waits and retries of one client, counted in its `ClientStats`."""

    def __init__(
        self,
        *,
        sleep: Sleep,
        clock: Clock,
        stats: ClientStats,
        max_retries: int,
        retry_backoff: float,
        max_rate_limit_waits: int,
    ) -> None:
        self.max_retries = max_retries
        self.retry_backoff = retry_backoff
        self.max_rate_limit_waits = max_rate_limit_waits
        self._sleep = sleep
        self._clock = clock
        self._stats = stats
        self._resume_at = 0.0

    def _now(self) -> float:
        return self._clock().timestamp()

    async def respect_pause(self) -> None:
        """Wait out a rate-limit pause that any request of this client has set."""
        target = self._resume_at
        delay = target - self._now()
        if delay > 0:
            if delay >= ANNOUNCE_WAITS_OVER:
                log.warning(
                    "GitHub's request limit is used up; waiting %s, until %s, then going on",
                    _duration(delay),
                    _clock_time(target),
                )
            await self._pause(delay)
            if self._resume_at == target:
                self._resume_at = 0.0  # consumed; a frozen test clock would otherwise wait again

    async def _pause(self, delay: float) -> None:
        self._stats.slept += delay
        await self._sleep(delay)

    def _pause_until(self, resume_at: float) -> None:
        self._resume_at = max(self._resume_at, resume_at)

    def rate_limit_delay(
        self, attempt: Attempt, status: int, headers: Mapping[str, str], raw: bytes
    ) -> float | None:
        """Seconds to wait when the answer is a primary or secondary rate limit, else None."""
        if status not in (403, 429):
            return None
        reset = headers.get("x-ratelimit-reset")
        if headers.get("x-ratelimit-remaining") == "0" and reset is not None:
            return max(float(reset) - self._now(), 0.0) + RESET_MARGIN
        retry_after = seconds(headers.get("retry-after"))
        if retry_after is not None:
            return retry_after
        if status == 429 or "rate limit" in message(raw).lower():
            delay = SECONDARY_BACKOFF * 2.0**attempt.secondary_waits
            attempt.secondary_waits += 1
            return delay
        return None

    def rate_limited(self, attempt: Attempt, status: int, delay: float) -> None:
        if attempt.rate_limit_waits >= self.max_rate_limit_waits:
            raise GitHubRateLimitError(
                f"still rate limited after {attempt.rate_limit_waits} waits",
                status=status,
                method=attempt.method,
                path=attempt.path,
            )
        attempt.rate_limit_waits += 1
        self._stats.rate_limited += 1
        log.warning(
            "GitHub rate limit on %s %s (%s); waiting %s, until %s, then going on",
            attempt.method,
            attempt.path,
            status,
            _duration(delay),
            _clock_time(self._now() + delay),
        )
        self._pause_until(self._now() + delay)

    def note_rate_limit(self, headers: Mapping[str, str]) -> None:
        """A success that used the last request of the hour pauses the next ones until reset."""
        try:
            limit = sansio.RateLimit.from_http(headers)
        except ValueError:
            return
        if limit is not None and limit.remaining == 0:
            self._pause_until(limit.reset_datetime.timestamp() + RESET_MARGIN)

    async def retry_or_raise(
        self, attempt: Attempt, cause: BaseException, *, always: bool = False
    ) -> None:
        """Back off exponentially, or raise `GitHubUnavailable` when out of retries or unsafe."""
        reason = _describe_failure(cause)
        status = cause.status if isinstance(cause, ServerError | GitHubError) else None
        error_type = GitHubResponseError if isinstance(cause, ValueError) else GitHubUnavailable
        if not (always or _safe_to_retry(attempt.method, cause)):
            raise error_type(
                f"{reason}; not retried, the request may have been applied",
                status=status,
                method=attempt.method,
                path=attempt.path,
            ) from None
        if attempt.failures >= self.max_retries:
            raise error_type(
                f"{reason}; gave up after {attempt.failures + 1} attempts",
                status=status,
                method=attempt.method,
                path=attempt.path,
            ) from None
        delay = self.retry_backoff * 2.0**attempt.failures
        attempt.failures += 1
        self._stats.retries += 1
        log.warning(
            "GitHub %s %s failed (%s); retry %d/%d in %.1f s",
            attempt.method,
            attempt.path,
            reason,
            attempt.failures,
            self.max_retries,
            delay,
        )
        await self._pause(delay)


def error_for(attempt: Attempt, status: int, raw: bytes) -> GitHubError:
    """The error for a 3xx/4xx answer, typed by status so callers catch what they handle."""
    text = message(raw) or f"HTTP {status}"
    if status == 401:
        text = f"{text}: the GitHub token is invalid, expired or revoked"
    if status == 422:
        body = decode(raw)
        errors = as_list(body.get("errors") if isinstance(body, dict) else None)
        return GitHubValidationError(
            text, errors=errors, status=status, method=attempt.method, path=attempt.path
        )
    error_type = _ERRORS_BY_STATUS.get(status, GitHubError)
    return error_type(text, status=status, method=attempt.method, path=attempt.path)


_ERRORS_BY_STATUS: dict[int, type[GitHubError]] = {
    401: GitHubAuthError,
    403: GitHubForbidden,
    404: GitHubNotFound,
}


def _safe_to_retry(method: str, cause: BaseException) -> bool:
    """Retry idempotent methods on any transient failure; a POST only when it never left, since
    a POST that reached GitHub (a campaign, a branch) must not be made twice."""
    if method in IDEMPOTENT:
        return True
    return isinstance(cause, aiohttp.ClientConnectorError)


def _describe_failure(cause: BaseException) -> str:
    if isinstance(cause, ServerError):
        return f"server error {cause}"
    if isinstance(cause, ValueError):
        return "malformed JSON in the answer"
    if isinstance(cause, GitHubError):
        return cause.message
    return f"connection problem ({type(cause).__name__})"


ANNOUNCE_WAITS_OVER = 5.0
"""A pause this long is said out loud (a sync waiting out the hourly limit looks hung otherwise)."""


def _duration(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.0f} min"


def _clock_time(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%H:%M:%S UTC")
