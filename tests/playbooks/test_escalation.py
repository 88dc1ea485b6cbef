"""Escalation paths (the seed's step 6.3): the rules file and its mistakes, the job over a real
database (once per rule and subject, even when two runs race), the Escalate button's rules, and
`campaignbot jobs run escalations` on the command line."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.assignments.service import AssignmentService
from bot.campaigns.requests import CreateRequest
from bot.campaigns.rules import parse_alert_ref
from bot.campaigns.service import CampaignService
from bot.core.errors import Conflict, NotFound, PermissionDenied
from bot.core.models import Campaign
from bot.core.notices import Notice, NoticeKind
from bot.core.query.ast import QueryError
from bot.core.query.parser import parse
from bot.core.settings import Settings
from bot.playbooks import escalation as escalation_service
from bot.playbooks.escalation import EscalationService
from bot.playbooks.escalation_rules import (
    BUILTIN,
    EscalationRulesError,
    load_rules,
    rules_problems,
)
from bot.runtime.lifespan import StartupError, serve
from store import alerts, events, fix_links, outbox, repositories
from store import escalations as escalation_store
from store.engine import create_engine
from tests.builders import repo, secret_alert
from tests.commands.conftest import seed
from tests.delivery.test_cli_delivery import Cli
from tests.fakes.slack import FakeSlack

ADMIN, MANAGER, DEV = "UADMIN", "UMANAGER", "UDEV"
ADMINS = f"{ADMIN},{MANAGER}"
CHANNEL, LEAD, PLATFORM = "C0SEC", "C0LEAD", "C0PLATFORM"
AWS_EXPERT, GH_EXPERT = "UAWSEXPERT", "UGHEXPERT"
START = datetime(2026, 10, 5, 18, 0, tzinfo=UTC)
DUE = date(2026, 11, 1)
WEB1, WEB2 = "acme/web#secret-1", "acme/web#secret-2"
API1, API2 = "acme/api#secret-1", "acme/api#secret-2"
GH_PAT: dict[str, Any] = {
    "secret_type": "github_personal_access_token",
    "secret_type_display_name": "GitHub Personal Access Token",
    "provider": "GitHub",
    "provider_slug": "github",
}
EXPERTS = f"""
[experts]
aws = ["{AWS_EXPERT}"]
github_personal_access_token = ["{GH_EXPERT}"]

[teams]
platform = "{PLATFORM}"
"""


@dataclass
class FakeClock:
    now: datetime = START

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def settings() -> Settings:
    return Settings(_env_file=None, campaign_admins=ADMINS, escalation_channel=LEAD)


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


# ---- the rules file ------------------------------------------------------------------------


def rules_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "escalation.toml"
    path.write_text(text)
    return path


def test_a_rules_file_reads_rules_experts_and_teams_with_the_built_in_rule(
    tmp_path: Path, settings: Settings
) -> None:
    path = rules_file(
        tmp_path,
        '[[rule]]\nname = "late"\noverdue_days = 7\nto = ["manager", "U0BOSS"]\n'
        '[[rule]]\nname = "stalled"\nstalled_days = 14\nto = ["team"]\n' + EXPERTS,
    )
    loaded = load_rules(path, settings)
    assert [rule.name for rule in loaded.rules] == [BUILTIN, "late", "stalled"]
    builtin = loaded.rules[0]
    assert builtin.to == (LEAD, "experts") and builtin.query == parse(builtin.when or "")
    assert loaded.rules[2].about_repositories and loaded.leadership == LEAD
    assert loaded.experts_for(secret_alert(provider_slug="amazon_aws")) == [AWS_EXPERT]
    assert loaded.experts_for(secret_alert(**GH_PAT)) == [GH_EXPERT]
    assert loaded.team_channels(["Platform", "readers"]) == [PLATFORM]

    assert load_rules(None, Settings(_env_file=None)).rules == ()
    replaced = rules_file(
        tmp_path, f'[[rule]]\nname = "{BUILTIN}"\nwhen = "is:open"\nto = ["C0ONE"]'
    )
    assert [rule.to for rule in load_rules(replaced, settings).rules] == [("C0ONE",)]


BAD_RULES = [
    ('[[rule]]\nname = "x"\nwhen = "severity:urgent"\nto = ["C0ONE"]', "rule “x”: when: "),
    ('[[rule]]\nname = "x"\nwhen = "is:open\nto = ["C0ONE"]', "not valid TOML: "),
    ('[[rule]]\nname = "x"\nwhen = "is:open"\nto = ["#security"]', "“#security” is not a chan"),
    ('[[rule]]\nname = "x"\nwhen = "is:open"\nto = []', "rule “x”: to: List should have"),
    ('[[rule]]\nname = "x"\nwhen = "is:open"\nto = ["C0ONE"]\nsoon = 1', "soon: unknown field"),
    ('[[rule]]\nname = "x"\nto = ["C0ONE"]', "give it a condition"),
    (
        '[[rule]]\nname = "x"\nstalled_days = 3\nwhen = "is:open"\nto = ["C0ONE"]',
        "a rule of its own",
    ),
    ('[[rule]]\nname = "x"\nstalled_days = 3\nto = ["experts"]', "a stalled repository has none"),
    ('[[rule]]\nname = "x"\noverdue_days = 0\nto = ["C0ONE"]', "overdue_days: Input should be"),
    ('[[rule]]\nname = "x"\nwhen = "is:open"\nto = ["team"]', "needs a [teams] table"),
    ('[[rule]]\nname = "manual"\nwhen = "is:open"\nto = ["C0ONE"]', "reserved"),
    ('[[rule]]\nname = "a b"\nwhen = "is:open"\nto = ["C0ONE"]', "rule “a b”: name: "),
    (
        '[[rule]]\nname="x"\nwhen="is:open"\nto=["C0ONE"]\n[[rule]]\nname="x"\nwhen="is:open"\nto=["C0ONE"]',
        "rule “x”: two rules have this name",
    ),
    ('rule = "x"', "write each rule as a [[rule]] table"),
    ('[rules]\nname = "x"', "unknown table “rules”"),
    ('[experts]\naws = ["alice"]', "experts: aws: “alice” is not"),
    ('[experts]\naws = "U0ONE"', "experts.aws: Input should be a valid list"),
    ('[teams]\nplatform = "U0ONE"', "teams: platform: “U0ONE” is not a channel ID"),
]


@pytest.mark.parametrize(("text", "said"), BAD_RULES)
def test_a_bad_rules_file_is_refused_naming_the_file_the_rule_and_the_problem(
    tmp_path: Path, settings: Settings, text: str, said: str
) -> None:
    path = rules_file(tmp_path, text)
    with pytest.raises(EscalationRulesError) as refused:
        load_rules(path, settings)
    assert refused.value.message.startswith(f"{path}: ") and said in refused.value.message
    assert "\n" not in refused.value.message


def test_the_query_languages_own_message_and_the_toml_line_are_kept(
    tmp_path: Path, settings: Settings
) -> None:
    with pytest.raises(QueryError) as parsed:
        parse("severity:urgent")
    path = rules_file(tmp_path, '[[rule]]\nname = "x"\nwhen = "severity:urgent"\nto = ["C0ONE"]')
    with pytest.raises(EscalationRulesError) as refused:
        load_rules(path, settings)
    assert refused.value.message == f"{path}: rule “x”: when: {parsed.value.message}"

    path = rules_file(tmp_path, '[[rule]]\nname = "x"\n\nwhen = is:open\n')
    with pytest.raises(EscalationRulesError, match="at line 4"):
        load_rules(path, settings)


def test_run_stops_at_start_on_a_bad_rules_file_or_channel(tmp_path: Path) -> None:
    missing = Settings(_env_file=None, escalation_rules=tmp_path / "nope.toml")
    [problem] = rules_problems(missing)
    assert problem.startswith("ESCALATION_RULES: cannot read ") and "nope.toml" in problem
    bad = rules_file(tmp_path, '[[rule]]\nname = "x"\nwhen = "frob:1"\nto = ["C0ONE"]')
    [problem] = rules_problems(Settings(_env_file=None, escalation_rules=bad))
    assert problem.startswith(f"ESCALATION_RULES: {bad}: rule “x”: when: ")
    assert rules_problems(Settings(_env_file=None, escalation_channel="#lead")) == [
        "ESCALATION_CHANNEL: “#lead” is not a channel ID (C…, G…)"
    ]
    assert rules_problems(Settings(_env_file=None, escalation_channel=LEAD)) == []


async def test_serve_refuses_to_start_with_a_bad_rules_file(tmp_path: Path) -> None:
    bad = rules_file(tmp_path, '[[rule]]\nname = "x"\nwhen = "frob:1"\nto = ["C0ONE"]')
    settings = Settings(
        _env_file=None,
        database_url=f"sqlite+aiosqlite:///{tmp_path}/never.db",
        escalation_rules=bad,
    )
    with pytest.raises(StartupError, match="rule “x”: when: "):
        await serve(settings)
    assert not (tmp_path / "never.db").exists()


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


# ---- the command line ----------------------------------------------------------------------


async def test_jobs_run_escalations_lists_the_escalation_and_refuses_a_bad_file(
    tmp_path: Path, fake_slack: FakeSlack
) -> None:
    cli = Cli(tmp_path, fake_slack)
    await seed(cli.url)
    engine = create_engine(cli.url)
    async with engine.begin() as conn:
        await alerts.upsert_many(conn, [secret_alert("acme/web", 7, publicly_leaked=True)])
    await engine.dispose()
    await cli.json(
        "create", "is:open kind:secret", "--name", "Secrets", "--due", "2099-01-31",
        "--manager", "U0000ADMIN", "--channel", "C0SECURITY",
    )  # fmt: skip
    cli.env |= {"ESCALATION_CHANNEL": LEAD}

    listed = await cli.json("jobs", "run", "escalations", "--at", "2026-12-01T09:00Z", "--dry-run")

    assert listed["job"] == "escalations" and listed["at"].startswith("2026-12-01T09:00")
    assert listed["sent"] == [
        {
            "key": f"escalation:1:{LEAD}:{BUILTIN}:acme/web#secret-7",
            "kind": "escalation",
            "campaign": 1,
            "to": LEAD,
            "dry_run": True,
        }
    ]
    # For real: one message in the leadership channel, and a second run sends nothing.
    fake_slack.add_channel(LEAD, name="security-leads")
    ran = await cli.json("jobs", "run", "escalations", "--at", "2026-12-01T09:00Z")
    told = [item for item in ran["sent"] if item["kind"] == "escalation"]
    assert [item["key"] for item in told] == [f"escalation:1:{LEAD}:{BUILTIN}:acme/web#secret-7"]
    posted = [c for c in fake_slack.calls("chat.postMessage", ok=True) if c.args["channel"] == LEAD]
    assert len(posted) == 1 and "acme/web#secret-7" in json.dumps(posted[0].args)
    again = await cli.json("jobs", "run", "escalations", "--at", "2026-12-01T10:00Z")
    assert [item for item in again["sent"] if item["kind"] == "escalation"] == []

    (tmp_path / "rules.toml").write_text('[[rule]]\nname = "x"\nwhen = "frob:1"\nto = ["C0ONE"]\n')
    cli.env |= {"ESCALATION_RULES": str(tmp_path / "rules.toml")}
    code, out, err = await cli("jobs", "run", "escalations", "--json")
    assert code == 2 and out == ""
    assert err.startswith("campaignbot: ") and "rule “x”: when: " in err
    assert len(err.strip().splitlines()) == 1

    cli.env |= {"SLACK_SIGNING_SECRET": "secret"}
    code, _, err = await asyncio.wait_for(cli("run"), timeout=60)
    assert code == 2 and err.startswith("campaignbot run: fix these settings: ESCALATION_RULES: ")
    assert "rule “x”: when: " in err and len(err.strip().splitlines()) == 1
