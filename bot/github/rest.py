"""The REST core of the GitHub client: one call with waits and retries, pages with ETags.

gidgethub gives the transport, the headers, response decoding, `Link` parsing and App tokens. This
module adds what a long sync of an organization needs: page-by-page iteration (callers commit each
page as it arrives), conditional requests with a pluggable ETag store, waiting out primary and
secondary rate limits, bounded retries on 5xx and dropped connections (`retry`), and a cap on
concurrency (`http`). The sleep and the clock are injected so tests never really wait. Kept apart
from bot.github.client, whose `GitHubClient` adds GitHub's routes on top of `RestClient`.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any, Protocol

import aiohttp
from gidgethub import sansio

from bot.core.clock import Clock, system_clock
from bot.github.auth import Auth
from bot.github.errors import GitHubError
from bot.github.http import (
    PER_PAGE,
    ClientStats,
    Page,
    Params,
    Response,
    Sleep,
    Transport,
    as_page,
    encode_params,
    message,
    origin,
    request_headers,
)
from bot.github.retry import AUTH_TRANSIENT, TRANSIENT, Attempt, Pacer, ServerError, error_for
from bot.metrics import GITHUB_REQUESTS
from store.sync_state import ETagEntry

DEFAULT_BASE_URL = "https://api.github.com"
_NO_BODY = object()

Decoder = Callable[[bytes], Any]
"""Reads a success answer's body in place of `json.loads` (`request`)."""


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


class RestClient:
    """GitHub REST calls whatever the route; `GitHubClient` (bot.github.client) names them."""

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


def _outcome(status: int) -> str:
    if status == 304:
        return "not_modified"
    if status in (403, 429) or status >= 500:
        return "retried_or_failed" if status >= 500 else "limited_or_forbidden"
    return "ok" if status < 400 else "client_error"
