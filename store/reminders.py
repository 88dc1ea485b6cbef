"""Facts the clock jobs need, each one set-based query: who has open work in which campaign."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.core.models import AlertStatus, CampaignState
from store import schema
from store.campaigns import campaign_status

a = schema.alerts
c = schema.campaigns
ca = schema.campaign_alerts
asg = schema.assignments


@dataclass(frozen=True)
class OpenWork:
    assignee: str
    campaign_id: int
    open: int
    in_progress: int


async def open_work(conn: AsyncConnection) -> list[OpenWork]:
    """Per assignee and active campaign, their alerts still open or in progress."""
    status = campaign_status()
    stmt = (
        select(
            asg.c.assignee,
            asg.c.campaign_id,
            func.sum(case((status == AlertStatus.OPEN.value, 1), else_=0)).label("open"),
            func.sum(case((status == AlertStatus.IN_PROGRESS.value, 1), else_=0)).label(
                "in_progress"
            ),
        )
        .join(a, a.c.id == asg.c.alert_id)
        .join(c, c.c.id == asg.c.campaign_id)
        .join(ca, and_(ca.c.campaign_id == asg.c.campaign_id, ca.c.alert_id == asg.c.alert_id))
        .where(c.c.state == CampaignState.ACTIVE.value, a.c.is_open.is_(True))
        .group_by(asg.c.assignee, asg.c.campaign_id)
        .order_by(asg.c.assignee, asg.c.campaign_id)
    )
    return [
        OpenWork(user, campaign_id, int(opened or 0), int(working or 0))
        for user, campaign_id, opened, working in await conn.execute(stmt)
    ]
