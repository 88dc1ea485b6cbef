"""Fixtures of the clock-job tests: a small inventory, a campaign service on a fake clock, the
campaign of tests/scheduler/test_clock_*.py, and helpers to create campaigns, assign alerts and
read the reminder keys from the outbox."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.assignments.service import AssignmentService
from bot.campaigns.requests import CreateRequest
from bot.campaigns.service import CampaignService
from bot.core.models import Campaign
from bot.core.notices import Notice, NoticeKind
from bot.core.settings import Settings
from bot.scheduler.jobs import ClockJobs
from store import alerts, outbox, repositories
from tests.builders import code_alert, repo
from tests.scheduler.clock_support import ALICE, BOB, DUE

ADMIN = "UADMIN"
MANAGER = "UMANAGER"
CHANNEL = "C0SEC"
START = datetime(2026, 10, 5, 18, 0, tzinfo=UTC)
"""Where the fake clock starts: Monday 5 October 2026, 11:00 in Los Angeles."""

SCHEDULED = frozenset({NoticeKind.REMINDER, NoticeKind.REMINDER_DM, NoticeKind.DIGEST})
"""The notices the clock jobs write (launch notices written by `create` are left out)."""


@dataclass
class FakeClock:
    """The services' clock: tests move `now` by hand."""

    now: datetime = START

    def __call__(self) -> datetime:
        return self.now


@dataclass
class FakeZones:
    """Slack's time zones: a fixed map; anyone else is unknown (the campaign's zone applies)."""

    zones: dict[str, str] = field(default_factory=dict)
    asked: list[list[str]] = field(default_factory=list)
    """Each question: the people asked about, at once."""

    async def timezones_of(self, user_ids: Sequence[str]) -> dict[str, str]:
        self.asked.append(list(user_ids))
        return {user: self.zones[user] for user in user_ids if user in self.zones}


@pytest.fixture
def settings() -> Settings:
    return Settings(campaign_admins=f"{ADMIN},{MANAGER}", max_active_campaigns=10)


@pytest.fixture
async def inventory(engine: AsyncEngine) -> AsyncEngine:
    """Two repositories with open critical alerts (web#1-4, api#1-2) and a fixed one."""
    async with engine.begin() as conn:
        await repositories.upsert_many(
            conn,
            [
                repo("acme/web", pushed_at=datetime(2026, 9, 30, tzinfo=UTC)),
                repo("acme/api", pushed_at=datetime(2026, 9, 1, tzinfo=UTC)),
            ],
        )
        await alerts.upsert_many(
            conn,
            [
                code_alert("acme/web", 1, security_severity="critical"),
                code_alert("acme/web", 2, security_severity="critical"),
                code_alert("acme/web", 3, security_severity="critical"),
                code_alert("acme/web", 4, security_severity="critical"),
                code_alert("acme/api", 1, security_severity="critical"),
                code_alert("acme/api", 2, security_severity="critical"),
                code_alert("acme/web", 9, security_severity="critical", state="fixed"),
            ],
        )
    return engine


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def svc(inventory: AsyncEngine, settings: Settings, clock: FakeClock) -> CampaignService:
    return CampaignService(inventory, settings, clock=clock)


@pytest.fixture
def assignments(svc: CampaignService) -> AssignmentService:
    """No GitHub gate: managers may assign anyone."""
    return AssignmentService(svc)


@pytest.fixture
def zones() -> FakeZones:
    return FakeZones()


@pytest.fixture
def jobs(
    inventory: AsyncEngine,
    svc: CampaignService,
    settings: Settings,
    zones: FakeZones,
    clock: FakeClock,
) -> ClockJobs:
    return ClockJobs(inventory, svc, settings, zones, clock=clock)


def request(**fields: object) -> CreateRequest:
    values: dict[str, object] = {
        "name": "Critical alerts",
        "description": "Fix every critical alert before the audit.",
        "due_date": date(2026, 11, 1),
        "manager": MANAGER,
        "query": "is:open severity:critical",
        "channel": CHANNEL,
        "timezone": "America/Los_Angeles",
    }
    values.update(fields)
    return CreateRequest(**values)


async def create(
    svc: CampaignService, clock: FakeClock, at: datetime, **fields: object
) -> Campaign:
    """A campaign created at `at` (its `created_at`); the clock is left there."""
    clock.now = at
    return (await svc.create(MANAGER, request(**fields))).campaign


async def assign(
    assignments: AssignmentService, campaign: Campaign, people: dict[str, list[str]]
) -> None:
    """`{"UALICE": ["acme/web#code-1"], …}`, assigned by the campaign's manager."""
    for person, refs in people.items():
        for ref in refs:
            await assignments.assign(MANAGER, str(campaign.number), ref, person)


async def scheduled(engine: AsyncEngine) -> list[Notice]:
    """The outbox rows written by the clock jobs, oldest first."""
    async with engine.connect() as conn:
        return [n for n in await outbox.all_notices(conn) if n.kind in SCHEDULED]


async def scheduled_keys(engine: AsyncEngine) -> set[str]:
    return {notice.key for notice in await scheduled(engine)}


HOUR = timedelta(hours=1)


async def step(
    jobs: ClockJobs, clock: FakeClock, now: datetime, *, digest: bool = True
) -> list[str]:
    """One scheduler tick at `now`: the jobs, writing; the keys they report as newly written."""
    clock.now = now
    written = await jobs.reminders(now)
    if digest:
        written += await jobs.digest(now)
    return [notice.key for notice in written]


async def simulate(
    jobs: ClockJobs,
    clock: FakeClock,
    start: datetime,
    end: datetime,
    seen: dict[str, datetime] | None = None,
    *,
    digest: bool = True,
) -> dict[str, datetime]:
    """Tick every hour from `start` to `end` (inclusive); `seen` (returned) maps each key
    written to the hour it was first written. A key reported twice fails the test."""
    seen = {} if seen is None else seen
    now = start
    while now <= end:
        for key in await step(jobs, clock, now, digest=digest):
            assert key not in seen, f"{key} written again at {now}, first at {seen.get(key)}"
            seen[key] = now
        now += HOUR
    return seen


@pytest.fixture
async def campaign(
    svc: CampaignService, assignments: AssignmentService, clock: FakeClock
) -> Campaign:
    """Launched on Monday 5 October 2026, due on Wednesday 18 November, in UTC; Alice holds
    acme/web#code-1 and Bob acme/web#code-2 (tests/scheduler/clock_support.py)."""
    launched = await create(svc, clock, START, due_date=DUE, timezone="UTC")
    await assign(assignments, launched, {ALICE: ["acme/web#code-1"], BOB: ["acme/web#code-2"]})
    return launched
