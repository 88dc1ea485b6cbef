"""Bulk alert upsert for imports: stage the rows once, then let the database do set-based work.

`store.alerts.upsert_many` binds every row through SQLAlchemy (about 10 µs a row with its tags) and
looks ids up 300 keys at a time: fine for a sync page, slow for a 100,000-alert import. Here the
rows go into a temporary table in one pass of plain tuples (`executemany`, or `COPY` on asyncpg),
with values converted by the dialect's own bind processors so they are stored exactly as Core would
store them. Then a few INSERT … SELECT / DELETE statements do the rest: count what exists, drop the
old tags and assignees, upsert the alerts, and attach tags and assignees through small "set" tables
(all alerts of a rule share one tag set). Same result as `upsert_many`, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager, contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    and_,
    func,
    select,
    text,
    true,
)
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.schema import CreateTable

from bot.core.models import Alert
from store import repositories, schema
from store.alert_rows import UpsertResult, row_for
from store.upsert import chunks, insert_for

a = schema.alerts
r = schema.repositories
KEYS = ("repository_id", "kind", "number")
BATCH = 5000
"""Rows per `executemany` call: large enough to amortize the hop to the driver's thread."""
ANALYZE_FROM = 2000
"""PostgreSQL: batches this large refresh the alert tables' statistics before joining them."""
SQLITE_CACHE_KIB = 128 * 1024
"""SQLite page cache during a bulk upsert, so the alerts' seven indexes stay in memory."""

_COLUMNS = [c for c in a.columns if c.name != "id"]
_NAMES = [c.name for c in _COLUMNS]
_stage_metadata = MetaData()
stage = Table(
    "import_alerts_stage",
    _stage_metadata,
    *(Column(c.name, c.type) for c in _COLUMNS),
    Column("tagset", Integer),
    Column("peopleset", Integer),
    prefixes=["TEMPORARY"],
)
stage_tags = Table(
    "import_tags_stage",
    _stage_metadata,
    Column("tagset", Integer),
    Column("tag", String(200)),
    prefixes=["TEMPORARY"],
)
stage_people = Table(
    "import_people_stage",
    _stage_metadata,
    Column("peopleset", Integer),
    Column("login", String(100)),
    prefixes=["TEMPORARY"],
)
_STAGES = (stage, stage_tags, stage_people)


@contextmanager
def no_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while building many small containers.

    With it running, building 100,000 rows triggers a collection every 700 allocations, each
    walking every live object: paused, bulk parsing and row building run about twice as fast.
    Nothing built here forms reference cycles, so nothing is left for the collector afterwards.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


# --- rows -----------------------------------------------------------------------------------------


def _sqlite_datetime(value: datetime) -> str:
    """What SQLAlchemy's SQLite DATETIME stores (`2026-11-02 09:00:00.000000`), in UTC, faster."""
    text_ = value.isoformat(" ", "microseconds")
    if len(text_) == 26:
        return text_
    if text_.endswith("+00:00"):
        return text_[:26]
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def _processor(conn: AsyncConnection, column: Column[Any]) -> Callable[[Any], Any] | None:
    """The dialect's bind processor for a column; on SQLite two cheaper equivalents."""
    if conn.dialect.name == "sqlite":
        if isinstance(column.type, DateTime):
            return _sqlite_datetime
        if isinstance(column.type, Boolean):
            return None  # sqlite3 binds bool as 0/1 itself
    return column.type.dialect_impl(conn.dialect).bind_processor(conn.dialect)


class _Sets:
    """Numbers distinct value sets (a rule's tags, assignees), so children are stored per set."""

    def __init__(self) -> None:
        self.ids: dict[tuple[str, ...], int] = {}

    def id_for(self, values: Sequence[str]) -> int | None:
        if not values:
            return None
        key = tuple(sorted({value.lower() for value in values}))
        found = self.ids.get(key)
        if found is None:
            found = self.ids[key] = len(self.ids) + 1
        return found

    def rows(self) -> list[tuple[int, str]]:
        return [(set_id, value) for values, set_id in self.ids.items() for value in values]


def _stage_rows(
    conn: AsyncConnection, alerts: Sequence[Alert], repo_ids: Mapping[str, int]
) -> tuple[list[tuple[Any, ...]], _Sets, _Sets]:
    processors = [_processor(conn, column) for column in stage.columns]
    convert = [(i, p) for i, p in enumerate(processors) if p is not None]
    tags, people = _Sets(), _Sets()
    rows: list[tuple[Any, ...]] = []
    for alert in alerts:
        row = row_for(alert, repo_ids[alert.repository.lower()])
        values = [*row.values(), tags.id_for(alert.tags), people.id_for(alert.assignees)]
        for i, process in convert:
            if values[i] is not None:
                values[i] = process(values[i])
        rows.append(tuple(values))
    return rows, tags, people


def _dedupe(alerts: Sequence[Alert]) -> list[Alert]:
    """One row per key, the last one winning, as a sequence of upserts would leave it."""
    latest = {(alert.repository.lower(), alert.kind.value, alert.number): alert for alert in alerts}
    return list(latest.values())


# --- staging --------------------------------------------------------------------------------------


def _placeholders(conn: AsyncConnection, count: int) -> str:
    style = conn.dialect.paramstyle
    if style == "qmark":
        return ", ".join("?" * count)
    if style == "numeric_dollar":
        return ", ".join(f"${i}" for i in range(1, count + 1))
    if style in ("format", "pyformat"):
        return ", ".join(["%s"] * count)
    raise NotImplementedError(f"paramstyle {style}")


async def _fill(conn: AsyncConnection, table: Table, rows: Sequence[tuple[Any, ...]]) -> None:
    """Load plain tuples into a stage table: COPY on asyncpg, else `executemany`."""
    if not rows:
        return
    names = [c.name for c in table.columns]
    if conn.dialect.driver == "asyncpg":
        driver = (await conn.get_raw_connection()).driver_connection
        assert driver is not None
        await driver.copy_records_to_table(table.name, records=rows, columns=names)
        return
    sql = (
        f"INSERT INTO {table.name} ({', '.join(names)}) "  # noqa: S608 - our own table and columns
        f"VALUES ({_placeholders(conn, len(names))})"
    )
    for start in range(0, len(rows), BATCH):
        await conn.exec_driver_sql(sql, list(rows[start : start + BATCH]))


@asynccontextmanager
async def _staged(conn: AsyncConnection, large: bool) -> AsyncIterator[None]:
    """Empty stage tables for the duration, and for a large batch on SQLite a page cache big
    enough for the upsert, put back afterwards.

    The temporary tables are created once per connection and emptied after use: a sync writes
    page after page of 100 alerts, and drop-and-create each time cost more than the upsert.
    A failure rolls back the rows with the rest of the transaction.
    """
    restore: dict[str, int] = {}
    if large and conn.dialect.name == "sqlite":
        for db in ("main", "temp"):
            restore[db] = int(await conn.scalar(text(f"PRAGMA {db}.cache_size")) or -2000)
            await conn.exec_driver_sql(f"PRAGMA {db}.cache_size = -{SQLITE_CACHE_KIB}")
    try:
        for table in _STAGES:
            await conn.execute(CreateTable(table, if_not_exists=True))
        yield
        for table in _STAGES:
            await conn.execute(table.delete())
    finally:
        for db, size in restore.items():
            await conn.exec_driver_sql(f"PRAGMA {db}.cache_size = {size}")


async def _analyze(conn: AsyncConnection, large: bool, alert_tables: bool) -> None:
    """PostgreSQL plans joins from statistics: temporary tables have none until analyzed, and a
    table that just grew by 100,000 rows has stale ones (nested loops: a minute, not a second)."""
    if conn.dialect.name != "postgresql":
        return
    if not large:
        return  # a few hundred rows join well without statistics
    tables = [*_STAGES, *((a, schema.alert_tags, schema.alert_assignees) if alert_tables else ())]
    for table in tables:
        await conn.execute(text(f"ANALYZE {table.name}"))


# --- set-based statements -------------------------------------------------------------------------


def _joined() -> Any:
    return stage.join(a, and_(*(a.c[key] == stage.c[key] for key in KEYS)))


async def _stubs(
    conn: AsyncConnection, alerts: Sequence[Alert], repository_ids: Mapping[str, int | None] | None
) -> dict[str, int | None]:
    """Repositories to ensure, with GitHub ids only where the stored row lacks one.

    `repositories.ensure` runs one UPDATE per repository given with an id; after a repository list
    import every row already has its id, so those are left out.
    """
    stubs: dict[str, int | None] = {alert.repository: None for alert in alerts}
    with_ids = {name: gid for name, gid in (repository_ids or {}).items() if gid is not None}
    known: set[str] = set()
    for part in chunks(sorted({name.lower() for name in with_ids})):
        known.update(
            await conn.scalars(
                select(r.c.full_name_lower).where(
                    r.c.full_name_lower.in_(part), r.c.github_id.is_not(None)
                )
            )
        )
    return stubs | {name: gid for name, gid in with_ids.items() if name.lower() not in known}


async def _upsert_staged(conn: AsyncConnection) -> None:
    columns = select(*(stage.c[name] for name in _NAMES)).where(true())
    stmt = insert_for(conn, a).from_select(_NAMES, columns)
    stmt = stmt.on_conflict_do_update(
        index_elements=list(KEYS),
        set_={name: stmt.excluded[name] for name in _NAMES if name not in KEYS},
    )
    await conn.execute(stmt)


async def _attach(conn: AsyncConnection, child: Table, column: str, sets: Table, key: str) -> None:
    """Children of every staged alert, from its set: one INSERT … SELECT."""
    source = (
        select(a.c.id, sets.c[column])
        .select_from(_joined().join(sets, sets.c[key] == stage.c[key]))
        .where(true())
    )
    stmt = insert_for(conn, child).from_select(["alert_id", column], source)
    await conn.execute(stmt.on_conflict_do_nothing(index_elements=["alert_id", column]))


async def upsert_alerts(
    conn: AsyncConnection,
    alerts: Sequence[Alert],
    repository_ids: Mapping[str, int | None] | None = None,
    *,
    analyze_alerts: bool = True,
) -> UpsertResult:
    """Insert or update alerts with their tags and assignees; the contract of `upsert_many`.

    `analyze_alerts=False`: on PostgreSQL a large batch refreshes only its stage tables'
    statistics, not the alert tables' (a caller writing many batches in a row, such as a streamed
    import, refreshes those every so often rather than each time: ANALYZE of a big table costs).
    """
    alerts = _dedupe(alerts)
    if not alerts:
        return UpsertResult()
    repo_ids = await repositories.ensure(conn, await _stubs(conn, alerts, repository_ids))
    with no_gc():
        rows, tags, people = _stage_rows(conn, alerts, repo_ids)
    large = len(alerts) >= ANALYZE_FROM
    async with _staged(conn, large):
        await _fill(conn, stage, rows)
        await _fill(conn, stage_tags, tags.rows())
        await _fill(conn, stage_people, people.rows())
        await _analyze(conn, large, analyze_alerts)
        updated = int(await conn.scalar(select(func.count()).select_from(_joined())) or 0)
        if updated:
            existing = select(a.c.id).select_from(_joined())
            for child in (schema.alert_tags, schema.alert_assignees):
                await conn.execute(child.delete().where(child.c.alert_id.in_(existing)))
        await _upsert_staged(conn)
        await _attach(conn, schema.alert_tags, "tag", stage_tags, "tagset")
        await _attach(conn, schema.alert_assignees, "login", stage_people, "peopleset")
    return UpsertResult(inserted=len(alerts) - updated, updated=updated)
