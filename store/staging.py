"""Staging for bulk alert upserts (`store.bulk`): temporary tables, values converted as the
dialect binds them, and a fast load of plain tuples (`executemany`, or `COPY` on asyncpg)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Boolean, Column, DateTime, Integer, MetaData, String, Table
from sqlalchemy.ext.asyncio import AsyncConnection

from store import schema
from store.alert_rows import VALUE_COLUMNS

a = schema.alerts
KEYS = ("repository_id", "kind", "number")
BATCH = 5000
"""Rows per `executemany` call: large enough to amortize the hop to the driver's thread."""
LARGE = 2000
"""Batches this large get a bigger SQLite page cache for the duration."""
SQLITE_CACHE_KIB = 128 * 1024
"""SQLite page cache during a bulk upsert, so the alerts' indexes stay in memory."""

NAMES = ["repository_id", *VALUE_COLUMNS]
_stage_metadata = MetaData()
stage = Table(
    "import_alerts_stage",
    _stage_metadata,
    *(Column(name, a.c[name].type) for name in NAMES),
    Column("tagset", Integer),
    Column("peopleset", Integer),
    prefixes=["TEMPORARY"],
)
stage_tags = Table(
    "import_tags_stage",
    _stage_metadata,
    Column("tagset", Integer, primary_key=True),
    Column("tag", String(200), primary_key=True),
    prefixes=["TEMPORARY"],
)
stage_people = Table(
    "import_people_stage",
    _stage_metadata,
    Column("peopleset", Integer, primary_key=True),
    Column("login", String(100), primary_key=True),
    prefixes=["TEMPORARY"],
)
STAGES = (stage, stage_tags, stage_people)


# --- values ---------------------------------------------------------------------------------------


def _sqlite_datetime(value: datetime) -> str:
    """What SQLAlchemy's SQLite DATETIME stores (`2026-11-02 09:00:00.000000`), in UTC, faster."""
    text_ = value.isoformat(" ", "microseconds")
    if len(text_) == 26:
        return text_
    if text_.endswith("+00:00"):
        return text_[:26]
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


Converter = Callable[[list[tuple[Any, ...]]], list[tuple[Any, ...]]]


def converter(conn: AsyncConnection) -> Converter:
    """A function that turns `AlertRows.values` into what the driver binds, as Core would.

    Pure: a streamed import calls it in its reading thread, off the event loop.
    """
    processors: list[tuple[int, Callable[[Any], Any]]] = []
    for index, name in enumerate(VALUE_COLUMNS):
        process = _processor(conn, a.c[name])
        if process is not None:
            processors.append((index, process))

    def convert(values: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        out = []
        for row in values:
            items = list(row)
            for index, process in processors:
                if items[index] is not None:
                    items[index] = process(items[index])
            out.append(tuple(items))
        return out

    return convert


def _processor(conn: AsyncConnection, column: Column[Any]) -> Callable[[Any], Any] | None:
    """The dialect's bind processor for a column; on SQLite two cheaper equivalents."""
    if conn.dialect.name == "sqlite":
        if isinstance(column.type, DateTime):
            return _sqlite_datetime
        if isinstance(column.type, Boolean):
            return None  # sqlite3 binds bool as 0/1 itself
    return column.type.dialect_impl(conn.dialect).bind_processor(conn.dialect)


class ValueSets:
    """Numbers distinct value sets (a rule's tags, assignees), so children are stored per set;
    remembers which sets are staged already."""

    def __init__(self) -> None:
        self.ids: dict[tuple[str, ...], int] = {}
        self.staged = 0

    def id_for(self, values: tuple[str, ...]) -> int | None:
        if not values:
            return None
        found = self.ids.get(values)
        if found is None:
            found = self.ids[values] = len(self.ids) + 1
        return found

    def fresh(self) -> list[tuple[int, str]]:
        """Rows of the sets numbered since the last call."""
        rows = [
            (set_id, value)
            for values, set_id in self.ids.items()
            if set_id > self.staged
            for value in values
        ]
        self.staged = len(self.ids)
        return rows


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


async def fill(conn: AsyncConnection, table: Table, rows: Sequence[tuple[Any, ...]]) -> None:
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
