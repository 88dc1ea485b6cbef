"""What the GitHub tests share: an instant clock-and-sleep, a client pointed at the fake, and the
client tests' paths, page collector and seeded data."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.github.auth import TokenAuth
from bot.github.client import GitHubClient
from bot.github.http import Page
from store import schema
from tests.fakes.github import FakeGitHub

START = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)

ALERTS = "/orgs/acme/code-scanning/alerts"
SECRETS = "/orgs/acme/secret-scanning/alerts"
REPOS = "/orgs/acme/repos"


class FakeTime:
    """A clock and a sleep: sleeping records the delay and moves the clock, instantly."""

    def __init__(self, start: datetime = START) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def clock(self) -> datetime:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += timedelta(seconds=seconds)

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def make_client(
    session: aiohttp.ClientSession, fake: FakeGitHub, time: FakeTime, **options: Any
) -> GitHubClient:
    return GitHubClient(
        session,
        TokenAuth(fake.token),
        base_url=fake.url,
        sleep=time.sleep,
        clock=time.clock,
        **options,
    )


async def collect(pages: AsyncIterator[Page]) -> list[Page]:
    return [page async for page in pages]


def seed_alerts(fake: FakeGitHub, count: int) -> None:
    for name in ("api", "web", "worker"):
        fake.add_repo(name)
    for i in range(count):
        fake.add_code_alert(
            ("api", "web", "worker")[i % 3],
            updated_at=START - timedelta(minutes=i),
        )


def campaign_body(fake: FakeGitHub) -> dict[str, Any]:
    if "acme/api" not in fake.repos:
        fake.add_repo("api")
        fake.add_code_alert("api", number=1)
        fake.add_code_alert("api", number=2, state="fixed")
    return {
        "name": "Critical CodeQL alerts",
        "description": "Fix the critical ones before the audit.",
        "managers": ["octocat"],
        "ends_at": "2025-04-01T00:00:00Z",
        "code_scanning_alerts": [
            {"repository_id": fake.repos["acme/api"]["id"], "alert_numbers": [1, 2]}
        ],
    }


def collaborators(repo: str) -> str:
    return f"/repos/acme/{repo}/collaborators"


async def stored_writers(engine: AsyncEngine) -> dict[str, dict[str, str]]:
    """Repository full name → {login: permission}, as the store holds them."""
    w, r = schema.repository_writers, schema.repositories
    async with engine.connect() as conn:
        rows = await conn.execute(
            select(r.c.full_name, w.c.login, w.c.permission).join(r, r.c.id == w.c.repository_id)
        )
        found: dict[str, dict[str, str]] = {}
        for full_name, login, perm in rows:
            found.setdefault(full_name, {})[login] = perm
    return found
