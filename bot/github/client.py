"""An asyncio GitHub REST client for the campaign bot, on gidgethub over one aiohttp session.

gidgethub gives the transport, the headers, response decoding, `Link` parsing and App tokens. This
module adds what a long sync of an organization needs: page-by-page iteration (callers commit each
page as it arrives), conditional requests with a pluggable ETag store, waiting out primary and
secondary rate limits, bounded retries on 5xx and dropped connections, and a cap on concurrency.
The sleep and the clock are injected so tests never really wait.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import quote, urlencode, urlsplit

import aiohttp
import gidgethub.aiohttp
from gidgethub import sansio
from pydantic import SecretStr

from bot.core.clock import Clock, system_clock
from bot.github.auth import AppAuth, Auth, TokenAuth
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

if TYPE_CHECKING:
    from bot.core.settings import Settings

log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]
Params = Mapping[str, str | int | bool | None]

ACCEPT = "application/vnd.github+json"
API_VERSION = "2022-11-28"
PER_PAGE = 100
DEFAULT_BASE_URL = "https://api.github.com"
RESET_MARGIN = 1.0
"""Seconds added to `x-ratelimit-reset`: the epoch is whole seconds and clocks drift."""
SECONDARY_BACKOFF = 60.0
"""GitHub: without `retry-after`, wait at least a minute after a secondary limit, then longer."""
IDEMPOTENT = frozenset({"GET", "HEAD", "PUT", "PATCH", "DELETE"})
WRITE_PERMISSIONS = frozenset({"admin", "maintain", "write"})
STANDARD_ROLES = frozenset({"admin", "maintain", "write", "triage", "read", "none"})
_NO_BODY = object()
_TRANSIENT = (aiohttp.ClientConnectionError, asyncio.TimeoutError)
_AUTH_TRANSIENT = (*_TRANSIENT, GitHubUnavailable)


def has_write(permission: str) -> bool:
    """Whether a permission from `collaborator_permission` may be assigned alerts (§4)."""
    return permission in WRITE_PERMISSIONS


@dataclass(frozen=True)
class ETagEntry:
    """What a conditional re-fetch needs of a page: its ETag and where the next page was."""

    etag: str
    next_url: str | None = None


class ETagStore(Protocol):
    """Remembers ETags per URL; the sync keeps them in the database between runs."""

    async def get(self, url: str) -> ETagEntry | None: ...

    async def set(self, url: str, entry: ETagEntry) -> None: ...


class MemoryETagStore:
    """ETags for the life of the process."""

    def __init__(self) -> None:
        self.entries: dict[str, ETagEntry] = {}

    async def get(self, url: str) -> ETagEntry | None:
        return self.entries.get(url)

    async def set(self, url: str, entry: ETagEntry) -> None:
        self.entries[url] = entry


class Page(list[dict[str, Any]]):
    """One page of a list endpoint. `not_modified` means GitHub answered 304: nothing changed on
    this page since its ETag was stored, so the page is empty and the caller keeps what it has."""

    def __init__(
        self,
        items: list[dict[str, Any]] | None = None,
        *,
        url: str,
        not_modified: bool = False,
        etag: str | None = None,
        next_url: str | None = None,
    ) -> None:
        super().__init__(items or [])
        self.url = url
        self.not_modified = not_modified
        self.etag = etag
        self.next_url = next_url


@dataclass(frozen=True)
class Response:
    status: int
    headers: Mapping[str, str]
    data: Any
    next_url: str | None

    @property
    def not_modified(self) -> bool:
        return self.status == 304


@dataclass
class ClientStats:
    """Counters for logs and the sync report."""

    requests: int = 0
    not_modified: int = 0
    retries: int = 0
    rate_limited: int = 0
    slept: float = 0.0


class _Transport(gidgethub.aiohttp.GitHubAPI):
    """gidgethub's aiohttp binding with our sleep and a semaphore around every HTTP exchange."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        requester: str,
        base_url: str,
        sleep: Sleep,
        max_concurrency: int,
        stats: ClientStats,
    ) -> None:
        super().__init__(session, requester, base_url=base_url)
        self._sleep = sleep
        self._semaphore = asyncio.Semaphore(max_concurrency)
        self._stats = stats

    async def _request(
        self, method: str, url: str, headers: Mapping[str, str], body: bytes = b""
    ) -> tuple[int, Mapping[str, str], bytes]:
        async with self._semaphore:
            self._stats.requests += 1
            return await super()._request(method, url, headers, body)

    async def send(
        self, method: str, url: str, headers: Mapping[str, str], body: bytes
    ) -> tuple[int, Mapping[str, str], bytes]:
        return await self._request(method, url, headers, body)

    async def sleep(self, seconds: float) -> None:
        await self._sleep(seconds)


class GitHubClient:
    """GitHub REST for the bot. Build one per process with the shared aiohttp session."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        auth: Auth,
        *,
        base_url: str = DEFAULT_BASE_URL,
        etags: ETagStore | None = None,
        sleep: Sleep = asyncio.sleep,
        clock: Clock = system_clock,
        max_concurrency: int = 8,
        max_retries: int = 4,
        retry_backoff: float = 1.0,
        max_rate_limit_waits: int = 5,
        requester: str = "campaignbot",
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.etags: ETagStore = etags if etags is not None else MemoryETagStore()
        self.stats = ClientStats()
        self.max_retries = max_retries
        self.retry_backoff = retry_backoff
        self.max_rate_limit_waits = max_rate_limit_waits
        self._auth = auth
        self._sleep = sleep
        self._clock = clock
        self._resume_at = 0.0
        self._origin = _origin(self.base_url)
        self._api = _Transport(
            session,
            requester=requester,
            base_url=self.base_url,
            sleep=sleep,
            max_concurrency=max_concurrency,
            stats=self.stats,
        )

    @classmethod
    def from_settings(
        cls,
        session: aiohttp.ClientSession,
        settings: Settings,
        *,
        clock: Clock = system_clock,
        **options: Any,
    ) -> GitHubClient:
        """The client the settings describe: App auth when an App is configured, else the token.
        `options` are the constructor's keywords (etags, sleep, max_concurrency, ...)."""
        auth = auth_from_settings(settings, clock=clock)
        return cls(session, auth, base_url=settings.github_api_url, clock=clock, **options)

    def __repr__(self) -> str:
        return f"GitHubClient(base_url={self.base_url!r}, auth={self._auth!r})"

    # ---- core -------------------------------------------------------------------------------

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Params | None = None,
        json_body: Any = _NO_BODY,
        etag: str | None = None,
    ) -> Response:
        """One REST call with waits and retries; raises a `GitHubError` for any failure."""
        method = method.upper()
        url = self._url(path, params)
        body = b"" if json_body is _NO_BODY else json.dumps(json_body).encode()
        attempt = _Attempt(method, url)
        while True:
            await self._respect_pause()
            try:
                authorization = await self._auth.authorization(self._api)
            except _AUTH_TRANSIENT as exc:  # fetching an App token is always safe to repeat
                await self._retry_or_raise(attempt, exc, always=True)
                continue
            try:
                status, headers, raw = await self._api.send(
                    method, url, self._headers(authorization, etag, body), body
                )
            except _TRANSIENT as exc:
                await self._retry_or_raise(attempt, exc)
                continue
            outcome = await self._handle(attempt, status, headers, raw)
            if outcome is not None:
                return outcome

    async def _handle(
        self, attempt: _Attempt, status: int, headers: Mapping[str, str], raw: bytes
    ) -> Response | None:
        """Turn one answer into a response, an error, or None meaning "try again"."""
        delay = self._rate_limit_delay(attempt, status, headers, raw)
        if delay is not None:
            self._rate_limited(attempt, status, delay)
            return None
        if status == 304:
            self.stats.not_modified += 1
            return Response(status, headers, None, None)
        if status == 401:
            self._auth.invalidate()
        if status >= 500:
            await self._retry_or_raise(attempt, _ServerError(status, _message(raw)))
            return None
        if status >= 300:
            raise _error_for(attempt, status, raw)
        self._note_rate_limit(headers)
        try:
            data, _, next_url = sansio.decipher_response(status, headers, raw)
        except ValueError as exc:  # malformed JSON (or text) in a success answer
            await self._retry_or_raise(attempt, exc)
            return None
        return Response(status, headers, data, next_url)

    async def get(self, path: str, params: Params | None = None) -> Any:
        return (await self.request("GET", path, params=params)).data

    async def paginate(
        self, path: str, params: Params | None = None, *, conditional: bool = True
    ) -> AsyncIterator[Page]:
        """Yield each page as it arrives, following `Link: rel="next"` (cursor or page style).

        With `conditional`, a page whose stored ETag still matches comes back as an empty `Page`
        with `not_modified=True`, and iteration goes on to the next page remembered for it.
        """
        query = {"per_page": PER_PAGE, **(params or {})}
        url: str | None = self._url(path, query)
        while url is not None:
            cached = await self.etags.get(url) if conditional else None
            response = await self.request("GET", url, etag=cached.etag if cached else None)
            if response.not_modified and cached is not None:
                yield Page(url=url, not_modified=True, etag=cached.etag, next_url=cached.next_url)
                url = cached.next_url
                continue
            page = _as_page(response, url)
            if page.etag:
                await self.etags.set(url, ETagEntry(page.etag, page.next_url))
            yield page
            url = page.next_url

    # ---- waiting and retrying ---------------------------------------------------------------

    def _now(self) -> float:
        return self._clock().timestamp()

    async def _respect_pause(self) -> None:
        """Wait out a rate-limit pause that any request of this client has set."""
        target = self._resume_at
        delay = target - self._now()
        if delay > 0:
            await self._pause(delay)
            if self._resume_at == target:
                self._resume_at = 0.0  # consumed; a frozen test clock would otherwise wait again

    async def _pause(self, delay: float) -> None:
        self.stats.slept += delay
        await self._sleep(delay)

    def _pause_until(self, resume_at: float) -> None:
        self._resume_at = max(self._resume_at, resume_at)

    def _rate_limit_delay(
        self, attempt: _Attempt, status: int, headers: Mapping[str, str], raw: bytes
    ) -> float | None:
        """Seconds to wait when the answer is a primary or secondary rate limit, else None."""
        if status not in (403, 429):
            return None
        reset = headers.get("x-ratelimit-reset")
        if headers.get("x-ratelimit-remaining") == "0" and reset is not None:
            return max(float(reset) - self._now(), 0.0) + RESET_MARGIN
        retry_after = _seconds(headers.get("retry-after"))
        if retry_after is not None:
            return retry_after
        if status == 429 or "rate limit" in _message(raw).lower():
            delay = SECONDARY_BACKOFF * 2.0**attempt.secondary_waits
            attempt.secondary_waits += 1
            return delay
        return None

    def _rate_limited(self, attempt: _Attempt, status: int, delay: float) -> None:
        if attempt.rate_limit_waits >= self.max_rate_limit_waits:
            raise GitHubRateLimitError(
                f"still rate limited after {attempt.rate_limit_waits} waits",
                status=status,
                method=attempt.method,
                path=attempt.path,
            )
        attempt.rate_limit_waits += 1
        self.stats.rate_limited += 1
        log.warning(
            "GitHub rate limit on %s %s (%s); waiting %.0f s",
            attempt.method,
            attempt.path,
            status,
            delay,
        )
        self._pause_until(self._now() + delay)

    def _note_rate_limit(self, headers: Mapping[str, str]) -> None:
        """A success that used the last request of the hour pauses the next ones until reset."""
        try:
            limit = sansio.RateLimit.from_http(headers)
        except ValueError:
            return
        if limit is not None and limit.remaining == 0:
            self._pause_until(limit.reset_datetime.timestamp() + RESET_MARGIN)

    async def _retry_or_raise(
        self, attempt: _Attempt, cause: BaseException, *, always: bool = False
    ) -> None:
        """Back off exponentially, or raise `GitHubUnavailable` when out of retries or unsafe."""
        reason = _describe_failure(cause)
        status = cause.status if isinstance(cause, _ServerError | GitHubError) else None
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
        self.stats.retries += 1
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

    # ---- URLs and headers -------------------------------------------------------------------

    def _url(self, path: str, params: Params | None) -> str:
        """Absolute URL for a path under the base URL; a `Link` URL is used as given, and only
        if it points at the same origin (the token must never go to another host)."""
        if path.startswith(("http://", "https://")):
            if _origin(path) != self._origin:
                raise GitHubError(f"refusing to follow a link to another host: {_origin(path)}")
            url = path
        else:
            url = self.base_url + "/" + path.lstrip("/")
        query = _encode_params(params)
        if not query:
            return url
        return f"{url}{'&' if '?' in url else '?'}{query}"

    def _headers(self, authorization: str, etag: str | None, body: bytes) -> dict[str, str]:
        headers = sansio.create_headers(self._api.requester, accept=ACCEPT)
        headers["authorization"] = authorization
        headers["x-github-api-version"] = API_VERSION
        if etag:
            headers["if-none-match"] = etag
        if body:
            headers["content-type"] = "application/json; charset=utf-8"
        return headers

    # ---- organization lists (paged) ----------------------------------------------------------

    def list_org_code_scanning_alerts(
        self,
        org: str,
        *,
        state: str | None = None,
        sort: str = "updated",
        direction: str = "desc",
        conditional: bool = True,
    ) -> AsyncIterator[Page]:
        """Code-scanning alerts of the default branches, newest change first by default."""
        params = {"state": state, "sort": sort, "direction": direction}
        return self.paginate(
            f"/orgs/{_seg(org)}/code-scanning/alerts", params, conditional=conditional
        )

    def list_org_secret_scanning_alerts(
        self,
        org: str,
        *,
        state: str | None = None,
        sort: str = "updated",
        direction: str = "desc",
        conditional: bool = True,
    ) -> AsyncIterator[Page]:
        """Secret-scanning alerts; an empty `after` asks GitHub for cursor links (per the docs),
        which stay correct on large organizations where deep `page=` numbers do not."""
        params = {"state": state, "sort": sort, "direction": direction, "after": ""}
        return self.paginate(
            f"/orgs/{_seg(org)}/secret-scanning/alerts", params, conditional=conditional
        )

    def list_org_repositories(self, org: str, *, conditional: bool = True) -> AsyncIterator[Page]:
        return self.paginate(f"/orgs/{_seg(org)}/repos", {"type": "all"}, conditional=conditional)

    def list_org_property_values(
        self, org: str, *, conditional: bool = True
    ) -> AsyncIterator[Page]:
        """Custom property values of every repository (for `props.NAME:` filters)."""
        return self.paginate(f"/orgs/{_seg(org)}/properties/values", conditional=conditional)

    def list_org_teams(self, org: str, *, conditional: bool = True) -> AsyncIterator[Page]:
        return self.paginate(f"/orgs/{_seg(org)}/teams", conditional=conditional)

    def list_team_repositories(
        self, org: str, team_slug: str, *, conditional: bool = True
    ) -> AsyncIterator[Page]:
        return self.paginate(
            f"/orgs/{_seg(org)}/teams/{_seg(team_slug)}/repos", conditional=conditional
        )

    def list_org_campaigns(
        self, org: str, *, state: str | None = None, conditional: bool = True
    ) -> AsyncIterator[Page]:
        return self.paginate(
            f"/orgs/{_seg(org)}/campaigns", {"state": state}, conditional=conditional
        )

    # ---- repositories, alerts, people --------------------------------------------------------

    async def get_repository(self, full_name: str) -> dict[str, Any]:
        return _as_dict(await self.get(f"/repos/{_repo(full_name)}"))

    async def update_code_scanning_assignees(
        self, full_name: str, number: int, logins: list[str]
    ) -> dict[str, Any]:
        """Set the alert's assignees (an empty list unassigns everyone); GitHub answers 422 when
        a login lacks write access, raised as `GitHubValidationError`."""
        path = f"/repos/{_repo(full_name)}/code-scanning/alerts/{int(number)}"
        response = await self.request("PATCH", path, json_body={"assignees": list(logins)})
        return _as_dict(response.data)

    async def update_secret_scanning_assignee(
        self, full_name: str, number: int, login: str | None
    ) -> dict[str, Any]:
        """Assign the alert to one login, or unassign it with None."""
        path = f"/repos/{_repo(full_name)}/secret-scanning/alerts/{int(number)}"
        response = await self.request("PATCH", path, json_body={"assignee": login})
        return _as_dict(response.data)

    async def collaborator_permission(self, full_name: str, login: str) -> str:
        """The user's role on the repository: admin, maintain, write, triage, read or none.

        GitHub's `permission` field is legacy (maintain reads as write, triage as read); the
        real role is `role_name`. A custom role answers with its base permission instead.
        """
        path = f"/repos/{_repo(full_name)}/collaborators/{_seg(login)}/permission"
        data = _as_dict(await self.get(path))
        role = str(data.get("role_name") or "")
        return role if role in STANDARD_ROLES else str(data.get("permission") or "none")

    async def has_write_access(self, full_name: str, login: str) -> bool:
        """Whether the login may be assigned the repository's alerts; unknown users may not."""
        try:
            return has_write(await self.collaborator_permission(full_name, login))
        except GitHubNotFound:
            return False

    async def create_branch(
        self, full_name: str, branch: str, *, from_default: bool = True, sha: str | None = None
    ) -> dict[str, Any]:
        """Create `refs/heads/{branch}` at the default branch's head (or at `sha`)."""
        if sha is None:
            if not from_default:
                raise ValueError("create_branch needs from_default=True or a sha")
            sha = await self._default_branch_sha(full_name)
        body = {"ref": f"refs/heads/{branch}", "sha": sha}
        response = await self.request("POST", f"/repos/{_repo(full_name)}/git/refs", json_body=body)
        return _as_dict(response.data)

    async def _default_branch_sha(self, full_name: str) -> str:
        repository = await self.get_repository(full_name)
        default = str(repository["default_branch"])
        ref = _as_dict(
            await self.get(f"/repos/{_repo(full_name)}/git/ref/heads/{quote(default, safe='/')}")
        )
        return str(ref["object"]["sha"])

    # ---- security campaigns -----------------------------------------------------------------

    async def create_campaign(self, org: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """Publish a campaign; GitHub answers 200 with the campaign summary (not 201)."""
        response = await self.request("POST", f"/orgs/{_seg(org)}/campaigns", json_body=dict(body))
        return _as_dict(response.data)

    async def get_campaign(self, org: str, number: int) -> dict[str, Any]:
        return _as_dict(await self.get(f"/orgs/{_seg(org)}/campaigns/{int(number)}"))

    async def update_campaign(
        self, org: str, number: int, body: Mapping[str, Any]
    ) -> dict[str, Any]:
        """Edit, close (`{"state": "closed"}`) or reopen a campaign; alerts cannot change."""
        path = f"/orgs/{_seg(org)}/campaigns/{int(number)}"
        return _as_dict((await self.request("PATCH", path, json_body=dict(body))).data)

    async def delete_campaign(self, org: str, number: int) -> None:
        await self.request("DELETE", f"/orgs/{_seg(org)}/campaigns/{int(number)}")


class _Attempt:
    """The retry bookkeeping of one logical request."""

    def __init__(self, method: str, url: str) -> None:
        self.method = method
        self.path = _path_of(url)
        self.failures = 0
        self.rate_limit_waits = 0
        self.secondary_waits = 0


class _ServerError(Exception):
    def __init__(self, status: int, message: str) -> None:
        self.status = status
        super().__init__(f"{status} {message}".strip())


def auth_from_settings(settings: Settings, *, clock: Clock = system_clock) -> Auth:
    """App auth when an App is configured (it wins: higher limits, no personal token), else the
    personal token. Raises `GitHubAuthError` when neither is set."""
    app_id, installation = settings.github_app_id, settings.github_app_installation_id
    if app_id is not None and installation is not None:
        key: str | SecretStr | None = settings.github_app_private_key
        if key is None and settings.github_app_private_key_path is not None:
            key = Path(settings.github_app_private_key_path).read_text(encoding="utf-8")
        if key is not None:
            return AppAuth(app_id, key, installation, clock=clock)
    if settings.github_token is not None:
        return TokenAuth(settings.github_token)
    raise GitHubAuthError("no GitHub credentials: set GITHUB_TOKEN or the GITHUB_APP_* settings")


def _safe_to_retry(method: str, cause: BaseException) -> bool:
    """Retry idempotent methods on any transient failure; a POST only when it never left, since
    a POST that reached GitHub (a campaign, a branch) must not be made twice."""
    if method in IDEMPOTENT:
        return True
    return isinstance(cause, aiohttp.ClientConnectorError)


def _error_for(attempt: _Attempt, status: int, raw: bytes) -> GitHubError:
    """The error for a 3xx/4xx answer, typed by status so callers catch what they handle."""
    message = _message(raw) or f"HTTP {status}"
    if status == 401:
        message = f"{message}: the GitHub token is invalid, expired or revoked"
    if status == 422:
        body = _decode(raw)
        errors = _as_list(body.get("errors") if isinstance(body, dict) else None)
        return GitHubValidationError(
            message, errors=errors, status=status, method=attempt.method, path=attempt.path
        )
    error_type = _ERRORS_BY_STATUS.get(status, GitHubError)
    return error_type(message, status=status, method=attempt.method, path=attempt.path)


_ERRORS_BY_STATUS: dict[int, type[GitHubError]] = {
    401: GitHubAuthError,
    403: GitHubForbidden,
    404: GitHubNotFound,
}


def _as_page(response: Response, url: str) -> Page:
    data = response.data
    if isinstance(data, dict):  # a few list endpoints wrap their items
        data = next((value for value in data.values() if isinstance(value, list)), None)
    if not isinstance(data, list):
        raise GitHubResponseError(
            "expected a JSON list", status=response.status, path=_path_of(url)
        )
    return Page(data, url=url, etag=response.headers.get("etag"), next_url=response.next_url)


def _encode_params(params: Params | None) -> str:
    if not params:
        return ""
    pairs = [(key, _param(value)) for key, value in params.items() if value is not None]
    return urlencode(pairs, quote_via=quote)


def _param(value: str | int | bool) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _seg(value: str) -> str:
    """One URL path segment, quoted so a name can never reach another endpoint."""
    return quote(str(value), safe="")


def _repo(full_name: str) -> str:
    owner, sep, name = full_name.partition("/")
    if not sep or not owner or not name or "/" in name:
        raise ValueError(f"expected OWNER/REPO, got {full_name!r}")
    return f"{_seg(owner)}/{_seg(name)}"


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def _path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _decode(raw: bytes) -> Any:
    try:
        return json.loads(raw.decode("utf-8")) if raw else None
    except ValueError:
        return None


def _message(raw: bytes) -> str:
    body = _decode(raw)
    if isinstance(body, dict) and body.get("message"):
        return str(body["message"])
    return ""


def _seconds(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        return None


def _describe_failure(cause: BaseException) -> str:
    if isinstance(cause, _ServerError):
        return f"server error {cause}"
    if isinstance(cause, ValueError):
        return "malformed JSON in the answer"
    if isinstance(cause, GitHubError):
        return cause.message
    return f"connection problem ({type(cause).__name__})"


def _as_dict(data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise GitHubResponseError(f"expected a JSON object, got {type(data).__name__}")
    return data


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else []
