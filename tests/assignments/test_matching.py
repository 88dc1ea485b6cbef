"""Identities matched by e-mail: a writer's public GitHub e-mail looked up in Slack.

The writers come from a real sync against FakeGitHub; the Slack side is the app's SlackDirectory
on a slack_sdk client pointed at FakeSlack. Every lookup is remembered for a week (EMAIL_RECHECK),
which the tests see through the fakes' recorded requests and the injected clock.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.assignments.matching import EMAIL_RECHECK, MatchReport, match_by_email
from bot.assignments.service import AssignmentService
from bot.campaigns.service import CampaignService
from bot.core.models import Identity
from bot.core.settings import Settings
from bot.github.client import GitHubClient
from bot.github.errors import GitHubError
from bot.github.sync import sync
from commands.shared.directory import SlackDirectory
from store import identities, schema
from store.times import utc
from tests.fakes.fixtures import BOT_TOKEN
from tests.fakes.github import FakeGitHub, Fault
from tests.fakes.slack import FakeSlack
from tests.github.support import START, FakeTime, make_client

LOOKUP = "users.lookupByEmail"


# ---- fixtures: FakeGitHub with its client, FakeSlack behind SlackDirectory ----------------------


@pytest.fixture
def time() -> FakeTime:
    return FakeTime()


@pytest.fixture
async def fake(time: FakeTime) -> AsyncIterator[FakeGitHub]:
    async with FakeGitHub(clock=time.clock) as gh:
        yield gh


@dataclass
class SlackFailure:
    """Makes FakeSlack fail the n-th `users.lookupByEmail` (counted from 1), when armed."""

    fake_slack: FakeSlack
    at: int | None = None
    seen: int = 0

    async def on_request_start(
        self, _session: aiohttp.ClientSession, _ctx: SimpleNamespace, params: Any
    ) -> None:
        if not params.url.path.endswith(f"/{LOOKUP}"):
            return
        self.seen += 1
        if self.seen == self.at:
            self.fake_slack.fail(LOOKUP, "fatal_error", times=1)


@pytest.fixture
def slack_failure(fake_slack: FakeSlack) -> SlackFailure:
    return SlackFailure(fake_slack)


@pytest.fixture
async def session(slack_failure: SlackFailure) -> AsyncIterator[aiohttp.ClientSession]:
    trace = aiohttp.TraceConfig()
    trace.on_request_start.append(slack_failure.on_request_start)
    async with aiohttp.ClientSession(trace_configs=[trace]) as s:
        yield s


@pytest.fixture
def client(session: aiohttp.ClientSession, fake: FakeGitHub, time: FakeTime) -> GitHubClient:
    return make_client(session, fake, time)


@pytest.fixture
def slack(fake_slack: FakeSlack, session: aiohttp.ClientSession, time: FakeTime) -> SlackDirectory:
    web = AsyncWebClient(token=BOT_TOKEN, base_url=fake_slack.api_url, session=session)
    return SlackDirectory(web, frozenset(), None, clock=time.clock)


# ---- helpers ------------------------------------------------------------------------------------


async def writers(
    engine: AsyncEngine, client: GitHubClient, fake: FakeGitHub, time: FakeTime, *logins: str
) -> None:
    """Make each login a writer of acme/web (which holds an open alert) and sync."""
    if "acme/web" not in fake.repos:
        fake.add_repo("web")
        fake.add_code_alert("web")
    for login in logins:
        fake.add_collaborator("web", login, "write")
    report = await sync(engine, client, "acme", clock=time.clock)
    assert report.complete and report.notes == []


async def match(
    engine: AsyncEngine,
    client: GitHubClient,
    slack: SlackDirectory,
    time: FakeTime,
    **options: Any,
) -> MatchReport:
    return await match_by_email(engine, client, slack, clock=time.clock, **options)


async def checks(engine: AsyncEngine) -> dict[str, tuple[str | None, str | None, datetime | None]]:
    """What the store remembers per login: (public e-mail, Slack user, checked at)."""
    gu = schema.github_users
    async with engine.connect() as conn:
        rows = await conn.execute(
            select(gu.c.login, gu.c.email, gu.c.slack_user_id, gu.c.checked_at)
        )
        return {login: (email, user, utc(at)) for login, email, user, at in rows}


async def identity(engine: AsyncEngine, slack_user: str) -> Identity | None:
    async with engine.connect() as conn:
        return await identities.get(conn, slack_user)


def users_asked(fake: FakeGitHub, login: str) -> int:
    return len(fake.requests_to(f"/users/{login}", "GET"))


# ---- tests ---------------------------------------------------------------------------------------


async def test_a_writer_whose_public_email_slack_knows_is_linked(
    engine: AsyncEngine,
    client: GitHubClient,
    fake: FakeGitHub,
    fake_slack: FakeSlack,
    slack: SlackDirectory,
    time: FakeTime,
) -> None:
    await writers(engine, client, fake, time, "alice")
    fake.set_public_email("alice", "alice@example.com")
    fake_slack.add_user("UALICE", email="alice@example.com")

    report = await match(engine, client, slack, time)

    assert report == MatchReport(looked_up=1, linked=["alice → UALICE"], remaining=0)
    assert await identity(engine, "UALICE") == Identity(
        slack_user_id="UALICE", github_login="alice", email="alice@example.com", source="email"
    )
    assert await checks(engine) == {"alice": ("alice@example.com", "UALICE", START)}
    assert [call.args["email"] for call in fake_slack.calls(LOOKUP)] == ["alice@example.com"]

    # Linked now: a later pass has nobody to look up, not even after a week.
    time.advance(days=8)
    assert await match(engine, client, slack, time) == MatchReport()
    assert users_asked(fake, "alice") == 1


async def test_a_mixed_case_login_is_linked_lower_cased(
    engine: AsyncEngine,
    client: GitHubClient,
    fake: FakeGitHub,
    fake_slack: FakeSlack,
    slack: SlackDirectory,
    time: FakeTime,
) -> None:
    await writers(engine, client, fake, time, "Dana-X")
    fake.set_public_email("Dana-X", "Dana@Example.com")
    fake_slack.add_user("UDANA", email="dana@example.com")

    report = await match(engine, client, slack, time)

    assert report.linked == ["dana-x → UDANA"]
    found = await identity(engine, "UDANA")
    assert found is not None and found.github_login == "dana-x" and found.source == "email"


async def test_an_email_slack_does_not_know_is_remembered_for_a_week(
    engine: AsyncEngine,
    client: GitHubClient,
    fake: FakeGitHub,
    fake_slack: FakeSlack,
    slack: SlackDirectory,
    time: FakeTime,
) -> None:
    await writers(engine, client, fake, time, "bob")
    fake.set_public_email("bob", "bob@example.com")

    first = await match(engine, client, slack, time)

    assert first == MatchReport(looked_up=1, linked=[], remaining=0)
    assert await checks(engine) == {"bob": ("bob@example.com", None, START)}
    assert len(fake_slack.calls(LOOKUP)) == 1

    # Within the week (EMAIL_RECHECK) neither GitHub nor Slack is asked again, though Slack
    # knows him by now.
    fake_slack.add_user("UBOB", email="bob@example.com")
    time.advance(days=EMAIL_RECHECK.days - 1)
    assert await match(engine, client, slack, time) == MatchReport()
    assert users_asked(fake, "bob") == 1
    assert len(fake_slack.calls(LOOKUP)) == 1
    assert await identity(engine, "UBOB") is None

    # A week and a day later he is looked up again, and linked.
    time.advance(days=2)
    again = await match(engine, client, slack, time)

    assert again == MatchReport(looked_up=1, linked=["bob → UBOB"], remaining=0)
    assert users_asked(fake, "bob") == 2
    assert len(fake_slack.calls(LOOKUP)) == 2
    assert await checks(engine) == {"bob": ("bob@example.com", "UBOB", START + timedelta(days=8))}


async def test_a_login_without_a_public_email_is_not_asked_of_slack(
    engine: AsyncEngine,
    client: GitHubClient,
    fake: FakeGitHub,
    fake_slack: FakeSlack,
    slack: SlackDirectory,
    time: FakeTime,
) -> None:
    await writers(engine, client, fake, time, "carol")

    report = await match(engine, client, slack, time)

    assert report == MatchReport(looked_up=1, linked=[], remaining=0)
    assert fake_slack.calls(LOOKUP) == []
    assert await checks(engine) == {"carol": (None, None, START)}
    time.advance(days=1)
    assert await match(engine, client, slack, time) == MatchReport()
    assert users_asked(fake, "carol") == 1


async def test_an_account_gone_from_github_is_remembered_without_an_email(
    engine: AsyncEngine,
    client: GitHubClient,
    fake: FakeGitHub,
    fake_slack: FakeSlack,
    slack: SlackDirectory,
    time: FakeTime,
) -> None:
    await writers(engine, client, fake, time, "ghost")
    fake.set_public_email("ghost", "ghost@example.com")
    del fake.users["ghost"]  # the account was deleted since the sync: 404

    report = await match(engine, client, slack, time)

    assert report == MatchReport(looked_up=1, linked=[], remaining=0)
    assert fake_slack.calls(LOOKUP) == []
    assert await checks(engine) == {"ghost": (None, None, START)}


async def test_a_slack_user_linked_by_hand_keeps_their_link(
    engine: AsyncEngine,
    client: GitHubClient,
    fake: FakeGitHub,
    fake_slack: FakeSlack,
    slack: SlackDirectory,
    time: FakeTime,
) -> None:
    await writers(engine, client, fake, time, "dev-new", "dev-old")
    async with engine.begin() as conn:
        await identities.save(conn, Identity(slack_user_id="UDEV", github_login="dev-old"))
    fake.set_public_email("dev-new", "dev@example.com")
    fake.set_public_email("dev-old", "dev@example.com")
    fake_slack.add_user("UDEV", email="dev@example.com")

    report = await match(engine, client, slack, time)

    assert report == MatchReport(looked_up=1, linked=[], remaining=0)
    assert await identity(engine, "UDEV") == Identity(
        slack_user_id="UDEV", github_login="dev-old", source="manual"
    )
    assert users_asked(fake, "dev-old") == 0  # linked already: never looked up
    assert await checks(engine) == {"dev-new": ("dev@example.com", "UDEV", START)}


async def test_a_limit_leaves_the_rest_for_the_next_passes(
    engine: AsyncEngine,
    client: GitHubClient,
    fake: FakeGitHub,
    fake_slack: FakeSlack,
    slack: SlackDirectory,
    time: FakeTime,
) -> None:
    logins = [f"dev-{i}" for i in range(5)]
    await writers(engine, client, fake, time, *logins)
    for i, login in enumerate(logins):
        fake.set_public_email(login, f"{login}@example.com")
        fake_slack.add_user(f"UDEV{i}", email=f"{login}@example.com")

    reports = [await match(engine, client, slack, time, limit=2) for _ in range(4)]

    assert [(r.looked_up, len(r.linked), r.remaining) for r in reports] == [
        (2, 2, 3),
        (2, 2, 1),
        (1, 1, 0),
        (0, 0, 0),
    ]
    assert reports[0].linked == ["dev-0 → UDEV0", "dev-1 → UDEV1"]
    assert [users_asked(fake, login) for login in logins] == [1] * 5
    assert len(fake_slack.calls(LOOKUP)) == 5


async def test_a_slack_failure_midway_keeps_what_was_learned_before(
    engine: AsyncEngine,
    client: GitHubClient,
    fake: FakeGitHub,
    fake_slack: FakeSlack,
    slack: SlackDirectory,
    slack_failure: SlackFailure,
    time: FakeTime,
) -> None:
    await writers(engine, client, fake, time, "alice", "bob", "carol", "dave")
    for login in ("alice", "bob", "carol", "dave"):
        fake.set_public_email(login, f"{login}@example.com")
    fake_slack.add_user("UALICE", email="alice@example.com")
    fake_slack.add_user("UCAROL", email="carol@example.com")
    slack_failure.at = 3  # alice (known), bob (unknown), then carol's lookup fails

    with pytest.raises(SlackApiError):
        await match(engine, client, slack, time)

    assert await checks(engine) == {
        "alice": ("alice@example.com", "UALICE", START),
        "bob": ("bob@example.com", None, START),
    }
    found = await identity(engine, "UALICE")
    assert found is not None and found.github_login == "alice"
    assert users_asked(fake, "dave") == 0

    # The next pass asks only about those it did not finish.
    report = await match(engine, client, slack, time)

    assert report == MatchReport(looked_up=2, linked=["carol → UCAROL"], remaining=0)
    assert [users_asked(fake, login) for login in ("alice", "bob", "carol", "dave")] == [1, 1, 2, 1]
    emails = [call.args["email"].split("@")[0] for call in fake_slack.calls(LOOKUP)]
    assert emails == ["alice", "bob", "carol", "carol", "dave"]


async def test_a_github_failure_midway_keeps_what_was_learned_before(
    engine: AsyncEngine,
    client: GitHubClient,
    fake: FakeGitHub,
    fake_slack: FakeSlack,
    slack: SlackDirectory,
    time: FakeTime,
) -> None:
    await writers(engine, client, fake, time, "alice", "bob")
    fake.set_public_email("alice", "alice@example.com")
    fake.set_public_email("bob", "bob@example.com")
    fake_slack.add_user("UALICE", email="alice@example.com")
    fake.fail_next("/users/bob", Fault.response(403, {"message": "Forbidden"}))

    with pytest.raises(GitHubError):
        await match(engine, client, slack, time)

    assert await checks(engine) == {"alice": ("alice@example.com", "UALICE", START)}
    assert (await match(engine, client, slack, time)).looked_up == 1  # only bob


async def test_the_assignment_service_matches_only_with_a_slack_workspace(
    engine: AsyncEngine,
    client: GitHubClient,
    fake: FakeGitHub,
    fake_slack: FakeSlack,
    slack: SlackDirectory,
    time: FakeTime,
) -> None:
    await writers(engine, client, fake, time, "alice")
    fake.set_public_email("alice", "alice@example.com")
    fake_slack.add_user("UALICE", email="alice@example.com")
    campaigns = CampaignService(engine, Settings(_env_file=None), clock=time.clock)

    assert await AssignmentService(campaigns).match_identities(client) is None
    assert users_asked(fake, "alice") == 0

    report = await AssignmentService(campaigns, emails=slack).match_identities(client)

    assert report is not None and report.linked == ["alice → UALICE"]
    assert await checks(engine) == {"alice": ("alice@example.com", "UALICE", START)}
