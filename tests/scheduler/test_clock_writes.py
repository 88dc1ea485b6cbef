"""The clock jobs on a real database: racing or dry runs never write a notice twice.

Unless a test says otherwise the campaign runs in UTC and is due on Wednesday 18 November 2026,
so its due-3 DMs go out on Friday 13 Nov at 09:00 UTC (see tests/scheduler/clock_support.py).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import date, timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.assignments.service import AssignmentService
from bot.campaigns.service import CampaignService
from bot.core.models import Campaign
from bot.core.settings import Settings
from bot.scheduler.jobs import ClockJobs
from store import outbox
from tests.scheduler.clock_support import ALICE, BOB, utc
from tests.scheduler.conftest import (
    CHANNEL,
    START,
    FakeClock,
    assign,
    create,
    scheduled,
    scheduled_keys,
)

# ---- writing once --------------------------------------------------------------------------


async def test_two_job_runs_at_once_write_each_notice_once(
    inventory: AsyncEngine,
    settings: Settings,
    svc: CampaignService,
    assignments: AssignmentService,
    clock: FakeClock,
) -> None:
    """Monday 16 November 09:00: due-0 in the channel, due-0 DMs and the week's digest, all at
    once; four runs race on one database (two replicas each running both jobs)."""
    monday = await create(svc, clock, START, due_date=date(2026, 11, 16), timezone="UTC")
    await assign(assignments, monday, {ALICE: ["acme/web#code-1"], BOB: ["acme/api#code-1"]})
    replicas = [
        ClockJobs(inventory, CampaignService(inventory, settings, clock=clock), settings)
        for _ in range(2)
    ]
    n = monday.number
    expected = {
        f"reminder:{n}:{CHANNEL}:due-0",
        f"dm:{ALICE}:2026-11-16",
        f"dm:{BOB}:2026-11-16",
        f"digest:{n}:{CHANNEL}:2026-W47",
    }
    for now in (utc(11, 16, 9), utc(11, 16, 9, 5), utc(11, 16, 10)):
        results = await asyncio.gather(
            *(job.reminders(now) for job in replicas), *(job.digest(now) for job in replicas)
        )
        written = [notice.key for result in results for notice in result]
        if now == utc(11, 16, 9):
            assert Counter(written) == Counter(expected)
        else:
            assert written == []
    async with inventory.connect() as conn:
        keys = [n.key for n in await outbox.all_notices(conn)]
    assert Counter(k for k in keys if k in expected) == Counter(expected)
    assert await scheduled_keys(inventory) == expected


async def test_write_false_lists_what_is_due_without_writing_it(
    inventory: AsyncEngine, svc: CampaignService, jobs: ClockJobs, campaign: Campaign
) -> None:
    wakes: list[None] = []
    svc.notices_written = lambda: wakes.append(None)
    friday = utc(11, 13, 9)

    listed = await jobs.reminders(friday, write=False)
    assert sorted(n.key for n in listed) == [f"dm:{ALICE}:2026-11-13", f"dm:{BOB}:2026-11-13"]
    assert await jobs.reminders(friday, write=False) == listed
    assert await scheduled(inventory) == []
    assert wakes == []

    written = await jobs.reminders(friday)
    assert [n.key for n in written] == [n.key for n in listed]
    assert await scheduled_keys(inventory) == {n.key for n in listed}
    assert len(wakes) == 1

    assert await jobs.reminders(friday, write=False) == []
    assert await jobs.reminders(friday + timedelta(hours=1)) == []
    assert len(wakes) == 1

    monday = utc(11, 16, 9)
    digest = await jobs.digest(monday, write=False)
    assert [n.key for n in digest] == [f"digest:{campaign.number}:{CHANNEL}:2026-W47"]
    assert await scheduled_keys(inventory) == {n.key for n in listed}
    assert [n.key for n in await jobs.digest(monday)] == [n.key for n in digest]
    assert await jobs.digest(monday, write=False) == []
