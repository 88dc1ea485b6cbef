"""What the GitHub tests share: an instant clock-and-sleep, a client pointed at the fake."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp

from bot.github.auth import TokenAuth
from bot.github.client import GitHubClient
from tests.fakes.github import FakeGitHub

START = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


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
