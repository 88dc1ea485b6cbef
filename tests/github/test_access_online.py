"""Access webhooks with GitHub connected: `member`, `team_add` and `membership` list the
writers of the repositories they touch again, and the next sync reconciles what they changed."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.github.access import WritersRefresher
from bot.github.client import GitHubClient
from bot.github.events import EventProcessor, Result
from bot.github.sync import sync
from tests.fakes.github import FakeGitHub, Fault
from tests.github.access_support import member_event, membership_event, team_add_event
from tests.github.support import FakeTime, collaborators, stored_writers


def github_writers(fake: FakeGitHub, repo: str) -> set[str]:
    """Who GitHub itself says may push to the repository (write, maintain or admin)."""
    return {
        login
        for login, (role, _) in fake.collaborators.get(f"acme/{repo}", {}).items()
        if role in ("write", "maintain", "admin")
    }


@pytest.fixture
def online(engine: AsyncEngine, client: GitHubClient, time: FakeTime) -> EventProcessor:
    """The processor of a bot connected to GitHub: access events list the writers again."""
    return EventProcessor(
        engine, org="acme", clock=time.clock, writers=WritersRefresher(engine, client)
    )


# ---- with GitHub: the writers are listed again -------------------------------------------------


async def test_member_with_github_lists_the_repository_again(
    online: EventProcessor, engine: AsyncEngine, synced: FakeGitHub
) -> None:
    # dev's direct access goes, but GitHub still lets dev push (through a team, say): the list
    # GitHub answers wins over what the payload suggests.
    synced.add_collaborator("web", "newbie", "write")
    synced.add_collaborator("web", "lead", "read")
    asked = len(synced.requests_to(collaborators("web")))

    result = await online.process("member", member_event(synced, "removed", "web", "dev"))

    assert result.status == "processed"
    requests = synced.requests_to(collaborators("web"), "GET")
    assert len(requests) == asked + 1
    assert requests[-1].query["permission"] == "push"
    assert "if-none-match" not in requests[-1].headers  # a fresh answer, never a 304
    writers = await stored_writers(engine)
    assert set(writers["acme/web"]) == github_writers(synced, "web") == {"dev", "newbie"}
    assert writers["acme/api"] == {"dev": "maintain"}  # other repositories untouched
    assert len(synced.requests_to(collaborators("api"))) == 1  # by the sync only


async def test_member_with_github_for_a_new_repository_creates_and_lists_it(
    online: EventProcessor, engine: AsyncEngine, synced: FakeGitHub
) -> None:
    synced.add_repo("fresh")
    synced.add_collaborator("fresh", "dev", "write")
    synced.add_collaborator("fresh", "viewer", "read")

    result = await online.process(
        "member", member_event(synced, "added", "fresh", "dev", to="write")
    )

    assert result.status == "processed"
    assert (await stored_writers(engine))["acme/fresh"] == {"dev": "push"}


async def test_member_with_github_keeps_the_writers_when_github_refuses(
    online: EventProcessor, engine: AsyncEngine, synced: FakeGitHub
) -> None:
    synced.remove_collaborator("web", "dev")
    synced.fail_next(collaborators("web"), Fault.response(403, {"message": "Forbidden"}))

    result = await online.process("member", member_event(synced, "removed", "web", "dev"))

    assert result.status == "failed" and "not listed" in result.note
    assert (await stored_writers(engine))["acme/web"] == {"dev": "push", "lead": "admin"}


async def test_team_add_with_github_lists_that_repository_again(
    online: EventProcessor, engine: AsyncEngine, synced: FakeGitHub
) -> None:
    synced.add_team_repo("platform", "web", "push")
    synced.add_collaborator("web", "platformer", "write")  # what the team's access gives
    asked = {repo: len(synced.requests_to(collaborators(repo))) for repo in ("web", "api", "docs")}

    result = await online.process("team_add", team_add_event(synced, "platform", "acme/web"))

    assert result.status == "processed"
    now = {repo: len(synced.requests_to(collaborators(repo))) for repo in ("web", "api", "docs")}
    assert now == {"web": asked["web"] + 1, "api": asked["api"], "docs": asked["docs"]}
    assert set((await stored_writers(engine))["acme/web"]) == github_writers(synced, "web")
    assert "platformer" in (await stored_writers(engine))["acme/web"]


async def test_team_add_for_a_repository_without_alerts_stores_its_writers_too(
    online: EventProcessor, engine: AsyncEngine, synced: FakeGitHub
) -> None:
    synced.add_team_repo("frontend", "docs", "push")

    await online.process("team_add", team_add_event(synced, "frontend", "acme/docs"))

    assert (await stored_writers(engine))["acme/docs"] == {"writer": "push"}


async def test_membership_lists_every_repository_of_the_team_again(
    online: EventProcessor, engine: AsyncEngine, synced: FakeGitHub
) -> None:
    # newbie joins frontend, which reaches web and api: both now list newbie among their writers.
    synced.add_collaborator("web", "newbie", "write")
    synced.add_collaborator("api", "newbie", "write")
    asked = {repo: len(synced.requests_to(collaborators(repo))) for repo in ("web", "api", "docs")}

    result = await online.process(
        "membership", membership_event(synced, "added", "frontend", "newbie")
    )

    assert result == Result("processed", note="writers of 2 repositories listed again")
    now = {repo: len(synced.requests_to(collaborators(repo))) for repo in ("web", "api", "docs")}
    assert now == {"web": asked["web"] + 1, "api": asked["api"] + 1, "docs": asked["docs"]}
    writers = await stored_writers(engine)
    assert set(writers["acme/web"]) == github_writers(synced, "web")
    assert set(writers["acme/api"]) == github_writers(synced, "api")
    assert "acme/docs" not in writers

    # And leaving the team takes newbie out again.
    synced.remove_collaborator("web", "newbie")
    synced.remove_collaborator("api", "newbie")
    await online.process("membership", membership_event(synced, "removed", "frontend", "newbie"))
    writers = await stored_writers(engine)
    assert writers["acme/web"] == {"dev": "push", "lead": "admin"}
    assert writers["acme/api"] == {"dev": "maintain"}


async def test_membership_of_another_organization_is_ignored(
    online: EventProcessor, engine: AsyncEngine, synced: FakeGitHub
) -> None:
    synced.add_team("frontend", org="elsewhere")
    before = await stored_writers(engine)
    asked = len(synced.requests)

    result = await online.process(
        "membership", membership_event(synced, "added", "frontend", "newbie", org="elsewhere")
    )

    assert result.status == "ignored"
    assert len(synced.requests) == asked
    assert await stored_writers(engine) == before


async def test_membership_without_a_team_is_malformed(
    online: EventProcessor, synced: FakeGitHub
) -> None:
    payload = membership_event(synced, "added", "frontend", "newbie")
    del payload["team"]
    asked = len(synced.requests)

    result = await online.process("membership", payload)

    assert result.status == "malformed"
    assert len(synced.requests) == asked


async def test_membership_of_a_team_the_sync_never_saw_lists_nothing(
    online: EventProcessor, engine: AsyncEngine, synced: FakeGitHub
) -> None:
    synced.add_team("newteam", repos={"web": "push"})  # created after the sync
    before = await stored_writers(engine)
    asked = len(synced.requests)

    result = await online.process(
        "membership", membership_event(synced, "added", "newteam", "newbie")
    )

    assert result.status == "processed" and "0 repositories" in result.note
    assert len(synced.requests) == asked
    assert await stored_writers(engine) == before


async def test_the_next_sync_reconciles_writers_changed_by_a_webhook_since(
    online: EventProcessor,
    engine: AsyncEngine,
    client: GitHubClient,
    synced: FakeGitHub,
    time: FakeTime,
) -> None:
    synced.add_collaborator("web", "temp", "write")
    await online.process("member", member_event(synced, "added", "web", "temp", to="write"))
    assert set((await stored_writers(engine))["acme/web"]) == {"dev", "lead", "temp"}
    synced.remove_collaborator("web", "temp")  # and that delivery never arrives (the bot was down)

    time.advance(hours=1)
    report = await sync(engine, client, "acme", full=True, clock=time.clock)

    assert report.complete
    assert set((await stored_writers(engine))["acme/web"]) == github_writers(synced, "web")
