"""Access webhooks keep the stored writers fresh between syncs: `member`, `team_add`, `membership`.
Here, a bot without GitHub credentials: a `member` payload says it all; team events are ignored.

Deliveries go straight to the EventProcessor (tests/github/test_webhook_*.py cover the signed HTTP
path). Payloads follow GitHub's documented shapes: `member` has `member`, `changes.permission.to`
(added, edited) and `repository`; `team_add` has `team` and `repository`; `membership` has `team`,
`member` and `organization` but no `repository`. They are built in tests/github/access_support.py.
"""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.github.events import EventProcessor
from tests.fakes.github import FakeGitHub
from tests.github.access_support import member_event, membership_event, team_add_event
from tests.github.support import FakeTime, stored_writers

# ---- fixtures ------------------------------------------------------------------------------------


@pytest.fixture
def offline(engine: AsyncEngine, time: FakeTime) -> EventProcessor:
    """The processor of a bot without GitHub credentials: payloads are all it has."""
    return EventProcessor(engine, org="acme", clock=time.clock)


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
