"""Fixtures of the GitHub tests: a fake GitHub, an instant clock, a client for the fake."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from bot.github.client import GitHubClient
from tests.fakes.github import FakeGitHub
from tests.github.support import FakeTime, make_client


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
