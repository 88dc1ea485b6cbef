"""Facts the clock jobs need, each one set-based query: who has open work in which campaign."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.core.models import AlertStatus, CampaignState
from store import schema
from store.campaigns import campaign_status
from store.times import utc

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


async def open_work(conn: AsyncConnection, now: datetime | None = None) -> list[OpenWork]:
    """Per assignee and active campaign, their alerts still open or in progress; where the
    campaign limits nudges (severities, minimum age), only the alerts within its limits."""
    status = campaign_status()
    severity = func.lower(func.coalesce(a.c.security_severity, a.c.severity, ""))
    stmt = (
        select(
            asg.c.assignee,
            asg.c.campaign_id,
            status.label("status"),
            severity.label("severity"),
            a.c.created_at,
            c.c.nudge_severities,
            c.c.nudge_min_age_days,
        )
        .join(a, a.c.id == asg.c.alert_id)
        .join(c, c.c.id == asg.c.campaign_id)
        .join(ca, and_(ca.c.campaign_id == asg.c.campaign_id, ca.c.alert_id == asg.c.alert_id))
        .where(c.c.state == CampaignState.ACTIVE.value, a.c.is_open.is_(True))
    )
    counts: dict[tuple[str, int], list[int]] = {}
    for user, campaign_id, state, level, created, severities, min_age in await conn.execute(stmt):
        if severities and level not in {s.strip() for s in severities.lower().split(",")}:
            continue
        opened = utc(created)
        if min_age and now is not None and opened and now - opened < timedelta(days=min_age):
            continue
        tally = counts.setdefault((user, campaign_id), [0, 0])
        tally[0 if state == AlertStatus.OPEN.value else 1] += 1
    return [
        OpenWork(user, campaign_id, opened, working)
        for (user, campaign_id), (opened, working) in sorted(counts.items())
    ]
