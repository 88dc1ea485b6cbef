"""The delivery bench's scenarios: a burst of notices through the outbox (with or without a 429
storm) beside the bare chat_postMessage floor, and the latency of one notice from commit to send
(direct, woken in-process, polled from another process)."""

from __future__ import annotations

import asyncio
import json
import random
import sys
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import aiohttp
from aiolimiter import AsyncLimiter
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.delivery_world import (
    ADMIN,
    POLL,
    ROOT,
    Database,
    Scale,
    SlackProcess,
    bench_settings,
    create_request,
    engine_for,
    service_for,
)
from bot.campaigns.queries import CampaignQueries
from bot.campaigns.service import CampaignService
from bot.core import notices
from bot.core.notices import NoticeState
from bot.core.settings import Settings
from bot.delivery.deliverer import Deliverer
from bot.delivery.ports import Subject
from bot.runtime.slack import build_slack_client
from commands.delivery import views
from commands.delivery.messenger import METADATA_EVENT, ChannelPacer, SlackMessenger
from store import outbox, schema

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
