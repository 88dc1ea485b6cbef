"""Bulk alert upserts: stage the rows, then let the database do set-based work.

Rows go into a temporary table in one pass of plain tuples (`executemany`, or `COPY` on asyncpg),
with values converted by the dialect's own bind processors so they are stored exactly as Core
would store them. Then a few INSERT … SELECT / DELETE statements do the rest: count what exists,
drop the old tags and assignees, upsert the alerts, and attach tags and assignees through small
"set" tables (all alerts of a rule share one tag set).

An `AlertWriter` serves one import, however many chunks it writes: the stage tables are made
once, the statements built once, each repository looked up once and each tag set staged once; a
chunk then costs its rows, not a fixed toll (temporary tables, lookups and statistics per chunk
made a streamed import a third slower than writing the file in one go). `upsert_alerts` is one
writer for one batch: the sync's pages and single webhook alerts. Same result on SQLite and
PostgreSQL, and the same as writing the alerts one by one.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from types import TracebackType
from typing import Any

from sqlalchemy import (
    Table,
    and_,
    func,
    select,
    text,
    true,
)
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.schema import CreateTable

from bot.core.models import Alert
from store import repositories, schema
from store.alert_rows import AlertRows, UpsertResult
from store.staging import (
    BATCH,
    KEYS,
    LARGE,
    NAMES,
    SQLITE_CACHE_KIB,
    STAGES,
    Converter,
    ValueSets,
    converter,
    fill,
    stage,
    stage_people,
    stage_tags,
)
from store.upsert import chunks, insert_for

# `BATCH`, `LARGE`, `SQLITE_CACHE_KIB` and `Converter` live in `store.staging`, named here too.
__all__ = ["BATCH", "LARGE", "SQLITE_CACHE_KIB", "AlertWriter", "Converter", "no_gc"]

a = schema.alerts
r = schema.repositories


@contextmanager
def no_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while building many small containers.

    With it running, building 100,000 rows triggers a collection every 700 allocations, and now
    and then a full one that walks every live object: paused, bulk parsing and row building run
    about twice as fast. Nothing built here forms reference cycles, so nothing is left for the
    collector afterwards.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


# --- set-based statements -------------------------------------------------------------------------


FIRST_ANALYZE = 1000
"""Rows a writer inserts before it first refreshes PostgreSQL's statistics (`_keep_statistics`)."""


def _joined() -> Any:
    return stage.join(a, and_(*(a.c[key] == stage.c[key] for key in KEYS)))


def _upsert_statement(conn: AsyncConnection) -> Any:
    columns = select(*(stage.c[name] for name in NAMES)).where(true())
    stmt = insert_for(conn, a).from_select(NAMES, columns)
    return stmt.on_conflict_do_update(
        index_elements=list(KEYS),
        set_={name: stmt.excluded[name] for name in NAMES if name not in KEYS},
    )


def _attach_statement(conn: AsyncConnection, child: Table, column: str, sets: Table) -> Any:
    """Children of every staged alert, from its set: one INSERT … SELECT."""
    key = sets.c[0].name
    source = (
        select(a.c.id, sets.c[column])
        .select_from(_joined().join(sets, sets.c[key] == stage.c[key]))
        .where(true())
    )
    stmt = insert_for(conn, child).from_select(["alert_id", column], source)
    return stmt.on_conflict_do_nothing(index_elements=["alert_id", column])


class AlertWriter:
    """Upserts batches of alerts with their tags and assignees, on one connection, inside the
    caller's transaction: `async with AlertWriter(conn) as writer: await writer.write(rows)`.

    `large`: on SQLite, a page cache big enough for the alerts' indexes while the writer is open.
    """

    def __init__(self, conn: AsyncConnection, *, large: bool = True) -> None:
        self.conn = conn
        self.large = large
        self.convert = converter(conn)
        self.result = UpsertResult()
        self._repository_ids: dict[str, int] = {}
        self._with_github_id: set[str] = set()
        self._tags = ValueSets()
        self._people = ValueSets()
        self._restore: dict[str, int] = {}
        self._staged = AlertRows()
        self._inserted = 0
        self._analyze_at = FIRST_ANALYZE
        self._upsert = _upsert_statement(conn)
        self._attach_tags = _attach_statement(conn, schema.alert_tags, "tag", stage_tags)
        self._attach_people = _attach_statement(conn, schema.alert_assignees, "login", stage_people)
        self._count = select(func.count()).select_from(_joined())
        existing = select(a.c.id).select_from(_joined())
        self._clear_children = [
            child.delete().where(child.c.alert_id.in_(existing))
            for child in (schema.alert_tags, schema.alert_assignees)
        ]

    async def __aenter__(self) -> AlertWriter:
        conn = self.conn
        if self.large and conn.dialect.name == "sqlite":
            for db in ("main", "temp"):
                self._restore[db] = int(await conn.scalar(text(f"PRAGMA {db}.cache_size")) or -2000)
                await conn.exec_driver_sql(f"PRAGMA {db}.cache_size = -{SQLITE_CACHE_KIB}")
        try:
            # Created once per connection and emptied after use: drop-and-create each time
            # cost more than a sync page's upsert.
            for table in STAGES:
                await conn.execute(CreateTable(table, if_not_exists=True))
        except BaseException:
            await self._put_back()
            raise
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        try:
            if kind is None:
                for table in STAGES:
                    await empty(self.conn, table)
            # A failure rolls the stage rows back with the rest of the transaction.
        finally:
            await self._put_back()

    async def _put_back(self) -> None:
        for db, size in self._restore.items():
            await self.conn.exec_driver_sql(f"PRAGMA {db}.cache_size = {size}")
        self._restore = {}

    async def write(self, rows: AlertRows, *, converted: bool = False) -> UpsertResult:
        """Upsert one batch. `converted`: its values went through `self.convert` already."""
        await self.stage(rows, converted=converted)
        return await self.apply()

    async def stage(self, rows: AlertRows, *, converted: bool = False) -> None:
        """First half of `write`: the batch into the stage tables, row by row.

        A streamed import reads its next chunk only after this: the driver takes the GIL back
        for every row, so a busy reading thread would make each row wait for its turn.
        """
        self._staged = rows
        if not rows.keys:
            return
        ids = await self._ids(rows)
        values = rows.values if converted else self.convert(rows.values)
        tag_id, people_id = self._tags.id_for, self._people.id_for
        staged = [
            (ids[name], *row, tag_id(tags), people_id(people))
            for name, row, tags, people in zip(
                rows.repositories, values, rows.tags, rows.assignees, strict=True
            )
        ]
        await fill(self.conn, stage, staged)
        await fill(self.conn, stage_tags, self._tags.fresh())
        await fill(self.conn, stage_people, self._people.fresh())

    async def apply(self) -> UpsertResult:
        """Second half of `write`: set-based statements from the stage tables to the alerts."""
        rows, self._staged = self._staged, AlertRows()
        if not rows.keys:
            return UpsertResult()
        conn = self.conn
        updated = int(await conn.scalar(self._count) or 0)
        if updated:
            for statement in self._clear_children:
                await conn.execute(statement)
        await conn.execute(self._upsert)
        if any(rows.tags):
            await conn.execute(self._attach_tags)
        if any(rows.assignees):
            await conn.execute(self._attach_people)
        await empty(conn, stage)
        result = UpsertResult(inserted=len(rows.keys) - updated, updated=updated)
        self.result += result
        await self._keep_statistics(result.inserted)
        return result

    async def _keep_statistics(self, inserted: int) -> None:
        """On PostgreSQL, ANALYZE the alert tables each time this writer has doubled what it
        inserted (1,000, 2,000, 4,000… rows: a handful of times in a full sync). A table that
        grew from nothing within one sync keeps the statistics of its first rows, and the batch
        joins were then planned on the wrong index: a page's count scanned every alert of its
        kind, 400 ms instead of 2 (auto_explain at 100,000 alerts)."""
        self._inserted += inserted
        if self.conn.dialect.name != "postgresql" or self._inserted < self._analyze_at:
            return
        self._analyze_at = 2 * self._inserted
        for table in BULK_TABLES:
            await self.conn.execute(text(f"ANALYZE {table.name}"))

    async def write_alerts(
        self, alerts: Sequence[Alert], repository_ids: Mapping[str, int | None] | None = None
    ) -> UpsertResult:
        """Upsert models (one row per key, the last one winning)."""
        with no_gc():
            rows = AlertRows.from_alerts(alerts, dict(repository_ids or {}))
        return await self.write(rows)

    async def _ids(self, rows: AlertRows) -> dict[str, int]:
        """Repository ids by full name as the rows spell it; each repository is ensured once
        per writer, and again only to record a GitHub id it lacked."""
        known = self._repository_ids
        with_ids = {name: gid for name, gid in rows.github_ids.items() if gid is not None}
        wanted = {
            name
            for name in dict.fromkeys(rows.repositories)
            if name not in known or (name in with_ids and name not in self._with_github_id)
        }
        if wanted:
            found = await repositories.ensure(self.conn, await self._stubs(wanted, with_ids))
            fresh = {name: found[name.lower()] for name in wanted}
            taken = set(fresh.values())
            # A rename (same GitHub id, new name) moved a row another name pointed at.
            for name in [n for n, rid in known.items() if rid in taken and n not in fresh]:
                del known[name]
                self._with_github_id.discard(name)
            known.update(fresh)
            self._with_github_id.update(name for name in wanted if name in with_ids)
        return known

    async def _stubs(self, names: set[str], with_ids: Mapping[str, int]) -> dict[str, int | None]:
        """Repositories to ensure, with GitHub ids only where the stored row lacks one.

        `repositories.ensure` runs one UPDATE per repository given with an id; after a repository
        list import every row already has its id, so those are left out.
        """
        given = {name: with_ids[name] for name in names if name in with_ids}
        known: set[str] = set()
        for part in chunks(sorted({name.lower() for name in given})):
            known.update(
                await self.conn.scalars(
                    select(r.c.full_name_lower).where(
                        r.c.full_name_lower.in_(part), r.c.github_id.is_not(None)
                    )
                )
            )
        self._with_github_id.update(name for name in given if name.lower() in known)
        stubs: dict[str, int | None] = dict.fromkeys(names)
        return stubs | {name: gid for name, gid in given.items() if name.lower() not in known}


async def upsert_alerts(
    conn: AsyncConnection,
    alerts: Sequence[Alert],
    repository_ids: Mapping[str, int | None] | None = None,
) -> UpsertResult:
    """Insert or update alerts with their tags and assignees; the contract of `upsert_many`."""
    if not alerts:
        return UpsertResult()
    async with AlertWriter(conn, large=len(alerts) >= LARGE) as writer:
        return await writer.write_alerts(alerts, repository_ids)


async def empty(conn: AsyncConnection, table: Table) -> None:
    """Empty a stage table. On PostgreSQL by TRUNCATE: a DELETE leaves its rows dead in the
    file, autovacuum never visits temporary tables, and every later batch read them all again
    (a full sync's stage grew to 100,000 dead rows). Both are transactional."""
    if conn.dialect.name == "postgresql":
        await conn.execute(text(f"TRUNCATE {table.name}"))
    else:
        await conn.execute(table.delete())


async def analyze(conn: AsyncConnection) -> None:
    """Refresh the planner's statistics of the alert tables after a bulk load, inside the
    load's transaction.

    PostgreSQL plans from statistics, and a table that just grew by 100,000 rows has stale ones
    (`tag:` then took a plan four times slower). SQLite keeps none unless asked, and its queries
    here are written for a planner without them (see `store.alert_filter`), so it is left alone.
    """
    if conn.dialect.name != "postgresql":
        return
    for table in (*BULK_TABLES, *FILTER_TABLES):
        await conn.execute(text(f"ANALYZE {table.name}"))


BULK_TABLES = (a, schema.alert_tags, schema.alert_assignees)
FILTER_TABLES = (
    r,
    schema.repository_topics,
    schema.repository_properties,
    schema.teams,
    schema.team_repositories,
)
"""The repository side of the filter language: small, but a join order is planned from them."""


async def vacuum(engine: AsyncEngine) -> None:
    """After a bulk load has committed, on PostgreSQL: VACUUM (ANALYZE) the alert tables.

    Besides fresh statistics, it sets the visibility map, without which PostgreSQL cannot read
    `ix_alerts_preview` alone (an index-only scan) and visits the table for every row; the
    autovacuum would get there, minutes later. It cannot run inside a transaction.
    """
    if engine.dialect.name != "postgresql":
        return
    async with engine.connect() as conn:
        conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
        for table in BULK_TABLES:
            await conn.execute(text(f"VACUUM (ANALYZE) {table.name}"))
        for table in FILTER_TABLES:
            await conn.execute(text(f"ANALYZE {table.name}"))
