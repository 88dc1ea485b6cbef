"""Database engine: one async engine per process, SQLite (WAL, foreign keys) or PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event, inspect, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from store import schema

APPLICATION_MARK = "campaignbot"


class NotOurDatabase(Exception):
    """The database exists but was not made by campaignbot (or is not a database at all)."""


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """Create the engine; SQLite gets WAL, foreign keys and a busy timeout on every connection."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        kwargs.setdefault("connect_args", {"timeout": 30})
        engine = create_async_engine(url, **kwargs)

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            if parsed.database not in (None, "", ":memory:"):
                cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_async_engine(url, **kwargs)


def is_sqlite(conn: AsyncConnection | AsyncEngine) -> bool:
    return conn.dialect.name == "sqlite"


async def check_ours(engine: AsyncEngine) -> None:
    """Refuse a database that has tables but is not campaignbot's; an empty one is fine."""
    try:
        async with engine.connect() as conn:
            names = await conn.run_sync(lambda c: inspect(c).get_table_names())
            if not names:
                return
            if "app_info" not in names:
                raise NotOurDatabase(
                    "the database has tables but none of campaignbot's; "
                    "point DATABASE_URL at a new file or a campaignbot database"
                )
            mark = await conn.scalar(
                select(schema.app_info.c.value).where(schema.app_info.c.key == "application")
            )
            if mark != APPLICATION_MARK:
                raise NotOurDatabase("the database belongs to another application")
    except DBAPIError as exc:
        raise NotOurDatabase(f"cannot read the database: {exc.orig}") from exc


CAMPAIGN_LOCK = 0x63616D70
"""The PostgreSQL advisory lock that serializes campaign changes (`camp` in ASCII)."""


@asynccontextmanager
async def write_transaction(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """One user action, one serialized transaction: its rule checks read what its writes change.

    SQLite's driver would run the reads before the transaction really begins (it issues BEGIN
    only at the first write), so two requests could both see "9 active" and both create; a
    `BEGIN IMMEDIATE` takes the write lock first. On PostgreSQL a transaction-scoped advisory
    lock does the same for campaign changes, whatever the isolation level.
    """
    async with engine.begin() as conn:
        if is_sqlite(conn):
            await conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CAMPAIGN_LOCK})
        yield conn


SQLITE_DEFAULT_AUTOCHECKPOINT = 1000
"""SQLite's own `wal_autocheckpoint` (pages), which every pooled connection keeps."""
LONG_WRITES_AUTOCHECKPOINT = 16_000
"""`wal_autocheckpoint` (4 KiB pages, about 64 MB of WAL) on a connection that commits many
small transactions in a row (the sync: one per page of alerts). At SQLite's default of 1,000 pages
the commit that crosses it copies the WAL back into the database and syncs it, every few pages;
most of what it copies are the same index pages, written again by the next few commits.

Durability is that of the engine's `synchronous=NORMAL`: a process crash loses no commit (the WAL
is replayed); a power loss may roll back the commits since the last checkpoint, more of them than
at 1,000 pages, but each whole, a sync page with its ETag, so the next sync reads it again."""


@asynccontextmanager
async def long_writes(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A connection for many transactions in a row (each: `begin_writes(conn)`, then commit).

    On SQLite its WAL is checkpointed every `LONG_WRITES_AUTOCHECKPOINT` pages instead of 1,000,
    and once at the end (PASSIVE: it never waits for readers). If the block fails, the
    connection is dropped rather than returned to the pool, with whatever it had set up
    (temporary tables included).
    """
    async with engine.connect() as conn:
        sqlite = is_sqlite(conn)
        try:
            if sqlite:
                await _pragma(conn, f"wal_autocheckpoint={LONG_WRITES_AUTOCHECKPOINT}")
            yield conn
            if conn.in_transaction():
                await conn.commit()
            if sqlite:
                await _pragma(conn, f"wal_autocheckpoint={SQLITE_DEFAULT_AUTOCHECKPOINT}")
                await _pragma(conn, "wal_checkpoint(PASSIVE)")
        except BaseException:
            await conn.invalidate()
            raise


async def begin_writes(conn: AsyncConnection) -> None:
    """Begin a transaction that will write. On SQLite it takes the write lock at once (waiting
    out other writers with the busy timeout): a deferred transaction that read first cannot
    write after another connection committed, and fails at once with "database is locked"."""
    if is_sqlite(conn):
        await conn.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        await conn.begin()


async def _pragma(conn: AsyncConnection, pragma: str) -> None:
    """Run a PRAGMA outside any transaction, leaving none open."""
    await conn.exec_driver_sql(f"PRAGMA {pragma}")
    await conn.commit()


@asynccontextmanager
async def writing_transaction(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A transaction that reads, then writes, beside other writers (a sync page: read the stored
    versions, then upsert). On SQLite in WAL mode a deferred transaction that read first fails at
    once with "database is locked" when another connection committed meanwhile (the busy timeout
    does not apply to a stale read snapshot); `BEGIN IMMEDIATE` waits for the write lock first.
    PostgreSQL needs nothing more (row locks; no campaign rule is checked here)."""
    async with engine.begin() as conn:
        if is_sqlite(conn):
            await conn.exec_driver_sql("BEGIN IMMEDIATE")
        yield conn


async def ping(engine: AsyncEngine) -> None:
    """Raise unless the database answers (the health check)."""
    async with engine.connect() as conn:
        await conn.execute(text("SELECT 1"))
