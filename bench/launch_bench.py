"""Launch DMs and "Assign to me" (issue 9), each figure beside its floor measured in the same run.

    python -m bench.launch_bench [--quick]     # or: python -m bench --only launch [--quick]

Three processes: the fake Slack (bench/fake_slack.py, pacing chat.postMessage at 1 message/s per
channel, 429 + Retry-After), the fake GitHub (bench/launch_world.py) and this one. The
organization: 1,000 open code alerts over 100 repositories, 500 writers linked to a Slack user
(5 random repositories each, every repository with at least one) and 50 writers without one;
synced into a SQLite file by the real sync, so the writers are stored as in production.
`--quick`: 100 alerts, 20 repositories, 50 linked and 5 unlinked writers.

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
3. Assign to me: `campaignbot run` (HTTP mode, GitHub connected to the fake) receives rounds of
   concurrent signed `assign_to_me` clicks, each by another linked writer on another alert of one
   of their repositories: a phase of 50 at once (25 with --quick), more than the database pool's
   15 connections, then one of 10 at once. Figures: the ack's round trip (floor: a bare Bolt
   AsyncApp acking the same signed action, bench/slack_bench.py), click to the fake GitHub
   answering the alert's PATCH (floor: the same PATCHes sent bare with aiohttp at the same
   concurrency), click to the reply on the response_url; the GitHub requests per click (1 PATCH,
   no permission GET: the stored writers answer the write-access check); clicks that failed,
   were not written back or not stored, and what the app logged at WARNING or above.

No assertion on speed anywhere: figures are printed, never checked.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import random
import statistics
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
from aiolimiter import AsyncLimiter
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

import bot.campaigns.service as campaign_module
from bench.delivery_bench import Figure, header, print_table, rows
from bench.delivery_scenarios import drained, extra_claims
from bench.delivery_world import ADMIN, POLL, SlackProcess, bench_settings, service_for
from bench.launch_world import (
    CHANNEL,
    FULL,
    ORG,
    QUERY,
    QUICK,
    TOKEN,
    GitHubProcess,
    Org,
    Scale,
    app_settings,
    fill,
    generate,
    sqlite,
)
from bench.slack_bench import bare_bolt_server, p95_99
from bot.campaigns.requests import CreateRequest
from bot.campaigns.service import CampaignService
from bot.core import notices
from bot.core.models import Campaign
from bot.core.notices import LISTED_LOGINS, LISTED_REPOSITORIES, Notice, NoticeKind
from bot.core.settings import Settings
from bot.delivery.deliverer import Deliverer
from bot.delivery.ports import Subject
from bot.runtime.lifespan import serve
from bot.runtime.slack import build_slack_client
from commands.delivery import views
from commands.delivery.messenger import METADATA_EVENT, PER_CHANNEL_RATE, SlackMessenger
from commands.shared import ids
from store import outbox, schema
from tests.fakes.constants import SIGNING_SECRET
from tests.fakes.signing import SignedRequest, SlackSigner, button

WAIT = 300.0
"""Seconds to wait for a delivery before counting what never came as lost."""


def request(name: str, channel: str | None) -> CreateRequest:
    return CreateRequest(
        name=name,
        description="launch bench",
        due_date=date.today() + timedelta(days=60),
        manager=ADMIN,
        query=QUERY,
        channel=channel,
        continue_big=True,
    )


@contextlib.contextmanager
def launch_off() -> Iterator[None]:
    """`create` as it was before launch DMs: nobody's audience is looked up."""
    original = campaign_module.launch_notices

    async def nobody(
        conn: AsyncConnection, campaign: Campaign, now: datetime
    ) -> list[notices.Notice]:
        return []

    campaign_module.launch_notices = nobody
    try:
        yield
    finally:
        campaign_module.launch_notices = original


@contextlib.contextmanager
def parts_timed(spent: dict[str, float]) -> Iterator[None]:
    """Time what `create` spends in `launch_notices` and in `outbox.enqueue` (into `spent`)."""
    plan, enqueue = campaign_module.launch_notices, outbox.enqueue

    async def timed_plan(
        conn: AsyncConnection, campaign: Campaign, now: datetime
    ) -> list[notices.Notice]:
        start = time.perf_counter()
        try:
            return await plan(conn, campaign, now)
        finally:
            spent["launch_notices"] = time.perf_counter() - start

    async def timed_enqueue(conn: AsyncConnection, notices: Sequence[Notice]) -> int:
        start = time.perf_counter()
        try:
            return await enqueue(conn, notices)
        finally:
            spent["enqueue"] = time.perf_counter() - start

    campaign_module.launch_notices = timed_plan
    outbox.enqueue = timed_enqueue
    try:
        yield
    finally:
        campaign_module.launch_notices = plan
        outbox.enqueue = enqueue


async def timed_create(
    service: CampaignService, channel: str | None, spent: dict[str, float] | None = None
) -> tuple[Campaign, float]:
    start = time.perf_counter()
    with parts_timed(spent if spent is not None else {}):
        created = await service.create(ADMIN, request(f"Launch {uuid.uuid4().hex[:6]}", channel))
    return created.campaign, time.perf_counter() - start


def expected_keys(org: Org, number: int) -> list[str]:
    keys = [notices.delivery_key(NoticeKind.LAUNCH, number, CHANNEL, "-")]
    keys += [
        notices.delivery_key(NoticeKind.LAUNCH_DM, number, user, "-") for user in org.slack.values()
    ]
    if org.unlinked:
        keys.append(notices.delivery_key(NoticeKind.UNLINKED, number, ADMIN, "-"))
    return keys


# ---- 1 and 2: the launch ----------------------------------------------------------------------


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


async def content_problems(engine: AsyncEngine, org: Org, number: int) -> tuple[int, int, int]:
    """(rows written, launch DMs or manager DM whose payload is not what the organization says,
    unlinked writers the manager's DM accounts for)."""
    o = schema.outbox
    async with engine.connect() as conn:
        found = (
            await conn.execute(
                select(o.c.kind, o.c.target, o.c.payload).where(o.c.campaign_id == number)
            )
        ).all()
    login_of, wrong, named = org.login_of, 0, 0
    for kind, target, payload in found:
        if kind == NoticeKind.LAUNCH_DM.value:
            mine = sorted(
                ((f"{ORG}/{repo}", org.alerts[repo]) for repo in org.writes[login_of[target]]),
                key=lambda item: (-item[1], item[0].lower()),
            )
            wanted: dict[str, Any] = {
                "repositories": [[name, count] for name, count in mine[:LISTED_REPOSITORIES]],
                "more_repositories": max(len(mine) - LISTED_REPOSITORIES, 0),
                "alerts": sum(count for _, count in mine),
            }
            wrong += payload != wanted
        elif kind == NoticeKind.UNLINKED.value:
            logins = org.unlinked
            wanted = {"logins": logins[:LISTED_LOGINS], "more": max(len(logins) - LISTED_LOGINS, 0)}
            wrong += payload != wanted or target != ADMIN
            named = len(payload.get("logins") or []) + int(payload.get("more") or 0)
    return len(found), wrong, named


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


# ---- 3: Assign to me --------------------------------------------------------------------------


@dataclass(frozen=True)
class Click:
    user: str
    login: str
    repo: str
    number: int

    @property
    def reference(self) -> str:
        return f"{ORG}/{self.repo}#code-{self.number}"

    @property
    def path(self) -> str:
        return f"/repos/{ORG}/{self.repo}/code-scanning/alerts/{self.number}"


Rounds = list[list[Click]]


def click_phases(org: Org, scale: Scale, rng: random.Random) -> list[Rounds]:
    """For each phase (concurrency, rounds), rounds of clicks by distinct writers, each on an
    alert of one of their repositories that no other click of the run touches."""
    free = {repo: rng.sample(range(1, count + 1), count) for repo, count in org.alerts.items()}
    people = sorted(org.slack.items())
    phases = []
    for size, count in scale.phases():
        rounds = []
        for _ in range(count):
            rng.shuffle(people)
            chosen: list[Click] = []
            for login, user in people:
                repos = [repo for repo in org.writes[login] if free[repo]]
                if repos and len(chosen) < size:
                    repo = rng.choice(repos)
                    chosen.append(Click(user, login, repo, free[repo].pop()))
            if len(chosen) < size:
                raise RuntimeError("not enough distinct alerts for the clicks")
            rounds.append(chosen)
        phases.append(rounds)
    return phases


def hook_url(fake: SlackProcess) -> tuple[str, str]:
    """A fresh response_url on the fake Slack: (hook id, URL)."""
    hook = uuid.uuid4().hex
    return hook, f"{fake.api_url.removesuffix('api/')}hook/{hook}"


def signed(signer: SlackSigner, click: Click, number: int, response_url: str) -> SignedRequest:
    return signer.block_actions(
        button(ids.ASSIGN_TO_ME, f"{number}:{click.reference}"),
        user_id=click.user,
        response_url=response_url,
    )


async def send_round(
    http: aiohttp.ClientSession, url: str, requests: Sequence[SignedRequest]
) -> tuple[list[float], list[float]]:
    """All at once; returns (when each was sent, its ack round trip), monotonic seconds."""

    async def one(signed_request: SignedRequest) -> tuple[float, float]:
        start = time.monotonic()
        async with http.post(
            url, data=signed_request.body, headers=signed_request.headers
        ) as response:
            await response.read()
            assert response.status == 200, response.status
        return start, time.monotonic() - start

    done = await asyncio.gather(*(one(item) for item in requests))
    return [start for start, _ in done], [trip for _, trip in done]


def first_after(stamps: Sequence[float], start: float) -> float | None:
    return next((stamp for stamp in sorted(stamps) if stamp >= start), None)


Sent = list[tuple[Click, float, str]]
"""(click, when it was sent, its response_url hook id)."""


def walls(rounds: Rounds, sent: Sent, patched: dict[str, list[float]]) -> list[float]:
    """Per round whose clicks were all written back: its first click to its last PATCH."""
    out, index = [], 0
    for clicks in rounds:
        part = sent[index : index + len(clicks)]
        index += len(clicks)
        first = min(start for _, start, _ in part)
        ends = [first_after(patched.get(click.path, []), start) for click, start, _ in part]
        if all(end is not None for end in ends):
            out.append(max(end for end in ends if end is not None) - first)
    return out


@dataclass
class Phase:
    """One phase of clicks against the app, and its floors."""

    rounds: Rounds
    acks: list[float]
    patched: list[float]
    """Click to the PATCH answered, for the clicks written back."""
    answered: list[float]
    """Click to the reply on its response_url, for every click (an error is a reply too)."""
    walls: list[float]
    failed: int
    not_patched: int
    caused: Counter[str]
    stored: int = 0
    bare_acks: list[float] = field(default_factory=list)
    bare_patched: list[float] = field(default_factory=list)
    bare_walls: list[float] = field(default_factory=list)
    logged: Counter[str] = field(default_factory=Counter)
    """WARNING+ records the app logged during the phase, by exception type."""

    @property
    def clicks(self) -> int:
        return sum(len(clicks) for clicks in self.rounds)


def judge(
    rounds: Rounds,
    sent: Sent,
    acks: list[float],
    github: dict[str, Any],
    slack: dict[str, Any],
    caused: Counter[str],
) -> Phase:
    phase = Phase(rounds, acks, [], [], walls(rounds, sent, github["patched"]), 0, 0, caused)
    for click, start, hook in sent:
        done = first_after(github["patched"].get(click.path, []), start)
        assignees = github["assignees"].get(f"{ORG}/{click.repo}#{click.number}")
        if done is None or assignees != [click.login]:
            phase.not_patched += 1
        else:
            phase.patched.append(done - start)
        reply = slack["hooks"].get(hook)
        if reply is not None:
            phase.answered.append(reply[0] - start)
        if reply is None or "is yours now" not in reply[1]:
            phase.failed += 1
    return phase


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


async def warm_up(
    http: aiohttp.ClientSession, url: str, signer: SlackSigner, fake: SlackProcess, click: Click
) -> str:
    """One click with a damaged value (answered at once, nothing written): Bolt's first request
    checks the token with auth.test and the connection opens, outside the figures."""
    hook, address = hook_url(fake)
    warm = signer.block_actions(
        button(ids.ASSIGN_TO_ME, "warm-up"), user_id=click.user, response_url=address
    )
    await send_round(http, url, [warm])
    return hook


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


# ---- one run ----------------------------------------------------------------------------------


async def run(quick: bool = False, seed: int = 7) -> tuple[list[Figure], str]:
    scale = QUICK if quick else FULL
    org = generate(scale, seed)
    rng = random.Random(seed)
    figures: list[Figure] = []
    with tempfile.TemporaryDirectory() as tmp:
        async with (
            SlackProcess.start() as fake,
            GitHubProcess.start(scale, seed) as github,
            sqlite(Path(tmp)) as (engine, url),
        ):
            await fill(engine, github, fake, org)
            settings = bench_settings(fake.api_url)
            first, number = await launch(engine, settings, fake, org, storm=0)
            label = f"launch {scale.alerts} alerts/{scale.repositories} repos"
            figures += launch_figures(label, first, org, 0)
            stormy, _ = await launch(engine, settings, fake, org, storm=scale.storm)
            figures += launch_figures(f"launch +{scale.storm}×429", stormy, org, scale.storm)

            await fake.reset(pace=None)
            app = app_settings(fake.api_url, url, github.url)
            phases, startup = await project_clicks(
                app, engine, fake, github, click_phases(org, scale, rng), number
            )
            figures.append(
                Figure(
                    "campaignbot run: start-up jobs (sync, reminders, digest)",
                    startup,
                    note="waited for before the clicks",
                )
            )
            for phase in phases:
                phase.stored = await stored_clicks(engine, number, phase.rounds)
                await bare_clicks(fake, github, phase, number)
                figures += assign_figures(phase)
    where = (
        f"SQLite, {scale.writers} linked + {scale.unlinked} unlinked writers, "
        f"{scale.repos_per_writer} repos each"
    )
    return figures, where


async def main(quick: bool) -> None:
    start = time.perf_counter()
    figures, where = await run(quick)
    title = f"Launch DMs and Assign to me ({where}, {time.perf_counter() - start:.0f} s)"
    print_table(title, [header(), *rows(figures)])


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.launch_bench")
    parser.add_argument(
        "--quick", action="store_true", help="100 alerts, 20 repositories, 50 linked writers"
    )
    asyncio.run(main(parser.parse_args().quick))
