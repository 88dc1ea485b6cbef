"""The writers side of `campaignbot sync`: who may be assigned each repository's alerts.

The sync lists `GET /repos/{owner}/{repo}/collaborators?permission=push&affiliation=all` for every
repository holding an open alert, and stores the list whole; the assignment gate then answers
from the stored writers without asking GitHub.
"""

from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

import bot
from bot.assignments.service import AssignmentService
from bot.campaigns.requests import CreateRequest
from bot.campaigns.service import CampaignService
from bot.core.errors import CampaignError
from bot.core.models import Identity
from bot.core.settings import Settings
from bot.github.client import GitHubClient
from bot.github.gate import GitHubGate
from bot.github.sync import sync
from store import identities
from tests.fakes.github import FakeGitHub, Fault
from tests.fakes.github_docs import iso
from tests.github.support import FakeTime, collaborators, stored_writers

BOT_PACKAGE = Path(bot.__file__).parent
"""Tasks running code from the `bot/` package are the app's."""

ADMIN = "UADMIN"
DEV = "UDEV"
LATE = "ULATE"
READER = "UREADER"


async def fail_fast_when_locked(engine: AsyncEngine) -> None:
    """SQLite waits 30 s for a lock (store.engine); a test expecting the wait to fail need not."""
    await engine.dispose()

    @event.listens_for(engine.sync_engine, "connect")
    def _short_busy_timeout(dbapi_conn: Any, _record: Any) -> None:
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA busy_timeout = 200")
        cursor.close()


def permission(repo: str, login: str) -> str:
    return f"/repos/acme/{repo}/collaborators/{login}/permission"


def organization(fake: FakeGitHub) -> None:
    """web and api hold open alerts; docs only a fixed one; empty none at all."""
    for name in ("web", "api", "docs", "empty"):
        fake.add_repo(name)
    fake.add_code_alert("web")
    fake.add_secret_alert("api")
    fake.add_code_alert("docs", state="fixed")
    for role in ("read", "triage", "write", "maintain", "admin"):
        fake.add_collaborator("web", f"web-{role}", role)
    fake.add_collaborator("web", "Mixed-Case", "write")
    fake.add_collaborator("api", "api-dev", "write")
    fake.add_collaborator("api", "api-reader", "read")
    fake.add_collaborator("docs", "docs-dev", "admin")
    fake.add_collaborator("empty", "empty-dev", "admin")


async def test_sync_stores_the_writers_of_repositories_with_an_open_alert(
    engine: AsyncEngine, client: GitHubClient, fake: FakeGitHub, time: FakeTime
) -> None:
    organization(fake)

    report = await sync(engine, client, "acme", clock=time.clock)

    assert report.complete and report.notes == []
    assert await stored_writers(engine) == {
        "acme/web": {
            "web-write": "push",
            "web-maintain": "maintain",
            "web-admin": "admin",
            "mixed-case": "push",
        },
        "acme/api": {"api-dev": "push"},
    }
    assert report.writers.items == 5 and report.writers.pages == 2
    # Only the repositories with open alerts were asked, and only for push or more.
    assert fake.requests_to(collaborators("docs")) == []
    assert fake.requests_to(collaborators("empty")) == []
    [asked] = fake.requests_to(collaborators("web"), "GET")
    assert asked.query["permission"] == "push" and asked.query["affiliation"] == "all"
    assert "writers" in report.summary()


async def test_a_second_sync_is_answered_304_and_keeps_the_writers(
    engine: AsyncEngine, client: GitHubClient, fake: FakeGitHub, time: FakeTime
) -> None:
    organization(fake)
    await sync(engine, client, "acme", clock=time.clock)
    before = await stored_writers(engine)

    time.advance(hours=1)
    report = await sync(engine, client, "acme", clock=time.clock)

    assert report.complete
    assert (report.writers.pages, report.writers.not_modified, report.writers.items) == (2, 2, 0)
    for repo in ("web", "api"):
        again = fake.requests_to(collaborators(repo), "GET")[-1]
        assert again.headers.get("if-none-match")
    assert await stored_writers(engine) == before


async def test_a_collaborator_removed_or_downgraded_on_github_is_gone_after_the_next_sync(
    engine: AsyncEngine, client: GitHubClient, fake: FakeGitHub, time: FakeTime
) -> None:
    organization(fake)
    await sync(engine, client, "acme", clock=time.clock)

    fake.remove_collaborator("web", "web-admin")
    fake.add_collaborator("web", "web-maintain", "read")  # downgraded: not a writer any more
    fake.add_collaborator("web", "web-new", "write")
    time.advance(hours=1)
    report = await sync(engine, client, "acme", clock=time.clock)  # incremental

    assert report.complete
    assert await stored_writers(engine) == {
        "acme/web": {"web-write": "push", "mixed-case": "push", "web-new": "push"},
        "acme/api": {"api-dev": "push"},  # unchanged (304)
    }
    assert report.writers.not_modified == 1


async def test_every_writer_removed_leaves_the_repository_with_none(
    engine: AsyncEngine, client: GitHubClient, fake: FakeGitHub, time: FakeTime
) -> None:
    organization(fake)
    await sync(engine, client, "acme", clock=time.clock)

    fake.remove_collaborator("api", "api-dev")
    time.advance(hours=1)
    await sync(engine, client, "acme", clock=time.clock)

    assert "acme/api" not in await stored_writers(engine)


async def test_forbidden_collaborators_still_complete_the_sync_with_a_note(
    engine: AsyncEngine, client: GitHubClient, fake: FakeGitHub, time: FakeTime
) -> None:
    fake.add_repo("web")
    fake.add_code_alert("web")
    fake.add_collaborator("web", "web-dev", "write")
    await sync(engine, client, "acme", clock=time.clock)
    fake.add_collaborator("web", "web-other", "write")
    fake.add_code_alert("web")
    forbidden = Fault.response(403, {"message": "Must have push access to view collaborators."})
    fake.fail_next(collaborators("web"), forbidden)

    time.advance(hours=1)
    report = await sync(engine, client, "acme", clock=time.clock)

    assert report.complete
    assert [note for note in report.notes if note.startswith("writers not synced")]
    assert report.code_alerts.items == 2  # the alerts were synced all the same
    assert await stored_writers(engine) == {"acme/web": {"web-dev": "push"}}  # kept as it was
    assert "note: writers not synced" in report.summary()

    # Next time it works again, and the 403 left no ETag standing for data never stored.
    time.advance(hours=1)
    await sync(engine, client, "acme", clock=time.clock)
    assert await stored_writers(engine) == {"acme/web": {"web-dev": "push", "web-other": "push"}}


async def test_forbidden_collaborators_on_a_first_sync_store_no_writers(
    engine: AsyncEngine, client: GitHubClient, fake: FakeGitHub, time: FakeTime
) -> None:
    fake.add_repo("web")
    fake.add_code_alert("web")
    fake.add_collaborator("web", "web-dev", "write")
    fake.fail_next(
        collaborators("web"), Fault.response(403, {"message": "Resource not accessible"})
    )

    report = await sync(engine, client, "acme", clock=time.clock)

    assert report.complete and any("writers" in note for note in report.notes)
    assert await stored_writers(engine) == {}


async def test_more_collaborators_than_a_page_are_all_stored(
    engine: AsyncEngine, client: GitHubClient, fake: FakeGitHub, time: FakeTime
) -> None:
    fake.add_repo("web")
    fake.add_code_alert("web")
    for i in range(130):
        fake.add_collaborator("web", f"dev-{i:03d}", "write")
    for i in range(20):
        fake.add_collaborator("web", f"reader-{i:03d}", "read")

    report = await sync(engine, client, "acme", clock=time.clock)

    assert len((await stored_writers(engine))["acme/web"]) == 130
    assert report.writers.pages == 2 and report.writers.items == 130
    pages = fake.requests_to(collaborators("web"), "GET")
    assert [r.query.get("page", "1") for r in pages] == ["1", "2"]
    assert {r.query["per_page"] for r in pages} == {"100"}

    # Only the second page changes: the first answers 304 and its writers are kept from the memo.
    fake.add_collaborator("web", "zz-newcomer", "maintain")
    time.advance(hours=1)
    again = await sync(engine, client, "acme", clock=time.clock)

    assert (again.writers.pages, again.writers.not_modified) == (2, 1)
    writers = (await stored_writers(engine))["acme/web"]
    assert len(writers) == 131 and writers["zz-newcomer"] == "maintain"
    assert writers["dev-000"] == "push"


async def test_a_repository_whose_alerts_are_all_closed_is_not_listed_again(
    engine: AsyncEngine, client: GitHubClient, fake: FakeGitHub, time: FakeTime
) -> None:
    fake.add_repo("web")
    fake.add_code_alert("web")
    fake.add_collaborator("web", "web-dev", "write")
    await sync(engine, client, "acme", clock=time.clock)
    asked = len(fake.requests_to(collaborators("web")))

    time.advance(hours=1)
    fake.code_alert("web", 1).update(state="fixed", updated_at=iso(time.now))
    await sync(engine, client, "acme", clock=time.clock)

    assert len(fake.requests_to(collaborators("web"))) == asked


def running_app_tasks(before: set[asyncio.Task[Any]]) -> list[asyncio.Task[Any]]:
    """Tasks started since `before`, still running the app's own code (the fake servers'
    connection handlers are not the app's)."""

    def source(task: asyncio.Task[Any]) -> Path:
        code = getattr(task.get_coro(), "cr_code", None)
        return Path(code.co_filename if code is not None else "/")

    return [
        task
        for task in asyncio.all_tasks() - before
        if not task.done() and source(task).is_relative_to(BOT_PACKAGE)
    ]


async def test_a_403_on_one_repository_leaves_nothing_of_the_sync_running(
    engine: AsyncEngine, client: GitHubClient, fake: FakeGitHub, time: FakeTime
) -> None:
    names = [f"r{i}" for i in range(10)]
    for name in names:
        fake.add_repo(name)
        fake.add_code_alert(name)
        fake.add_collaborator(name, f"{name}-dev", "write")
    fake.fail_next(collaborators("r0"), Fault.response(403, {"message": "Must have push access"}))
    before = asyncio.all_tasks()

    report = await sync(engine, client, "acme", clock=time.clock)

    left = running_app_tasks(before)
    try:
        assert report.complete and any(n.startswith("writers not synced") for n in report.notes)
        stored_at_return = await stored_writers(engine)
        asked_at_return = sum(len(fake.requests_to(collaborators(n))) for n in names)
        assert left == []
    finally:  # let what was left behind finish before the database goes away
        await asyncio.gather(*left, return_exceptions=True)
    assert sum(len(fake.requests_to(collaborators(n))) for n in names) == asked_at_return
    assert await stored_writers(engine) == stored_at_return


# ---- the assignment gate reads the stored writers ----------------------------------------------


@pytest.fixture
async def service(
    engine: AsyncEngine, client: GitHubClient, fake: FakeGitHub, time: FakeTime
) -> CampaignService:
    fake.add_repo("web")
    fake.add_code_alert("web")
    fake.add_code_alert("web")
    fake.add_collaborator("web", "dev-login", "write")
    fake.add_collaborator("web", "reader-login", "read")
    await sync(engine, client, "acme", clock=time.clock)
    async with engine.begin() as conn:
        await identities.save(conn, Identity(slack_user_id=DEV, github_login="dev-login"))
        await identities.save(conn, Identity(slack_user_id=READER, github_login="reader-login"))
        await identities.save(conn, Identity(slack_user_id=LATE, github_login="late-login"))
    settings = Settings(_env_file=None, campaign_admins=ADMIN)
    campaigns = CampaignService(engine, settings, clock=time.clock)
    await campaigns.create(
        ADMIN,
        CreateRequest(
            name="Campaign",
            description="Fix these",
            due_date=date(2025, 6, 1),
            manager=ADMIN,
            query="is:open kind:code",
        ),
    )
    return campaigns


@pytest.fixture
def assignments(
    service: CampaignService, engine: AsyncEngine, client: GitHubClient
) -> AssignmentService:
    return AssignmentService(service, GitHubGate(engine, client))


async def test_a_stored_writer_is_assigned_without_asking_github_for_the_permission(
    assignments: AssignmentService, fake: FakeGitHub
) -> None:
    await assignments.assign(ADMIN, "1", "acme/web#code-1", DEV)

    assert fake.requests_to(permission("web", "dev-login")) == []
    assert [u["login"] for u in fake.code_alert("web", 1)["assignees"]] == ["dev-login"]


async def test_a_writer_added_after_the_sync_is_asked_of_github_until_the_next_sync(
    assignments: AssignmentService, fake: FakeGitHub, engine: AsyncEngine, client: GitHubClient
) -> None:
    """Not stored yet: GitHub's permission answers (inside the assignment's transaction nothing
    else is written, so SQLite's single writer never waits on itself); the next sync stores it."""
    if engine.dialect.name == "sqlite":
        await fail_fast_when_locked(engine)
    fake.add_collaborator("web", "late-login", "write")

    await assignments.assign(ADMIN, "1", "acme/web#code-1", LATE)
    await assignments.assign(ADMIN, "1", "acme/web#code-2", LATE)

    assert len(fake.requests_to(permission("web", "late-login"))) == 2
    assert "late-login" not in (await stored_writers(engine))["acme/web"]
    await sync(engine, client, "acme")
    assert (await stored_writers(engine))["acme/web"]["late-login"] == "push"


async def test_a_reader_is_asked_of_github_and_refused(
    assignments: AssignmentService, fake: FakeGitHub, engine: AsyncEngine
) -> None:
    with pytest.raises(CampaignError, match="no write access"):
        await assignments.assign(ADMIN, "1", "acme/web#code-1", READER)

    assert len(fake.requests_to(permission("web", "reader-login"))) == 1
    assert "reader-login" not in (await stored_writers(engine))["acme/web"]
