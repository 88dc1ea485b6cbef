"""The clock jobs on a real database: who gets a reminder DM.

Unless a test says otherwise the campaign runs in UTC, is launched on Monday 5 October 2026 and is
due on Wednesday 18 November, so (at 09:00 UTC) the DMs go out: due-3 falls on Sunday 15, so
Friday 13 Nov; due-0 Wednesday 18; overdue-7 Wednesday 25 (see tests/scheduler/clock_support.py).
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.assignments.service import AssignmentService
from bot.campaigns.service import CampaignService
from bot.core.models import Campaign
from bot.core.notices import NoticeKind
from bot.scheduler.jobs import ClockJobs
from store import alerts, preferences
from tests.builders import code_alert
from tests.scheduler.clock_support import ALICE, BOB, only, utc
from tests.scheduler.conftest import (
    CHANNEL,
    START,
    FakeClock,
    FakeZones,
    assign,
    create,
    scheduled,
    simulate,
)

CAROL = "UCAROL"


# ---- who gets a reminder DM ------------------------------------------------------------------


async def test_a_muted_person_gets_no_dm_until_they_turn_notices_back_on(
    inventory: AsyncEngine, jobs: ClockJobs, clock: FakeClock, campaign: Campaign
) -> None:
    async with inventory.begin() as conn:
        await preferences.set_notify(conn, ALICE, False, utc(11, 1))
    seen = await simulate(jobs, clock, utc(11, 12), utc(11, 20), digest=False)
    assert only(seen, "dm:") == {
        f"dm:{BOB}:2026-11-13": utc(11, 13, 9),
        f"dm:{BOB}:2026-11-18": utc(11, 18, 9),
    }

    async with inventory.begin() as conn:
        await preferences.set_notify(conn, ALICE, True, utc(11, 20))
    seen = await simulate(jobs, clock, utc(11, 20, 1), utc(11, 26), digest=False)
    assert only(seen, "dm:") == {
        f"dm:{ALICE}:2026-11-25": utc(11, 25, 9),
        f"dm:{BOB}:2026-11-25": utc(11, 25, 9),
    }


async def test_a_snoozed_person_gets_no_dm_until_the_next_slot_after_the_snooze(
    inventory: AsyncEngine, jobs: ClockJobs, clock: FakeClock, campaign: Campaign
) -> None:
    """Snoozed a week on Thursday 12 November at noon: Friday's and Wednesday's slots pass her
    by (Wednesday's window is over when the snooze ends on Thursday 19 at noon); the overdue
    slot on the 25th reaches her again."""
    async with inventory.begin() as conn:
        await preferences.snooze(conn, ALICE, utc(11, 19, 12), utc(11, 12, 12))
    seen = await simulate(jobs, clock, utc(11, 12, 12), utc(11, 26), digest=False)
    assert only(seen, "dm:") == {
        f"dm:{BOB}:2026-11-13": utc(11, 13, 9),
        f"dm:{BOB}:2026-11-18": utc(11, 18, 9),
        f"dm:{ALICE}:2026-11-25": utc(11, 25, 9),
        f"dm:{BOB}:2026-11-25": utc(11, 25, 9),
    }


async def test_a_snooze_holds_a_dm_back_until_it_ends_and_no_longer(
    inventory: AsyncEngine, jobs: ClockJobs, clock: FakeClock, campaign: Campaign
) -> None:
    """A snooze ending inside a slot's 24 h window: the slot reaches her at the first run after
    the snooze ends (the snooze means "no reminder DM before this moment")."""
    async with inventory.begin() as conn:
        await preferences.snooze(conn, ALICE, utc(11, 13, 10, 30), utc(11, 12, 10, 30))
    seen = await simulate(jobs, clock, utc(11, 13), utc(11, 14), digest=False)
    assert only(seen, "dm:") == {
        f"dm:{BOB}:2026-11-13": utc(11, 13, 9),
        f"dm:{ALICE}:2026-11-13": utc(11, 13, 11),
    }


async def test_only_people_with_open_or_in_progress_alerts_get_a_dm(
    inventory: AsyncEngine,
    jobs: ClockJobs,
    assignments: AssignmentService,
    clock: FakeClock,
    campaign: Campaign,
) -> None:
    # Carol's only alert gets fixed; Bob links a pull request: his alert is in progress.
    await assign(assignments, campaign, {CAROL: ["acme/web#code-3"]})
    async with inventory.begin() as conn:
        await alerts.upsert_many(
            conn, [code_alert("acme/web", 3, security_severity="critical", state="fixed")]
        )
    clock.now = utc(11, 12)
    await assignments.link_pull_request(
        BOB, str(campaign.number), "acme/web#code-2", "https://github.com/acme/web/pull/7"
    )

    written = await jobs.reminders(utc(11, 13, 9))
    dms = {n.target: n for n in written if n.kind is NoticeKind.REMINDER_DM}
    assert set(dms) == {ALICE, BOB}
    assert dms[ALICE].payload == {
        "day": "2026-11-13",
        "campaigns": [{"campaign": campaign.number, "slot": "due-3", "open": 1, "in_progress": 0}],
    }
    assert dms[BOB].payload["campaigns"] == [
        {"campaign": campaign.number, "slot": "due-3", "open": 0, "in_progress": 1}
    ]


async def test_nobody_is_reminded_of_an_alert_fixed_before_the_slot(
    inventory: AsyncEngine, jobs: ClockJobs, campaign: Campaign
) -> None:
    async with inventory.begin() as conn:
        await alerts.upsert_many(
            conn,
            [
                code_alert("acme/web", number, security_severity="critical", state="fixed")
                for number in (1, 2)
            ],
        )
    assert await jobs.reminders(utc(11, 13, 9)) == []
    # The channel still hears about the campaign (its other alerts are open).
    channel = await jobs.reminders(utc(11, 17, 9))
    assert [n.key for n in channel] == [f"reminder:{campaign.number}:{CHANNEL}:due-1"]


@pytest.mark.parametrize(
    ("zone", "nine_utc"),
    [("UTC", 9), ("Asia/Tokyo", 0), ("America/Los_Angeles", 17)],
)
async def test_one_dm_covers_two_campaigns_due_for_her_the_same_day(
    inventory: AsyncEngine,
    svc: CampaignService,
    assignments: AssignmentService,
    clock: FakeClock,
    zones: FakeZones,
    jobs: ClockJobs,
    zone: str,
    nine_utc: int,
) -> None:
    """Web is due on Sunday 15 (DMs: due-3 Thursday 12, due-0 moved to Friday 13), API on
    Monday 16 (due-3 Friday 13): on Friday one DM to Alice names both, at 09:00 in her zone."""
    zones.zones[ALICE] = zone
    web = await create(
        svc,
        clock,
        START,
        name="Web",
        query="repo:acme/web severity:critical is:open",
        due_date=date(2026, 11, 15),
        timezone="UTC",
    )
    api = await create(
        svc,
        clock,
        START,
        name="API",
        query="repo:acme/api severity:critical is:open",
        due_date=date(2026, 11, 16),
        timezone="UTC",
    )
    await assign(assignments, web, {ALICE: ["acme/web#code-1"], BOB: ["acme/web#code-2"]})
    await assign(assignments, api, {ALICE: ["acme/api#code-1", "acme/api#code-2"]})

    seen = await simulate(jobs, clock, utc(11, 11), utc(11, 15), digest=False)
    assert only(seen, f"dm:{ALICE}:") == {
        f"dm:{ALICE}:2026-11-12": utc(11, 12, nine_utc),
        f"dm:{ALICE}:2026-11-13": utc(11, 13, nine_utc),
    }
    assert only(seen, f"dm:{BOB}:") == {
        f"dm:{BOB}:2026-11-12": utc(11, 12, 9),
        f"dm:{BOB}:2026-11-13": utc(11, 13, 9),
    }
    written = await scheduled(inventory)
    dms = {n.key: n.payload["campaigns"] for n in written if n.kind is NoticeKind.REMINDER_DM}
    assert len(dms) == 4
    assert dms[f"dm:{ALICE}:2026-11-12"] == [
        {"campaign": web.number, "slot": "due-3", "open": 1, "in_progress": 0}
    ]
    assert dms[f"dm:{ALICE}:2026-11-13"] == [
        {"campaign": web.number, "slot": "due-0", "open": 1, "in_progress": 0},
        {"campaign": api.number, "slot": "due-3", "open": 2, "in_progress": 0},
    ]
    assert dms[f"dm:{BOB}:2026-11-13"] == [
        {"campaign": web.number, "slot": "due-0", "open": 1, "in_progress": 0}
    ]


async def test_dms_follow_each_persons_zone_and_default_to_the_campaigns(
    inventory: AsyncEngine,
    zones: FakeZones,
    jobs: ClockJobs,
    clock: FakeClock,
    campaign: Campaign,
) -> None:
    zones.zones[ALICE] = "Asia/Tokyo"
    seen = await simulate(jobs, clock, utc(11, 12), utc(11, 14), digest=False)
    assert only(seen, "dm:") == {
        f"dm:{ALICE}:2026-11-13": utc(11, 13, 0),
        f"dm:{BOB}:2026-11-13": utc(11, 13, 9),
    }
    # Everyone with work is asked about at once, once per run of the job.
    assert {tuple(people) for people in zones.asked} == {(ALICE, BOB)}
