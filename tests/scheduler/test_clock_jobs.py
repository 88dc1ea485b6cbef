"""The clock jobs on a real database: who gets a reminder DM, where channel reminders go, and
that racing or dry runs never write a notice twice.

Unless a test says otherwise the campaign runs in UTC, is launched on Monday 5 October 2026 and is
due on Wednesday 18 November, so (at 09:00 UTC):
- channel reminders: due-7 Wednesday 11 Nov, due-1 Tuesday 17, due-0 Wednesday 18;
- DMs: due-3 falls on Sunday 15, so Friday 13 Nov; due-0 Wednesday 18; overdue-7 Wednesday 25.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.assignments.service import AssignmentService
from bot.campaigns.requests import EditRequest
from bot.campaigns.service import CampaignService
from bot.core.models import Campaign
from bot.core.notices import NoticeKind
from bot.core.settings import Settings
from bot.scheduler.jobs import ClockJobs
from store import alerts, outbox, preferences
from store import campaigns as campaign_store
from tests.builders import code_alert
from tests.scheduler.conftest import (
    CHANNEL,
    MANAGER,
    START,
    FakeClock,
    FakeZones,
    assign,
    create,
    scheduled,
    scheduled_keys,
    simulate,
)

ALICE = "UALICE"
BOB = "UBOB"
CAROL = "UCAROL"
DUE = date(2026, 11, 18)
REMINDER_CHANNEL = "C0REMIND"


def utc(month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


def only(seen: dict[str, datetime], prefix: str) -> dict[str, datetime]:
    return {key: at for key, at in seen.items() if key.startswith(prefix)}


@pytest.fixture
async def campaign(
    svc: CampaignService, assignments: AssignmentService, clock: FakeClock
) -> Campaign:
    launched = await create(svc, clock, START, due_date=DUE, timezone="UTC")
    await assign(assignments, launched, {ALICE: ["acme/web#code-1"], BOB: ["acme/web#code-2"]})
    return launched


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
