"""The Slack bench's world: its scale, the database it seeds (SQLite or PostgreSQL), and the
processes it starts (the bot as `campaignbot run` serves it, and the bare Bolt app beside it).

`bench.slack_bench` measures; this module only builds what it measures against.
"""

from __future__ import annotations

import asyncio
import os
import re
import sys
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import insert
from sqlalchemy.engine import make_url

from bench.core_bench import NOW
from bot.campaigns.ports import AdminList
from bot.campaigns.requests import CreateRequest
from bot.campaigns.service import CampaignService
from bot.core.settings import Settings
from bot.demo import organization as demo
from store import campaigns as campaign_store
from store import schema
from store.engine import create_engine
from store.migrate import upgrade
from tests.fakes.constants import BOT_TOKEN, SIGNING_SECRET, free_port

Row = tuple[str, str]
ROOT = Path(__file__).resolve().parents[1]
ADMIN = "UBENCH"
CAMPAIGNS = 10
ASSIGNED = 15
"""Open alerts of each campaign assigned to the bench's user (what `/campaign mine` lists)."""
CONCURRENCY = 50
KINDS = ("list", "show", "mine", "click")
WAIT = 300.0


@dataclass(frozen=True)
class Scale:
    alerts: int
    repositories: int
    sequential: int
    concurrent: int
    """Requests per kind, one at a time and 50 at once (each for the bot and for the floor)."""
    rounds: int
    """The 50-at-once requests are sent in this many rounds, the floor's and the bot's by turns,
    so both meet the same moments of a busy machine."""


FULL = Scale(alerts=100_000, repositories=2_000, sequential=200, concurrent=800, rounds=8)
QUICK = Scale(alerts=5_000, repositories=100, sequential=10, concurrent=100, rounds=2)


# ---- the database -----------------------------------------------------------------------------


async def prepare(url: str, scale: Scale) -> None:
    """Import the organization, create the campaigns, assign the bench user's alerts."""
    engine = create_engine(url)
    try:
        await upgrade(engine)
        data = demo.generate_org(alerts=scale.alerts, repositories=scale.repositories, now=NOW)
        await demo.load(engine, data)
        settings = Settings(_env_file=None, campaign_admins=ADMIN)
        service = CampaignService(
            engine, settings, directory=AdminList(frozenset({ADMIN})), clock=lambda: NOW
        )
        for index in range(CAMPAIGNS):
            await service.create(
                ADMIN,
                CreateRequest(
                    name=f"Campaign {index}",
                    description="bench",
                    due_date=date(2027, 1, 31),
                    manager=ADMIN,
                    query="is:open kind:code" if index % 2 else "is:open kind:secret",
                    continue_big=True,
                ),
            )
        async with engine.begin() as conn:
            rows = []
            for number in range(1, CAMPAIGNS + 1):
                chosen = (await campaign_store.alert_ids(conn, number))[:ASSIGNED]
                rows += [
                    {
                        "campaign_id": number,
                        "alert_id": alert_id,
                        "assignee": ADMIN,
                        "assigned_by": ADMIN,
                        "assigned_at": NOW,
                    }
                    for alert_id, _ in chosen
                ]
            await conn.execute(insert(schema.assignments), rows)
    finally:
        await engine.dispose()


@asynccontextmanager
async def database(server: str | None, tmp: Path) -> AsyncIterator[tuple[str, str]]:
    """(label, URL): SQLite in `tmp`, or a fresh database on the PostgreSQL `server`."""
    if server is None:
        yield "SQLite (temp file)", f"sqlite+aiosqlite:///{tmp / 'bench.db'}"
        return
    import asyncpg

    name = f"bench_slack_{uuid.uuid4().hex[:10]}"
    admin = make_url(server).set(drivername="postgresql").render_as_string(hide_password=False)
    conn = await asyncpg.connect(admin)
    try:
        await conn.execute(f"CREATE DATABASE {name}")
        try:
            url = make_url(server).set(database=name).render_as_string(hide_password=False)
            yield f"PostgreSQL (database {name}, dropped after)", url
        finally:
            await conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    finally:
        await conn.close()


def postgres_url() -> str | None:
    url = os.environ.get("BENCH_POSTGRES_URL") or os.environ.get("TEST_POSTGRES_URL")
    return url if url and url.startswith("postgresql") else None


# ---- the processes ----------------------------------------------------------------------------


def child_env() -> dict[str, str]:
    """AsyncApp and AsyncWebClient read SLACK_* and proxy variables: none reach the children."""
    return {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("SLACK_") and "proxy" not in key.lower()
    }


@dataclass(frozen=True)
class Child:
    url: str
    pid: int

    def cpu_seconds(self) -> float:
        """CPU time the process has used (all its threads), from /proc; 0 where there is none."""
        try:
            fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@asynccontextmanager
async def process(*args: str) -> AsyncIterator[Child]:
    """`python -m <args>` that prints `READY <url>` and runs until its stdin closes."""
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        *args,
        cwd=ROOT,
        env=child_env(),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    assert child.stdin is not None and child.stdout is not None
    try:
        async with asyncio.timeout(120):
            ready = (await child.stdout.readline()).decode().split()
        if ready[:1] != ["READY"]:
            raise RuntimeError(f"{' '.join(args)} did not start")
        yield Child(ready[1], child.pid)
    finally:
        child.stdin.close()
        try:
            async with asyncio.timeout(30):
                await child.wait()
        except TimeoutError:
            child.kill()
            await child.wait()


async def serve_bot(database_url: str, api_url: str) -> None:
    """The child that runs the bot: `serve()` as `campaignbot run` calls it, the clock at NOW."""
    from bot.runtime.lifespan import serve

    port = free_port()
    settings = Settings(
        _env_file=None,
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=api_url,
        database_url=database_url,
        campaign_admins=ADMIN,
        host="127.0.0.1",
        port=port,
        log_level="WARNING",
    )
    ready, stop = asyncio.Event(), asyncio.Event()
    server = asyncio.create_task(serve(settings, ready=ready, stop=stop, clock=lambda: NOW))
    waiting = asyncio.create_task(ready.wait())
    await asyncio.wait([server, waiting], return_when=asyncio.FIRST_COMPLETED)
    if server.done():
        server.result()
        raise RuntimeError("serve() returned before it was ready")
    print("READY", f"http://127.0.0.1:{port}/slack/events", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    stop.set()
    await server


async def serve_bare(api_url: str) -> None:
    async with bare_bolt_server(api_url) as url:
        print("READY", url, flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)


@asynccontextmanager
async def bare_bolt_server(api_url: str) -> AsyncIterator[str]:
    """A Bolt AsyncApp that only acks (`/campaign` and any block action), served by aiohttp as the
    bot's endpoint is; yields its events URL. `api_url` is the fake Slack (Bolt's auth.test)."""
    app = AsyncApp(
        signing_secret=SIGNING_SECRET,
        client=AsyncWebClient(token=BOT_TOKEN, base_url=api_url),
    )

    @app.command("/campaign")
    async def ack_only(ack: Any) -> None:
        await ack()

    @app.action(re.compile(".*"))
    async def ack_action(ack: Any) -> None:
        await ack()

    async def handle(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await app.async_dispatch(await to_bolt_request(request)))

    web_app = web.Application()
    web_app.router.add_post("/slack/events", handle)
    runner = web.AppRunner(web_app, access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield f"http://127.0.0.1:{port}/slack/events"
    finally:
        await runner.cleanup()
