"""The demo organization: deterministic, plausible, GitHub-shaped, and loaded by the importer."""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pydantic_core import to_json
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.demo import organization as demo
from bot.ingest.importer import import_files, parse_documents
from store import alerts, repositories, schema

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_same_seed_same_organization_other_seed_another() -> None:
    first = demo.generate_org(repositories=20, alerts=500, seed=11, now=NOW)
    again = demo.generate_org(repositories=20, alerts=500, seed=11, now=NOW)
    other = demo.generate_org(repositories=20, alerts=500, seed=12, now=NOW)

    assert to_json(first.__dict__) == to_json(again.__dict__)
    assert to_json(first.code_alerts) != to_json(other.code_alerts)


def test_alerts_have_plausible_proportions() -> None:
    data = demo.generate_org(alerts=5000, now=NOW)
    code, secret = data.code_alerts, data.secret_alerts

    assert len(code) + len(secret) == 5000
    assert 0.2 < len(secret) / 5000 < 0.3
    states = Counter(alert["state"] for alert in code)
    assert 0.45 < states["open"] / len(code) < 0.6
    assert 0.25 < states["fixed"] / len(code) < 0.4
    assert 0.08 < states["dismissed"] / len(code) < 0.2
    reasons = Counter(a["dismissed_reason"] for a in code if a["state"] == "dismissed")
    assert set(reasons) == {"false positive", "won't fix", "used in tests"}
    resolved = [a for a in secret if a["state"] == "resolved"]
    assert 0.35 < len(resolved) / len(secret) < 0.55
    assert {a["resolution"] for a in resolved} == {
        "false_positive",
        "wont_fix",
        "revoked",
        "used_in_tests",
    }
    assert any(a["provider"] is None for a in secret)  # generic results
    for flag in ("push_protection_bypassed", "publicly_leaked", "multi_repo"):
        assert 0 < sum(bool(a[flag]) for a in secret) < len(secret) / 4, flag
    assert {a["validity"] for a in secret} == {"active", "inactive", "unknown"}
    classifications = Counter(c for a in code for c in a["most_recent_instance"]["classifications"])
    assert set(classifications) == {"test", "generated", "library"}


def test_alerts_look_like_codeql_and_github() -> None:
    data = demo.generate_org(alerts=3000, now=NOW)
    rules = {a["rule"]["id"]: a["rule"] for a in data.code_alerts}

    assert {"js/xss", "py/sql-injection", "java/log-injection", "py/path-injection"} <= set(rules)
    assert any(rule_id.startswith("cs/") for rule_id in rules)
    assert any(rule_id.startswith("go/") for rule_id in rules)
    assert "external/cwe/cwe-079" in rules["js/xss"]["tags"]
    assert "external/cwe/cwe-089" in rules["py/sql-injection"]["tags"]
    assert "external/cwe/cwe-117" in rules["java/log-injection"]["tags"]
    assert rules["js/xss"]["security_severity_level"] == "medium"  # CodeQL: 6.1
    assert rules["py/sql-injection"]["security_severity_level"] == "high"  # 8.8
    for rule in rules.values():
        for tag in rule["tags"]:
            if tag.startswith("external/cwe/"):
                assert re.fullmatch(r"external/cwe/cwe-\d{3,}", tag), tag
    for alert in data.code_alerts + data.secret_alerts:
        created = _at(alert["created_at"])
        assert created < NOW
        closed = alert.get("fixed_at") or alert.get("dismissed_at") or alert.get("resolved_at")
        if closed:
            assert created <= _at(closed) <= NOW
    oldest = min(_at(a["created_at"]) for a in data.code_alerts)
    assert NOW - oldest > timedelta(days=365)


def test_repositories_properties_and_teams() -> None:
    data = demo.generate_org(repositories=60, alerts=100, now=NOW)
    repos = data.repositories

    assert len({r["full_name"] for r in repos}) == 60
    assert all(r["full_name"].startswith("acme/") for r in repos)
    assert {r["visibility"] for r in repos} == {"private", "internal", "public"}
    assert 0 < sum(r["archived"] for r in repos) < 10
    pushed = [_at(r["pushed_at"]) for r in repos]
    assert max(pushed) < NOW and NOW - min(pushed) > timedelta(days=90)
    assert all(r["topics"] for r in repos)
    priorities = Counter(
        p["value"]
        for item in data.property_values
        for p in item["properties"]
        if p["property_name"] == "BusinessPriority"
    )
    assert set(priorities) == {"Urgent", "High", "Normal"}
    every = {r["full_name"] for r in repos}
    assert {name for name, _ in data.teams["security"]} == every
    owned = {
        name for slug, members in data.teams.items() if slug != "security" for name, _ in members
    }
    assert owned == every


def test_numbers_run_per_repository_and_kind() -> None:
    data = demo.generate_org(repositories=10, alerts=400, now=NOW)
    for items in (data.code_alerts, data.secret_alerts):
        by_repo: dict[str, list[int]] = {}
        for alert in items:
            by_repo.setdefault(alert["repository"]["full_name"], []).append(alert["number"])
        for numbers in by_repo.values():
            assert numbers == list(range(1, len(numbers) + 1))


def test_scales_to_thousands_of_repositories() -> None:
    data = demo.generate_org(repositories=2000, alerts=4000, now=NOW)

    assert len({r["full_name"] for r in data.repositories}) == 2000
    batch = parse_documents(demo.documents(data), now=NOW)
    assert len(batch.alerts) == 4000 and len(batch.repositories) == 2000


async def test_written_files_import_through_the_cli_path(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    data = demo.generate_org(repositories=12, alerts=400, now=NOW)
    paths = demo.write_files(data, tmp_path / "acme")

    report = await import_files(engine, paths)

    assert report.alerts == 400 and report.repositories == 12 and report.properties == 12
    assert (report.code, report.secret) == (len(data.code_alerts), len(data.secret_alerts))


async def test_load_fills_the_database(engine: AsyncEngine) -> None:
    data = demo.generate_org(now=NOW)

    report = await demo.load(engine, data)

    assert report.alerts == 5000 and report.inserted == 5000
    async with engine.connect() as conn:
        assert await alerts.count(conn) == 5000
        assert await repositories.count(conn) == 60
        teams = await conn.scalar(select(func.count()).select_from(schema.teams))
        members = await conn.scalar(select(func.count()).select_from(schema.team_repositories))
        repo = await repositories.get(conn, data.repositories[0]["full_name"])
    assert teams == len(data.teams)
    assert members == sum(len(m) for m in data.teams.values())
    assert repo is not None and "businesspriority" in repo.properties

    again = await demo.load(engine, data)
    assert (again.inserted, again.updated) == (0, 5000)
