"""The playbooks world the checklist and exception tests (tests/playbooks/test_checklist_*.py,
test_exceptions_*.py) run in, over a real database (SQLite and PostgreSQL): the people, the
alerts, a secret and a code campaign with their assignments, a clock moved by hand, a recording
fake of the `AlertStates` port (GitHub), and how the tests read back what was stored and told.
Its fixtures (`world`, `checklist`, `exceptions`) are in tests/playbooks/conftest.py."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.assignments.service import AssignmentService
from bot.campaigns.requests import CreateRequest
from bot.campaigns.rules import parse_alert_ref
from bot.campaigns.service import CampaignService
from bot.core.errors import CampaignError
from bot.core.models import Alert, Campaign, CampaignAlert, Event
from bot.core.notices import Notice, NoticeKind
from bot.core.settings import Settings
from store import alerts, outbox, repositories
from store.schema import checklist_ticks
from tests.builders import code_alert, repo, secret_alert

ADMIN, MANAGER, DEV, OTHER = "UADMIN", "UMANAGER", "UDEV", "UOTHER"
CHANNEL = "C0SEC"
NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
DUE = date(2026, 12, 15)
WEB1, WEB2, API1 = "acme/web#secret-1", "acme/web#secret-2", "acme/api#secret-1"
CODE1 = "acme/web#code-1"


@dataclass
class FakeClock:
    """The services' clock: tests move `now` by hand."""

    now: datetime = NOW

    def __call__(self) -> datetime:
        return self.now


@dataclass
class RecordingStates:
    """The playbooks' `AlertStates` port as GitHub would answer: every call recorded; `refuse`
    makes the next calls raise the `CampaignError` GitHub's adapter raises on a refusal."""

    closed: list[tuple[str, str, str]] = field(default_factory=list)
    reopened: list[str] = field(default_factory=list)
    refuse: str | None = None
    updated_at: datetime | None = None
    """GitHub's `updated_at` in its answer (None: it gave none)."""

    async def close(self, alert: Alert, reason: str, comment: str) -> datetime | None:
        if self.refuse is not None:
            raise CampaignError(self.refuse)
        self.closed.append((alert.reference, reason, comment))
        return self.updated_at

    async def reopen(self, alert: Alert) -> datetime | None:
        if self.refuse is not None:
            raise CampaignError(self.refuse)
        self.reopened.append(alert.reference)
        return self.updated_at


@dataclass
class World:
    engine: AsyncEngine
    clock: FakeClock
    svc: CampaignService
    assignments: AssignmentService
    states: RecordingStates
    secrets: Campaign
    """Campaign #1: web#1 (assigned to DEV), web#2 (nobody's), api#1 (assigned to OTHER)."""
    code: Campaign
    """Campaign #2: web#1 (code, assigned to DEV), web#2 (code)."""


async def build_world(engine: AsyncEngine, settings: Settings) -> World:
    """The inventory, a secret campaign and a code campaign (created by ADMIN, managed by
    MANAGER, in UTC), and their assignments; the clock at NOW."""
    async with engine.begin() as conn:
        await repositories.upsert_many(conn, [repo("acme/web"), repo("acme/api")])
        await alerts.upsert_many(
            conn,
            [
                secret_alert("acme/web", 1, html_url="https://github.test/web/1"),
                secret_alert("acme/web", 2),
                secret_alert("acme/api", 1),
                code_alert("acme/web", 1),
                code_alert("acme/web", 2),
            ],
        )
    clock = FakeClock()
    svc = CampaignService(engine, settings, clock=clock)
    assignments = AssignmentService(svc)

    async def create(name: str, query: str) -> Campaign:
        request = CreateRequest(
            name=name,
            description="Clean them up.",
            due_date=DUE,
            manager=MANAGER,
            query=query,
            channel=CHANNEL,
            timezone="UTC",
        )
        return (await svc.create(ADMIN, request)).campaign

    secrets = await create("Leaked secrets", "is:open kind:secret")
    code = await create("Code alerts", "is:open kind:code")
    await assignments.assign(MANAGER, str(secrets.number), WEB1, DEV)
    await assignments.assign(MANAGER, str(secrets.number), API1, OTHER)
    await assignments.assign(MANAGER, str(code.number), CODE1, DEV)
    return World(engine, clock, svc, assignments, RecordingStates(), secrets, code)


async def stored_alert(engine: AsyncEngine, reference: str) -> Alert:
    """The alert as the database has it now."""
    async with engine.connect() as conn:
        [alert] = await alerts.find(conn, parse_alert_ref(reference))
    return alert


async def synced(engine: AsyncEngine, reference: str, state: str) -> None:
    """What a sync does when GitHub says the alert moved to `state`."""
    alert = await stored_alert(engine, reference)
    async with engine.begin() as conn:
        await alerts.upsert_many(conn, [alert.model_copy(update={"state": state, "id": None})])


async def notices(engine: AsyncEngine, kind: NoticeKind | None = None) -> list[Notice]:
    async with engine.connect() as conn:
        found = await outbox.all_notices(conn)
    return [n for n in found if kind is None or n.kind is kind]


async def history(svc: CampaignService, campaign: Campaign, prefix: str) -> list[Event]:
    return [e for e in await svc.history(campaign) if e.action.startswith(prefix)]


async def card_item(svc: CampaignService, campaign: Campaign, reference: str) -> CampaignAlert:
    page, _ = await svc.alerts(campaign, limit=50)
    [item] = [item for item in page if item.alert.reference == reference]
    return item


def as_utc(ticked: dict[str, tuple[str, datetime]]) -> dict[str, tuple[str, datetime]]:
    """The steps with their times read as UTC whichever way the store returned them (see
    `test_tick_times_come_back_in_utc` for how it should)."""
    return {
        step: (who, at.astimezone(UTC) if at.tzinfo else at.replace(tzinfo=UTC))
        for step, (who, at) in ticked.items()
    }


async def all_ticks(engine: AsyncEngine) -> list[tuple[int, str]]:
    """Every tick of every alert."""
    async with engine.connect() as conn:
        rows = await conn.execute(select(checklist_ticks.c.alert_id, checklist_ticks.c.step))
        return sorted((alert_id, step) for alert_id, step in rows)


@pytest.fixture
def checklist_settings() -> Settings:
    """The settings of the checklist tests: the admins, and no exception limits. Each checklist
    test module takes it as its `settings` (`settings = checklist_settings`), in place of the
    exception tests' one of tests/playbooks/conftest.py."""
    return Settings(_env_file=None, campaign_admins=f"{ADMIN},{MANAGER}")
