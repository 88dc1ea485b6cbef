"""Notice delivery through the outbox (ARCHITECTURE §6): each figure beside its floor.

    python -m bench.delivery_bench                 # 1,000 notices over 20 channels, 30 samples
    python -m bench.delivery_bench --quick         # 100 notices over 20 channels, 10 samples
    python -m bench.delivery_bench --runs 3        # min / median / max over three runs
    python -m bench --only delivery [--quick]      # one run, in the bench table

Three processes: the fake Slack (bench/fake_slack.py, pacing chat.postMessage at Slack's
1 message/s/channel with 429 + Retry-After), this one (deliverer and campaign service, as in
`campaignbot run`), and for the cross-process latency a writer with an engine of its own.

1. Burst: notices for 20 channels enqueued at once (round robin, as they are written over time),
   delivered by one `Deliverer.run_once()` and again by `run_forever`. Floors: 50 posts per
   channel at 1/s take 49 s; the "bare" floor is the same posts, same payloads, to the same fake
   by plain `chat_postMessage` calls paced by one aiolimiter per channel: no database, no outbox.
   Lost (keys in the outbox never posted) and duplicated (keys posted twice) must both be 0.
2. 429 storm: the burst again, with extra 429s (Retry-After 1) injected on chat.postMessage.
3. Latency of one notice, from the commit of `CampaignService.create(...)` with a channel to the
   fake receiving the launch card: woken in-process (`notices_written = deliverer.wake`), and
   written by another process and found by polling (interval 0.25 s). Floor: a direct
   `chat_postMessage` to the same fake. Aim: under 0.5 s.

SQLite in a temporary directory; with DATABASE_URL set to PostgreSQL, a schema of its own there,
dropped afterwards. No assertion on speed anywhere: figures are printed, never checked.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
from aiolimiter import AsyncLimiter
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.campaigns.ports import AdminList
from bot.campaigns.queries import CampaignQueries
from bot.campaigns.requests import CreateRequest
from bot.campaigns.service import CampaignService
from bot.core import notices
from bot.core.notices import NoticeState
from bot.core.settings import Settings
from bot.delivery.deliverer import Deliverer
from bot.delivery.ports import Subject
from bot.runtime.slack import build_slack_client
from commands.delivery import views
from commands.delivery.messenger import (
    METADATA_EVENT,
    PER_CHANNEL_RATE,
    ChannelPacer,
    SlackMessenger,
)
from store import alerts, outbox, repositories, schema
from store.engine import create_engine
from store.migrate import upgrade
from tests.builders import code_alert, repo
from tests.fakes.fixtures import BOT_TOKEN

ROOT = Path(__file__).resolve().parents[1]
ADMIN = "UBENCH"
CHANNELS = 20
POLL = 0.25
"""The deliverer's polling interval (run_forever's default, as in `campaignbot run`)."""
AIM = 0.5
"""Seconds from commit to send."""
Row = tuple[str, str]


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


@dataclass(frozen=True)
class Figure:
    name: str
    value: float
    unit: str = "s"
    """s, ms, or "" for a count."""
    floor: float | None = None
    zero: bool = False
    """A count that must be 0 (lost, duplicated): shown with OK or FAIL."""
    ideal: float | None = None
    """The theoretical floor, for a wall time measured against the bare one."""
    note: str = ""


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


# ---- 1 and 2: a burst of notices --------------------------------------------------------------


def channel_names(scale: Scale) -> list[str]:
    return [f"CBURST{index:02d}" for index in range(scale.channels)]


async def enqueue_burst(
    engine: AsyncEngine, service: CampaignService, scale: Scale, *, by_channel: bool
) -> list[notices.Notice]:
    """One campaign's reports: `per_channel` for each channel, written round robin (as notices
    written over time are) or, with `by_channel`, one channel's all first (a backlog by channel)."""
    created = await service.create(ADMIN, create_request(f"Burst {uuid.uuid4().hex[:6]}", None))
    number = created.campaign.number
    base = datetime.now(UTC) - timedelta(hours=2)  # every report already due
    pairs = [
        (minute, channel) for minute in range(scale.per_channel) for channel in channel_names(scale)
    ]
    if by_channel:
        pairs.sort(key=lambda pair: (pair[1], pair[0]))
    wanted = [
        notices.report(number, channel, base + timedelta(minutes=minute), ADMIN)
        for minute, channel in pairs
    ]
    async with engine.begin() as conn:
        await outbox.enqueue(conn, wanted)
    return wanted


async def pending(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return (await outbox.stats(conn)).pending


async def drained(engine: AsyncEngine, timeout: float = 600) -> None:  # noqa: ASYNC109
    """Return once no notice waits (pending or being sent); polls the outbox every 50 ms."""
    async with asyncio.timeout(timeout):
        while True:
            if not await pending(engine):
                return
            await asyncio.sleep(0.05)


async def extra_claims(engine: AsyncEngine, keys: Sequence[str]) -> tuple[int, int]:
    """(rows not `sent`, claims beyond the first) among these keys."""
    o = schema.outbox
    async with engine.connect() as conn:
        rows = (
            await conn.execute(
                select(o.c.state, func.count(), func.sum(o.c.attempts - 1))
                .where(o.c.key.in_(list(keys)))
                .group_by(o.c.state)
            )
        ).all()
    unsent = sum(count for state, count, _ in rows if state != NoticeState.SENT.value)
    return unsent, int(sum(extra or 0 for _, _, extra in rows))


@dataclass(frozen=True)
class Burst:
    seconds: float
    lost: int
    duplicated: int
    status_429: int
    injected_429: int
    unsent: int
    extra_claims: int
    left_after_run_once: int
    out_of_order_channels: int


async def deliver_burst(
    db: Database,
    service: CampaignService,
    settings: Settings,
    fake: SlackProcess,
    scale: Scale,
    *,
    forever: bool,
    storm: int = 0,
    by_channel: bool = False,
) -> Burst:
    await fake.reset()
    wanted = await enqueue_burst(db.engine, service, scale, by_channel=by_channel)
    if storm:
        await fake.call("rate_limit", method="chat.postMessage", times=storm, retry_after=1)
    left = 0
    async with aiohttp.ClientSession() as session:
        deliverer = Deliverer(
            db.engine,
            SlackMessenger(build_slack_client(settings, session), ChannelPacer(scale.rate)),
            service,
        )
        start = time.perf_counter()
        if forever:
            stop = asyncio.Event()
            task = asyncio.create_task(deliverer.run_forever(stop, interval=POLL))
            await drained(db.engine)
            seconds = time.perf_counter() - start
            stop.set()
            await task
        else:
            await deliverer.run_once()
            seconds = time.perf_counter() - start
            left = await pending(db.engine)
            if left:  # what waits on a Retry-After: drain it so lost/duplicated are still checked
                stop = asyncio.Event()
                task = asyncio.create_task(deliverer.run_forever(stop, interval=POLL))
                await drained(db.engine)
                stop.set()
                await task
    stats = await fake.stats()
    posted = Counter(key for key, _ in stats["accepted"])
    keys = [notice.key for notice in wanted]
    unsent, extra = await extra_claims(db.engine, keys)
    order = {key: index for index, key in enumerate(keys)}
    lanes: dict[str, list[int]] = defaultdict(list)
    for key, channel in stats["accepted"]:
        if key in order:
            lanes[channel].append(order[key])
    return Burst(
        seconds=seconds,
        lost=len(set(keys) - set(posted)),
        duplicated=sum(1 for count in posted.values() if count > 1),
        status_429=stats["status_429"],
        injected_429=storm - stats["faults_left"],
        unsent=unsent,
        extra_claims=extra,
        left_after_run_once=left,
        out_of_order_channels=sum(1 for seq in lanes.values() if seq != sorted(seq)),
    )


async def bare_burst(
    service: CampaignService, settings: Settings, fake: SlackProcess, scale: Scale
) -> tuple[float, int]:
    """The same posts (same rendered payload) by plain chat_postMessage, one aiolimiter per
    channel, no database in the loop. Returns (seconds, 429s received)."""
    await fake.reset()
    created = await service.create(ADMIN, create_request(f"Bare {uuid.uuid4().hex[:6]}", None))
    campaign = created.campaign
    subject = Subject(campaign=campaign, progress=await service.progress(campaign))
    sample = notices.report(campaign.number, "C", datetime.now(UTC), ADMIN)
    message = views.render(sample, subject)
    async with aiohttp.ClientSession() as session:
        client = build_slack_client(settings, session)

        async def lane(channel: str) -> None:
            limiter = AsyncLimiter(max_rate=1, time_period=1 / scale.rate)
            for index in range(scale.per_channel):
                async with limiter:
                    await client.chat_postMessage(
                        channel=channel,
                        text=message.text,
                        blocks=message.blocks,
                        metadata={
                            "event_type": METADATA_EVENT,
                            "event_payload": {"key": f"bare:{channel}:{index}"},
                        },
                        unfurl_links=False,
                    )

        start = time.perf_counter()
        await asyncio.gather(*(lane(channel) for channel in channel_names(scale)))
        seconds = time.perf_counter() - start
    stats = await fake.stats()
    return seconds, int(stats["status_429"])


# ---- 3: latency of one notice -----------------------------------------------------------------


async def direct_round_trips(
    settings: Settings, fake: SlackProcess, samples: int
) -> tuple[list[float], list[float]]:
    """A chat_postMessage straight to the fake: (round trips, send-to-arrival), in seconds."""
    await fake.reset()
    trips, one_way = [], []
    async with aiohttp.ClientSession() as session:
        client = build_slack_client(settings, session)
        await client.auth_test()  # the connection is open, as the deliverer's is
        for index in range(samples):
            key = f"direct:{index}"
            start = time.monotonic()
            await client.chat_postMessage(
                channel=f"CDIRECT{index:03d}",
                text="A direct post",
                metadata={"event_type": METADATA_EVENT, "event_payload": {"key": key}},
            )
            trips.append(time.monotonic() - start)
            one_way.append(await fake.arrival(key) - start)
    return trips, one_way


async def woken_latency(
    db: Database, settings: Settings, fake: SlackProcess, samples: int, rng: random.Random
) -> tuple[list[float], list[float]]:
    """Commit (create returns) to the fake receiving the launch card, deliverer woken in-process.
    Returns (latencies, create durations) in seconds."""
    await fake.reset()
    service = service_for(db.engine, settings)
    latencies, creates = [], []
    async with aiohttp.ClientSession() as session:
        client = build_slack_client(settings, session)
        await client.auth_test()
        deliverer = Deliverer(db.engine, SlackMessenger(client), service)
        service.notices_written = deliverer.wake  # as bot/runtime/container.py wires it
        stop = asyncio.Event()
        task = asyncio.create_task(deliverer.run_forever(stop, interval=POLL))
        try:
            for index in range(samples):
                await asyncio.sleep(rng.uniform(0.05, 0.05 + POLL))
                channel = f"CWOKEN{index:03d}"
                begin = time.monotonic()
                created = await service.create(ADMIN, create_request(f"Woken {index}", channel))
                committed = time.monotonic()
                key = notices.launch(created.campaign.number, channel, datetime.now(UTC)).key
                latencies.append(await fake.arrival(key) - committed)
                creates.append(committed - begin)
        finally:
            stop.set()
            await task
    return latencies, creates


async def polled_latency(
    db: Database, settings: Settings, fake: SlackProcess, samples: int, rng: random.Random
) -> list[float]:
    """The same, the campaign created by another process: the deliverer finds it by polling."""
    await fake.reset()
    writer = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.delivery_bench",
        "write",
        db.url,
        db.schema or "-",
        fake.api_url,
        cwd=ROOT,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    assert writer.stdin is not None and writer.stdout is not None
    latencies = []
    async with aiohttp.ClientSession() as session:
        client = build_slack_client(settings, session)
        await client.auth_test()
        deliverer = Deliverer(
            db.engine, SlackMessenger(client), CampaignQueries(db.engine, settings)
        )
        stop = asyncio.Event()
        task = asyncio.create_task(deliverer.run_forever(stop, interval=POLL))
        try:
            for index in range(samples):
                await asyncio.sleep(rng.uniform(0.05, 0.05 + POLL))
                channel = f"CPOLLED{index:03d}"
                writer.stdin.write(f"Polled-{index} {channel}\n".encode())
                await writer.stdin.drain()
                answer = json.loads(await writer.stdout.readline())
                key = notices.launch(int(answer["number"]), channel, datetime.now(UTC)).key
                latencies.append(await fake.arrival(key) - float(answer["committed"]))
        finally:
            stop.set()
            await task
            writer.stdin.close()
            await writer.wait()
    return latencies


async def writer_main(url: str, schema_name: str, api_url: str) -> None:
    """The other process: create a campaign per line `NAME CHANNEL` of stdin, print
    `{"number", "committed"}` with the monotonic time `create` returned (after its commit)."""
    engine = engine_for(url, None if schema_name == "-" else schema_name)
    service = service_for(engine, bench_settings(api_url))
    loop = asyncio.get_running_loop()
    try:
        while line := await loop.run_in_executor(None, sys.stdin.readline):
            name, channel = line.split()
            created = await service.create(ADMIN, create_request(name, channel))
            committed = time.monotonic()
            print(json.dumps({"number": created.campaign.number, "committed": committed}))
            sys.stdout.flush()
    finally:
        await engine.dispose()


# ---- one run ----------------------------------------------------------------------------------


def p95(values: Sequence[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def _burst_figures(
    label: str, burst: Burst, floor: float, ideal: float, run_once: bool
) -> list[Figure]:
    figures = [
        Figure(f"{label}: wall time", burst.seconds, floor=floor, ideal=ideal),
        Figure(f"{label}: lost", burst.lost, "", zero=True),
        Figure(f"{label}: duplicated", burst.duplicated, "", zero=True),
        Figure(f"{label}: 429s received", burst.status_429, ""),
        Figure(f"{label}: rows not sent at the end", burst.unsent, "", zero=True),
        Figure(f"{label}: claims beyond the first", burst.extra_claims, ""),
        Figure(f"{label}: channels posted out of order", burst.out_of_order_channels, ""),
    ]
    if run_once:
        figures.append(Figure(f"{label}: left pending by run_once", burst.left_after_run_once, ""))
    return figures


def latency_figures(
    trips: Sequence[float],
    one_way: Sequence[float],
    woken: Sequence[float],
    polled: Sequence[float],
    creates: Sequence[float],
) -> list[Figure]:
    """Seconds in, milliseconds out; each latency beside the direct post's round trip."""
    ms, aim = 1000.0, f"aim < {AIM * 1000:.0f} ms"
    median_trip, p95_trip = statistics.median(trips) * ms, p95(trips) * ms
    figures = [
        Figure("direct chat_postMessage: round trip median", median_trip, "ms"),
        Figure("direct chat_postMessage: round trip p95", p95_trip, "ms"),
        Figure(
            "direct chat_postMessage: send→arrival median", statistics.median(one_way) * ms, "ms"
        ),
    ]
    for label, values in (("woken in-process", woken), ("polled, other process", polled)):
        figures += [
            Figure(f"commit→send, {label}: median", statistics.median(values) * ms, "ms",
                   floor=median_trip, note=aim),
            Figure(f"commit→send, {label}: p95", p95(values) * ms, "ms", floor=p95_trip, note=aim),
            Figure(f"commit→send, {label}: max", max(values) * ms, "ms"),
        ]  # fmt: skip
    figures.append(
        Figure("create() with a channel, for scale: median", statistics.median(creates) * ms, "ms")
    )
    return figures


async def run(
    quick: bool = False,
    *,
    forever: bool | None = None,
    by_channel: bool = False,
    rate: float = PER_CHANNEL_RATE,
    seed_: int = 7,
) -> tuple[list[Figure], str]:
    """One run of every part; returns its figures and the database it used. The burst through
    run_forever is left out of a quick run unless `forever` (the storm goes through it anyway)."""
    forever = not quick if forever is None else forever
    scale = dataclasses.replace(QUICK if quick else FULL, rate=rate)
    rng = random.Random(seed_)
    figures: list[Figure] = []
    with tempfile.TemporaryDirectory() as tmp:
        async with SlackProcess.start() as fake, database(Path(tmp)) as db:
            await seed(db.engine)
            settings = bench_settings(fake.api_url)
            service = service_for(db.engine, settings)
            n, per = scale.notices, scale.per_channel
            ideal = (per - 1) / PER_CHANNEL_RATE
            figures.append(
                Figure(f"floor: {per} posts per channel at 1/s", ideal, note="theoretical")
            )

            bare, bare_429 = await bare_burst(service, settings, fake, scale)
            figures.append(Figure(f"bare: {n} chat_postMessage + aiolimiter", bare, floor=ideal))
            figures.append(Figure("bare: 429s received", bare_429, ""))

            label = f"burst {n}/{scale.channels}ch run_once" + (" by channel" if by_channel else "")
            burst = await deliver_burst(
                db, service, settings, fake, scale, forever=False, by_channel=by_channel
            )
            figures += _burst_figures(label, burst, bare, ideal, run_once=True)
            if forever:
                burst = await deliver_burst(db, service, settings, fake, scale, forever=True)
                figures += _burst_figures(
                    f"burst {n}/{scale.channels}ch run_forever", burst, bare, ideal, run_once=False
                )
            storm = await deliver_burst(
                db, service, settings, fake, scale, forever=True, storm=scale.storm
            )
            label = f"storm +{scale.storm}×429 run_forever"
            figures += _burst_figures(label, storm, bare, ideal, run_once=False)
            figures.append(Figure(f"{label}: injected 429s used", storm.injected_429, ""))
            figures.append(
                Figure(
                    f"{label}: 429s beyond the injected", storm.status_429 - storm.injected_429, ""
                )
            )

            trips, one_way = await direct_round_trips(settings, fake, scale.samples)
            woken, creates = await woken_latency(db, settings, fake, scale.samples, rng)
            polled = await polled_latency(db, settings, fake, scale.samples, rng)
            figures += latency_figures(trips, one_way, woken, polled, creates)
            label = db.label
            if rate != PER_CHANNEL_RATE:
                label += f", pacer at {rate:g} posts/s/channel"
    return figures, label


# ---- tables -----------------------------------------------------------------------------------


def fmt(value: float, unit: str) -> str:
    if unit == "s":
        return f"{value:.2f} s"
    if unit == "ms":
        return f"{value:.1f} ms"
    return f"{value:.0f}"


def _verdict(figure: Figure, value: float) -> str:
    if figure.zero:
        return "OK" if value == 0 else "FAIL"
    if figure.note.startswith("aim <") and figure.unit == "ms":
        return "within aim" if value < AIM * 1000 else "OVER AIM"
    if figure.ideal:
        return f"× {value / figure.ideal:.2f} of theoretical"
    return figure.note


def rows(figures: Sequence[Figure]) -> list[Row]:
    """One run, as (figure, "value  floor  ratio  note") rows for `bench.__main__.table`."""
    out = []
    for figure in figures:
        floor = fmt(figure.floor, figure.unit) if figure.floor is not None else ""
        ratio = f"× {figure.value / figure.floor:.2f}" if figure.floor else ""
        value = fmt(figure.value, figure.unit)
        out.append(
            (figure.name, f"{value:>10}  {floor:>10}  {ratio:>7}  {_verdict(figure, figure.value)}")
        )
    return out


def header() -> Row:
    return ("figure", f"{'value':>10}  {'floor':>10}  {'ratio':>7}")


def summary(runs: Sequence[Sequence[Figure]]) -> list[Row]:
    """min / median / max of each figure over runs; floor and ratio at the medians."""
    out = [("figure", f"{'min':>10}  {'median':>10}  {'max':>10}  {'floor':>10}  {'ratio':>7}")]
    for index, figure in enumerate(runs[0]):
        values = [run[index].value for run in runs]
        middle = statistics.median(values)
        floors = [run[index].floor for run in runs if run[index].floor is not None]
        floor = statistics.median(floors) if floors else None  # type: ignore[type-var]
        cells = [fmt(v, figure.unit) for v in (min(values), middle, max(values))]
        floor_cell = fmt(floor, figure.unit) if floor is not None else ""
        ratio = f"× {middle / floor:.2f}" if floor else ""
        verdict = _verdict(figure, middle if figure.ideal else max(values))
        out.append(
            (
                figure.name,
                "  ".join(f"{cell:>10}" for cell in [*cells, floor_cell])
                + f"  {ratio:>7}  {verdict}",
            )
        )
    return out


def print_table(title: str, table_rows: Sequence[Row]) -> None:
    width = max(len(name) for name, _ in table_rows)
    print(f"\n{title}\n" + "-" * len(title))
    for name, value in table_rows:
        print(f"{name.ljust(width)}  {value}")


async def main(quick: bool, runs: int, forever: bool | None, by_channel: bool, rate: float) -> None:
    results = []
    for index in range(runs):
        start = time.perf_counter()
        figures, label = await run(
            quick, forever=forever, by_channel=by_channel, rate=rate, seed_=7 + index
        )
        results.append(figures)
        seconds = time.perf_counter() - start
        title = f"Notice delivery, run {index + 1}/{runs} ({label}, {seconds:.0f} s)"
        print_table(title, [header(), *rows(figures)])
        sys.stdout.flush()
    if runs > 1:
        print_table(f"Notice delivery over {runs} runs", summary(results))


if __name__ == "__main__":
    if sys.argv[1:2] == ["write"]:
        asyncio.run(writer_main(*sys.argv[2:5]))
        sys.exit(0)
    parser = argparse.ArgumentParser(prog="python -m bench.delivery_bench")
    parser.add_argument("--quick", action="store_true", help="100 notices, 10 latency samples")
    parser.add_argument("--runs", type=int, default=1, help="runs, for min / median / max")
    parser.add_argument(
        "--no-forever",
        action="store_true",
        help="skip the burst through run_forever (a --quick run skips it anyway)",
    )
    parser.add_argument(
        "--by-channel",
        action="store_true",
        help="enqueue the run_once burst one channel after another instead of round robin",
    )
    parser.add_argument(
        "--rate",
        type=float,
        default=PER_CHANNEL_RATE,
        help="posts/s/channel for the pacer and the bare floor's limiter (what-if; Slack's is 1)",
    )
    options = parser.parse_args()
    asyncio.run(
        main(
            options.quick,
            options.runs,
            False if options.no_forever else None,
            options.by_channel,
            options.rate,
        )
    )
