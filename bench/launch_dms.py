"""1 and 2 of the launch bench (bench/launch_bench.py runs them): the launch DMs, from `create`
to the fake Slack, each figure beside its floor.

1. Launch. `CampaignService.create` of a campaign over every alert, with a channel: one
   transaction writes a `launch_dm` notice per linked writer, one `unlinked` DM to the manager and
   the channel's launch card. Floor: the same `create` with the launch feature switched off (no
   channel, `launch_notices` answering nothing), just before. Then the deliverer (`run_forever`,
   woken by the commit, as `campaignbot run` wires it) sends them through `SlackMessenger`; the
   time is from the commit to the fake receiving the last one. Floor: as many bare
   `chat_postMessage` calls (the launch DM's payload, `channel=` the user ID, one aiolimiter per
   DM channel at the messenger's rate) from a slack_sdk AsyncWebClient with the project's retry
   handlers, to the same fake: no database, no outbox, no conversations.open. Checked: every
   person told exactly once (missing, duplicated, unexpected, channels with two messages), every
   outbox row sent, each DM's repositories and counts as generated, no Block Kit violation.
2. The launch again with 429s injected (the next N chat.postMessage calls get 429, Retry-After 1),
   beside the bare posts under the same injection.

`create` itself, timed and checked, is bench/launch_create.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import aiohttp
from aiolimiter import AsyncLimiter
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.delivery_bench import Figure
from bench.delivery_scenarios import drained, extra_claims
from bench.delivery_world import ADMIN, POLL, SlackProcess, service_for
from bench.launch_create import content_problems, expected_keys, launch_off, timed_create
from bench.launch_world import CHANNEL, ORG, Org
from bot.core import notices
from bot.core.notices import NoticeKind
from bot.core.settings import Settings
from bot.delivery.deliverer import Deliverer
from bot.delivery.ports import Subject
from bot.runtime.slack import build_slack_client
from commands.delivery import views
from commands.delivery.messenger import METADATA_EVENT, PER_CHANNEL_RATE, SlackMessenger

WAIT = 300.0
"""Seconds to wait for a delivery before counting what never came as lost."""


@dataclass(frozen=True)
class Posted:
    """What the fake Slack saw of one set of keys."""

    seconds: float
    """From the start (or the commit) to the last key's arrival; nan if some never came."""
    lost: int
    duplicated: int
    status_429: int
    injected_429: int
    methods: dict[str, int]
    accepted: list[tuple[str, str]]
    violations: int


async def posted(
    fake: SlackProcess, keys: Sequence[str], start: float, storm: int, violations_before: int
) -> Posted:
    answer = await fake.call("wait", keys=list(keys), timeout=WAIT)
    seconds = max(answer["arrivals"].values()) - start if answer["ok"] else float("nan")
    stats = await fake.stats()
    accepted = [(str(key), str(channel)) for key, channel in stats["accepted"]]
    counts = Counter(key for key, _ in accepted)
    return Posted(
        seconds=seconds,
        lost=sum(1 for key in keys if not counts[key]),
        duplicated=sum(1 for key in keys if counts[key] > 1),
        status_429=int(stats["status_429"]),
        injected_429=storm - int(stats["faults_left"]),
        methods=dict(stats["methods"]),
        accepted=accepted,
        violations=int(stats["violations"]) - violations_before,
    )


async def bare_posts(
    settings: Settings,
    fake: SlackProcess,
    targets: Sequence[str],
    message: views.Message,
    storm: int,
) -> Posted:
    """One chat_postMessage per target, all at once, each through its channel's limiter."""
    await fake.reset()
    if storm:
        await fake.call("rate_limit", method="chat.postMessage", times=storm, retry_after=1)
    before = int((await fake.stats())["violations"])
    keys = [f"bare:{uuid.uuid4().hex[:8]}:{index}" for index in range(len(targets))]
    async with aiohttp.ClientSession() as session:
        client = build_slack_client(settings, session)
        await client.auth_test()  # the connection is open, as the deliverer's is
        limiters = {target: AsyncLimiter(1, 1 / PER_CHANNEL_RATE) for target in targets}

        async def post(key: str, target: str) -> None:
            async with limiters[target]:
                await client.chat_postMessage(
                    channel=target,
                    text=message.text,
                    blocks=message.blocks,
                    metadata={"event_type": METADATA_EVENT, "event_payload": {"key": key}},
                    unfurl_links=False,
                )

        start = time.monotonic()
        await asyncio.gather(
            *(post(key, target) for key, target in zip(keys, targets, strict=True))
        )
    return await posted(fake, keys, start, storm, before)


@dataclass(frozen=True)
class Launch:
    create_floor: float
    create: float
    planned: float
    """Of `create`, the time in `launch_notices` (audience query and plan)."""
    enqueued: float
    """Of `create`, the time in `outbox.enqueue` (one INSERT per notice)."""
    written: int
    bare: Posted
    sent: Posted
    dms: int
    people: int
    unexpected: int
    crowded: int
    unsent: int
    extra_claims: int
    wrong_content: int
    unlinked_named: int


async def launch(
    engine: AsyncEngine, settings: Settings, fake: SlackProcess, org: Org, storm: int
) -> tuple[Launch, int]:
    """Floor create, bare posts, then the real create and its delivery. Returns the figures and
    the campaign's number."""
    service = service_for(engine, settings)
    await fake.reset()
    with launch_off():
        floor_campaign, create_floor = await timed_create(service, None)
    sample = notices.launch_dm(
        floor_campaign.number,
        ADMIN,
        [(f"{ORG}/{repo}", org.alerts[repo]) for repo in next(iter(org.writes.values()))],
        datetime.now(UTC),
    )
    subject = Subject(campaign=floor_campaign, progress=await service.progress(floor_campaign))
    targets = [CHANNEL, *org.slack.values()] + ([ADMIN] if org.unlinked else [])
    bare = await bare_posts(settings, fake, targets, views.render(sample, subject), storm)

    await fake.reset()
    if storm:
        await fake.call("rate_limit", method="chat.postMessage", times=storm, retry_after=1)
    before = int((await fake.stats())["violations"])
    spent: dict[str, float] = {}
    async with aiohttp.ClientSession() as session:
        client = build_slack_client(settings, session)
        await client.auth_test()
        deliverer = Deliverer(engine, SlackMessenger(client), service)
        service.notices_written = deliverer.wake  # as bot/runtime/container.py wires it
        stop = asyncio.Event()
        task = asyncio.create_task(deliverer.run_forever(stop, interval=POLL))
        try:
            await asyncio.sleep(POLL)  # the first (empty) round is over
            campaign, create = await timed_create(service, CHANNEL, spent)
            committed = time.monotonic()
            keys = expected_keys(org, campaign.number)
            sent = await posted(fake, keys, committed, storm, before)
            with contextlib.suppress(TimeoutError):  # counted below as rows not sent
                await drained(engine, timeout=WAIT)
        finally:
            stop.set()
            await task
    written, wrong, named = await content_problems(engine, org, campaign.number)
    unsent, extra = await extra_claims(engine, keys)
    expected = set(keys)
    mine = [(key, channel) for key, channel in sent.accepted if key in expected]
    dm_keys = [key for key, _ in mine if not key.startswith(f"{NoticeKind.LAUNCH.value}:")]
    people = {key.split(":")[2] for key in dm_keys}
    by_channel = Counter(channel for _, channel in mine)
    prefix = f":{campaign.number}:"
    return Launch(
        create_floor=create_floor,
        create=create,
        planned=spent.get("launch_notices", float("nan")),
        enqueued=spent.get("enqueue", float("nan")),
        written=written,
        bare=bare,
        sent=sent,
        dms=len(dm_keys),
        people=len(people),
        unexpected=sum(1 for key, _ in sent.accepted if prefix in key and key not in expected),
        crowded=sum(1 for count in by_channel.values() if count > 1),
        unsent=unsent,
        extra_claims=extra,
        wrong_content=wrong,
        unlinked_named=named,
    ), campaign.number


def launch_figures(label: str, run: Launch, org: Org, storm: int) -> list[Figure]:
    ms = 1000.0
    people = len(org.slack) + (1 if org.unlinked else 0)
    figures = [
        Figure(
            f"{label}: create() with its notices",
            run.create * ms,
            "ms",
            floor=run.create_floor * ms,
            note="floor: the same create, launch off",
        ),
        Figure(f"{label}: create(), of which launch_notices()", run.planned * ms, "ms"),
        Figure(f"{label}: create(), of which outbox.enqueue()", run.enqueued * ms, "ms"),
        Figure(
            f"{label}: notices written by create()",
            run.written,
            "",
            note=f"expected {len(org.slack)} DMs + {1 if org.unlinked else 0} unlinked + 1 card",
        ),
        Figure(
            f"{label}: commit → last notice at Slack",
            run.sent.seconds,
            floor=run.bare.seconds,
            note=f"floor: {len(org.slack) + 2} bare paced chat_postMessage",
        ),
        Figure(f"{label}: DMs sent", run.dms, "", note=f"expected {people}"),
        Figure(f"{label}: people told", run.people, "", note=f"expected {people}"),
        Figure(f"{label}: missing (never posted)", run.sent.lost, "", zero=True),
        Figure(f"{label}: duplicated (posted twice)", run.sent.duplicated, "", zero=True),
        Figure(f"{label}: unexpected keys posted", run.unexpected, "", zero=True),
        Figure(f"{label}: channels with 2+ messages", run.crowded, "", zero=True),
        Figure(f"{label}: outbox rows not sent at the end", run.unsent, "", zero=True),
        Figure(f"{label}: DMs with wrong repositories/counts", run.wrong_content, "", zero=True),
        Figure(
            f"{label}: unlinked writers named to the manager",
            run.unlinked_named,
            "",
            note=f"expected {len(org.unlinked)}",
        ),
        Figure(f"{label}: claims beyond the first", run.extra_claims, ""),
        Figure(
            f"{label}: conversations.open calls",
            run.sent.methods.get("conversations.open", 0),
            "",
            note="the bare floor posts to the user ID",
        ),
        Figure(
            f"{label}: 429s received", run.sent.status_429, "", note=f"bare: {run.bare.status_429}"
        ),
        Figure(f"{label}: Block Kit violations", run.sent.violations, "", zero=True),
    ]
    if storm:
        figures += [
            Figure(f"{label}: injected 429s used", run.sent.injected_429, "", note=f"of {storm}"),
            Figure(f"{label}: bare floor lost", run.bare.lost, "", zero=True),
        ]
    return figures
