"""How fast is Slack acknowledged? `campaignbot run` (HTTP mode) beside a bare Bolt app (issue 12).

    python -m bench.slack_bench [--quick]     # or: python -m bench --only slack [--quick]

The world: the demo organization (100,000 alerts over 2,000 repositories; `--quick`: 5,000 over
100) imported into a database, 10 active campaigns of up to 1,000 alerts each (`is:open
kind:code` and `kind:secret` by turns), and the bench's user, a security manager, assigned 15
open alerts in each. Four requests, each signed as Slack signs it, with a fresh response_url:

- `list`: `/campaign list`;  `show`: `/campaign show N` (N = 1…10 by turns);
- `mine`: `/campaign mine`;  `click`: the "View" button of a campaign list (`view_campaign`).

Four processes: the fake Slack (bench/fake_slack.py, which receives the replies), the bot
(`serve()`, as `campaignbot run` starts it, clock at Monday 2 November 2026 09:00 UTC), the
floor (a Bolt `AsyncApp` that only acks, served by aiohttp as the bot's endpoint is) and this
one, the client. The bench waits for the jobs the bot runs as it starts, then, per request:
a warm-up, 200 one at a time (`--quick`: 10), then 800 with 50 in flight (`--quick`: 100) in 8
rounds (`--quick`: 2); each round sends the floor's requests, then the bot's, and waits for every
reply of the bot's, so both meet the same moments of a busy machine and no reply is still being
worked on when the next round starts. Figures: the HTTP round trip of Slack's request (what
Slack's 3-second limit measures), p50 and p99, beside the floor's and the ratio of the p99s
(the aim: within 1.5x at 50 at once); from sending to the reply reaching the fake (p50 / p99);
the CPU time each server process used per request (Linux /proc; the bot's includes its work
after the ack and its database threads). Checked: every reply arrives, none is an error, no
Block Kit violation. SQLite in a temporary directory; PostgreSQL too when BENCH_POSTGRES_URL
(or TEST_POSTGRES_URL) names a server (`postgresql+asyncpg://…`): a database of its own there,
dropped afterwards.

No assertion on speed anywhere: figures are printed, never checked.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import aiohttp
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
from tests.fakes.signing import SignedRequest, SlackSigner, button

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

    if os.environ.get("BENCH_NO_GATE"):  # TEMPORARY experiment
        import bot.core.tasks as tasks_module

        tasks_module.TaskTracker.__init__.__kwdefaults__ = {"concurrent": 100_000}
        tasks_module.WHILE_ANSWERING = 100_000
        tasks_module.OWN_ACK_WAIT = 0.0
        tasks_module.TaskTracker.__init__.__kwdefaults__ = {"concurrent": 100_000, "ack_wait": 0.0}
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


# ---- the client -------------------------------------------------------------------------------


class FakeSlack:
    """The control client of bench/fake_slack.py (its `bench.*` methods)."""

    def __init__(self, api_url: str, http: aiohttp.ClientSession) -> None:
        self.api_url = api_url
        self.http = http

    def hook(self) -> tuple[str, str]:
        """A fresh response_url: (hook id, URL)."""
        hook = uuid.uuid4().hex
        return hook, f"{self.api_url.removesuffix('api/')}hook/{hook}"

    async def call(self, name: str, /, **body: Any) -> dict[str, Any]:
        async with self.http.post(f"{self.api_url}bench.{name}", json=body) as response:
            answer: dict[str, Any] = await response.json()
        return answer


def signed(kind: str, index: int, signer: SlackSigner, response_url: str) -> SignedRequest:
    number = str(1 + index % CAMPAIGNS)
    if kind == "click":
        return signer.block_actions(
            button("view_campaign", number, block_id="list"),
            user_id=ADMIN,
            response_url=response_url,
            message_ts="1700000000.000100",
        )
    text = {"list": "list", "show": f"show {number}", "mine": "mine"}[kind]
    return signer.command(text, user_id=ADMIN, response_url=response_url)


@dataclass
class Sent:
    """One request: when it left (`time.monotonic()`, the clock the fake stamps replies with)
    and how long its acknowledgement took, in milliseconds."""

    at: float
    ack_ms: float


async def _post(http: aiohttp.ClientSession, url: str, request: SignedRequest) -> Sent:
    at, start = time.monotonic(), time.perf_counter()
    async with http.post(url, data=request.body, headers=request.headers) as response:
        await response.read()
        assert response.status == 200, response.status
    return Sent(at, (time.perf_counter() - start) * 1000)


async def burst(
    http: aiohttp.ClientSession, url: str, requests: Sequence[SignedRequest], concurrency: int
) -> list[Sent]:
    """Each request as sent, `concurrency` in flight at a time (1: one after another)."""
    if concurrency == 1:
        return [await _post(http, url, request) for request in requests]
    gate = asyncio.Semaphore(concurrency)

    async def limited(request: SignedRequest) -> Sent:
        async with gate:
            return await _post(http, url, request)

    return list(await asyncio.gather(*(limited(request) for request in requests)))


def p95_99(values: Sequence[float]) -> float:
    """The 99th percentile (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]


def pair(times: Sequence[float]) -> str:
    return f"{statistics.median(times):5.1f} / {p95_99(times):5.1f}"


@dataclass
class Figure:
    kind: str
    concurrency: int
    bot: list[float] = field(default_factory=list)
    floor: list[float] = field(default_factory=list)
    replies: list[float] = field(default_factory=list)
    """Milliseconds from sending each request to its reply reaching the fake Slack."""
    bot_cpu: float = 0.0
    floor_cpu: float = 0.0
    """CPU seconds the bot's process (its work after the acks included) and the floor's used."""

    @property
    def ratio(self) -> float:
        return p95_99(self.bot) / p95_99(self.floor)

    def row(self) -> Row:
        mode = "one at a time" if self.concurrency == 1 else f"{self.concurrency} at once"
        per = 1000 / len(self.bot)
        return (
            f"{self.kind:<5} {mode}",
            f"ack p50/p99: bot {pair(self.bot)} ms, bare Bolt {pair(self.floor)} ms, "
            f"p99 ratio {self.ratio:4.2f}x · reply p50/p99 {pair(self.replies)} ms · CPU per "
            f"request: bot {self.bot_cpu * per:4.1f} ms, bare Bolt {self.floor_cpu * per:3.1f} ms",
        )


STARTUP_JOBS = 4
"""reminders, digest, escalations and exceptions run once as the bot starts (bot.runtime.jobs)."""


async def startup_jobs_done(bot: Child) -> float:
    """Seconds until the jobs the bot runs as it starts are done (read from its /metrics), so
    they are not measured as part of the first request's figures."""
    metrics = bot.url.replace("/slack/events", "/metrics")
    start = time.perf_counter()
    async with aiohttp.ClientSession() as http:
        while time.perf_counter() - start < WAIT:
            async with http.get(metrics) as response:
                text = await response.text()
            runs = sum(
                float(line.rsplit(" ", 1)[1])
                for line in text.splitlines()
                if line.startswith("campaignbot_job_runs_total{")
            )
            if runs >= STARTUP_JOBS:
                return time.perf_counter() - start
            await asyncio.sleep(0.2)
    raise RuntimeError("the bot's start-up jobs did not finish")


async def measure(
    bot: Child, floor: Child, fake: FakeSlack, scale: Scale
) -> tuple[list[Figure], list[Row]]:
    """Per request kind: warm up, then one at a time, then 50 at once in rounds; each round
    sends the floor's requests, then the bot's, and waits for every reply of the bot's."""
    signer = SlackSigner(SIGNING_SECRET)
    figures: list[Figure] = []
    async with aiohttp.ClientSession() as http:

        async def round_of(figure: Figure, count: int) -> None:
            requests = [signed(figure.kind, i, signer, fake.hook()[1]) for i in range(count)]
            cpu = floor.cpu_seconds()
            figure.floor += [
                sent.ack_ms for sent in await burst(http, floor.url, requests, figure.concurrency)
            ]
            figure.floor_cpu += floor.cpu_seconds() - cpu
            hooks = [fake.hook() for _ in range(count)]
            requests = [signed(figure.kind, i, signer, url) for i, (_, url) in enumerate(hooks)]
            cpu = bot.cpu_seconds()
            sent = await burst(http, bot.url, requests, figure.concurrency)
            figure.bot += [request.ack_ms for request in sent]
            answer = await fake.call("wait", hooks=[hook for hook, _ in hooks], timeout=WAIT)
            if not answer["ok"]:
                raise RuntimeError(f"{figure.kind}: replies missing after {WAIT:.0f} s: {answer}")
            figure.bot_cpu += bot.cpu_seconds() - cpu
            # The fake stamps arrivals with the system-wide monotonic clock, as this process.
            arrivals = (await fake.call("stats"))["hooks"]
            figure.replies += [
                (arrivals[hook][0] - request.at) * 1000
                for (hook, _), request in zip(hooks, sent, strict=True)
            ]

        for kind in KINDS:
            for url in (floor.url, bot.url):  # connections, caches
                warm = [signed(kind, i, signer, fake.hook()[1]) for i in range(CAMPAIGNS)]
                await burst(http, url, warm, 1)
            one_by_one, at_once = Figure(kind, 1), Figure(kind, CONCURRENCY)
            await round_of(one_by_one, scale.sequential)
            for _ in range(scale.rounds):
                await round_of(at_once, scale.concurrent // scale.rounds)
            figures += [one_by_one, at_once]
        stats = await fake.call("stats")
    errors = sum(
        1
        for _, text in stats["hooks"].values()
        if text.startswith(":warning:") or "went wrong" in text
    )
    notes = [
        ("replies that were errors", str(errors)),
        ("block limit violations seen by the fake", str(stats["violations"])),
    ]
    return figures, notes


async def one_database(
    label: str, database_url: str, api: Child, floor: Child, fake: FakeSlack, scale: Scale
) -> tuple[str, list[Row]]:
    start = time.perf_counter()
    await prepare(database_url, scale)
    seeded = time.perf_counter() - start
    async with process(
        "bench.slack_bench", "--serve", "bot", "--api", api.url, "--db", database_url
    ) as bot:
        settled = await startup_jobs_done(bot)
        figures, notes = await measure(bot, floor, fake, scale)
    notes.append(("the bot's start-up jobs, waited for", f"{settled:.1f} s"))
    rows = [figure.row() for figure in figures]
    worst = max(figure.ratio for figure in figures if figure.concurrency > 1)
    rows.append(("worst p99 ratio at 50 at once", f"{worst:.2f}x (aim 1.5x)"))
    rows += notes
    rows.append(("seeding the database", f"{seeded:.1f} s"))
    return f"{scale.alerts:,} alerts, {CAMPAIGNS} active campaigns, {label}", rows


async def run(quick: bool = False) -> list[tuple[str, list[Row]]]:
    """One table per database: each request's figures beside the floor's, and the checks."""
    scale = QUICK if quick else FULL
    tables: list[tuple[str, list[Row]]] = []
    with tempfile.TemporaryDirectory() as tmp:
        async with (
            process("bench.fake_slack") as api,
            aiohttp.ClientSession() as http,
            process("bench.slack_bench", "--serve", "bare", "--api", api.url) as floor,
        ):
            fake = FakeSlack(api.url, http)
            servers = [None, *([url] if (url := postgres_url()) else [])]
            for server in servers:
                async with database(server, Path(tmp)) as (label, database_url):
                    tables.append(await one_database(label, database_url, api, floor, fake, scale))
    return tables


def print_tables(tables: list[tuple[str, list[Row]]]) -> None:
    from bench.__main__ import table

    for where, rows in tables:
        print(table(f"Slack acknowledgement latency ({where})", rows), flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.slack_bench")
    parser.add_argument("--quick", action="store_true", help="a small run, for a smoke test")
    parser.add_argument("--serve", choices=("bot", "bare"), help=argparse.SUPPRESS)
    parser.add_argument("--api", help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve == "bot":
        asyncio.run(serve_bot(args.db, args.api))
    elif args.serve == "bare":
        asyncio.run(serve_bare(args.api))
    else:
        print_tables(asyncio.run(run(args.quick)))
