"""`campaignbot sync` against FakeGitHub: the inventory follows GitHub, page by page.

The client gets the fake clock and the fake sleep of test_client, so rate limits and retries
never really wait; the fake server reads the same clock.
"""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine
from typer.testing import CliRunner

from bot.campaigns.requests import CreateRequest
from bot.campaigns.service import CampaignService
from bot.cli.main import app as cli
from bot.core.models import Alert, AlertKind, AlertRef
from bot.core.settings import Settings
from bot.github.client import GitHubClient
from bot.github.errors import GitHubAuthError, GitHubUnavailable
from bot.github.sync import sync
from bot.github.sync_report import SyncReport
from store import alerts, repositories, schema
from store.engine import create_engine
from store.migrate import upgrade
from store.times import utc
from tests.fakes.github import FakeGitHub, Fault
from tests.github.support import START, FakeTime

ALERTS = "/orgs/acme/code-scanning/alerts"
SECRETS = "/orgs/acme/secret-scanning/alerts"
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


def org(fake: FakeGitHub, time: FakeTime, *, code: int = 250, secret: int = 30) -> None:
    """Three repositories with teams and properties; alerts whose update times all differ."""
    fake.add_repo(
        "web",
        topics=["frontend", "pci"],
        visibility="internal",
        pushed_at=START - timedelta(days=1),
    )
    fake.add_repo("api", topics=["backend"], private=False, pushed_at=START - timedelta(days=3))
    fake.add_repo("legacy", archived=True, pushed_at=START - timedelta(days=400))
    fake.set_properties("web", BusinessPriority="Urgent", Compliance=["PCI-DSS", "GDPR"])
    fake.set_properties("api", BusinessPriority="High")
    fake.add_team("frontend", repos={"web": "push", "api": "pull"})
    fake.add_team("platform", repos={"api": "maintain", "legacy": "admin"})
    repos = ["web", "api", "legacy"]
    for i in range(code):
        moment = START - timedelta(hours=code - i)
        fake.add_code_alert(
            repos[i % 3],
            state="fixed" if i % 10 == 0 else "open",
            rule_id="js/xss" if i % 2 else "js/sql-injection",
            created_at=moment - timedelta(days=30),
            updated_at=moment,
            assignees=["octocat"] if i == 1 else (),
        )
    for i in range(secret):
        moment = START - timedelta(hours=secret - i, minutes=30)
        fake.add_secret_alert(
            repos[i % 2],
            state="resolved" if i % 5 == 0 else "open",
            created_at=moment - timedelta(days=3),
            updated_at=moment,
            assigned_to="octocat" if i == 1 else None,
        )


async def count(engine: AsyncEngine, table: Any, *where: Any) -> int:
    async with engine.connect() as conn:
        return int(await conn.scalar(select(func.count()).select_from(table).where(*where)) or 0)


async def find(engine: AsyncEngine, repository: str, kind: AlertKind, number: int) -> Any:
    async with engine.connect() as conn:
        [alert] = await alerts.find(conn, AlertRef(repository=repository, kind=kind, number=number))
    return alert


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


async def test_a_page_failing_midway_keeps_what_was_committed_and_the_rerun_completes(
    engine: AsyncEngine, client: GitHubClient, fake: FakeGitHub, time: FakeTime
) -> None:
    org(fake, time, code=350)
    fake.fail_next(ALERTS, *[Fault.server_error()] * 5, after=2)

    with pytest.raises(GitHubUnavailable):
        await sync(engine, client, "acme", clock=time.clock)
    assert await count(engine, schema.alerts) == 200  # two pages committed

    report = await sync(engine, client, "acme", clock=time.clock)

    assert report.complete
    assert (report.code_alerts.not_modified, report.code_alerts.inserted) == (2, 150)
    assert await count(engine, schema.alerts, schema.alerts.c.kind == "code") == 350
    assert await count(engine, schema.alerts) == 380


async def test_an_alert_page_of_malformed_json_is_asked_again(
    engine: AsyncEngine, client: GitHubClient, fake: FakeGitHub, time: FakeTime
) -> None:
    """Alert pages are validated straight from their JSON body (the client's `decode`); a body
    that is not JSON is still retried like any answer that cannot be read."""
    org(fake, time, code=250)
    fake.fail_next(ALERTS, Fault.malformed_json(), after=1)

    report = await sync(engine, client, "acme", clock=time.clock)

    assert report.complete and report.skipped_total == 0
    assert (report.code_alerts.pages, report.code_alerts.items) == (3, 250)
    assert len(fake.requests_to(ALERTS)) == 4
    assert await count(engine, schema.alerts, schema.alerts.c.kind == "code") == 250


async def test_a_failed_pass_leaves_no_staged_rows_for_the_next_writer(
    engine: AsyncEngine, client: GitHubClient, fake: FakeGitHub, time: FakeTime
) -> None:
    """Each alert list is written on one connection, its pages committed one by one; when the
    list fails, that connection is dropped, so the tag sets it had staged (committed with the
    pages) cannot end up on another alert through the pool."""
    org(fake, time, code=350)
    fake.fail_next(ALERTS, *[Fault.server_error()] * 5, after=2)
    with pytest.raises(GitHubUnavailable):
        await sync(engine, client, "acme", clock=time.clock)

    connections = [await engine.connect() for _ in range(3)]
    try:
        for number, conn in enumerate(connections, start=900):
            alert = Alert(
                repository="acme/web",
                kind=AlertKind.CODE,
                number=number,
                state="open",
                created_at=START,
                tags=["only-this"],
                assignees=["someone"],
            )
            await alerts.upsert_many(conn, [alert])
            await conn.commit()
    finally:
        for conn in connections:
            await conn.close()
    for number in range(900, 903):
        stored = await find(engine, "acme/web", AlertKind.CODE, number)
        assert (stored.tags, stored.assignees) == (["only-this"], ["someone"])


async def test_an_interrupted_incremental_sync_is_finished_by_the_next(
    engine: AsyncEngine, client: GitHubClient, fake: FakeGitHub, time: FakeTime
) -> None:
    org(fake, time, code=300, secret=0)
    await sync(engine, client, "acme", clock=time.clock)
    time.advance(hours=1)
    for number in range(1, 101):
        for repo in ("web", "api", "legacy"):
            fake.set_code_alert_state(repo, number, "dismissed", at=time.now)
        time.advance(seconds=1)
    fake.fail_next(ALERTS, *[Fault.server_error()] * 5, after=1)

    with pytest.raises(GitHubUnavailable):
        await sync(engine, client, "acme", clock=time.clock)
    report = await sync(engine, client, "acme", clock=time.clock)

    assert report.code_alerts.not_modified == 1  # page 1, committed by the failed run
    assert await count(engine, schema.alerts, schema.alerts.c.state == "dismissed") == 300


async def test_a_secondary_rate_limit_mid_sync_is_waited_out(
    engine: AsyncEngine, client: GitHubClient, fake: FakeGitHub, time: FakeTime
) -> None:
    org(fake, time)
    fake.fail_next(ALERTS, Fault.secondary_limit(retry_after=45), after=1)

    report = await sync(engine, client, "acme", clock=time.clock)

    assert report.complete and 45 in time.sleeps
    assert await count(engine, schema.alerts, schema.alerts.c.kind == "code") == 250


async def test_a_revoked_token_is_a_clear_error_after_one_request(
    engine: AsyncEngine, client: GitHubClient, fake: FakeGitHub, time: FakeTime
) -> None:
    org(fake, time)
    fake.revoke_token()

    with pytest.raises(GitHubAuthError, match="invalid, expired or revoked"):
        await sync(engine, client, "acme", clock=time.clock)

    assert len(fake.requests) == 1 and time.sleeps == []


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
