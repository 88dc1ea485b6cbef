"""The weekly digest (ARCHITECTURE §6): what a campaign's channel reads every Monday.

`DigestFacts` is everything the message and the chart say, gathered in a few set-based queries;
`burndown` is pure (remaining alerts per day, the ideal line to the due date, the projection).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.core.models import AlertKind, Campaign, Progress
from store import checklists, exceptions, reports

STALLED_DAYS = 14
"""A repository with open alerts and no close or fix link for this long is a blocker."""
MILESTONES = (25, 50, 75, 100)


class Burndown(BaseModel):
    days: list[date]
    remaining: list[int]
    ideal: list[tuple[date, int]]
    """From the launch (all alerts) to the due date (none)."""
    projected: list[tuple[date, int]]
    """From today to the projected completion at the current burn rate (empty when stalled)."""


class DigestFacts(BaseModel):
    week_start: date
    closed_this_week: int
    top_fixers: list[tuple[str, int]]
    stalled: list[str]
    """Repositories with open alerts and no progress in `STALLED_DAYS` days."""
    cleared: list[str]
    """Repositories whose last open alert closed this week."""
    milestones: list[int]
    """Percent milestones crossed this week."""
    unreachable: list[str] = []
    """Repositories with open alerts and no writer linked to Slack: a blocker nobody hears."""
    pending_exceptions: list[str] = []
    """Alerts waiting on the manager's decision about an exception: a blocker."""
    checklist: dict[str, int] = {}
    """Open secret alerts with each checklist step ticked (secret campaigns)."""
    burndown: Burndown

    @property
    def quiet(self) -> bool:
        return self.closed_this_week == 0 and not self.cleared


def burndown(
    total: int, close_days: list[date], start: date, due: date, today: date, progress: Progress
) -> Burndown:
    span = max(0, (today - start).days)
    days = [start + timedelta(days=offset) for offset in range(span + 1)]
    remaining, closed, index = [], 0, 0
    for day in days:
        while index < len(close_days) and close_days[index] <= day:
            closed += 1
            index += 1
        remaining.append(max(0, total - closed))
    left = remaining[-1] if remaining else total
    projected: list[tuple[date, int]] = []
    if progress.projected_completion is not None and left > 0:
        projected = [(today, left), (progress.projected_completion, 0)]
    return Burndown(
        days=days, remaining=remaining, ideal=[(start, total), (due, 0)], projected=projected
    )


async def digest_facts(
    engine: AsyncEngine, campaign: Campaign, progress: Progress, now: datetime
) -> DigestFacts:
    """The week is the seven days before `now`, the same window for every line (resolved, top
    fixers, cleared, milestones); days are the campaign's own (burndown)."""
    zone = ZoneInfo(campaign.timezone)
    today = now.astimezone(zone).date()
    since = now.astimezone(UTC) - timedelta(days=7)
    stall_since = now - timedelta(days=STALLED_DAYS)
    async with engine.connect() as conn:
        moments = await reports.close_moments(conn, campaign.number)
        fixers = await reports.top_fixers(conn, campaign.number, since)
        activity = await reports.repository_activity(conn, campaign.number)
        unreachable = await reports.repositories_without_linked_writer(conn, campaign.number)
        waiting = await exceptions.pending_for_campaign(conn, campaign.number)
        steps = (
            await checklists.step_counts(conn, campaign.number)
            if campaign.kind is AlertKind.SECRET
            else {}
        )
    closed_this_week = sum(1 for moment in moments if moment >= since)
    total = progress.counts.total
    before = total and 100 * (len(moments) - closed_this_week) // total
    after = total and 100 * len(moments) // total
    started = campaign.created_at.astimezone(zone).date()
    stalled = [
        name
        for name, opened, closed, fixed in activity
        if opened
        and (closed is None or closed < stall_since)
        and (fixed is None or fixed < stall_since)
        and campaign.created_at < stall_since
    ]
    cleared = [
        name for name, opened, closed, _ in activity if not opened and closed and closed >= since
    ]
    local_days = [moment.astimezone(zone).date() for moment in moments]
    return DigestFacts(
        week_start=(now - timedelta(days=7)).astimezone(zone).date(),
        closed_this_week=closed_this_week,
        top_fixers=fixers,
        stalled=sorted(stalled),
        cleared=sorted(cleared),
        milestones=[m for m in MILESTONES if before < m <= after],
        unreachable=unreachable,
        pending_exceptions=[item.alert_reference for item in waiting],
        checklist=steps,
        burndown=burndown(total, local_days, started, campaign.due_date, today, progress),
    )
