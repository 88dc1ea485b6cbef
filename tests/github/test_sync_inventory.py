"""`campaignbot sync` against FakeGitHub: the inventory follows GitHub, page by page.

The client gets the fake clock and the fake sleep of tests/github/support.py, so rate limits and
retries never really wait; the fake server reads the same clock. Failures are in
tests/github/test_sync_failures.py.
"""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine
from typer.testing import CliRunner

from bot.campaigns.requests import CreateRequest
from bot.campaigns.service import CampaignService
from bot.cli.main import app as cli
from bot.core.models import AlertKind
from bot.core.settings import Settings
from bot.github.client import GitHubClient
from bot.github.sync import sync
from bot.github.sync_report import SyncReport
from store import repositories, schema
from store.engine import create_engine
from store.migrate import upgrade
from store.times import utc
from tests.fakes.github import FakeGitHub
from tests.github.support import ALERTS, SECRETS, START, FakeTime
from tests.github.sync_support import count, find, org

ADMIN = "UADMIN"


class Changes:
    """The `on_changed` callback: every call's alert ids."""

    def __init__(self) -> None:
        self.calls: list[list[int]] = []

    async def __call__(self, alert_ids: list[int]) -> None:
        self.calls.append(alert_ids)

    @property
    def last(self) -> set[int]:
        return set(self.calls[-1]) if self.calls else set()


def non_304(report: SyncReport) -> int:
    return report.requests - report.not_modified


async def test_full_sync_fills_the_inventory(
    engine: AsyncEngine, client: GitHubClient, fake: FakeGitHub, time: FakeTime
) -> None:
    org(fake, time)
    changes = Changes()
    report = await sync(engine, client, "acme", full=True, clock=time.clock, on_changed=changes)

    assert report.complete and report.skipped_total == 0
    assert (report.repositories.items, report.code_alerts.items, report.secret_alerts.items) == (
        3,
        250,
        30,
    )
    assert report.code_alerts.pages == 3 and report.code_alerts.inserted == 250
    assert await count(engine, schema.repositories) == 3
    assert await count(engine, schema.alerts, schema.alerts.c.kind == "code") == 250
    assert await count(engine, schema.alerts, schema.alerts.c.kind == "secret") == 30
    assert await count(engine, schema.alerts, schema.alerts.c.is_open.is_(False)) == 25 + 6
    assert changes.calls == []  # new alerts: no campaign can hold them yet

    async with engine.connect() as conn:
        web = await repositories.get(conn, "acme/web")
        legacy = await repositories.get(conn, "acme/legacy")
        api = await repositories.get(conn, "acme/api")
        teams = {
            (slug, name, perm)
            for slug, name, perm in await conn.execute(
                select(
                    schema.teams.c.slug,
                    schema.repositories.c.full_name,
                    schema.team_repositories.c.permission,
                ).select_from(schema.team_repositories.join(schema.teams).join(schema.repositories))
            )
        }
    assert web is not None and legacy is not None and api is not None
    assert web.github_id == fake.repos["acme/web"]["id"]
    assert (web.visibility, web.archived, web.topics) == ("internal", False, ["frontend", "pci"])
    assert utc(web.pushed_at) == START - timedelta(days=1)  # SQLite gives naive datetimes
    properties = {name: sorted(values) for name, values in web.properties.items()}
    assert properties == {"businesspriority": ["Urgent"], "compliance": ["GDPR", "PCI-DSS"]}
    assert (api.visibility, legacy.archived) == ("public", True)
    assert teams == {
        ("frontend", "acme/web", "push"),
        ("frontend", "acme/api", "pull"),
        ("platform", "acme/api", "maintain"),
        ("platform", "acme/legacy", "admin"),
    }

    code = await find(engine, "acme/api", AlertKind.CODE, 1)
    assert (code.rule_id, code.state, code.assignees) == ("js/xss", "open", ["octocat"])
    assert code.updated_at == START - timedelta(hours=249)
    secret = await find(engine, "acme/api", AlertKind.SECRET, 1)
    assert (secret.state, secret.assignees, secret.validity) == ("open", ["octocat"], "active")


async def test_incremental_resync_stops_at_alerts_it_already_has(
    engine: AsyncEngine, client: GitHubClient, fake: FakeGitHub, time: FakeTime
) -> None:
    org(fake, time, code=500)
    await sync(engine, client, "acme", clock=time.clock)
    time.advance(hours=2)
    fake.set_code_alert_state("web", 1, "fixed")
    fake.set_code_alert_state("api", 1, "dismissed")
    new = fake.add_code_alert("web", updated_at=time.now, created_at=time.now)
    fake.requests.clear()
    changes = Changes()

    report = await sync(engine, client, "acme", clock=time.clock, on_changed=changes)

    assert report.code_alerts.stopped_early
    assert len(fake.requests_to(ALERTS)) == 2  # of 5 pages: the changed first, one older to be sure
    assert (await find(engine, "acme/web", AlertKind.CODE, 1)).state == "fixed"
    assert (await find(engine, "acme/api", AlertKind.CODE, 1)).state == "dismissed"
    added = await find(engine, "acme/web", AlertKind.CODE, new["number"])
    assert added.is_open and report.code_alerts.inserted == 1
    assert changes.last == {
        (await find(engine, "acme/web", AlertKind.CODE, 1)).id,
        (await find(engine, "acme/api", AlertKind.CODE, 1)).id,
    }
    assert report.secret_alerts.stopped_early and len(fake.requests_to(SECRETS)) == 1


async def test_unchanged_resync_costs_only_304s(
    engine: AsyncEngine, client: GitHubClient, fake: FakeGitHub, time: FakeTime
) -> None:
    org(fake, time)
    first = await sync(engine, client, "acme", clock=time.clock)
    assert first.not_modified == 0
    changes = Changes()

    again = await sync(engine, client, "acme", clock=time.clock, on_changed=changes)
    walked = await sync(engine, client, "acme", full=True, clock=time.clock)

    assert non_304(again) == 0 and again.requests > 0
    assert again.code_alerts.pages == 1 and again.code_alerts.stopped_early
    assert non_304(walked) == 0 and walked.code_alerts.pages == 3
    assert changes.calls == []
    assert await count(engine, schema.alerts) == 280


async def test_malformed_records_are_skipped_counted_and_reported(
    engine: AsyncEngine, client: GitHubClient, fake: FakeGitHub, time: FakeTime
) -> None:
    org(fake, time, code=20, secret=5)
    fake.code_alert("api", 2)["state"] = "exploded"
    fake.code_alert("web", 3)["rule"] = "js/xss"  # an object in the schema
    fake.secret_alert("web", 1)["created_at"] = "yesterday"
    fake.repos["acme/legacy"]["visibility"] = "secret"

    report = await sync(engine, client, "acme", clock=time.clock)

    assert report.complete and report.skipped_total == 4
    skipped = {(s.list, s.repository, s.number) for s in report.skipped}
    assert skipped == {
        ("code_alerts", "acme/api", 2),
        ("code_alerts", "acme/web", 3),
        ("secret_alerts", "acme/web", 1),
        ("repositories", "acme/legacy", None),
    }
    assert any("state" in s.reason for s in report.skipped)
    assert await count(engine, schema.alerts, schema.alerts.c.kind == "code") == 18
    assert report.repositories_gone == []  # a malformed repository still exists


async def test_a_renamed_repository_keeps_its_row_and_alerts(
    engine: AsyncEngine, client: GitHubClient, fake: FakeGitHub, time: FakeTime
) -> None:
    org(fake, time, code=30, secret=0)
    await sync(engine, client, "acme", clock=time.clock)
    async with engine.connect() as conn:
        before = await repositories.get(conn, "acme/api")
    fake.rename_repo("api", "api-gateway")

    report = await sync(engine, client, "acme", full=True, clock=time.clock)

    async with engine.connect() as conn:
        after = await repositories.get(conn, "acme/api-gateway")
        assert await repositories.get(conn, "acme/api") is None
    assert before is not None and after is not None and after.id == before.id
    assert report.repositories_gone == []
    assert await count(engine, schema.repositories) == 3
    assert await count(engine, schema.alerts) == 30
    assert (await find(engine, "acme/api-gateway", AlertKind.CODE, 1)).is_open


async def test_a_deleted_repository_is_marked_gone_and_its_campaign_alerts_count_closed(
    engine: AsyncEngine, client: GitHubClient, fake: FakeGitHub, time: FakeTime
) -> None:
    org(fake, time, code=30, secret=0)
    await sync(engine, client, "acme", clock=time.clock)
    service = CampaignService(
        engine, Settings(_env_file=None, campaign_admins=ADMIN), clock=time.clock
    )
    created = await service.create(
        ADMIN,
        CreateRequest(
            name="XSS",
            description="Fix cross-site scripting",
            due_date=date(2025, 6, 1),
            manager=ADMIN,
            query="is:open rule:js/xss",
        ),
    )
    before = await service.progress(created.campaign)
    fake.delete_repo("legacy")
    fake.transfer_repo("api", "elsewhere")
    changes = Changes()

    report = await sync(engine, client, "acme", clock=time.clock, on_changed=changes)

    assert report.repositories_gone == ["acme/api", "acme/legacy"]
    async with engine.connect() as conn:
        legacy = await repositories.get(conn, "acme/legacy")
        row = (
            await conn.execute(
                select(schema.repositories.c.deleted_at).where(
                    schema.repositories.c.full_name == "acme/legacy"
                )
            )
        ).scalar_one()
    assert legacy is not None and legacy.archived and row is not None
    gone = await find(engine, "acme/legacy", AlertKind.CODE, 2)
    assert (gone.state, gone.is_open) == ("removed", False)
    after = await service.progress(created.campaign)
    by_repo = {repo.name: repo for repo in after.repositories}
    assert after.counts.total == before.counts.total
    assert by_repo["acme/legacy"].open == 0 and by_repo["acme/api"].open == 0
    assert by_repo["acme/web"].open > 0 and after.counts.open == by_repo["acme/web"].open
    assert gone.id in changes.last


async def test_cli_sync_prints_the_report_and_a_revoked_token_exits_1(
    fake: FakeGitHub, time: FakeTime, tmp_path: Any
) -> None:
    org(fake, time, code=5, secret=1)
    database = tmp_path / "cli.db"
    env = {
        "GITHUB_ORG": "acme",
        "GITHUB_TOKEN": fake.token,
        "GITHUB_API_URL": fake.url,
        "DATABASE_URL": f"sqlite+aiosqlite:///{database}",
    }
    runner = CliRunner()

    result = await asyncio.to_thread(runner.invoke, cli, ["sync", "--json"], env=env)
    assert result.exit_code == 0, result.output
    assert '"code_alerts"' in result.stdout and '"complete": true' in result.stdout

    fake.revoke_token()
    fake.requests.clear()
    result = await asyncio.to_thread(runner.invoke, cli, ["sync"], env=env)
    assert result.exit_code == 1
    assert "revoked" in result.stderr and fake.token not in result.stderr
    assert len(fake.requests) == 1

    result = await asyncio.to_thread(runner.invoke, cli, ["sync"], env={**env, "GITHUB_ORG": ""})
    assert result.exit_code == 2 and "GITHUB_ORG" in result.stderr
    engine = create_engine(f"sqlite+aiosqlite:///{database}")
    await upgrade(engine)
    assert await count(engine, schema.alerts) == 6
    await engine.dispose()
