"""Six weeks of one campaign, hour by hour, through the real clock jobs and the real outbox.

The campaign is launched on Monday 5 October 2026 at 11:00 in Los Angeles, due Sunday 1 November
(four weeks later, so the six weeks end two weeks overdue). Two people in other zones hold its
alerts: one in Paris, one in New York. Every zone changes from summer time within these weeks
(Paris on 25 October, Los Angeles and New York on 1 November), so each expectation below is an
instant in UTC that has to follow its own zone's change.

Each step asks `reminders(now)` and `digest(now)` with `write=True`, as the running bot does every
few minutes; the outbox keys make a later step's repeat of a due slot a no-op, so the tests assert
the exact set of keys written and the hour each first appeared.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.assignments.service import AssignmentService
from bot.campaigns.service import CampaignService
from bot.core.models import Campaign
from bot.core.notices import NoticeKind
from bot.scheduler.jobs import ClockJobs
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
    step,
)

PARIS = "UPARIS"
NEW_YORK = "UNEWYORK"
CAMPAIGN_ZONE = "America/Los_Angeles"
DUE = date(2026, 11, 1)
END = START + timedelta(weeks=6)
"""Monday 16 November 2026, 18:00 UTC."""


def utc(month: int, day: int, hour: int) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


def expected_keys(number: int) -> dict[str, datetime]:
    """Every key the six weeks write, and the hour (UTC) it first appears."""
    return {
        # Channel reminders, 09:00 in Los Angeles: PDT (UTC-7) until 1 November, then PST.
        f"reminder:{number}:{CHANNEL}:due-7": utc(10, 25, 16),  # Sunday
        f"reminder:{number}:{CHANNEL}:due-1": utc(10, 31, 16),  # Saturday
        f"reminder:{number}:{CHANNEL}:due-0": utc(11, 1, 17),  # Sunday, the first PST morning
        f"reminder:{number}:{CHANNEL}:overdue-7": utc(11, 8, 17),
        f"reminder:{number}:{CHANNEL}:overdue-14": utc(11, 15, 17),
        # Paris (CET, UTC+1, since 25 October): due-3 Thursday; due-0 is a Sunday, so Friday;
        # overdue Sundays move to Fridays too.
        f"dm:{PARIS}:2026-10-29": utc(10, 29, 8),
        f"dm:{PARIS}:2026-10-30": utc(10, 30, 8),
        f"dm:{PARIS}:2026-11-06": utc(11, 6, 8),
        f"dm:{PARIS}:2026-11-13": utc(11, 13, 8),
        # New York: EDT (UTC-4) until 1 November, then EST (UTC-5).
        f"dm:{NEW_YORK}:2026-10-29": utc(10, 29, 13),
        f"dm:{NEW_YORK}:2026-10-30": utc(10, 30, 13),
        f"dm:{NEW_YORK}:2026-11-06": utc(11, 6, 14),
        f"dm:{NEW_YORK}:2026-11-13": utc(11, 13, 14),
        # Digests: every Monday 09:00 in Los Angeles; launch day's (2026-W41) was before launch.
        f"digest:{number}:{CHANNEL}:2026-W42": utc(10, 12, 16),
        f"digest:{number}:{CHANNEL}:2026-W43": utc(10, 19, 16),
        f"digest:{number}:{CHANNEL}:2026-W44": utc(10, 26, 16),
        f"digest:{number}:{CHANNEL}:2026-W45": utc(11, 2, 17),
        f"digest:{number}:{CHANNEL}:2026-W46": utc(11, 9, 17),
        f"digest:{number}:{CHANNEL}:2026-W47": utc(11, 16, 17),
    }


@pytest.fixture
def zones() -> FakeZones:
    return FakeZones({PARIS: "Europe/Paris", NEW_YORK: "America/New_York"})


@pytest.fixture
async def campaign(
    svc: CampaignService, assignments: AssignmentService, clock: FakeClock
) -> Campaign:
    launched = await create(svc, clock, START, due_date=DUE, timezone=CAMPAIGN_ZONE)
    assert launched.created_at == START
    await assign(
        assignments,
        launched,
        {PARIS: ["acme/web#code-1", "acme/web#code-2"], NEW_YORK: ["acme/api#code-1"]},
    )
    return launched


async def test_six_weeks_hour_by_hour_write_exactly_the_expected_notices(
    inventory: AsyncEngine, jobs: ClockJobs, clock: FakeClock, campaign: Campaign
) -> None:
    """1009 ticks: five channel reminders, four DMs each for two people, six digests."""
    seen = await simulate(jobs, clock, START, END)

    expected = expected_keys(campaign.number)
    assert seen == expected
    assert await scheduled_keys(inventory) == set(expected)

    # The same run read as people see it: each notice at 09:00 in its reader's zone.
    written = await scheduled(inventory)
    home = ZoneInfo(CAMPAIGN_ZONE)
    person_zone = {PARIS: ZoneInfo("Europe/Paris"), NEW_YORK: ZoneInfo("America/New_York")}
    for notice in written:
        if notice.kind is NoticeKind.REMINDER_DM:
            assert notice.target is not None
            local = notice.created_at.astimezone(person_zone[notice.target])
            assert local.weekday() < 5, notice.key
            assert local.date().isoformat() == notice.payload["day"]
        else:
            local = notice.created_at.astimezone(home)
            assert notice.target == CHANNEL
        assert local.time() == time(9, 0), notice.key
        if notice.kind is NoticeKind.DIGEST:
            assert local.weekday() == 0
        if notice.kind is NoticeKind.REMINDER:
            assert (local.date() - DUE).days in (-7, -1, 0, 7, 14)

    dms = {n.key: n.payload["campaigns"] for n in written if n.kind is NoticeKind.REMINDER_DM}
    number = campaign.number
    for day, slot in [
        ("2026-10-29", "due-3"),
        ("2026-10-30", "due-0"),
        ("2026-11-06", "overdue-7"),
        ("2026-11-13", "overdue-14"),
    ]:
        assert dms[f"dm:{PARIS}:{day}"] == [
            {"campaign": number, "slot": slot, "open": 2, "in_progress": 0}
        ]
        assert dms[f"dm:{NEW_YORK}:{day}"] == [
            {"campaign": number, "slot": slot, "open": 1, "in_progress": 0}
        ]


RESTARTS = [
    pytest.param(
        [
            # Up on Saturday morning: Friday's DMs (08:00 and 13:00 UTC) are < 24 h old.
            (utc(10, 31, 6), {f"dm:{PARIS}:2026-10-30", f"dm:{NEW_YORK}:2026-10-30"}),
            # Down 30 h across due-1 (Saturday 16:00 UTC); back 20 h after it: sent, once.
            (utc(11, 1, 12), {"reminder:{n}:{c}:due-1"}),
            (utc(11, 1, 13), set()),
            (utc(11, 1, 17), {"reminder:{n}:{c}:due-0"}),
            (utc(11, 1, 18), set()),
        ],
        id="down-30h-across-due-1",
    ),
    pytest.param(
        [
            (utc(10, 31, 6), {f"dm:{PARIS}:2026-10-30", f"dm:{NEW_YORK}:2026-10-30"}),
            # Down 48 h across due-1 and due-0: only due-0, never the stale "1 day left".
            (utc(11, 2, 6), {"reminder:{n}:{c}:due-0"}),
            (utc(11, 2, 7), set()),
        ],
        id="down-48h-across-due-1-and-due-0",
    ),
    pytest.param(
        [
            # Down from before due-7 until 25 h after it: due-7 is gone for good.
            (utc(10, 25, 10), set()),
            (utc(10, 26, 17), {"digest:{n}:{c}:2026-W44"}),
            (utc(10, 26, 18), set()),
            # Down over Monday's digest (17:00 UTC): caught up 47 h later, once.
            (utc(11, 4, 16), {"digest:{n}:{c}:2026-W45"}),
            (utc(11, 4, 17), set()),
        ],
        id="catch-up-windows",
    ),
    pytest.param(
        [
            # 49 h after Monday's digest (16:00 UTC): too late for it.
            (utc(10, 28, 17), set()),
            # Down across every slot of a week: back 49 h after the digest, 3 days after due-0.
            (utc(11, 4, 18), set()),
            (utc(11, 5, 18), set()),
            # Friday's overdue DMs arrive on time.
            (utc(11, 6, 8), {f"dm:{PARIS}:2026-11-06"}),
            (utc(11, 6, 14), {f"dm:{NEW_YORK}:2026-11-06"}),
        ],
        id="down-past-every-window",
    ),
]


@pytest.mark.parametrize("runs", RESTARTS)
async def test_a_job_that_was_down_catches_up_only_the_latest_slot_once(
    inventory: AsyncEngine,
    jobs: ClockJobs,
    clock: FakeClock,
    campaign: Campaign,
    runs: list[tuple[datetime, set[str]]],
) -> None:
    written: set[str] = set()
    for now, expected in runs:
        wanted = {key.format(n=campaign.number, c=CHANNEL) for key in expected}
        new = await step(jobs, clock, now)
        assert sorted(new) == sorted(wanted), now
        written |= wanted
    assert await scheduled_keys(inventory) == written


async def test_closing_the_campaign_stops_every_notice_after(
    inventory: AsyncEngine,
    svc: CampaignService,
    jobs: ClockJobs,
    clock: FakeClock,
    campaign: Campaign,
) -> None:
    closed_at = utc(10, 31, 20)  # after due-1, before due-0
    seen = await simulate(jobs, clock, START, closed_at)
    expected = {key: at for key, at in expected_keys(campaign.number).items() if at <= closed_at}
    assert seen == expected

    clock.now = closed_at + timedelta(minutes=30)
    await svc.close(MANAGER, str(campaign.number))
    # due-0's and Monday's slots, which an active campaign would get:
    assert await jobs.reminders(utc(11, 1, 17), write=False) == []
    assert await jobs.digest(utc(11, 2, 17), write=False) == []

    await simulate(jobs, clock, closed_at + timedelta(hours=1), END, seen)
    assert seen == expected
    assert await scheduled_keys(inventory) == set(expected)
