"""Job bookkeeping: when each job last ran and how it ended (`campaignbot jobs list`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from store import schema
from store.times import utc
from store.upsert import upsert

j = schema.jobs


async def record_run(conn: AsyncConnection, name: str, at: datetime, outcome: str) -> None:
    await upsert(
        conn,
        j,
        [{"name": name, "last_run": at, "last_outcome": outcome[:200]}],
        keys=["name"],
        update=["last_run", "last_outcome"],
    )


async def last_runs(conn: AsyncConnection) -> dict[str, tuple[datetime | None, str | None]]:
    rows = (await conn.execute(select(j.c.name, j.c.last_run, j.c.last_outcome))).all()
    return {row.name: (utc(row.last_run), row.last_outcome) for row in rows}
