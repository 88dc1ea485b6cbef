"""The wire side of the GitHub client: pages and responses, the transport, URL and body helpers.

Kept apart from `client` so that the endpoint methods there read as a list of GitHub's routes,
and from `retry` so that waiting and retrying can be read without the wire details.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import aiohttp
import gidgethub.aiohttp
from gidgethub import sansio

from bot.github.errors import GitHubResponseError

Sleep = Callable[[float], Awaitable[None]]
Params = Mapping[str, str | int | bool | None]

ACCEPT = "application/vnd.github+json"
API_VERSION = "2022-11-28"
PER_PAGE = 100


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


class Transport(gidgethub.aiohttp.GitHubAPI):
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


def as_page(response: Response, url: str) -> Page:
    data = response.data
    if isinstance(data, dict):  # a few list endpoints wrap their items
        data = next((value for value in data.values() if isinstance(value, list)), None)
    if not isinstance(data, list):
        raise GitHubResponseError("expected a JSON list", status=response.status, path=path_of(url))
    return Page(data, url=url, etag=response.headers.get("etag"), next_url=response.next_url)


def request_headers(
    requester: str, authorization: str, etag: str | None, body: bytes
) -> dict[str, str]:
    """The headers of one request: GitHub's media type and API version, and an ETag to match."""
    headers = sansio.create_headers(requester, accept=ACCEPT)
    headers["authorization"] = authorization
    headers["x-github-api-version"] = API_VERSION
    if etag:
        headers["if-none-match"] = etag
    if body:
        headers["content-type"] = "application/json; charset=utf-8"
    return headers


def encode_params(params: Params | None) -> str:
    if not params:
        return ""
    pairs = [(key, _param(value)) for key, value in params.items() if value is not None]
    return urlencode(pairs, quote_via=quote)


def _param(value: str | int | bool) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def seg(value: str) -> str:
    """One URL path segment, quoted so a name can never reach another endpoint."""
    return quote(str(value), safe="")


def repo_path(full_name: str) -> str:
    owner, sep, name = full_name.partition("/")
    if not sep or not owner or not name or "/" in name:
        raise ValueError(f"expected OWNER/REPO, got {full_name!r}")
    return f"{seg(owner)}/{seg(name)}"


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def decode(raw: bytes) -> Any:
    try:
        return json.loads(raw.decode("utf-8")) if raw else None
    except ValueError:
        return None


def message(raw: bytes) -> str:
    body = decode(raw)
    if isinstance(body, dict) and body.get("message"):
        return str(body["message"])
    return ""


def seconds(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        return None


def as_dict(data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise GitHubResponseError(f"expected a JSON object, got {type(data).__name__}")
    return data


def as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else []
