"""Escalation paths (the seed's step 6.3): the job over a real database (once per rule and
subject, even when two runs race) and the Escalate button's rules."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.assignments.service import AssignmentService
from bot.campaigns.requests import CreateRequest
from bot.campaigns.rules import parse_alert_ref
from bot.campaigns.service import CampaignService
from bot.core.errors import Conflict, NotFound, PermissionDenied
from bot.core.models import Campaign
from bot.core.notices import Notice, NoticeKind
from bot.core.settings import Settings
from bot.playbooks import escalation as escalation_service
from bot.playbooks.escalation import EscalationService
from bot.playbooks.escalation_rules import BUILTIN, load_rules
from store import alerts, events, fix_links, outbox, repositories
from store import escalations as escalation_store
from tests.builders import repo, secret_alert
from tests.playbooks.escalation_support import (
    ADMIN,
    ADMINS,
    AWS_EXPERT,
    CHANNEL,
    DEV,
    EXPERTS,
    GH_EXPERT,
    GH_PAT,
    LEAD,
    MANAGER,
    PLATFORM,
    escalation_settings,
)

settings = escalation_settings
"""The admins and the leadership channel (the conftest's `settings` has exception limits)."""

START = datetime(2026, 10, 5, 18, 0, tzinfo=UTC)
DUE = date(2026, 11, 1)
WEB1, WEB2 = "acme/web#secret-1", "acme/web#secret-2"
API1, API2 = "acme/api#secret-1", "acme/api#secret-2"


@dataclass
class FakeClock:
    now: datetime = START

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def svc(engine: AsyncEngine, settings: Settings, clock: FakeClock) -> CampaignService:
    """web#1 active and leaked (AWS), web#2 active (GitHub), api#1 inactive and leaked, api#2
    active and leaked (GitHub), web#9 leaked but resolved; the platform team writes to web."""
    async with engine.begin() as conn:
        await repositories.upsert_many(conn, [repo("acme/web"), repo("acme/api")])
        await alerts.upsert_many(
            conn,
            [
                secret_alert("acme/web", 1, publicly_leaked=True, html_url="https://gh/1"),
                secret_alert("acme/web", 2, **GH_PAT),
                secret_alert("acme/api", 1, validity="inactive", publicly_leaked=True),
                secret_alert("acme/api", 2, publicly_leaked=True, **GH_PAT),
                secret_alert("acme/web", 9, publicly_leaked=True, state="resolved"),
            ],
        )
        await repositories.set_team_repositories(conn, "platform", "Platform", {"acme/web": "push"})
        await repositories.set_team_repositories(conn, "readers", "Readers", {"acme/api": "pull"})
    return CampaignService(engine, settings, clock=clock)


async def launch(svc: CampaignService, clock: FakeClock, at: datetime = START) -> Campaign:
    clock.now = at
    request = CreateRequest(
        name="Leaked secrets",
        description="Revoke them.",
        due_date=DUE,
        manager=MANAGER,
        query="is:open kind:secret",
        channel=CHANNEL,
        timezone="UTC",
    )
    return (await svc.create(ADMIN, request)).campaign


def escalations(
    svc: CampaignService, settings: Settings, tmp_path: Path, rules: str = ""
) -> EscalationService:
    path = tmp_path / "rules.toml"
    path.write_text(rules + EXPERTS)
    return EscalationService(svc, settings, load_rules(path, settings))


def sent(notices: list[Notice]) -> set[tuple[str, str | None]]:
    return {(str(n.payload.get("alert") or n.payload.get("repository")), n.target) for n in notices}


async def escalation_notices(engine: AsyncEngine) -> list[Notice]:
    async with engine.connect() as conn:
        return [n for n in await outbox.all_notices(conn) if n.kind is NoticeKind.ESCALATION]


# ---- the job -------------------------------------------------------------------------------


async def test_an_active_publicly_leaked_secret_escalates_once_to_leadership_and_its_expert(
    engine: AsyncEngine, svc: CampaignService, settings: Settings, clock: FakeClock, tmp_path: Path
) -> None:
    campaign = await launch(svc, clock)
    job = escalations(svc, settings, tmp_path)
    wakes: list[None] = []
    svc.notices_written = lambda: wakes.append(None)

    written = await job.run(START + timedelta(minutes=5))

    assert sent(written) == {(WEB1, LEAD), (WEB1, AWS_EXPERT), (API2, LEAD), (API2, GH_EXPERT)}
    n = campaign.number
    assert f"escalation:{n}:{LEAD}:{BUILTIN}:{WEB1}" in {notice.key for notice in written}
    payload = next(w for w in written if w.target == AWS_EXPERT).payload
    assert payload | {"alert_id": 0} == {
        "rule": BUILTIN,
        "subject": WEB1,
        "alert": WEB1,
        "alert_id": 0,
        "title": "AWS Access Key ID",
        "repository": "acme/web",
        "kind": "secret",
        "validity": "active",
        "publicly_leaked": True,
        "severity": None,
        "html_url": "https://gh/1",
        "reason": "the secret is active and publicly leaked",
        "actor": None,
        "to": [LEAD, AWS_EXPERT],
    }
    assert wakes == [None]
    assert await job.run(START + timedelta(minutes=10)) == []
    assert len(await escalation_notices(engine)) == 4
    async with engine.connect() as conn:
        rows = await escalation_store.all_escalations(conn)
        trail = [e for e in await events.for_campaign(conn, n) if e.action == "escalated"]
    assert {(row.rule, row.subject, row.actor) for row in rows} == {
        (BUILTIN, WEB1, "campaignbot"),
        (BUILTIN, API2, "campaignbot"),
    }
    assert {(e.subject, tuple(e.after["to"]), e.after["rule"]) for e in trail if e.after} == {
        (WEB1, (LEAD, AWS_EXPERT), BUILTIN),
        (API2, (LEAD, GH_EXPERT), BUILTIN),
    }


async def test_a_rule_query_on_repositories_selects_only_their_alerts(
    svc: CampaignService, settings: Settings, clock: FakeClock, tmp_path: Path
) -> None:
    await launch(svc, clock)
    job = escalations(
        svc,
        Settings(_env_file=None, campaign_admins=ADMINS),
        tmp_path,
        '[[rule]]\nname = "api"\nwhen = "repo:acme/api validity:active"\nto = ["manager"]\n',
    )
    assert sent(await job.run(START)) == {(API2, MANAGER)}


async def test_overdue_by_n_days_goes_to_the_manager(
    engine: AsyncEngine, svc: CampaignService, settings: Settings, clock: FakeClock, tmp_path: Path
) -> None:
    await launch(svc, clock)
    rules = '[[rule]]\nname = "late"\noverdue_days = 7\nto = ["manager"]\n'
    job = escalations(svc, Settings(_env_file=None, campaign_admins=ADMINS), tmp_path, rules)
    six_days = datetime(2026, 11, 7, 23, 0, tzinfo=UTC)

    assert await job.run(six_days) == []
    written = await job.run(six_days + timedelta(hours=2))
    again = await job.run(six_days + timedelta(days=3))

    assert sent(written) == {(WEB1, MANAGER), (WEB2, MANAGER), (API1, MANAGER), (API2, MANAGER)}
    assert written[0].payload["reason"] == "campaign #1 is 7 days past its due date (2026-11-01)"
    assert again == []


async def test_a_stalled_repository_goes_to_its_team_channel_once(
    engine: AsyncEngine, svc: CampaignService, settings: Settings, clock: FakeClock, tmp_path: Path
) -> None:
    await launch(svc, clock)
    rules = '[[rule]]\nname = "stalled"\nstalled_days = 14\nto = ["team"]\n'
    job = escalations(svc, Settings(_env_file=None, campaign_admins=ADMINS), tmp_path, rules)
    async with engine.begin() as conn:
        await fix_links.add(
            conn, await _id(conn, WEB2), "branch", "fix", None, START + timedelta(days=10)
        )

    assert await job.run(START + timedelta(days=13)) == []  # the campaign is too young
    assert await job.run(START + timedelta(days=20)) == []  # web had a fix 10 days ago
    written = await job.run(START + timedelta(days=25))
    again = await job.run(START + timedelta(days=40))

    # acme/api stalls too, but only a reading team knows it: nobody to tell, nothing recorded.
    assert [(n.key, n.payload["open"]) for n in written] == [
        (f"escalation:1:{PLATFORM}:stalled:1/acme/web", 2)
    ]
    assert written[0].payload["last_progress"] == (START + timedelta(days=10)).isoformat()
    assert again == []
    async with engine.connect() as conn:
        assert [row.subject for row in await escalation_store.all_escalations(conn)] == [
            "1/acme/web"
        ]


async def test_an_alert_in_two_campaigns_is_escalated_once_with_the_older(
    svc: CampaignService, settings: Settings, clock: FakeClock, tmp_path: Path
) -> None:
    await launch(svc, clock)
    await launch(svc, clock, START + timedelta(hours=1))
    job = escalations(svc, settings, tmp_path)
    listed = await job.run(START + timedelta(hours=2), write=False)
    written = await job.run(START + timedelta(hours=2))
    assert [n.key for n in listed] == [n.key for n in written]
    assert {(n.campaign_id, n.payload["alert"]) for n in written} == {(1, WEB1), (1, API2)}


async def test_a_closed_campaign_escalates_nothing(
    engine: AsyncEngine, svc: CampaignService, settings: Settings, clock: FakeClock, tmp_path: Path
) -> None:
    campaign = await launch(svc, clock)
    await svc.close(MANAGER, str(campaign.number))
    job = escalations(svc, settings, tmp_path)
    assert await job.run(START + timedelta(days=1)) == []
    assert await escalation_notices(engine) == []


async def test_a_dry_run_lists_what_would_be_escalated_and_writes_nothing(
    engine: AsyncEngine, svc: CampaignService, settings: Settings, clock: FakeClock, tmp_path: Path
) -> None:
    await launch(svc, clock)
    job = escalations(svc, settings, tmp_path)
    listed = await job.run(START, write=False)
    assert len(listed) == 4 and await escalation_notices(engine) == []
    assert [n.key for n in await job.run(START)] == [n.key for n in listed]


async def test_two_runs_racing_escalate_once(
    engine: AsyncEngine,
    svc: CampaignService,
    settings: Settings,
    clock: FakeClock,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two replicas (each its own services and connections) run the job at the same moment;
    both find the same escalations before either writes (a barrier makes sure of it)."""
    await launch(svc, clock)
    replicas = [
        escalations(CampaignService(engine, settings, clock=clock), settings, tmp_path)
        for _ in range(2)
    ]
    barrier = asyncio.Barrier(2)
    real_transaction = escalation_service.write_transaction

    @asynccontextmanager
    async def after_both_read(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
        await barrier.wait()
        async with real_transaction(engine) as conn:
            yield conn

    real_add, added = escalation_store.add, []

    async def add(conn: AsyncConnection, escalation: escalation_store.Escalation) -> bool:
        added.append(await real_add(conn, escalation))
        return added[-1]

    monkeypatch.setattr(escalation_service, "write_transaction", after_both_read)
    monkeypatch.setattr(escalation_store, "add", add)
    first = await asyncio.gather(*(job.run(START) for job in replicas))
    monkeypatch.undo()
    assert Counter(added) == {True: 2, False: 2}  # both tried; the primary key said no once
    later = await asyncio.gather(*(job.run(START) for job in replicas for _ in range(2)))

    keys = [n.key for result in first for n in result]
    assert len(keys) == len(set(keys)) == 4
    assert all(result == [] for result in later)
    async with engine.connect() as conn:
        assert len(await escalation_store.all_escalations(conn)) == 2
        trail = [e for e in await events.for_campaign(conn, 1) if e.action == "escalated"]
    assert len(trail) == 2
    assert Counter(n.target for n in await escalation_notices(engine)) == {
        LEAD: 2,
        AWS_EXPERT: 1,
        GH_EXPERT: 1,
    }


# ---- the Escalate button -------------------------------------------------------------------


async def test_the_escalate_button_tells_manager_experts_and_leadership_once(
    engine: AsyncEngine, svc: CampaignService, settings: Settings, clock: FakeClock, tmp_path: Path
) -> None:
    campaign = await launch(svc, clock)
    job = escalations(svc, settings, tmp_path)
    n = str(campaign.number)

    told = await job.escalate(ADMIN, n, WEB2)

    assert told == [MANAGER, GH_EXPERT, LEAD]
    keys = {x.key for x in await escalation_notices(engine)}
    assert keys == {f"escalation:1:{target}:manual:{WEB2}" for target in told}
    with pytest.raises(Conflict, match=f"already escalated by <@{ADMIN}> on 2026-10-05"):
        await job.escalate(MANAGER, n, "web#secret-2")
    # A rule may still escalate the same alert: the button is a rule of its own.
    assert (WEB1, LEAD) in sent(await job.run(START))


async def test_the_escalate_button_is_refused_when_it_cannot_help(
    engine: AsyncEngine, svc: CampaignService, settings: Settings, clock: FakeClock, tmp_path: Path
) -> None:
    campaign = await launch(svc, clock)
    n = str(campaign.number)
    job = escalations(svc, settings, tmp_path)
    with pytest.raises(PermissionDenied, match="Only people working on campaign #1"):
        await job.escalate(DEV, n, WEB1)
    await AssignmentService(svc).assign(MANAGER, n, API1, DEV)
    assert await job.escalate(DEV, n, WEB1) == [MANAGER, AWS_EXPERT, LEAD]  # now works on it

    async with engine.begin() as conn:
        await alerts.set_states(conn, [(await _id(conn, WEB2), "resolved", START)])
    with pytest.raises(Conflict, match="is already resolved"):
        await job.escalate(ADMIN, n, WEB2)
    with pytest.raises(NotFound, match="not in campaign #1"):
        await job.escalate(ADMIN, n, "acme/web#secret-9")
    bare = EscalationService(svc, Settings(_env_file=None, campaign_admins=ADMINS))
    with pytest.raises(Conflict, match="nobody to escalate to but you"):
        await bare.escalate(MANAGER, n, API1)
    await svc.close(MANAGER, n)
    with pytest.raises(Conflict, match="is closed"):
        await job.escalate(ADMIN, n, API2)


async def _id(conn: AsyncConnection, reference: str) -> int:
    [found] = await alerts.find(conn, parse_alert_ref(reference))
    return found.id or 0
