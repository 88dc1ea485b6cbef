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
import statistics
import tempfile
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from bench.slack_world import (
    ADMIN,
    CAMPAIGNS,
    CONCURRENCY,
    FULL,
    KINDS,
    QUICK,
    WAIT,
    Child,
    Scale,
    database,
    postgres_url,
    prepare,
    process,
    serve_bare,
    serve_bot,
)
from tests.fakes.constants import SIGNING_SECRET
from tests.fakes.signing import SignedRequest, SlackSigner, button

Row = tuple[str, str]
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
