"""3 of the launch bench (bench/launch_bench.py runs it): "Assign to me" against the real app,
each figure beside its floor. The clicks themselves are bench/launch_clicks.py.

3. Assign to me: `campaignbot run` (HTTP mode, GitHub connected to the fake) receives rounds of
   concurrent signed `assign_to_me` clicks, each by another linked writer on another alert of one
   of their repositories: a phase of 50 at once (25 with --quick), more than the database pool's
   15 connections, then one of 10 at once. Figures: the ack's round trip (floor: a bare Bolt
   AsyncApp acking the same signed action, bench/slack_bench.py), click to the fake GitHub
   answering the alert's PATCH (floor: the same PATCHes sent bare with aiohttp at the same
   concurrency), click to the reply on the response_url; the GitHub requests per click (1 PATCH,
   no permission GET: the stored writers answer the write-access check); clicks that failed,
   were not written back or not stored, and what the app logged at WARNING or above.
"""

from __future__ import annotations

import asyncio
import logging
import statistics
import time
from collections import Counter
from collections.abc import Sequence

import aiohttp
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.delivery_bench import Figure
from bench.delivery_world import SlackProcess
from bench.launch_clicks import (
    Click,
    Phase,
    Rounds,
    Sent,
    first_after,
    hook_url,
    judge,
    send_round,
    signed,
    walls,
    warm_up,
)
from bench.launch_dms import WAIT
from bench.launch_world import ORG, TOKEN, GitHubProcess
from bench.slack_bench import p95_99
from bench.slack_world import bare_bolt_server
from bot.core.settings import Settings
from bot.runtime.lifespan import serve
from store import schema
from tests.fakes.constants import SIGNING_SECRET
from tests.fakes.signing import SlackSigner

STARTUP_JOBS = ("reminders", "digest", "sync")
"""What `campaignbot run`'s scheduler runs at once when it starts (GitHub connected)."""


async def startup_jobs_done(engine: AsyncEngine, timeout: float = WAIT) -> float:  # noqa: ASYNC109
    """Wait until the scheduler's first runs are recorded and their leases released, so the
    clicks do not compete with a start-up sync; returns how long that took."""
    j = schema.jobs
    start = time.perf_counter()
    async with asyncio.timeout(timeout):
        while True:
            async with engine.connect() as conn:
                done = set(
                    await conn.scalars(
                        select(j.c.name).where(
                            j.c.name.in_(STARTUP_JOBS),
                            j.c.last_run.is_not(None),
                            j.c.lease_until.is_(None),
                        )
                    )
                )
            if done == set(STARTUP_JOBS):
                return time.perf_counter() - start
            await asyncio.sleep(0.1)


async def project_clicks(
    settings: Settings,
    engine: AsyncEngine,
    fake: SlackProcess,
    github: GitHubProcess,
    phases: list[Rounds],
    number: int,
) -> tuple[list[Phase], float]:
    """Every phase's clicks against one `campaignbot run` (once its start-up jobs are done), each
    round once the last one was answered. What the app logs at WARNING or above is counted (per
    phase), not printed. Returns the phases and how long the start-up jobs took."""
    ready, stop = asyncio.Event(), asyncio.Event()
    logged = LogCount()
    root = logging.getLogger()
    root.addHandler(logged)
    kept, logging.lastResort = logging.lastResort, None
    server = asyncio.create_task(serve(settings, ready=ready, stop=stop))
    url = f"http://{settings.host}:{settings.port}/slack/events"
    signer = SlackSigner(SIGNING_SECRET)
    results = []
    try:
        started = asyncio.create_task(ready.wait())
        await asyncio.wait([server, started], return_when=asyncio.FIRST_COMPLETED)
        if server.done():
            started.cancel()
            server.result()  # raises what serve() raised
            raise RuntimeError("serve() returned before it was ready")
        startup = await startup_jobs_done(engine)
        logged.counts.clear()
        async with aiohttp.ClientSession() as http:
            hook = await warm_up(http, url, signer, fake, phases[0][0][0])
            await fake.call("wait", hooks=[hook], timeout=WAIT)
            for rounds in phases:
                before = Counter((await github.stats())["requests"])
                sent: Sent = []
                acks: list[float] = []
                logged.counts.clear()
                for clicks in rounds:
                    hooks = [hook_url(fake) for _ in clicks]
                    requests = [
                        signed(signer, click, number, address)
                        for click, (_, address) in zip(clicks, hooks, strict=True)
                    ]
                    starts, trips = await send_round(http, url, requests)
                    acks += trips
                    sent += [
                        (click, start, hook)
                        for click, start, (hook, _) in zip(clicks, starts, hooks, strict=True)
                    ]
                    await fake.call("wait", hooks=[hook for hook, _ in hooks], timeout=WAIT)
                stats = await github.stats()
                caused = Counter(stats["requests"])
                caused.subtract(before)
                phase = judge(rounds, sent, acks, stats, await fake.stats(), caused)
                phase.logged = Counter(logged.counts)
                results.append(phase)
    finally:
        stop.set()
        await server
        root.removeHandler(logged)
        logging.lastResort = kept
    return results, startup


class LogCount(logging.Handler):
    """Counts WARNING+ records by logger and the exception they carry."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.counts: Counter[str] = Counter()

    def emit(self, record: logging.LogRecord) -> None:
        exc = record.exc_info[1] if record.exc_info else None
        where = record.name.rsplit(".", 1)[-1]
        self.counts[f"{type(exc).__name__} in {where}" if exc is not None else where] += 1


async def bare_clicks(fake: SlackProcess, github: GitHubProcess, phase: Phase, number: int) -> None:
    """The phase's floors: the same signed clicks acked by a bare Bolt app, and the same PATCHes
    sent bare with aiohttp, round by round at the same concurrency."""
    signer = SlackSigner(SIGNING_SECRET)
    sent: Sent = []
    headers = {"Authorization": f"token {TOKEN}", "Accept": "application/vnd.github+json"}
    async with bare_bolt_server(fake.api_url) as url, aiohttp.ClientSession() as http:
        await warm_up(http, url, signer, fake, phase.rounds[0][0])
        for clicks in phase.rounds:
            requests = [signed(signer, click, number, hook_url(fake)[1]) for click in clicks]
            phase.bare_acks += (await send_round(http, url, requests))[1]

        async def patch(click: Click) -> float:
            start = time.monotonic()
            async with http.patch(
                f"{github.url}{click.path}", json={"assignees": [click.login]}, headers=headers
            ) as response:
                await response.read()
                assert response.status == 200, response.status
            return start

        for clicks in phase.rounds:
            starts = await asyncio.gather(*(patch(click) for click in clicks))
            sent += [(click, start, "") for click, start in zip(clicks, starts, strict=True)]
    stamps = (await github.stats())["patched"]
    for click, start, _ in sent:
        done = first_after(stamps.get(click.path, []), start)
        if done is not None:
            phase.bare_patched.append(done - start)
    phase.bare_walls = walls(phase.rounds, sent, stamps)


async def stored_clicks(engine: AsyncEngine, number: int, rounds: Rounds) -> int:
    """How many of the clicks are stored as assignments of the campaign, to the one who clicked."""
    s, a, r = schema.assignments, schema.alerts, schema.repositories
    async with engine.connect() as conn:
        found = await conn.execute(
            select(r.c.full_name, a.c.number, s.c.assignee)
            .join(a, a.c.id == s.c.alert_id)
            .join(r, r.c.id == a.c.repository_id)
            .where(s.c.campaign_id == number)
        )
        stored = {(name, alert_number): assignee for name, alert_number, assignee in found}
    wanted = [click for clicks in rounds for click in clicks]
    return sum(1 for c in wanted if stored.get((f"{ORG}/{c.repo}", c.number)) == c.user)


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def p99(values: Sequence[float]) -> float:
    return p95_99(list(values)) if values else float("nan")


def assign_figures(phase: Phase) -> list[Figure]:
    ms, n = 1000.0, phase.clicks
    label = f"assign {len(phase.rounds[0])} at once ×{len(phase.rounds)}"
    figures = [
        Figure(f"{label}: ack p50", median(phase.acks) * ms, "ms",
               floor=median(phase.bare_acks) * ms,
               note="floor: bare Bolt AsyncApp acking the same click"),
        Figure(f"{label}: ack p99", p99(phase.acks) * ms, "ms", floor=p99(phase.bare_acks) * ms),
        Figure(f"{label}: click → PATCH at GitHub p50", median(phase.patched) * ms, "ms",
               floor=median(phase.bare_patched) * ms,
               note="floor: the same PATCH sent bare (aiohttp)"),
        Figure(f"{label}: click → PATCH at GitHub p99", p99(phase.patched) * ms, "ms",
               floor=p99(phase.bare_patched) * ms),
        Figure(f"{label}: round, first click → last PATCH", median(phase.walls),
               floor=median(phase.bare_walls), note="median over the rounds written back whole"),
        Figure(f"{label}: click → reply p50", median(phase.answered) * ms, "ms"),
        Figure(f"{label}: click → reply max", max(phase.answered, default=float("nan")) * ms,
               "ms", note="a person's longest wait for an answer"),
    ]  # fmt: skip
    patches = phase.caused.get("PATCH code alert", 0)
    permission = phase.caused.get("GET collaborator permission", 0)
    other = sum(phase.caused.values()) - patches - permission
    figures += [
        Figure(f"{label}: GitHub PATCHes", patches, "", note=f"{patches / n:.2f} per click"),
        Figure(f"{label}: GitHub permission GETs", permission, "", zero=True),
        Figure(f"{label}: other GitHub requests", other, "", zero=True),
        Figure(f"{label}: clicks answered with an error", phase.failed, "", zero=True),
        Figure(f"{label}: clicks not written back to GitHub", phase.not_patched, "", zero=True),
        Figure(f"{label}: clicks not stored", n - phase.stored, "", zero=True),
    ]
    logged = phase.logged.most_common() or [("", 0)]
    figures += [
        Figure(f"{label}: logged ≥ WARNING{', ' + name if name else ''}", count, "", zero=True)
        for name, count in logged
    ]  # fmt: skip
    return figures
