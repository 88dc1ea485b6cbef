"""FakeGitHub: a real aiohttp server on 127.0.0.1 speaking the slice of GitHub REST the bot uses.

Its answers follow the documented shapes (see /work/shared/reference/github-rest.md): alert items,
simple users and repositories, custom property values, campaign summaries. It paginates with `Link`
headers (cursors on the org alert lists, page numbers elsewhere), sends ETags and answers 304 to a
matching `If-None-Match`, sends `x-ratelimit-*` headers, checks tokens, and can be told to misbehave
(rate limits, 5xx, dropped connections, malformed JSON) one request at a time.

    async with FakeGitHub() as gh:
        repo = gh.add_repo("api")
        gh.add_code_alert("api", rule_id="js/xss")
        gh.fail_next("/orgs/acme/code-scanning/alerts", Fault.secondary_limit(retry_after=30))
        client = GitHubClient(session, TokenAuth(gh.token), base_url=gh.url)

This module is the server (lifecycle, faults, tokens, rate-limit and ETag headers); the
organization's data and builders are in `github_data`, changes and webhook payloads in
`github_events`, and the routes in `github_lists`, `github_repos` and `github_campaigns`.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import socket
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any

import jwt
from aiohttp import web

from tests.fakes.github_campaigns import CampaignRoutes
from tests.fakes.github_docs import (
    JSON_BODY,
    Clock,
    error_body,
    error_response,
    etag_matches,
    iso,
    json_response,
)
from tests.fakes.github_events import GitHubEvents
from tests.fakes.github_repos import RepositoryRoutes

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

_MISSING = object()
APP_ID = web.RequestKey("app_id", str)


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the fake saw it; `headers` never holds Authorization."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    json: Any


@dataclass(frozen=True)
class Fault:
    """A canned misbehaviour, answered instead of the real thing for one request."""

    status: int = 500
    body: bytes | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    drop: bool = False
    reset_in: int | None = None

    @classmethod
    def secondary_limit(cls, retry_after: int | None = 60, status: int = 403) -> Fault:
        message = (
            "You have exceeded a secondary rate limit. Please wait a few minutes before you "
            "try again."
        )
        headers = {"retry-after": str(retry_after)} if retry_after is not None else {}
        return cls(status=status, body=error_body(status, message), headers=headers)

    @classmethod
    def primary_limit(cls, reset_in: int = 60, status: int = 403) -> Fault:
        message = "API rate limit exceeded for user ID 1."
        return cls(status=status, body=error_body(status, message), reset_in=reset_in)

    @classmethod
    def server_error(cls, status: int = 502) -> Fault:
        return cls(status=status, body=error_body(status, "Server Error"))

    @classmethod
    def drop_connection(cls) -> Fault:
        """Close the connection without answering (the client sees a disconnect)."""
        return cls(drop=True)

    @classmethod
    def malformed_json(cls, status: int = 200) -> Fault:
        return cls(status=status, body=b'[{"number": 1, "state": ')

    @classmethod
    def response(cls, status: int, body: Any, headers: Mapping[str, str] | None = None) -> Fault:
        return cls(status=status, body=json.dumps(body).encode(), headers=dict(headers or {}))


class FakeGitHub(RepositoryRoutes, CampaignRoutes, GitHubEvents):
    """In-memory GitHub for one or more organizations, served over real HTTP."""

    def __init__(
        self,
        *,
        org: str = "acme",
        token: str = "ghp_faketoken0123456789",
        prefix: str = "",
        clock: Clock | None = None,
    ) -> None:
        self.token = token
        self.prefix = prefix.rstrip("/")
        self.requests: list[RecordedRequest] = []
        self.not_modified = 0
        self.hold: asyncio.Event | None = None
        self.in_flight = 0
        self.max_in_flight = 0
        self._arrivals = asyncio.Condition()
        self.rate_limit = 5000
        self.rate_remaining = 5000
        self.tokens: set[str] = {token}
        self.revoked: set[str] = set()
        self.installation_tokens: dict[str, datetime] = {}
        self.issued_tokens: list[str] = []
        self.apps: dict[str, bytes] = {}
        self.installations: dict[str, str] = {}
        self._faults: dict[tuple[str, str], deque[Fault | None]] = {}
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.bind(("127.0.0.1", 0))
        self.port: int = self._socket.getsockname()[1]
        self._runner: web.AppRunner | None = None
        super().__init__(org=org, clock=clock)

    # ---- lifecycle -------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The REST base URL, to pass as the client's `base_url`."""
        return f"http://127.0.0.1:{self.port}{self.prefix}"

    async def start(self) -> FakeGitHub:
        self._runner = web.AppRunner(self._app(), access_log=None)
        await self._runner.setup()
        await web.SockSite(self._runner, self._socket).start()
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        self._socket.close()

    async def __aenter__(self) -> FakeGitHub:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    def _app(self) -> web.Application:
        api = web.Application(middlewares=[self._middleware])
        routes = [
            ("GET", "/orgs/{org}/code-scanning/alerts", self._org_code_alerts),
            ("GET", "/orgs/{org}/secret-scanning/alerts", self._org_secret_alerts),
            ("GET", "/orgs/{org}/repos", self._org_repos),
            ("GET", "/orgs/{org}/properties/values", self._org_property_values),
            ("GET", "/orgs/{org}/teams", self._org_teams),
            ("GET", "/orgs/{org}/teams/{slug}/repos", self._team_repos),
            ("GET", "/orgs/{org}/campaigns", self._list_campaigns),
            ("POST", "/orgs/{org}/campaigns", self._create_campaign),
            ("GET", "/orgs/{org}/campaigns/{number}", self._get_campaign),
            ("PATCH", "/orgs/{org}/campaigns/{number}", self._update_campaign),
            ("DELETE", "/orgs/{org}/campaigns/{number}", self._delete_campaign),
            ("GET", "/repos/{owner}/{repo}", self._get_repo),
            ("GET", "/repos/{owner}/{repo}/code-scanning/alerts", self._repo_code_alerts),
            ("GET", "/repos/{owner}/{repo}/code-scanning/alerts/{number}", self._get_code),
            ("PATCH", "/repos/{owner}/{repo}/code-scanning/alerts/{number}", self._patch_code),
            ("GET", "/repos/{owner}/{repo}/secret-scanning/alerts", self._repo_secret_alerts),
            ("GET", "/repos/{owner}/{repo}/secret-scanning/alerts/{number}", self._get_secret),
            ("PATCH", "/repos/{owner}/{repo}/secret-scanning/alerts/{number}", self._patch_secret),
            (
                "GET",
                "/repos/{owner}/{repo}/collaborators/{login}/permission",
                self._permission,
            ),
            ("GET", "/repos/{owner}/{repo}/collaborators", self._collaborators),
            ("GET", "/users/{login}", self._get_user),
            ("GET", "/repos/{owner}/{repo}/git/ref/{ref:.+}", self._get_ref),
            ("POST", "/repos/{owner}/{repo}/git/refs", self._create_ref),
            ("POST", "/app/installations/{installation}/access_tokens", self._access_token),
        ]
        for method, path, handler in routes:
            api.router.add_route(method, path, handler)
        if not self.prefix:
            return api
        root = web.Application()
        root.add_subapp(self.prefix, api)
        return root

    # ---- faults, tokens, apps --------------------------------------------------------------------

    def fail_next(
        self, path: str, *faults: Fault, method: str | None = None, after: int = 0
    ) -> None:
        """Answer the next requests to `path` (no query; without the prefix) with `faults`;
        `after` lets that many requests through first (a page failing midway)."""
        key = (method.upper() if method else "*", path)
        self._faults.setdefault(key, deque()).extend([None] * after + list(faults))

    def revoke_token(self, token: str | None = None) -> None:
        """From now on the token answers 401 Bad credentials."""
        token = token or self.token
        self.tokens.discard(token)
        self.installation_tokens.pop(token, None)
        self.revoked.add(token)

    def register_app(
        self, app_id: int | str, public_key: bytes | str, installation_id: int | str
    ) -> None:
        """A GitHub App whose JWTs (RS256, `iss` = app id) may mint installation tokens."""
        key = public_key.encode() if isinstance(public_key, str) else public_key
        self.apps[str(app_id)] = key
        self.installations[str(installation_id)] = str(app_id)

    # ---- queries for tests -----------------------------------------------------------------------

    def requests_to(self, path: str, method: str | None = None) -> list[RecordedRequest]:
        return [
            r
            for r in self.requests
            if r.path == path and (method is None or r.method == method.upper())
        ]

    async def wait_in_flight(self, count: int) -> None:
        """Return once `count` requests are being answered at the same time (see `hold`)."""
        async with self._arrivals:
            await self._arrivals.wait_for(lambda: self.in_flight >= count)

    # ---- middleware: record, fault, authenticate, rate-limit and ETag headers --------------------

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        path = request.path.removeprefix(self.prefix) or "/"
        request[JSON_BODY] = await self._record(request, path)
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        async with self._arrivals:
            self._arrivals.notify_all()
        try:
            if self.hold is not None:  # tests hold answers back to see how many wait at once
                await self.hold.wait()
            return await self._answer(request, handler, path)
        finally:
            self.in_flight -= 1

    async def _answer(
        self, request: web.Request, handler: Handler, path: str
    ) -> web.StreamResponse:
        fault = self._next_fault(request.method, path)
        if fault is not None:
            return self._fault_response(request, fault)
        denied = self._authenticate(request, path)
        if denied is not None:
            return self._finish(request, denied)
        try:
            response = await handler(request)
        except web.HTTPNotFound:
            response = error_response(404, "Not Found")
        except web.HTTPMethodNotAllowed:
            response = error_response(404, "Not Found")
        return self._finish(request, response)

    async def _record(self, request: web.Request, path: str) -> Any:
        raw = await request.read()
        body: Any = None
        if raw:
            try:
                body = json.loads(raw)
            except ValueError:
                body = _MISSING
        headers = {k.lower(): v for k, v in request.headers.items() if k.lower() != "authorization"}
        self.requests.append(
            RecordedRequest(
                method=request.method,
                path=path,
                query=dict(request.query),
                headers=headers,
                json=None if body is _MISSING else body,
            )
        )
        return body

    def _next_fault(self, method: str, path: str) -> Fault | None:
        for key in ((method, path), ("*", path)):
            queue = self._faults.get(key)
            if queue:
                return queue.popleft()  # None: a request let through (`after=`)
        return None

    def _fault_response(self, request: web.Request, fault: Fault) -> web.StreamResponse:
        if fault.drop:
            assert request.transport is not None
            request.transport.abort()
            return web.Response(status=500)
        response = web.Response(
            status=fault.status, body=fault.body or b"", content_type="application/json"
        )
        self._rate_headers(response)
        if fault.reset_in is not None:
            response.headers["x-ratelimit-remaining"] = "0"
            response.headers["x-ratelimit-used"] = str(self.rate_limit)
            reset = int(self.clock().timestamp()) + fault.reset_in
            response.headers["x-ratelimit-reset"] = str(reset)
        response.headers.update(fault.headers)
        return response

    def _authenticate(self, request: web.Request, path: str) -> web.Response | None:
        scheme, _, credential = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() not in ("token", "bearer") or not credential:
            return error_response(401, "Requires authentication")
        if path.startswith("/app/"):
            return self._check_jwt(request, credential.strip())
        credential = credential.strip()
        if credential in self.tokens:
            return None
        expires = self.installation_tokens.get(credential)
        if expires is not None and self.clock() < expires:
            return None
        return error_response(401, "Bad credentials")

    def _check_jwt(self, request: web.Request, token: str) -> web.Response | None:
        try:
            claims = jwt.decode(token, options={"verify_signature": False})
            key = self.apps[str(claims["iss"])]
            jwt.decode(token, key, algorithms=["RS256"], options={"verify_exp": False})
        except (jwt.PyJWTError, KeyError):
            return error_response(401, "A JSON web token could not be decoded")
        request[APP_ID] = str(claims["iss"])
        return None

    def _finish(self, request: web.Request, response: web.StreamResponse) -> web.StreamResponse:
        """Rate-limit headers on every answer; ETag (and 304) on every successful GET."""
        if (
            request.method == "GET"
            and response.status == 200
            and isinstance(response, web.Response)
        ):
            body = response.body if isinstance(response.body, bytes) else b""
            etag = 'W/"' + hashlib.sha256(body).hexdigest() + '"'
            if etag_matches(request.headers.get("if-none-match"), etag):
                self.not_modified += 1
                not_modified = web.Response(status=304, headers={"ETag": etag})
                self._rate_headers(not_modified, count=False)
                return not_modified
            response.headers["ETag"] = etag
        self._rate_headers(response)
        return response

    def _rate_headers(self, response: web.StreamResponse, *, count: bool = True) -> None:
        if count and self.rate_remaining > 0:
            self.rate_remaining -= 1
        reset = int(self.clock().timestamp()) + 3600
        response.headers["x-ratelimit-limit"] = str(self.rate_limit)
        response.headers["x-ratelimit-remaining"] = str(self.rate_remaining)
        response.headers["x-ratelimit-used"] = str(self.rate_limit - self.rate_remaining)
        response.headers["x-ratelimit-reset"] = str(reset)
        response.headers["x-ratelimit-resource"] = "core"

    # ---- GitHub App ------------------------------------------------------------------------------

    async def _access_token(self, request: web.Request) -> web.StreamResponse:
        installation = request.match_info["installation"]
        if self.installations.get(installation) != request.get(APP_ID):
            return error_response(404, "Not Found")
        token = f"ghs_{hashlib.sha256(str(next(self._ids)).encode()).hexdigest()[:36]}"
        expires_at = self.clock().replace(microsecond=0) + timedelta(hours=1)
        self.installation_tokens[token] = expires_at
        self.issued_tokens.append(token)
        body = {
            "token": token,
            "expires_at": iso(expires_at),
            "permissions": {"security_events": "write", "metadata": "read"},
            "repository_selection": "all",
        }
        return json_response(body, status=201)
