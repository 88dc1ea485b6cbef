"""Assignments seen from the alerts' side: who holds the alerts that just changed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.core.models import AlertKind
from store import schema
from store.times import utc


@dataclass(frozen=True)
class HeldAlert:
    campaign_id: int
    alert_id: int
    assignee: str
    reference: str
    state: str
    updated_at: datetime | None


async def held(conn: AsyncConnection, alert_ids: Sequence[int]) -> list[HeldAlert]:
    """The assignments, in active campaigns, of these alerts, with each alert's state now."""
    if not alert_ids:
        return []
    asg, a, r, c = schema.assignments, schema.alerts, schema.repositories, schema.campaigns
    rows = await conn.execute(
        select(
            asg.c.campaign_id,
            asg.c.alert_id,
            asg.c.assignee,
            r.c.full_name,
            a.c.kind,
            a.c.number,
            a.c.state,
            a.c.updated_at,
        )
        .join(a, a.c.id == asg.c.alert_id)
        .join(r, r.c.id == a.c.repository_id)
        .join(c, c.c.id == asg.c.campaign_id)
        .where(asg.c.alert_id.in_(list(alert_ids)), c.c.state == "active")
        .order_by(asg.c.campaign_id, asg.c.alert_id)
    )
    return [
        HeldAlert(
            campaign_id=row.campaign_id,
            alert_id=row.alert_id,
            assignee=row.assignee,
            reference=f"{row.full_name}#{AlertKind(row.kind).value}-{row.number}",
            state=row.state,
            updated_at=utc(row.updated_at),
        )
        for row in rows
    ]
