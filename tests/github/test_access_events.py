"""Access webhooks keep the stored writers fresh between syncs: `member`, `team_add`, `membership`.

Deliveries go straight to the EventProcessor (test_webhooks covers the signed HTTP path). Payloads
follow GitHub's documented shapes: `member` has `member`, `changes.permission.to` (added, edited)
and `repository`; `team_add` has `team` and `repository`; `membership` has `team`, `member` and
`organization` but no `repository`.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.github.access import WritersRefresher
from bot.github.client import GitHubClient
from bot.github.events import EventProcessor, Result
from bot.github.sync import sync
from tests.fakes.github import FakeGitHub, Fault
from tests.github.support import FakeTime, collaborators, stored_writers


def github_writers(fake: FakeGitHub, repo: str) -> set[str]:
    """Who GitHub itself says may push to the repository (write, maintain or admin)."""
    return {
        login
        for login, (role, _) in fake.collaborators.get(f"acme/{repo}", {}).items()
        if role in ("write", "maintain", "admin")
    }


# ---- payloads ------------------------------------------------------------------------------------


def member_event(
    fake: FakeGitHub,
    action: str,
    repo: str,
    login: str,
    *,
    to: str | None = None,
    previous: str | None = None,
) -> dict[str, Any]:
    """A `member` delivery: added (`to` the new permission), edited (`previous` → `to`), removed."""
    changes: dict[str, Any] = {}
    if action == "added" and to is not None:
        changes = {"permission": {"to": to}, "role_name": {"to": to}}
    elif action == "edited":
        changes = {"old_permission": {"from": previous}, "permission": {"from": previous, "to": to}}
    payload: dict[str, Any] = {
        "action": action,
        "member": fake.user(login),
        **fake._hook_context(fake.repos[f"acme/{repo}"], None),
    }
    if action != "removed":
        payload["changes"] = changes
    return payload


def team_add_event(fake: FakeGitHub, slug: str, repo: str) -> dict[str, Any]:
    return {"team": fake.teams[("acme", slug)], **fake._hook_context(fake.repos[repo], None)}


def membership_event(
    fake: FakeGitHub, action: str, slug: str, login: str, *, org: str = "acme"
) -> dict[str, Any]:
    organization = fake.add_org(org)
    return {
        "action": action,
        "scope": "team",
        "member": fake.user(login),
        "sender": fake.user("octocat"),
        "team": fake.teams[(org.lower(), slug)],
        "organization": {k: organization[k] for k in ("login", "id", "node_id", "url")},
    }


# ---- fixtures ------------------------------------------------------------------------------------


@pytest.fixture
def offline(engine: AsyncEngine, time: FakeTime) -> EventProcessor:
    """The processor of a bot without GitHub credentials: payloads are all it has."""
    return EventProcessor(engine, org="acme", clock=time.clock)


@pytest.fixture
def online(engine: AsyncEngine, client: GitHubClient, time: FakeTime) -> EventProcessor:
    """The processor of a bot connected to GitHub: access events list the writers again."""
    return EventProcessor(
        engine, org="acme", clock=time.clock, writers=WritersRefresher(engine, client)
    )


@pytest.fixture
async def synced(
    engine: AsyncEngine, client: GitHubClient, fake: FakeGitHub, time: FakeTime
) -> FakeGitHub:
    """web, api (open alerts) and docs (none); team frontend reaches web and api; synced."""
    for name in ("web", "api", "docs"):
        fake.add_repo(name)
    fake.add_code_alert("web")
    fake.add_secret_alert("api")
    fake.add_collaborator("web", "dev", "write")
    fake.add_collaborator("web", "lead", "admin")
    fake.add_collaborator("api", "dev", "maintain")
    fake.add_collaborator("docs", "writer", "write")
    fake.add_team("frontend", repos={"web": "push", "api": "pull"})
    fake.add_team("platform", repos={"docs": "admin"})
    report = await sync(engine, client, "acme", clock=time.clock)
    assert report.complete and report.notes == []
    assert await stored_writers(engine) == {
        "acme/web": {"dev": "push", "lead": "admin"},
        "acme/api": {"dev": "maintain"},
    }
    return fake


# ---- member, without GitHub: the payload says it all --------------------------------------------


async def test_member_added_with_write_is_stored_without_asking_github(
    offline: EventProcessor, engine: AsyncEngine, fake: FakeGitHub
) -> None:
    fake.add_repo("web")

    result = await offline.process("member", member_event(fake, "added", "web", "Dev", to="write"))

    assert result.status == "processed"
    assert await stored_writers(engine) == {"acme/web": {"dev": "push"}}
    assert fake.requests == []


@pytest.mark.parametrize("to", ["maintain", "admin"])
async def test_member_added_with_more_than_write_is_a_writer(
    offline: EventProcessor, engine: AsyncEngine, fake: FakeGitHub, to: str
) -> None:
    fake.add_repo("web")

    await offline.process("member", member_event(fake, "added", "web", "dev", to=to))

    assert set((await stored_writers(engine))["acme/web"]) == {"dev"}


@pytest.mark.parametrize("to", ["read", "triage"])
async def test_member_added_with_read_or_triage_is_not_a_writer(
    offline: EventProcessor, engine: AsyncEngine, fake: FakeGitHub, to: str
) -> None:
    fake.add_repo("web")

    result = await offline.process("member", member_event(fake, "added", "web", "dev", to=to))

    assert result.status == "processed"
    assert await stored_writers(engine) == {}


async def test_member_removed_is_no_writer_any_more(
    offline: EventProcessor, engine: AsyncEngine, fake: FakeGitHub
) -> None:
    fake.add_repo("web")
    await offline.process("member", member_event(fake, "added", "web", "dev", to="write"))
    await offline.process("member", member_event(fake, "added", "web", "lead", to="admin"))

    result = await offline.process("member", member_event(fake, "removed", "web", "dev"))

    assert result.status == "processed"
    assert await stored_writers(engine) == {"acme/web": {"lead": "push"}}
    assert fake.requests == []


async def test_member_edited_down_to_read_is_no_writer_any_more(
    offline: EventProcessor, engine: AsyncEngine, fake: FakeGitHub
) -> None:
    fake.add_repo("web")
    await offline.process("member", member_event(fake, "added", "web", "dev", to="write"))
    await offline.process("member", member_event(fake, "added", "web", "lead", to="write"))

    await offline.process(
        "member", member_event(fake, "edited", "web", "dev", previous="write", to="read")
    )
    assert await stored_writers(engine) == {"acme/web": {"lead": "push"}}

    await offline.process(
        "member", member_event(fake, "edited", "web", "dev", previous="read", to="admin")
    )
    assert await stored_writers(engine) == {"acme/web": {"lead": "push", "dev": "push"}}


async def test_member_of_a_repository_never_seen_creates_it(
    offline: EventProcessor, engine: AsyncEngine, fake: FakeGitHub
) -> None:
    fake.add_repo("fresh")

    await offline.process("member", member_event(fake, "added", "fresh", "dev", to="write"))

    assert await stored_writers(engine) == {"acme/fresh": {"dev": "push"}}


async def test_member_of_another_organization_is_ignored(
    offline: EventProcessor, engine: AsyncEngine, fake: FakeGitHub
) -> None:
    fake.add_repo("tool", owner="elsewhere")
    payload = {
        "action": "added",
        "member": fake.user("dev"),
        "changes": {"permission": {"to": "write"}},
        **fake._hook_context(fake.repos["elsewhere/tool"], None),
    }

    result = await offline.process("member", payload)

    assert result.status == "ignored"
    assert await stored_writers(engine) == {}


async def test_team_events_without_github_are_ignored_with_a_note(
    offline: EventProcessor, engine: AsyncEngine, synced: FakeGitHub
) -> None:
    before = await stored_writers(engine)
    asked = len(synced.requests)

    added = await offline.process("team_add", team_add_event(synced, "frontend", "acme/docs"))
    joined = await offline.process(
        "membership", membership_event(synced, "added", "frontend", "newbie")
    )

    assert (added.status, joined.status) == ("ignored", "ignored")
    assert "not connected" in added.note and "not connected" in joined.note
    assert await stored_writers(engine) == before
    assert len(synced.requests) == asked


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
