"""`store.engine.long_writes`: one connection for many commits (the sync's pages)."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from store.engine import (
    LONG_WRITES_AUTOCHECKPOINT,
    SQLITE_DEFAULT_AUTOCHECKPOINT,
    begin_writes,
    long_writes,
)


async def driver(conn: AsyncConnection) -> object:
    return (await conn.get_raw_connection()).driver_connection


async def test_sqlite_checkpoints_less_often_then_hands_the_connection_back_as_it_was(
    sqlite_engine: AsyncEngine,
) -> None:
    async with long_writes(sqlite_engine) as conn:
        assert await conn.scalar(text("PRAGMA wal_autocheckpoint")) == LONG_WRITES_AUTOCHECKPOINT
        for value in range(3):  # one transaction per page
            await begin_writes(conn)
            await conn.execute(
                text("INSERT INTO app_info (key, value) VALUES (:key, 'x')"), {"key": f"k{value}"}
            )
            await conn.commit()
        held = await driver(conn)

    async with sqlite_engine.connect() as conn:
        assert await driver(conn) is held  # back in the pool, with SQLite's default again
        assert await conn.scalar(text("PRAGMA wal_autocheckpoint")) == (
            SQLITE_DEFAULT_AUTOCHECKPOINT
        )
        assert await conn.scalar(text("SELECT count(*) FROM app_info WHERE key LIKE 'k%'")) == 3


async def test_a_failure_drops_the_connection_with_what_it_set_up(engine: AsyncEngine) -> None:
    with pytest.raises(RuntimeError):
        async with long_writes(engine) as conn:
            await conn.execute(text("CREATE TEMPORARY TABLE leftover (x INTEGER)"))
            await conn.execute(text("INSERT INTO leftover VALUES (1)"))
            await conn.commit()
            raise RuntimeError("a page failed")

    connections = [await engine.connect() for _ in range(3)]
    try:
        for conn in connections:  # whichever the pool hands out: none has the table
            await conn.execute(text("CREATE TEMPORARY TABLE leftover (x INTEGER)"))
            assert await conn.scalar(text("SELECT count(*) FROM leftover")) == 0
            await conn.rollback()
    finally:
        for conn in connections:
            await conn.close()
