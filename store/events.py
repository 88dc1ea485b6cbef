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


async def due_date_moves(conn: AsyncConnection, campaign_ids: list[int]) -> dict[int, int]:
    """How many times each campaign's due date was edited (its reminders start over each time)."""
    if not campaign_ids:
        return {}
    rows = await conn.execute(
        select(e.c.campaign_id, e.c.after).where(
            e.c.campaign_id.in_(campaign_ids), e.c.action == "edited"
        )
    )
    moves = dict.fromkeys(campaign_ids, 0)
    for campaign_id, after in rows:
        if isinstance(after, dict) and "due_date" in after:
            moves[campaign_id] += 1
    return moves
