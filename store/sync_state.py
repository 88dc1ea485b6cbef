"""Sync state: high-water marks and the ETags of listed pages, kept between runs of the sync.

Keys are short strings (`alerts:code`, `etag:<sha256 of the URL>`); values are JSON. ETags follow
the client's `ETagStore` protocol, with one twist that makes an interrupted sync safe to resume:
`set` only buffers, and the buffered entries are written by `flush` inside the transaction that
commits the page's data. An ETag is therefore never stored for a page whose content was lost, so a
page is never skipped with a 304 over data we do not have.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.core.clock import Clock, system_clock
from store import schema
from store.upsert import chunks, upsert

s = schema.sync_state

ETAG_PREFIX = "etag:"


@dataclass(frozen=True)
class ETagEntry:
    """What a conditional re-fetch needs of a page: its ETag and where the next page was.

    Defined here rather than in the GitHub client so that the store never imports `bot.github`.
    """

    etag: str
    next_url: str | None = None


async def get(conn: AsyncConnection, key: str) -> Any | None:
    return await conn.scalar(select(s.c.value).where(s.c.key == key))


async def get_prefixed(conn: AsyncConnection, prefix: str) -> dict[str, Any]:
    """Every value whose key starts with `prefix`."""
    rows = await conn.execute(
        select(s.c.key, s.c.value).where(s.c.key.startswith(prefix, autoescape=True))
    )
    return {key: value for key, value in rows}


async def put_many(conn: AsyncConnection, values: Mapping[str, Any], now: datetime) -> None:
    rows = [{"key": key, "value": value, "updated_at": now} for key, value in values.items()]
    for part in chunks(rows):
        await upsert(conn, s, part, ["key"])


async def put(conn: AsyncConnection, key: str, value: Any, now: datetime) -> None:
    await put_many(conn, {key: value}, now)


def etag_key(url: str) -> str:
    """URLs with cursors can outgrow the key column; their digest cannot."""
    return ETAG_PREFIX + hashlib.sha256(url.encode()).hexdigest()


class DatabaseETagStore:
    """ETags (and a small memo of each page's content) in `sync_state`, committed with the page.

    The memo lets a caller that needs a whole list (every repository, to notice the ones that
    are gone) know what a 304 page holds without fetching it again.
    """

    def __init__(self, engine: AsyncEngine, *, clock: Clock = system_clock) -> None:
        self._engine = engine
        self._clock = clock
        self._known: dict[str, dict[str, Any]] | None = None
        self._pending: dict[str, dict[str, Any]] = {}
        self._staged: dict[str, dict[str, Any]] = {}

    async def _load(self) -> dict[str, dict[str, Any]]:
        if self._known is None:
            async with self._engine.connect() as conn:
                rows = await get_prefixed(conn, ETAG_PREFIX)
            self._known = {str(v["url"]): v for v in rows.values() if isinstance(v, dict)}
        return self._known

    async def get(self, url: str) -> ETagEntry | None:
        value = (await self._load()).get(url)
        if value is None:
            return None
        return ETagEntry(str(value["etag"]), value.get("next"))

    async def set(self, url: str, entry: ETagEntry) -> None:
        """Buffered until `flush`: see the module docstring."""
        self._pending[url] = {"url": url, "etag": entry.etag, "next": entry.next_url}

    def remember(self, url: str, memo: Any) -> None:
        """Attach a memo to the pending entry of `url` (what the page held)."""
        if url in self._pending:
            self._pending[url]["memo"] = memo

    async def memo(self, url: str) -> Any | None:
        """The memo stored with the page's ETag, for a page that answered 304."""
        value = (await self._load()).get(url)
        return value.get("memo") if value is not None else None

    async def flush(self, conn: AsyncConnection, urls: Iterable[str] | None = None) -> None:
        """Write the buffered entries (of `urls` only, when given: pages read ahead wait for their
        own transaction) in the caller's transaction; `committed` confirms them."""
        chosen = list(self._pending) if urls is None else [u for u in urls if u in self._pending]
        if not chosen:
            return
        entries = {url: self._pending.pop(url) for url in chosen}
        self._staged.update(entries)
        await put_many(conn, {etag_key(url): v for url, v in entries.items()}, self._clock())

    def committed(self) -> None:
        """The transaction that flushed the entries committed: serve them from now on."""
        known = self._known if self._known is not None else {}
        known.update(self._staged)
        self._known = known
        self._staged = {}

    def discard(self, urls: Iterable[str] | None = None) -> None:
        """The transaction failed: forget what it would have stored (of `urls`, when given)."""
        if urls is None:
            self._pending = {}
        else:
            for url in urls:
                self._pending.pop(url, None)
        self._staged = {}
