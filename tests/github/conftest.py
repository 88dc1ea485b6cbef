"""Fixtures of the GitHub tests: a fake GitHub, an instant clock, a client for the fake, the
synced organization the access-webhook tests (tests/github/test_access_*.py) start from, and the
running app with webhooks on (`hooks`) that the webhook tests (tests/github/test_webhook_*.py)
deliver to."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.github.auth import TokenAuth
from bot.github.client import GitHubClient
from bot.github.sync import sync
from bot.github.webhooks import Outcome
from store.engine import create_engine
from tests.fakes.fixtures import StartApp
from tests.fakes.github import FakeGitHub
from tests.github.support import FakeTime, make_client, stored_writers
from tests.github.webhook_support import SECRET, Hooks


@pytest.fixture
def time() -> FakeTime:
    return FakeTime()


@pytest.fixture
async def fake(time: FakeTime) -> AsyncIterator[FakeGitHub]:
    async with FakeGitHub(clock=time.clock) as gh:
        yield gh


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as s:
        yield s


@pytest.fixture
def client(session: aiohttp.ClientSession, fake: FakeGitHub, time: FakeTime) -> GitHubClient:
    return make_client(session, fake, time)


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


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
async def hooks(
    start_app: StartApp, http: aiohttp.ClientSession, fake: FakeGitHub
) -> AsyncIterator[Hooks]:
    """The running app with webhooks on, its inventory synced from `fake` (the webhook tests'
    `webhook_org`)."""
    outcomes: asyncio.Queue[Outcome] = asyncio.Queue()
    app = await start_app(
        github_webhook_secret=SECRET, github_org="acme", on_webhook=outcomes.put_nowait
    )
    engine = create_engine(app.settings.database_url)
    async with aiohttp.ClientSession() as session:  # fill the inventory as `campaignbot sync` does
        await sync(engine, GitHubClient(session, TokenAuth(fake.token), base_url=fake.url), "acme")
    yield Hooks(app, http, engine, outcomes)
    await engine.dispose()
