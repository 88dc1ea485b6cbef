"""The audit trail: one row per change, written in the same transaction as the change."""

from __future__ import annotations

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.core.models import Event
from store import schema
from store.times import utc

e = schema.events


async def add(conn: AsyncConnection, event: Event) -> int:
    """Record one change; returns the event's id (announcements are keyed by it)."""
    result = await conn.execute(
        insert(e).values(**event.model_dump(exclude={"id"})).returning(e.c.id)
    )
    return int(result.scalar_one())


async def for_campaign(conn: AsyncConnection, campaign_id: int) -> list[Event]:
    rows = (
        (await conn.execute(select(e).where(e.c.campaign_id == campaign_id).order_by(e.c.id)))
        .mappings()
        .all()
    )
    return [Event(**{**row, "at": utc(row["at"])}) for row in rows]
