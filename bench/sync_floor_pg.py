"""The storage floor of the sync on PostgreSQL: the same requests, stored with plain `asyncpg`.

A port of `bench.sync_floor.Floor`, run in a process of its own against the same fake GitHub as
the project's sync on PostgreSQL, in the same run. The same walk (`Walk`: every page the sync asks
for, by the same URLs and in the same order), decoded by the same decoder into the same rows
(`_code_row`, `_secret_row`, `_repository_row`; GitHub's timestamps as `datetime`s, which asyncpg
needs for `timestamptz`; `classifications` as JSON text for the `json` column), written into a
schema of its own made by the project's migrations: alerts with their tags and assignees,
repositories with their topics, properties, teams and writers, and each page's ETag in the
page's transaction, one transaction per page (begun at its first write, as `sqlite3` begins one).

Batches go by `executemany`, `INSERT … ON CONFLICT` standing for `INSERT OR IGNORE`, but for a
page's alerts: one `INSERT … SELECT FROM unnest(…) ON CONFLICT … RETURNING`, which upserts them
and returns their ids at once (`executemany` returns no rows, and a lookup after it misplanned,
see `UPSERT_ALERTS`). A page's repository ids come from one `= ANY(…)`. No validation, no models,
no SQLAlchemy (but for the migrations, before the clock starts): the least a sync that keeps what
it read page by page can do against this server.

`schemas` makes the fresh schemas a run needs (and drops them, also on failure); `stored` counts
what a sync left in one, so that the bench can check the floor stored what the sync stored.
"""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

import asyncpg

from bench.sync_floor import (
    ALERT_COLUMNS,
    PARSER,
    PUT_STATE,
    UPSERT_ALERT,
    UPSERT_REPOSITORY,
    WRITERS_AT_ONCE,
    Walk,
    _code_row,
    _lower_set,
    _repository_row,
    _secret_row,
    state_row,
)

TABLES = {
    "alerts": "alerts",
    "tags": "alert_tags",
    "assignees": "alert_assignees",
    "writers": "repository_writers",
    "repositories": "repositories",
    "topics": "repository_topics",
    "team repositories": "team_repositories",
}
"""What `stored` counts, by name: every table the sync fills with what it read."""


def _numbered(sql: str) -> str:
    """SQLite's `?` placeholders as PostgreSQL's `$1`, `$2`, …"""
    marks = iter(range(1, sql.count("?") + 1))
    return re.sub(r"\?", lambda _: f"${next(marks)}", sql)


_TYPES = {"repository_id": "int", "number": "int", "start_line": "int", "classifications": "json"}
_TYPES |= dict.fromkeys(("created_at", "updated_at", "closed_at"), "timestamptz")
_TYPES |= dict.fromkeys(
    ("is_open", "in_app_code", "publicly_leaked", "multi_repo", "bypassed", "generic"), "bool"
)
_ARRAYS = ", ".join(
    f"${n}::{_TYPES.get(name, 'text')}[]" for n, name in enumerate(ALERT_COLUMNS.split(", "), 1)
)
_FROM_ARRAYS = f"SELECT * FROM unnest({_ARRAYS})"  # noqa: S608
_RETURNING = " RETURNING id, repository_id, kind, number"
UPSERT_ALERTS = UPSERT_ALERT.replace(f"VALUES ({', '.join('?' * 31)})", _FROM_ARRAYS) + _RETURNING
"""A page of alerts upserted in one statement, one array per column, returning their ids.

The ids come from the upsert itself, not from a `SELECT … JOIN unnest(…)` after it: a fresh
schema's tables are never analyzed while the floor runs (the autovacuum comes minutes later), and
without statistics the planner looked each key up by whichever index came first (75 rows read per
key at 20,000 alerts), a page costing more as the table grew."""
UPSERT_REPOSITORY_PG = _numbered(UPSERT_REPOSITORY)
PUT_STATE_PG = _numbered(PUT_STATE)
CLEAR_TAGS, CLEAR_ASSIGNEES = (
    f"DELETE FROM {table} WHERE alert_id = $1"  # noqa: S608
    for table in ("alert_tags", "alert_assignees")
)
"""The old tags and assignees of an alert, one `executemany` per page as on SQLite. Not one
`alert_id = ANY($1)` (or a join with `unnest`): without statistics the planner read the whole
table for each page; an equality on the key's first column always takes the index."""


def _stamp(value: str | None) -> datetime | None:
    """`2025-05-16T18:01:19Z` as a `datetime` (asyncpg's form of `timestamptz`)."""
    return datetime.fromisoformat(value) if value else None


def engine_url(url: str) -> str:
    """The URL in SQLAlchemy's asyncpg form (`postgresql+asyncpg://…`)."""
    return re.sub(r"^postgresql(\+\w+)?://", "postgresql+asyncpg://", url)


def dsn(url: str) -> str:
    """The URL in asyncpg's own form (`postgresql://…`)."""
    return re.sub(r"^postgresql(\+\w+)?://", "postgresql://", url)


class Floor(Walk):
    """The walk stored with asyncpg, one transaction per page (begun at the page's first write,
    as `sqlite3` begins one, and committed with the page's ETag)."""

    stamp = staticmethod(_stamp)

    def __init__(self, session: Any, base: str, db: asyncpg.Connection, org: str) -> None:
        super().__init__(session, base, org)
        self.db = db
        self.transaction: Any = None
        self.lock = asyncio.Lock()
        """One connection runs one statement at a time: the writers' pages take turns."""

    async def begin(self) -> None:
        if self.transaction is None:
            self.transaction = self.db.transaction()
            await self.transaction.start()

    async def commit_page(self, url: str, etag: str | None, following: str | None = None) -> None:
        """The page's ETag in the page's transaction, then the commit."""
        await self.db.execute(PUT_STATE_PG, *state_row(url, etag, following), self.now)
        if self.transaction is not None:
            await self.transaction.commit()
            self.transaction = None

    async def repository_id(self, full_name: str, github_id: int | None) -> int:
        key = full_name.lower()
        found = self.repository_ids.get(key)
        if found is None:
            await self.db.execute(
                "INSERT INTO repositories (github_id, full_name, full_name_lower, name_lower) "
                "VALUES ($1, $2, $3, $4) ON CONFLICT (full_name_lower) DO NOTHING",
                github_id,
                full_name,
                key,
                key.partition("/")[2],
            )
            row = await self.db.fetchval(
                "SELECT id FROM repositories WHERE full_name_lower = $1", key
            )
            found = self.repository_ids[key] = int(row)
        return found

    async def repositories(self) -> None:
        async for url, items, etag in self.pages(f"/orgs/{self.org}/repos", "&type=all"):
            await self.begin()
            rows = [_repository_row(item, _stamp) for item in items]
            await self.db.executemany(UPSERT_REPOSITORY_PG, rows)
            found = await self.db.fetch(
                "SELECT full_name_lower, id FROM repositories WHERE full_name_lower = ANY($1)",
                [row[2] for row in rows],
            )
            self.repository_ids.update((name, int(rid)) for name, rid in found)
            topics = []
            for item in items:
                rid = self.repository_ids[item["full_name"].lower()]
                topics += [(rid, topic) for topic in _lower_set(item.get("topics") or ())]
            await self.db.executemany(
                "INSERT INTO repository_topics (repository_id, topic) VALUES ($1, $2) "
                "ON CONFLICT DO NOTHING",
                topics,
            )
            await self.commit_page(url, etag)

    async def property_values(self) -> None:
        async for url, items, etag in self.pages(f"/orgs/{self.org}/properties/values", ""):
            await self.begin()
            rows, ids = [], []
            for item in items:
                rid = await self.repository_id(item["repository_full_name"], None)
                ids.append(rid)
                for prop in item["properties"]:
                    value = prop["value"]
                    values = [value] if isinstance(value, str) else list(value or ())
                    rows += [(rid, prop["property_name"].lower(), v.lower(), v) for v in values]
            await self.db.execute(
                "DELETE FROM repository_properties WHERE repository_id = ANY($1::int[])", ids
            )
            await self.db.executemany(
                "INSERT INTO repository_properties (repository_id, name, value, display_value) "
                "VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                rows,
            )
            await self.commit_page(url, etag)

    async def teams(self) -> None:
        teams, urls = await self.listed_teams()
        await self.begin()  # a team list only means something whole: one transaction
        for slug, name in teams:
            await self.db.execute(
                "INSERT INTO teams (slug, name) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                slug.lower(),
                name,
            )
            tid = int(await self.db.fetchval("SELECT id FROM teams WHERE slug = $1", slug.lower()))
            await self.db.execute("DELETE FROM team_repositories WHERE team_id = $1", tid)
            path = f"/orgs/{self.org}/teams/{slug}/repos"
            async for url, items, etag in self.pages(path, ""):
                rows = [
                    (tid, await self.repository_id(item["full_name"], None), item.get("role_name"))
                    for item in items
                ]
                await self.db.executemany(
                    "INSERT INTO team_repositories (team_id, repository_id, permission) "
                    "VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                    rows,
                )
                urls.append((url, etag))
        for url, etag in urls:  # as the SQLite floor: the first commits the list
            await self.commit_page(url, etag)

    async def alerts(self, path: str, kind: str, query: str = "") -> None:
        row = _code_row if kind == "code" else _secret_row
        query = f"&sort=updated&direction=desc{query}"
        async for url, items, etag in self.pages(path, query):
            await self.begin()
            page: dict[tuple[Any, ...], Any] = {}  # one row per key: a later record wins
            for item in items:
                repository = item["repository"]
                rid = await self.repository_id(repository["full_name"], repository.get("id"))
                values, item_tags, item_people = row(item, _stamp)
                page[(rid, *values[:2])] = ((rid, *values), item_tags, item_people)
            if not page:
                await self.commit_page(url, etag)
                continue
            rows, tags, people = zip(*page.values(), strict=True)
            columns = [list(column) for column in zip(*rows, strict=True)]
            found = {(r[1], r[2], r[3]): r[0] for r in await self.db.fetch(UPSERT_ALERTS, *columns)}
            ids = [found[key] for key in page]
            pairs = [(alert_id,) for alert_id in ids]
            await self.db.executemany(CLEAR_TAGS, pairs)
            await self.db.executemany(CLEAR_ASSIGNEES, pairs)
            await self.db.executemany(
                "INSERT INTO alert_tags (alert_id, tag) VALUES ($1, $2)",
                [(i, tag) for i, these in zip(ids, tags, strict=True) for tag in these],
            )
            await self.db.executemany(
                "INSERT INTO alert_assignees (alert_id, login) VALUES ($1, $2)",
                [(i, login) for i, these in zip(ids, people, strict=True) for login in these],
            )
            await self.commit_page(url, etag)

    async def writers(self) -> None:
        found = await self.db.fetch(
            "SELECT r.id, r.full_name FROM repositories r WHERE r.full_name_lower LIKE $1 "
            "AND r.deleted_at IS NULL AND EXISTS (SELECT 1 FROM alerts a "
            "WHERE a.repository_id = r.id AND a.is_open) ORDER BY r.full_name_lower",
            self.org.lower() + "/%",
        )
        gate = asyncio.Semaphore(WRITERS_AT_ONCE)

        async def one(repository_id: int, full_name: str) -> None:
            async with gate:
                rows, pages = await self.collaborators(repository_id, full_name)
                async with self.lock:
                    await self.begin()
                    await self.db.execute(
                        "DELETE FROM repository_writers WHERE repository_id = $1", repository_id
                    )
                    await self.db.executemany(
                        "INSERT INTO repository_writers (repository_id, login, permission) "
                        "VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                        rows,
                    )
                    for url, etag in pages:
                        await self.commit_page(url, etag)

        await asyncio.gather(*(one(rid, name) for rid, name in found))


async def floor_worker(
    url: str, database: str, schema: str, token: str, org: str
) -> dict[str, Any]:
    """The floor into `schema` of the PostgreSQL `database` (made by the project's migrations
    first, not timed); its figures."""
    import aiohttp

    from store.engine import create_engine
    from store.migrate import upgrade

    settings = {"search_path": schema}
    engine = create_engine(engine_url(database), connect_args={"server_settings": settings})
    await upgrade(engine)
    await engine.dispose()
    db = await asyncpg.connect(dsn(database), server_settings=settings)
    try:
        headers = {"authorization": f"token {token}", "accept": "application/vnd.github+json"}
        async with aiohttp.ClientSession(headers=headers) as session:
            floor = Floor(session, url, db, org)
            started, cpu = time.perf_counter(), time.process_time()
            await floor.run()
            seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        stored_alerts = await db.fetchval("SELECT count(*) FROM alerts")
    finally:
        await db.close()
    return {
        "seconds": seconds,
        "cpu_seconds": cpu,
        "lists": floor.seconds,
        "requests": floor.requests,
        "stored_alerts": stored_alerts,
        "parser": PARSER,
    }


@asynccontextmanager
async def schemas(url: str, *suffixes: str) -> AsyncIterator[list[str]]:
    """Fresh, empty schemas, one per suffix (`bench_sync_<random><suffix>`), dropped on the way
    out, also when what ran in them failed."""
    stem = f"bench_sync_{uuid.uuid4().hex[:10]}"
    names = [f"{stem}{suffix}" for suffix in suffixes]
    admin = await asyncpg.connect(dsn(url))
    try:
        for name in names:
            await admin.execute(f"CREATE SCHEMA {name}")
        yield names
    finally:
        for name in names:
            await admin.execute(f"DROP SCHEMA IF EXISTS {name} CASCADE")
        await admin.close()


async def stored(url: str, schema: str) -> dict[str, int]:
    """Rows in each of `TABLES` of `schema`, by name."""
    db = await asyncpg.connect(dsn(url))
    try:
        return {
            name: int(await db.fetchval(f"SELECT count(*) FROM {schema}.{table}"))  # noqa: S608
            for name, table in TABLES.items()
        }
    finally:
        await db.close()
