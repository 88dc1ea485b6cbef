"""A long write keeps PostgreSQL's planner statistics fresh (store/bulk.py): a table that grew
from nothing within one sync was otherwise planned as if it still held its first rows."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from store import alerts, bulk
from tests.builders import code_alert


async def test_a_long_write_refreshes_the_planners_statistics_inside_it(
    engine: AsyncEngine,
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite keeps no statistics unless asked; its queries are written without")
    batch = [code_alert("acme/web", number) for number in range(1, bulk.FIRST_ANALYZE + 201)]
    async with engine.begin() as conn, alerts.writer(conn) as writer:
        await writer.write_alerts(batch)
        # Still inside the writer's transaction: no autovacuum can have counted these rows.
        counted = await conn.scalar(
            text("SELECT reltuples FROM pg_class WHERE oid = 'alerts'::regclass")
        )
    assert counted == len(batch)
