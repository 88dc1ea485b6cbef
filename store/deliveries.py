"""Delivery keys (ARCHITECTURE §6): a key is claimed once, so its work is done once.

Webhook deliveries use `github:GUID` (GitHub's `X-GitHub-Delivery`, the same on a redelivery).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, update
from sqlalchemy.ext.asyncio import AsyncConnection

from store import schema
from store.upsert import insert_for

d = schema.deliveries


async def claim(conn: AsyncConnection, key: str, now: datetime) -> bool:
    """Insert-or-ignore the key; True when this call claimed it, False when it was taken."""
    stmt = (
        insert_for(conn, d)
        .values(key=key, created_at=now, status="claimed")
        .on_conflict_do_nothing(index_elements=["key"])
    )
    result = await conn.execute(stmt)
    return result.rowcount == 1


async def finish(conn: AsyncConnection, key: str, status: str) -> None:
    """Record how the claimed work ended (`done`, `ignored`, `failed`)."""
    await conn.execute(update(d).where(d.c.key == key).values(status=status[:16]))


async def release(conn: AsyncConnection, key: str) -> None:
    """Give a claim back when its work could not even be queued, so a redelivery is taken."""
    await conn.execute(delete(d).where(d.c.key == key))
