"""The leaked-secret checklist over a real database (SQLite and PostgreSQL): the assignee ticks
steps (each newly ticked or unticked step one event), everyone else and every closed thing is
refused with nothing stored, and the last step resolves the alert on GitHub (a recording fake
of the `AlertStates` port) before anything is kept locally."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.assignments.service import AssignmentService
from bot.campaigns.requests import CreateRequest
from bot.campaigns.rules import parse_alert_ref
from bot.campaigns.service import CampaignService
from bot.core.errors import CampaignError, Conflict, PermissionDenied
from bot.core.models import Alert, Campaign, CampaignAlert, Event
from bot.core.notices import Notice, NoticeKind
from bot.core.playbooks import ChecklistStep
from bot.core.settings import Settings
from bot.playbooks.checklist import MAX_COMMENT, ChecklistService
from bot.reports.digest import digest_facts
from store import alerts, outbox, repositories
from store import campaigns as campaign_store
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
def settings() -> Settings:
    return Settings(_env_file=None, campaign_admins=f"{ADMIN},{MANAGER}")


@pytest.fixture
async def world(engine: AsyncEngine, settings: Settings) -> World:
    return await build_world(engine, settings)


@pytest.fixture
def checklist(world: World) -> ChecklistService:
    return ChecklistService(world.assignments, world.states)


# ---- ticking ---------------------------------------------------------------------------------


async def test_the_assignee_ticks_steps_each_new_or_removed_one_an_event(
    world: World, checklist: ChecklistService
) -> None:
    number = str(world.secrets.number)

    added, removed = await checklist.set_steps(DEV, number, WEB1, ["active", "verify"])

    assert (added, removed) == ([ChecklistStep.VERIFY, ChecklistStep.ACTIVE], [])
    _, alert, ticked = await checklist.steps(number, WEB1)
    assert alert.reference == WEB1
    assert as_utc(ticked) == {"verify": (DEV, NOW), "active": (DEV, NOW)}

    world.clock.now = NOW + timedelta(hours=2)
    added, removed = await checklist.set_steps(DEV, number, WEB1, ["active", "revoke"])

    assert (added, removed) == ([ChecklistStep.REVOKE], [ChecklistStep.VERIFY])
    _, _, ticked = await checklist.steps(number, WEB1)
    assert as_utc(ticked) == {"active": (DEV, NOW), "revoke": (DEV, NOW + timedelta(hours=2))}
    events = await history(world.svc, world.secrets, "checklist_")
    assert [(e.action, e.actor, e.subject, e.before, e.after) for e in events] == [
        ("checklist_ticked", DEV, WEB1, None, {"step": "verify"}),
        ("checklist_ticked", DEV, WEB1, None, {"step": "active"}),
        ("checklist_ticked", DEV, WEB1, None, {"step": "revoke"}),
        ("checklist_unticked", DEV, WEB1, {"step": "verify"}, None),
    ]

    # The same boxes again (a second click, a re-submitted card): nothing new.
    assert await checklist.set_steps(DEV, number, WEB1, ["revoke", "active"]) == ([], [])
    assert len(await history(world.svc, world.secrets, "checklist_")) == 4
    _, _, again = await checklist.steps(number, WEB1)
    assert again == ticked

    item = await card_item(world.svc, world.secrets, WEB1)
    assert sorted(item.checklist) == ["active", "revoke"]
    assert (await card_item(world.svc, world.secrets, WEB2)).checklist == []
    progress = await world.svc.progress(world.secrets)
    facts = await digest_facts(world.engine, world.secrets, progress, world.clock.now)
    assert facts.checklist == {"active": 1, "revoke": 1}


async def test_tick_times_come_back_in_utc(world: World, checklist: ChecklistService) -> None:
    """Every store returns aware UTC datetimes (store.times.utc), on SQLite as on PostgreSQL."""
    await checklist.set_steps(DEV, str(world.secrets.number), WEB1, ["verify"])

    _, _, ticked = await checklist.steps(str(world.secrets.number), WEB1)

    who, at = ticked["verify"]
    assert who == DEV
    assert at.tzinfo is not None and at == NOW


async def test_unticking_everything_removes_every_step(
    world: World, checklist: ChecklistService
) -> None:
    number = str(world.secrets.number)
    await checklist.set_steps(DEV, number, WEB1, ["verify", "active", "revoke", "document"])

    added, removed = await checklist.set_steps(DEV, number, WEB1, [])

    assert added == []
    assert removed == [
        ChecklistStep.VERIFY,
        ChecklistStep.ACTIVE,
        ChecklistStep.REVOKE,
        ChecklistStep.DOCUMENT,
    ]
    assert await all_ticks(world.engine) == []
    unticked = await history(world.svc, world.secrets, "checklist_unticked")
    assert [e.before for e in unticked] == [
        {"step": "verify"},
        {"step": "active"},
        {"step": "revoke"},
        {"step": "document"},
    ]


# ---- refusals --------------------------------------------------------------------------------

Arrange = Callable[[World], Awaitable[None]]


async def nothing(world: World) -> None:
    del world


async def close_web1(world: World) -> None:
    await synced(world.engine, WEB1, "resolved")


async def close_campaign(world: World) -> None:
    await world.svc.close(MANAGER, str(world.secrets.number))


REFUSALS = [
    pytest.param(OTHER, 1, WEB1, ["verify"], nothing, PermissionDenied, "<@UDEV>'s", id="other"),
    pytest.param(
        MANAGER, 1, WEB1, ["verify"], nothing, PermissionDenied, "only they tick", id="manager"
    ),
    pytest.param(
        DEV, 1, WEB2, ["verify"], nothing, PermissionDenied, "Nobody has", id="unassigned"
    ),
    pytest.param(DEV, 2, CODE1, ["verify"], nothing, CampaignError, "code alerts", id="code-alert"),
    pytest.param(DEV, 1, WEB1, ["verify"], close_web1, Conflict, "already resolved", id="closed"),
    pytest.param(DEV, 1, WEB1, ["verify"], close_campaign, Conflict, "is closed", id="campaign"),
    pytest.param(
        DEV,
        1,
        WEB1,
        ["verify", "finish"],
        nothing,
        CampaignError,
        "“finish” is not a step",
        id="unknown-step",
    ),
    pytest.param(
        DEV,
        1,
        WEB1,
        ["verify", "resolve"],
        nothing,
        CampaignError,
        "with its form",
        id="resolve-step",
    ),
]


@pytest.mark.parametrize(
    ("actor", "campaign", "ref", "steps", "arrange", "error", "said"), REFUSALS
)
async def test_ticking_is_refused_with_a_reason_and_nothing_stored(
    world: World,
    checklist: ChecklistService,
    actor: str,
    campaign: int,
    ref: str,
    steps: list[str],
    arrange: Arrange,
    error: type[CampaignError],
    said: str,
) -> None:
    await arrange(world)
    number = str(world.secrets.number if campaign == 1 else world.code.number)

    with pytest.raises(error) as refused:
        await checklist.set_steps(actor, number, ref, steps)

    assert type(refused.value) is error
    assert said in refused.value.message
    assert await all_ticks(world.engine) == []
    for each in (world.secrets, world.code):
        assert await history(world.svc, each, "checklist_") == []


async def test_the_resolve_form_opens_only_for_the_assignee(
    world: World, checklist: ChecklistService
) -> None:
    number = str(world.secrets.number)

    alert = await checklist.resolvable(DEV, number, WEB1)

    assert alert.reference == WEB1
    with pytest.raises(PermissionDenied, match="UDEV"):
        await checklist.resolvable(OTHER, number, WEB1)
    with pytest.raises(PermissionDenied, match="Nobody has"):
        await checklist.resolvable(DEV, number, WEB2)


# ---- resolving -------------------------------------------------------------------------------


async def test_resolving_closes_on_github_then_locally_ticks_and_tells(
    world: World, checklist: ChecklistService
) -> None:
    number = str(world.secrets.number)
    async with world.engine.begin() as conn:  # the live card was posted
        await campaign_store.update_fields(
            conn,
            world.secrets.number,
            {"announce_channel": CHANNEL, "announce_ts": "1762074000.000100"},
        )
    await checklist.set_steps(DEV, number, WEB1, ["verify", "revoke"])
    cards_before = len(await notices(world.engine, NoticeKind.CARD))
    world.clock.now = resolved_at = NOW + timedelta(hours=3)
    world.states.updated_at = github_at = resolved_at - timedelta(seconds=5)

    returned = await checklist.resolve(
        DEV, number, WEB1, "revoked", "  Rotated the key; the old one is revoked.  "
    )

    assert returned.reference == WEB1
    assert world.states.closed == [(WEB1, "revoked", "Rotated the key; the old one is revoked.")]
    assert world.states.reopened == []
    stored = await stored_alert(world.engine, WEB1)
    assert (stored.state, stored.resolution, stored.is_open) == ("resolved", "revoked", False)
    assert stored.closed_at == github_at
    _, _, ticked = await checklist.steps(number, WEB1)
    assert as_utc(ticked)["resolve"] == (DEV, resolved_at)
    assert set(ticked) == {"verify", "revoke", "resolve"}
    [event] = await history(world.svc, world.secrets, "checklist_resolved")
    assert (event.actor, event.subject, event.at) == (DEV, WEB1, resolved_at)
    assert event.after == {
        "resolution": "revoked",
        "comment": "Rotated the key; the old one is revoked.",
    }
    # As alerts_changed does: the campaign counts it closed, its card is refreshed, the
    # assignee is told.
    progress = await world.svc.progress(world.secrets)
    assert (progress.counts.closed, progress.counts.total) == (1, 3)
    assert len(await notices(world.engine, NoticeKind.CARD)) == cards_before + 1
    statuses = await notices(world.engine, NoticeKind.STATUS)
    assert [(n.target, n.payload) for n in statuses] == [
        (DEV, {"alert": WEB1, "state": "resolved"})
    ]
    item = await card_item(world.svc, world.secrets, WEB1)
    assert item.alert.is_open is False and "resolve" in item.checklist
    facts = await digest_facts(world.engine, world.secrets, progress, resolved_at)
    assert facts.checklist == {}  # the digest counts steps of open alerts only
    # Done: the checklist of a resolved alert is closed.
    with pytest.raises(Conflict, match="already resolved"):
        await checklist.set_steps(DEV, number, WEB1, ["verify"])
    with pytest.raises(Conflict, match="already resolved"):
        await checklist.resolve(DEV, number, WEB1, "revoked", "again")
    assert len(world.states.closed) == 1


async def test_resolving_without_a_github_time_uses_the_clock(
    world: World, checklist: ChecklistService
) -> None:
    world.clock.now = NOW + timedelta(minutes=7)

    await checklist.resolve(DEV, str(world.secrets.number), WEB1, "used_in_tests", "")

    assert world.states.closed == [(WEB1, "used_in_tests", "")]
    stored = await stored_alert(world.engine, WEB1)
    assert (stored.resolution, stored.closed_at) == ("used_in_tests", NOW + timedelta(minutes=7))


@pytest.mark.parametrize(
    ("resolution", "comment", "field", "said"),
    [
        ("fixed", "Rotated.", "resolution", "Choose a resolution: revoked (rotated), false"),
        ("", "Rotated.", "resolution", "Choose a resolution"),
        ("revoked", "x" * (MAX_COMMENT + 1), "comment", f"({MAX_COMMENT + 1} now)"),
    ],
)
async def test_a_bad_resolution_or_comment_is_refused_on_its_field(
    world: World,
    checklist: ChecklistService,
    resolution: str,
    comment: str,
    field: str,
    said: str,
) -> None:
    number = str(world.secrets.number)

    with pytest.raises(CampaignError) as refused:
        await checklist.resolve(DEV, number, WEB1, resolution, comment)

    assert refused.value.field == field
    assert said in refused.value.message
    assert world.states.closed == []
    assert (await stored_alert(world.engine, WEB1)).is_open
    assert await all_ticks(world.engine) == []
    assert await history(world.svc, world.secrets, "checklist_") == []


async def test_a_comment_of_exactly_the_limit_is_kept_whole(
    world: World, checklist: ChecklistService
) -> None:
    comment = "y" * MAX_COMMENT

    await checklist.resolve(DEV, str(world.secrets.number), WEB1, "wont_fix", f"  {comment}\n")

    assert world.states.closed == [(WEB1, "wont_fix", comment)]


async def test_only_the_assignee_resolves_and_github_is_not_asked_otherwise(
    world: World, checklist: ChecklistService
) -> None:
    number = str(world.secrets.number)

    with pytest.raises(PermissionDenied, match="only they tick"):
        await checklist.resolve(OTHER, number, WEB1, "revoked", "Rotated.")
    with pytest.raises(PermissionDenied, match="Nobody has"):
        await checklist.resolve(DEV, number, WEB2, "revoked", "Rotated.")

    assert world.states.closed == []
    assert (await stored_alert(world.engine, WEB1)).is_open


async def test_a_github_refusal_keeps_nothing(world: World, checklist: ChecklistService) -> None:
    number = str(world.secrets.number)
    await checklist.set_steps(DEV, number, WEB1, ["verify"])
    world.states.refuse = f"GitHub refused to resolve {WEB1}: the alert is locked"

    with pytest.raises(CampaignError, match="the alert is locked"):
        await checklist.resolve(DEV, number, WEB1, "revoked", "Rotated.")

    stored = await stored_alert(world.engine, WEB1)
    assert (stored.state, stored.resolution, stored.is_open) == ("open", None, True)
    _, _, ticked = await checklist.steps(number, WEB1)
    assert set(ticked) == {"verify"}
    assert await history(world.svc, world.secrets, "checklist_resolved") == []
    assert (await world.svc.progress(world.secrets)).counts.closed == 0
    assert await notices(world.engine, NoticeKind.STATUS) == []

    # GitHub answers again: the same request goes through.
    world.states.refuse = None
    await checklist.resolve(DEV, number, WEB1, "revoked", "Rotated.")
    assert (await stored_alert(world.engine, WEB1)).state == "resolved"
