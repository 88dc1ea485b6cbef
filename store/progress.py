"""The facts progress is computed from, for many campaigns at once, in one grouped pass.

An alert's campaign status (ARCHITECTURE §4: closed, else in progress when a branch or pull
request works on it, else open) is decided once per row: `closed` reads `is_open`, the fix-link
probe runs only for open alerts, and `open` is what is left of the row count; the closes within
the burn window and within the period are counted in the same pass (no second scan for close
dates). The same rule as `store.campaigns.campaign_status`, without evaluating it once per
counted status. The statements are built once, at import, with bound parameters.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, case, exists, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.core.models import RepositoryProgress, StatusCounts
from store import schema

ca = schema.campaign_alerts
a = schema.alerts
r = schema.repositories
fl = schema.fix_links


@dataclass
class CampaignFacts:
    """A campaign's counts, its closes since each bound, and (when asked) its repositories."""

    counts: StatusCounts
    closed_recently: int
    """Alerts closed at or after `recent_since` and before `until`."""
    closed_in_period: int
    """Alerts closed at or after `period_since` and before `until`."""
    repositories: list[RepositoryProgress] = field(default_factory=list)


def _counted(*group_by: Any) -> Any:
    closed_at = func.coalesce(a.c.closed_at, a.c.updated_at)
    closed = a.c.is_open.is_(False)
    has_fix = exists().where(fl.c.alert_id == a.c.id)

    def closed_since(name: str) -> Any:
        since = bindparam(name, type_=schema.TZDateTime)
        until = bindparam("until", type_=schema.TZDateTime)
        return func.sum(case((and_(closed, closed_at >= since, closed_at < until), 1), else_=0))

    return (
        select(
            *group_by,
            func.count().label("total"),
            func.sum(case((closed, 1), else_=0)).label("closed"),
            func.sum(case((closed, 0), (has_fix, 1), else_=0)).label("in_progress"),
            closed_since("recent_since").label("closed_recently"),
            closed_since("period_since").label("closed_in_period"),
        )
        .select_from(ca.join(a, a.c.id == ca.c.alert_id))
        .where(ca.c.campaign_id.in_(bindparam("ids", expanding=True)))
        .group_by(*group_by)
    )


_BY_CAMPAIGN = _counted(ca.c.campaign_id)
_GROUPS = _counted(ca.c.campaign_id, ca.c.repository_id).subquery()
_BY_REPOSITORY = select(
    _GROUPS.c.campaign_id,
    r.c.full_name,
    _GROUPS.c.total,
    _GROUPS.c.closed,
    _GROUPS.c.in_progress,
    _GROUPS.c.closed_recently,
    _GROUPS.c.closed_in_period,
).outerjoin(r, r.c.id == _GROUPS.c.repository_id)
"""The repository's name is joined to the groups, not to every alert."""


async def campaign_facts(
    conn: AsyncConnection,
    campaign_ids: Sequence[int],
    *,
    recent_since: datetime,
    period_since: datetime,
    until: datetime,
    repositories: bool = False,
) -> dict[int, CampaignFacts]:
    """Each campaign's counts and closes (and with `repositories`, its counts per repository),
    in one grouped query for all of them."""
    tallies = {campaign_id: [0] * 5 for campaign_id in campaign_ids}
    found: dict[int, list[RepositoryProgress]] = {campaign_id: [] for campaign_id in campaign_ids}
    if campaign_ids:
        params = {
            "ids": list(campaign_ids),
            "recent_since": recent_since,
            "period_since": period_since,
            "until": until,
        }
        if repositories:
            rows = await conn.execute(_BY_REPOSITORY, params)
        else:
            rows = await conn.execute(_BY_CAMPAIGN, params)
        for row in rows:
            campaign_id, name, numbers = row[0], row[1] if repositories else None, row[-5:]
            total, closed, in_progress, recently, in_period = (int(n or 0) for n in numbers)
            tally = tallies[campaign_id]
            for index, value in enumerate((total, closed, in_progress, recently, in_period)):
                tally[index] += value
            if name is not None:
                found[campaign_id].append(
                    RepositoryProgress(
                        name=name,
                        open=total - closed - in_progress,
                        in_progress=in_progress,
                        closed=closed,
                    )
                )
    return {
        campaign_id: CampaignFacts(
            counts=StatusCounts(
                open=total - closed - in_progress, in_progress=in_progress, closed=closed
            ),
            closed_recently=recently,
            closed_in_period=in_period,
            repositories=found[campaign_id],
        )
        for campaign_id, (total, closed, in_progress, recently, in_period) in tallies.items()
    }
