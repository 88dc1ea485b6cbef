"""The delivery bench's world: the fake Slack in its own process (bench/fake_slack.py) and its
`bench.*` control client, the database (SQLite in a temporary directory, or a schema of its own in
the PostgreSQL database DATABASE_URL names), seed data and the campaign service."""

from __future__ import annotations

import asyncio
import os
import sys
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.campaigns.ports import AdminList
from bot.campaigns.requests import CreateRequest
from bot.campaigns.service import CampaignService
from bot.core.settings import Settings
from commands.delivery.messenger import PER_CHANNEL_RATE
from store import alerts, repositories
from store.engine import create_engine
from store.migrate import upgrade
from tests.builders import code_alert, repo
from tests.fakes.constants import BOT_TOKEN

ROOT = Path(__file__).resolve().parents[1]
ADMIN = "UBENCH"
CHANNELS = 20
POLL = 0.25
"""The deliverer's polling interval (run_forever's default, as in `campaignbot run`)."""


@dataclass(frozen=True)
class Scale:
    notices: int
    storm: int
    samples: int
    channels: int = CHANNELS
    rate: float = PER_CHANNEL_RATE
    """Posts per second per channel the project's pacer (and the bare floor's limiter) allow."""

    @property
    def per_channel(self) -> int:
        return self.notices // self.channels


FULL = Scale(notices=1_000, storm=100, samples=30)
QUICK = Scale(notices=100, storm=20, samples=10)


# ---- the fake Slack, in its own process -------------------------------------------------------


class SlackProcess:
    """`python -m bench.fake_slack`, driven through its `bench.*` methods."""

    def __init__(self, process: asyncio.subprocess.Process, api_url: str) -> None:
        self.process = process
        self.api_url = api_url
        self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=None))

    @classmethod
    @asynccontextmanager
    async def start(cls) -> AsyncIterator[SlackProcess]:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bench.fake_slack",
            cwd=ROOT,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        assert process.stdout is not None and process.stdin is not None
        ready = (await process.stdout.readline()).decode().split()
        if ready[:1] != ["READY"]:
            process.kill()
            raise RuntimeError("the fake Slack did not start")
        fake = cls(process, ready[1])
        try:
            yield fake
        finally:
            await fake._http.close()
            process.stdin.close()
            await process.wait()

    async def call(self, name: str, /, **body: Any) -> dict[str, Any]:
        async with self._http.post(f"{self.api_url}bench.{name}", json=body) as response:
            answer: dict[str, Any] = await response.json()
        return answer

    async def reset(self, pace: float | None = PER_CHANNEL_RATE) -> None:
        await self.call("reset", pace=pace, retry=1)

    async def arrival(self, key: str, timeout: float = 30) -> float:  # noqa: ASYNC109
        answer = await self.call("wait", keys=[key], timeout=timeout)
        if not answer["ok"]:
            raise RuntimeError(f"{key} never reached the fake Slack within {timeout} s")
        return float(answer["arrivals"][key])

    async def stats(self) -> dict[str, Any]:
        return await self.call("stats")


# ---- the database -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Database:
    engine: AsyncEngine
    url: str
    schema: str | None
    label: str

    def new_engine(self) -> AsyncEngine:
        return engine_for(self.url, self.schema)


def engine_for(url: str, schema_name: str | None) -> AsyncEngine:
    if schema_name is None:
        return create_engine(url)
    return create_engine(url, connect_args={"server_settings": {"search_path": schema_name}})


@asynccontextmanager
async def database(tmp: Path) -> AsyncIterator[Database]:
    """SQLite in `tmp`, or a fresh schema of the PostgreSQL database DATABASE_URL names."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgresql"):
        path = tmp / "bench.db"
        engine = create_engine(f"sqlite+aiosqlite:///{path}")
        try:
            await upgrade(engine)
            yield Database(engine, f"sqlite+aiosqlite:///{path}", None, "SQLite (temp file)")
        finally:
            await engine.dispose()
        return
    name = f"bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url)
    async with admin.begin() as conn:
        await conn.execute(text(f"CREATE SCHEMA {name}"))
    try:
        engine = engine_for(url, name)
        try:
            await upgrade(engine)
            yield Database(engine, url, name, f"PostgreSQL (schema {name}, dropped after)")
        finally:
            await engine.dispose()
    finally:
        async with admin.begin() as conn:
            await conn.execute(text(f"DROP SCHEMA IF EXISTS {name} CASCADE"))
        await admin.dispose()


async def seed(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await repositories.upsert_many(conn, [repo("acme/web"), repo("acme/api")])
        await alerts.upsert_many(
            conn,
            [
                code_alert(name, number, security_severity="critical")
                for name in ("acme/web", "acme/api")
                for number in range(1, 6)
            ],
        )


def bench_settings(api_url: str) -> Settings:
    return Settings(
        _env_file=None,
        slack_bot_token=BOT_TOKEN,
        slack_api_url=api_url,
        campaign_admins=ADMIN,
        max_active_campaigns=100_000,  # the latency samples each create one
        log_level="WARNING",
    )


def service_for(engine: AsyncEngine, settings: Settings) -> CampaignService:
    return CampaignService(engine, settings, directory=AdminList(frozenset({ADMIN})))


def create_request(name: str, channel: str | None) -> CreateRequest:
    return CreateRequest(
        name=name,
        description="delivery bench",
        due_date=date.today() + timedelta(days=60),
        manager=ADMIN,
        query="is:open severity:critical",
        channel=channel,
    )
