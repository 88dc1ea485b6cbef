"""Job bookkeeping: when each job last ran and how it ended (`campaignbot jobs list`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from store import schema
from store.times import utc
from store.upsert import insert_ignore, upsert

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


async def try_lease(
    conn: AsyncConnection, name: str, owner: str, until: datetime, now: datetime
) -> bool:
    """Take the job's lease unless another live owner holds it: one replica runs each job."""
    await insert_ignore(conn, j, [{"name": name}], ["name"])
    taken = await conn.execute(
        update(j)
        .where(
            j.c.name == name,
            or_(j.c.lease_until.is_(None), j.c.lease_until < now, j.c.lease_owner == owner),
        )
        .values(lease_owner=owner, lease_until=until)
    )
    return bool(taken.rowcount)


async def release(conn: AsyncConnection, name: str, owner: str) -> None:
    await conn.execute(
        update(j).where(j.c.name == name, j.c.lease_owner == owner).values(lease_until=None)
    )
