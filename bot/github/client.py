"""An asyncio GitHub REST client for the campaign bot, on gidgethub over one aiohttp session.

gidgethub gives the transport, the headers, response decoding, `Link` parsing and App tokens. This
module adds what a long sync of an organization needs: page-by-page iteration (callers commit each
page as it arrives), conditional requests with a pluggable ETag store, waiting out primary and
secondary rate limits, bounded retries on 5xx and dropped connections (`retry`), and a cap on
concurrency (`http`). The sleep and the clock are injected so tests never really wait.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import quote

import aiohttp
from gidgethub import sansio
from pydantic import SecretStr

from bot.core.clock import Clock, system_clock
from bot.github.auth import AppAuth, Auth, TokenAuth
from bot.github.errors import GitHubAuthError, GitHubError, GitHubNotFound
from bot.github.http import (
    PER_PAGE,
    ClientStats,
    Page,
    Params,
    Response,
    Sleep,
    Transport,
    as_dict,
    as_page,
    encode_params,
    message,
    origin,
    repo_path,
    request_headers,
    seg,
)
from bot.github.retry import AUTH_TRANSIENT, TRANSIENT, Attempt, Pacer, ServerError, error_for
from bot.metrics import GITHUB_REQUESTS
from store.sync_state import ETagEntry

if TYPE_CHECKING:
    from bot.core.settings import Settings

DEFAULT_BASE_URL = "https://api.github.com"
WRITE_PERMISSIONS = frozenset({"admin", "maintain", "write"})
STANDARD_ROLES = frozenset({"admin", "maintain", "write", "triage", "read", "none"})
_NO_BODY = object()

Decoder = Callable[[bytes], Any]
"""Reads a success answer's body in place of `json.loads` (`request`)."""


def has_write(permission: str) -> bool:
    """Whether a permission from `collaborator_permission` may be assigned alerts (§4)."""
    return permission in WRITE_PERMISSIONS


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
        self._pacer = Pacer(
            sleep=sleep,
            clock=clock,
            stats=self.stats,
            max_retries=max_retries,
            retry_backoff=retry_backoff,
            max_rate_limit_waits=max_rate_limit_waits,
        )
        self._auth = auth
        self._origin = origin(self.base_url)
        self._api = Transport(
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
        decode: Decoder | None = None,
    ) -> Response:
        """One REST call with waits and retries; raises a `GitHubError` for any failure.

        `decode` reads a success answer's body instead of `json.loads` (the sync validates a page
        of alerts straight from its JSON); a `ValueError` from it means malformed JSON, retried
        like any answer that cannot be read."""
        method = method.upper()
        url = self._url(path, params)
        body = b"" if json_body is _NO_BODY else json.dumps(json_body).encode()
        attempt = Attempt(method, url)
        while True:
            await self._pacer.respect_pause()
            try:
                authorization = await self._auth.authorization(self._api)
            except AUTH_TRANSIENT as exc:  # fetching an App token is always safe to repeat
                await self._pacer.retry_or_raise(attempt, exc, always=True)
                continue
            try:
                sent = request_headers(self._api.requester, authorization, etag, body)
                status, headers, raw = await self._api.send(method, url, sent, body)
            except TRANSIENT as exc:
                GITHUB_REQUESTS.labels(method, "unreachable").inc()
                await self._pacer.retry_or_raise(attempt, exc)
                continue
            GITHUB_REQUESTS.labels(method, _outcome(status)).inc()
            outcome = await self._handle(attempt, status, headers, raw, decode)
            if outcome is not None:
                return outcome

    async def _handle(
        self,
        attempt: Attempt,
        status: int,
        headers: Mapping[str, str],
        raw: bytes,
        decode: Decoder | None = None,
    ) -> Response | None:
        """Turn one answer into a response, an error, or None meaning "try again"."""
        delay = self._pacer.rate_limit_delay(attempt, status, headers, raw)
        if delay is not None:
            self._pacer.rate_limited(attempt, status, delay)
            return None
        if status == 304:
            self.stats.not_modified += 1
            return Response(status, headers, None, None)
        if status == 401:
            self._auth.invalidate()
        if status >= 500:
            await self._pacer.retry_or_raise(attempt, ServerError(status, message(raw)))
            return None
        if status >= 300:
            raise error_for(attempt, status, raw)
        self._pacer.note_rate_limit(headers)
        try:
            if decode is None:
                data, _, next_url = sansio.decipher_response(status, headers, raw)
            else:  # the links from the headers; the body is the caller's to read
                _, _, next_url = sansio.decipher_response(status, headers, b"")
                data = decode(raw)
        except ValueError as exc:  # malformed JSON (or text) in a success answer
            await self._pacer.retry_or_raise(attempt, exc)
            return None
        return Response(status, headers, data, next_url)

    async def get(self, path: str, params: Params | None = None) -> Any:
        return (await self.request("GET", path, params=params)).data

    async def paginate(
        self,
        path: str,
        params: Params | None = None,
        *,
        conditional: bool = True,
        decode: Decoder | None = None,
    ) -> AsyncIterator[Page]:
        """Yield each page as it arrives, following `Link: rel="next"` (cursor or page style).

        With `conditional`, a page whose stored ETag still matches comes back as an empty `Page`
        with `not_modified=True`, and iteration goes on to the next page remembered for it.
        `decode`: see `request`.
        """
        query = {"per_page": PER_PAGE, **(params or {})}
        url: str | None = self._url(path, query)
        while url is not None:
            cached = await self.etags.get(url) if conditional else None
            etag = cached.etag if cached else None
            response = await self.request("GET", url, etag=etag, decode=decode)
            if response.not_modified and cached is not None:
                yield Page(url=url, not_modified=True, etag=cached.etag, next_url=cached.next_url)
                url = cached.next_url
                continue
            page = as_page(response, url)
            if page.etag:
                await self.etags.set(url, ETagEntry(page.etag, page.next_url))
            yield page
            url = page.next_url

    # ---- URLs -------------------------------------------------------------------

    def _url(self, path: str, params: Params | None) -> str:
        """Absolute URL for a path under the base URL; a `Link` URL is used as given, and only
        if it points at the same origin (the token must never go to another host)."""
        if path.startswith(("http://", "https://")):
            if origin(path) != self._origin:
                raise GitHubError(f"refusing to follow a link to another host: {origin(path)}")
            url = path
        else:
            url = self.base_url + "/" + path.lstrip("/")
        query = encode_params(params)
        if not query:
            return url
        return f"{url}{'&' if '?' in url else '?'}{query}"

    # ---- organization lists (paged) ----------------------------------------------------------

    def list_org_code_scanning_alerts(
        self,
        org: str,
        *,
        state: str | None = None,
        sort: str = "updated",
        direction: str = "desc",
        conditional: bool = True,
        decode: Decoder | None = None,
    ) -> AsyncIterator[Page]:
        """Code-scanning alerts of the default branches, newest change first by default."""
        params = {"state": state, "sort": sort, "direction": direction}
        return self.paginate(
            f"/orgs/{seg(org)}/code-scanning/alerts",
            params,
            conditional=conditional,
            decode=decode,
        )

    def list_org_secret_scanning_alerts(
        self,
        org: str,
        *,
        state: str | None = None,
        sort: str = "updated",
        direction: str = "desc",
        conditional: bool = True,
        decode: Decoder | None = None,
    ) -> AsyncIterator[Page]:
        """Secret-scanning alerts; an empty `after` asks GitHub for cursor links (per the docs),
        which stay correct on large organizations where deep `page=` numbers do not."""
        params = {"state": state, "sort": sort, "direction": direction, "after": ""}
        return self.paginate(
            f"/orgs/{seg(org)}/secret-scanning/alerts",
            params,
            conditional=conditional,
            decode=decode,
        )

    def list_org_repositories(self, org: str, *, conditional: bool = True) -> AsyncIterator[Page]:
        return self.paginate(f"/orgs/{seg(org)}/repos", {"type": "all"}, conditional=conditional)

    def list_org_property_values(
        self, org: str, *, conditional: bool = True
    ) -> AsyncIterator[Page]:
        """Custom property values of every repository (for `props.NAME:` filters)."""
        return self.paginate(f"/orgs/{seg(org)}/properties/values", conditional=conditional)

    def list_org_teams(self, org: str, *, conditional: bool = True) -> AsyncIterator[Page]:
        return self.paginate(f"/orgs/{seg(org)}/teams", conditional=conditional)

    def list_team_repositories(
        self, org: str, team_slug: str, *, conditional: bool = True
    ) -> AsyncIterator[Page]:
        return self.paginate(
            f"/orgs/{seg(org)}/teams/{seg(team_slug)}/repos", conditional=conditional
        )

    def list_repository_writers(
        self, full_name: str, *, conditional: bool = True
    ) -> AsyncIterator[Page]:
        """Collaborators with push or more (direct, through teams and as org owners)."""
        return self.paginate(
            f"/repos/{repo_path(full_name)}/collaborators",
            {"permission": "push", "affiliation": "all"},
            conditional=conditional,
        )

    async def public_email(self, login: str) -> str | None:
        """The e-mail a user made public on their profile (None when they did not)."""
        try:
            email = as_dict(await self.get(f"/users/{seg(login)}")).get("email")
        except GitHubNotFound:  # the account is gone
            return None
        return email if isinstance(email, str) and "@" in email else None

    def list_org_campaigns(
        self, org: str, *, state: str | None = None, conditional: bool = True
    ) -> AsyncIterator[Page]:
        return self.paginate(
            f"/orgs/{seg(org)}/campaigns", {"state": state}, conditional=conditional
        )

    # ---- repositories, alerts, people --------------------------------------------------------

    async def get_repository(self, full_name: str) -> dict[str, Any]:
        return as_dict(await self.get(f"/repos/{repo_path(full_name)}"))

    async def update_code_scanning_assignees(
        self, full_name: str, number: int, logins: list[str]
    ) -> dict[str, Any]:
        """Set the alert's assignees (an empty list unassigns everyone); GitHub answers 422 when
        a login lacks write access, raised as `GitHubValidationError`."""
        path = f"/repos/{repo_path(full_name)}/code-scanning/alerts/{int(number)}"
        response = await self.request("PATCH", path, json_body={"assignees": list(logins)})
        return as_dict(response.data)

    async def update_secret_scanning_assignee(
        self, full_name: str, number: int, login: str | None
    ) -> dict[str, Any]:
        """Assign the alert to one login, or unassign it with None."""
        path = f"/repos/{repo_path(full_name)}/secret-scanning/alerts/{int(number)}"
        response = await self.request("PATCH", path, json_body={"assignee": login})
        return as_dict(response.data)

    async def set_code_scanning_state(
        self, full_name: str, number: int, state: str, reason: str | None, comment: str | None
    ) -> dict[str, Any]:
        """Dismiss a code-scanning alert (`reason`: GitHub's `dismissed_reason`) or reopen it."""
        path = f"/repos/{repo_path(full_name)}/code-scanning/alerts/{int(number)}"
        body: dict[str, Any] = {"state": state}
        if state == "dismissed":
            body.update(dismissed_reason=reason, dismissed_comment=(comment or "")[:280])
        response = await self.request("PATCH", path, json_body=body)
        return as_dict(response.data)

    async def set_secret_scanning_state(
        self, full_name: str, number: int, state: str, resolution: str | None, comment: str | None
    ) -> dict[str, Any]:
        """Resolve a secret-scanning alert (`resolution`: `revoked`, `false_positive`, …) or
        reopen it."""
        path = f"/repos/{repo_path(full_name)}/secret-scanning/alerts/{int(number)}"
        body: dict[str, Any] = {"state": state}
        if state == "resolved":
            body.update(resolution=resolution, resolution_comment=(comment or "")[:270])
        response = await self.request("PATCH", path, json_body=body)
        return as_dict(response.data)

    async def collaborator_permission(self, full_name: str, login: str) -> str:
        """The user's role on the repository: admin, maintain, write, triage, read or none.

        GitHub's `permission` field is legacy (maintain reads as write, triage as read); the
        real role is `role_name`. A custom role answers with its base permission instead.
        """
        path = f"/repos/{repo_path(full_name)}/collaborators/{seg(login)}/permission"
        data = as_dict(await self.get(path))
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
        response = await self.request(
            "POST", f"/repos/{repo_path(full_name)}/git/refs", json_body=body
        )
        return as_dict(response.data)

    async def _default_branch_sha(self, full_name: str) -> str:
        repository = await self.get_repository(full_name)
        default = str(repository["default_branch"])
        path = f"/repos/{repo_path(full_name)}/git/ref/heads/{quote(default, safe='/')}"
        ref = as_dict(await self.get(path))
        return str(ref["object"]["sha"])

    # ---- security campaigns -----------------------------------------------------------------

    async def create_campaign(self, org: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """Publish a campaign; GitHub answers 200 with the campaign summary (not 201)."""
        response = await self.request("POST", f"/orgs/{seg(org)}/campaigns", json_body=dict(body))
        return as_dict(response.data)

    async def get_campaign(self, org: str, number: int) -> dict[str, Any]:
        return as_dict(await self.get(f"/orgs/{seg(org)}/campaigns/{int(number)}"))

    async def update_campaign(
        self, org: str, number: int, body: Mapping[str, Any]
    ) -> dict[str, Any]:
        """Edit, close (`{"state": "closed"}`) or reopen a campaign; alerts cannot change."""
        path = f"/orgs/{seg(org)}/campaigns/{int(number)}"
        return as_dict((await self.request("PATCH", path, json_body=dict(body))).data)

    async def delete_campaign(self, org: str, number: int) -> None:
        await self.request("DELETE", f"/orgs/{seg(org)}/campaigns/{int(number)}")


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


def _outcome(status: int) -> str:
    if status == 304:
        return "not_modified"
    if status in (403, 429) or status >= 500:
        return "retried_or_failed" if status >= 500 else "limited_or_forbidden"
    return "ok" if status < 400 else "client_error"
