"""Escalation paths (the seed's step 6.3): the rules file and its mistakes, at load, at start and
on the command line (`campaignbot jobs run escalations`). The job is in
tests/playbooks/test_escalation_job.py."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from bot.core.query.ast import QueryError
from bot.core.query.parser import parse
from bot.core.settings import Settings
from bot.playbooks.escalation_rules import BUILTIN, EscalationRulesError, load_rules, rules_problems
from bot.runtime.lifespan import StartupError, serve
from store import alerts
from store.engine import create_engine
from tests.builders import secret_alert
from tests.commands.conftest import seed
from tests.delivery.test_cli_delivery import Cli
from tests.fakes.slack import FakeSlack
from tests.playbooks.escalation_support import (
    AWS_EXPERT,
    EXPERTS,
    GH_EXPERT,
    GH_PAT,
    LEAD,
    PLATFORM,
    escalation_settings,
)

settings = escalation_settings
"""The admins and the leadership channel (the conftest's `settings` has exception limits)."""

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
