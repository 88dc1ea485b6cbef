"""A campaign can limit reminder DMs to severe or old alerts (ARCHITECTURE §6)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.assignments.service import AssignmentService
from bot.campaigns.requests import EditRequest
from bot.campaigns.service import CampaignService
from bot.core.errors import CampaignError
from bot.scheduler.jobs import ClockJobs
from store import schema
from tests.scheduler.conftest import MANAGER, START, FakeClock, assign, create

ALICE, BOB = "UALICE", "UBOB"
DUE = date(2026, 11, 18)
THREE_DAYS_BEFORE = datetime(2026, 11, 13, 9, 30, tzinfo=UTC)  # a Friday


async def arrange(
    svc: CampaignService, assignments: AssignmentService, clock: FakeClock, engine: AsyncEngine
) -> int:
    """Alice holds a high alert opened long ago; Bob a critical one opened yesterday."""
    campaign = await create(svc, clock, START, due_date=DUE, timezone="UTC")
    await assign(assignments, campaign, {ALICE: ["acme/web#code-1"], BOB: ["acme/web#code-2"]})
    a = schema.alerts
    async with engine.begin() as conn:
        await conn.execute(
            update(a)
            .where(a.c.number == 1)
            .values(security_severity="high", created_at=datetime(2026, 6, 1, tzinfo=UTC))
        )
        await conn.execute(
            update(a).where(a.c.number == 2).values(created_at=datetime(2026, 11, 12, tzinfo=UTC))
        )
    return campaign.number


async def dm_targets(jobs: ClockJobs) -> set[str | None]:
    return {n.target for n in await jobs.reminders(THREE_DAYS_BEFORE, write=False) if n.target}


async def test_without_limits_everyone_with_open_work_is_nudged(
    svc: CampaignService,
    assignments: AssignmentService,
    clock: FakeClock,
    inventory: AsyncEngine,
    jobs: ClockJobs,
) -> None:
    await arrange(svc, assignments, clock, inventory)
    assert {ALICE, BOB} <= await dm_targets(jobs)


async def test_limits_by_severity_and_by_age_leave_the_others_alone(
    svc: CampaignService,
    assignments: AssignmentService,
    clock: FakeClock,
    inventory: AsyncEngine,
    jobs: ClockJobs,
) -> None:
    number = await arrange(svc, assignments, clock, inventory)

    await svc.edit(MANAGER, str(number), EditRequest(nudge_severities="Critical"))
    critical_only = await dm_targets(jobs)
    await svc.edit(MANAGER, str(number), EditRequest(nudge_severities="", nudge_min_age_days=30))
    old_only = await dm_targets(jobs)

    assert BOB in critical_only and ALICE not in critical_only
    assert ALICE in old_only and BOB not in old_only


@pytest.mark.parametrize(
    ("fields", "field", "says"),
    [
        ({"nudge_severities": "urgent"}, "nudge_severities", "Unknown severity “urgent”"),
        ({"nudge_min_age_days": -3}, "nudge_min_age_days", "from 0 to 3650"),
        ({"reminder_days": "weekly"}, "reminder_days", "not a list of days"),
    ],
)
async def test_bad_reminder_settings_are_refused_on_their_field(
    svc: CampaignService,
    assignments: AssignmentService,
    clock: FakeClock,
    inventory: AsyncEngine,
    fields: dict[str, object],
    field: str,
    says: str,
) -> None:
    number = await arrange(svc, assignments, clock, inventory)

    with pytest.raises(CampaignError) as refused:
        await svc.edit(MANAGER, str(number), EditRequest(**fields))  # type: ignore[arg-type]

    assert refused.value.field == field and says in refused.value.message
    campaign = await svc.resolve(str(number))
    assert (campaign.nudge_severities, campaign.nudge_min_age_days) == (None, None)
