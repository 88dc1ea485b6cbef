"""The clock jobs on a real database: where channel reminders go, on or off, and what follows a
moved due date or the installation's timings.

Unless a test says otherwise the campaign runs in UTC, is launched on Monday 5 October 2026 and is
due on Wednesday 18 November, so (at 09:00 UTC) the channel is reminded: due-7 Wednesday 11 Nov,
due-1 Tuesday 17, due-0 Wednesday 18 (see tests/scheduler/clock_support.py).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.assignments.service import AssignmentService
from bot.campaigns.requests import EditRequest
from bot.campaigns.service import CampaignService
from bot.core.models import Campaign
from bot.core.settings import Settings
from bot.scheduler.jobs import ClockJobs
from store import campaigns as campaign_store
from tests.scheduler.clock_support import ALICE, BOB, DUE, only, utc
from tests.scheduler.conftest import (
    CHANNEL,
    MANAGER,
    START,
    FakeClock,
    assign,
    create,
    scheduled,
    simulate,
)

REMINDER_CHANNEL = "C0REMIND"


# ---- channel reminders: on or off, and where -------------------------------------------------


async def test_reminders_off_means_no_channel_reminder_but_dms_still_go(
    inventory: AsyncEngine,
    svc: CampaignService,
    assignments: AssignmentService,
    clock: FakeClock,
    jobs: ClockJobs,
    campaign: Campaign,
) -> None:
    other = await create(
        svc,
        clock,
        START,
        name="Other",
        query="repo:acme/api severity:critical is:open",
        due_date=DUE,
        timezone="UTC",
    )
    async with inventory.begin() as conn:
        await campaign_store.update_fields(conn, campaign.number, {"reminders": False})

    seen = await simulate(jobs, clock, utc(11, 10), utc(11, 19), digest=False)
    assert only(seen, "reminder:") == {
        f"reminder:{other.number}:{CHANNEL}:due-7": utc(11, 11, 9),
        f"reminder:{other.number}:{CHANNEL}:due-1": utc(11, 17, 9),
        f"reminder:{other.number}:{CHANNEL}:due-0": utc(11, 18, 9),
    }
    assert set(only(seen, "dm:")) == {
        f"dm:{ALICE}:2026-11-13",
        f"dm:{BOB}:2026-11-13",
        f"dm:{ALICE}:2026-11-18",
        f"dm:{BOB}:2026-11-18",
    }


async def test_the_reminder_channel_is_used_when_set(
    inventory: AsyncEngine, jobs: ClockJobs, clock: FakeClock, campaign: Campaign
) -> None:
    async with inventory.begin() as conn:
        await campaign_store.update_fields(
            conn, campaign.number, {"reminder_channel": REMINDER_CHANNEL}
        )
    seen = await simulate(jobs, clock, utc(11, 10), utc(11, 19))
    n = campaign.number
    assert only(seen, "reminder:") == {
        f"reminder:{n}:{REMINDER_CHANNEL}:due-7": utc(11, 11, 9),
        f"reminder:{n}:{REMINDER_CHANNEL}:due-1": utc(11, 17, 9),
        f"reminder:{n}:{REMINDER_CHANNEL}:due-0": utc(11, 18, 9),
    }
    # The digests stay in the campaign's channel (Monday 9's caught up at the first tick).
    assert only(seen, "digest:") == {
        f"digest:{n}:{CHANNEL}:2026-W46": utc(11, 10),
        f"digest:{n}:{CHANNEL}:2026-W47": utc(11, 16, 9),
    }
    targets = {n.key: n.target for n in await scheduled(inventory)}
    assert targets[f"reminder:{n}:{REMINDER_CHANNEL}:due-0"] == REMINDER_CHANNEL


async def test_a_campaign_without_a_channel_gets_reminders_only_in_its_reminder_channel(
    inventory: AsyncEngine,
    svc: CampaignService,
    assignments: AssignmentService,
    clock: FakeClock,
    jobs: ClockJobs,
) -> None:
    quiet = await create(svc, clock, START, channel=None, due_date=DUE, timezone="UTC")
    await assign(assignments, quiet, {ALICE: ["acme/web#code-1"]})
    seen = await simulate(jobs, clock, utc(11, 10), utc(11, 19))
    assert set(seen) == {f"dm:{ALICE}:2026-11-13", f"dm:{ALICE}:2026-11-18"}

    async with inventory.begin() as conn:
        await campaign_store.update_fields(
            conn, quiet.number, {"reminder_channel": REMINDER_CHANNEL}
        )
    seen = await simulate(jobs, clock, utc(11, 24), utc(11, 26))
    assert set(seen) == {
        f"reminder:{quiet.number}:{REMINDER_CHANNEL}:overdue-7",
        f"dm:{ALICE}:2026-11-25",
    }


async def test_a_campaigns_own_reminder_days(
    inventory: AsyncEngine, jobs: ClockJobs, clock: FakeClock, campaign: Campaign
) -> None:
    async with inventory.begin() as conn:
        await campaign_store.update_fields(conn, campaign.number, {"reminder_days": "3"})
    seen = await simulate(jobs, clock, utc(11, 1), utc(11, 26), digest=False)
    n = campaign.number
    assert only(seen, "reminder:") == {
        f"reminder:{n}:{CHANNEL}:due-3": utc(11, 15, 9),
        f"reminder:{n}:{CHANNEL}:overdue-7": utc(11, 25, 9),
    }


async def postpone(svc: CampaignService, clock: FakeClock, campaign: Campaign) -> None:
    """Run the first schedule through its due date (18 November), then move it two weeks."""
    clock.now = utc(11, 18, 12)
    edited = await svc.edit(MANAGER, str(campaign.number), EditRequest(due_date=date(2026, 12, 2)))
    assert edited.campaign.due_date == date(2026, 12, 2)


async def test_after_the_due_date_moves_dms_follow_the_new_date(
    svc: CampaignService, jobs: ClockJobs, clock: FakeClock, campaign: Campaign
) -> None:
    first = await simulate(jobs, clock, utc(11, 10), utc(11, 18, 11), digest=False)
    assert set(only(first, f"dm:{ALICE}:")) == {f"dm:{ALICE}:2026-11-13", f"dm:{ALICE}:2026-11-18"}
    await postpone(svc, clock, campaign)
    later = await simulate(jobs, clock, utc(11, 18, 12), utc(12, 3), digest=False)
    # New due date Wednesday 2 December: due-3 (Sunday 29) moves to Friday 27.
    assert only(later, f"dm:{ALICE}:") == {
        f"dm:{ALICE}:2026-11-27": utc(11, 27, 9),
        f"dm:{ALICE}:2026-12-02": utc(12, 2, 9),
    }


async def test_after_the_due_date_moves_the_channel_is_reminded_of_the_new_date(
    svc: CampaignService, jobs: ClockJobs, clock: FakeClock, campaign: Campaign
) -> None:
    first = await simulate(jobs, clock, utc(11, 10), utc(11, 18, 11), digest=False)
    assert sorted(only(first, "reminder:").values()) == [
        utc(11, 11, 9),
        utc(11, 17, 9),
        utc(11, 18, 9),
    ]
    await postpone(svc, clock, campaign)
    later = await simulate(jobs, clock, utc(11, 18, 12), utc(12, 3), digest=False)
    # 7 days before, 1 day before and on Wednesday 2 December, at 09:00 UTC.
    assert sorted(only(later, "reminder:").values()) == [
        utc(11, 25, 9),
        utc(12, 1, 9),
        utc(12, 2, 9),
    ]


async def test_the_installations_timings_reach_the_jobs(
    inventory: AsyncEngine, svc: CampaignService, clock: FakeClock, campaign: Campaign
) -> None:
    """REMINDER_HOUR=8, REMINDER_DAYS=2, DIGEST_DAY=wednesday, DIGEST_HOUR=14."""
    settings = Settings(
        campaign_admins=MANAGER,
        reminder_days="2",
        reminder_hour=8,
        digest_day="wednesday",
        digest_hour=14,
    )
    jobs = ClockJobs(inventory, svc, settings, clock=clock)
    seen = await simulate(jobs, clock, utc(11, 10), utc(11, 19))
    n = campaign.number
    assert only(seen, "reminder:") == {
        f"reminder:{n}:{CHANNEL}:due-2": utc(11, 16, 8),
    }
    assert only(seen, "digest:") == {
        f"digest:{n}:{CHANNEL}:2026-W46": utc(11, 11, 14),
        f"digest:{n}:{CHANNEL}:2026-W47": utc(11, 18, 14),
    }
    assert only(seen, "dm:") == {
        f"dm:{ALICE}:2026-11-13": utc(11, 13, 8),
        f"dm:{BOB}:2026-11-13": utc(11, 13, 8),
        f"dm:{ALICE}:2026-11-18": utc(11, 18, 8),
        f"dm:{BOB}:2026-11-18": utc(11, 18, 8),
    }
