"""The clock bench's world, built once per database: its size (`Scale`; `ms` reports its runs),
the moments it is built around, and the campaigns, alerts, closes, fix links, assignments and
writers it holds. Both measurements (bench/clock_digest.py, bench/clock_reminders.py) run on it.

The world (the same for every database): per campaign, `repositories` repositories tagged with the
campaign's topic, holding its `alerts` open critical/high code alerts and as many medium/low ones
the campaign's query leaves out (tests/builders.py data, stored by `repositories.upsert_many` and
`alerts.upsert_many`). `CampaignService.create` makes each campaign (`is:open topic:bench-K
severity:critical,high`, a channel, due on Wednesday 2 December 2026) seven weeks before the
digest; then a share of its alerts is closed with `alerts.set_states` (25 % to 75 % depending on the
campaign, closes spread over the seven weeks and denser lately; a tenth of the repositories has no
close and no fix link at all, one in twenty is cleared with a close in the last week), 8 % of the
other open alerts get a fix link (in progress), `assignees` people each hold 2 to 6 open alerts
across the campaigns and 40 % of the closed alerts are assigned too (bulk INSERT into
`assignments`), and the repositories get 3 writers each (1 in 20 none), 90 % of the people
linked to Slack. Everything runs in UTC.
`--quick`: 3 campaigns × 200 alerts over 10 repositories each, 50 assignees.
"""

from __future__ import annotations

import math
import random
import statistics
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.core_bench import p95
from bench.delivery_bench import Figure
from bench.delivery_world import ADMIN
from bot.campaigns.ports import AdminList
from bot.campaigns.requests import CreateRequest
from bot.campaigns.service import CampaignService
from bot.core.models import Campaign, FixLink, Identity
from bot.core.settings import Settings
from store import alerts, fix_links, identities, repositories, schema
from store.upsert import insert_ignore
from tests.builders import code_alert, repo

CREATED = datetime(2026, 9, 21, 10, 0, tzinfo=UTC)
"""A Monday: every campaign is created then, seven weeks before the digest."""
NOW = datetime(2026, 11, 9, 9, 0, tzinfo=UTC)
"""Monday 09:00 UTC: the digest's moment; every close happened before it."""
DUE = date(2026, 12, 2)
"""A Wednesday, so the DM slot `due-0` is not moved to a Friday."""
RULES = ("js/xss", "py/sql-injection", "java/path-injection", "go/ssrf", "rb/code-injection")
OTHER_TOPICS = ("payments", "platform", "frontend", "data", "mobile")


@dataclass(frozen=True)
class Scale:
    campaigns: int
    alerts: int
    """Per campaign (selected by its query); as many more in its repositories are not."""
    repositories: int
    """Per campaign."""
    assignees: int
    runs: int
    """Rounds over every campaign (digest), runs of each reminders figure."""


FULL = Scale(campaigns=10, alerts=1_000, repositories=50, assignees=500, runs=5)
QUICK = Scale(campaigns=3, alerts=200, repositories=10, assignees=50, runs=3)


def ms(values: Sequence[float]) -> tuple[float, float]:
    """(median, p95) of seconds, in milliseconds."""
    return statistics.median(values) * 1000, p95(list(values)) * 1000


@dataclass
class FakeClock:
    """The services' clock, moved by hand (as `tests.scheduler.conftest` has it; that module
    needs pytest, which the bench must run without)."""

    now: datetime

    def __call__(self) -> datetime:
        return self.now


@dataclass
class World:
    engine: AsyncEngine
    service: CampaignService
    settings: Settings
    clock: FakeClock
    campaigns: list[Campaign]
    people: list[str]
    """Slack users holding open alerts."""
    figures: list[Figure] = field(default_factory=list)
    """How long building it took, and what it holds."""


def user(index: int) -> str:
    return f"U{index:08d}"


def login(index: int) -> str:
    return f"dev-{index:04d}"


async def build(engine: AsyncEngine, scale: Scale, seed: int) -> World:
    rng = random.Random(seed)
    settings = Settings(
        _env_file=None, campaign_admins=ADMIN, max_active_campaigns=100, log_level="WARNING"
    )
    clock = FakeClock(CREATED)
    service = CampaignService(
        engine, settings, directory=AdminList(frozenset({ADMIN})), clock=clock
    )
    world = World(engine, service, settings, clock, [], [user(i) for i in range(scale.assignees)])

    start = time.perf_counter()
    repos, found = [], []
    base, extra = divmod(scale.alerts, scale.repositories)
    for k in range(scale.campaigns):
        for j in range(scale.repositories):
            name = f"acme/c{k}-repo-{j:03d}"
            pushed = CREATED - timedelta(days=rng.randint(0, 90))
            repos.append(
                repo(name, topics=[f"bench-{k}", rng.choice(OTHER_TOPICS)], pushed_at=pushed)
            )
            selected = base + (1 if j < extra else 0)
            for number in range(1, 2 * selected + 1):
                severity = ("critical", "high") if number <= selected else ("medium", "low")
                found.append(
                    code_alert(
                        name,
                        number,
                        security_severity=rng.choice(severity),
                        created_at=CREATED - timedelta(days=rng.randint(1, 400)),
                        rule_id=rng.choice(RULES),
                        path=f"src/module_{rng.randint(1, 40)}/file_{number}.py",
                    )
                )
    async with engine.begin() as conn:
        await repositories.upsert_many(conn, repos)
        await alerts.upsert_many(conn, found)
    world.figures.append(
        Figure(
            "world: inventory stored",
            time.perf_counter() - start,
            note=f"{len(repos):,} repositories, {len(found):,} alerts (half selected)",
        )
    )

    start = time.perf_counter()
    for k in range(scale.campaigns):
        created = await service.create(
            ADMIN,
            CreateRequest(
                name=f"Clock bench {k}",
                description="clock bench",
                due_date=DUE,
                manager=ADMIN,
                query=f"is:open topic:bench-{k} severity:critical,high",
                channel=f"CBENCH{k:03d}",
                timezone="UTC",
                continue_big=True,
            ),
        )
        if created.campaign.alert_count != scale.alerts:
            raise RuntimeError(f"campaign {k} holds {created.campaign.alert_count} alerts")
        world.campaigns.append(created.campaign)
    world.figures.append(
        Figure(
            "world: CampaignService.create × campaigns",
            time.perf_counter() - start,
            note=f"{scale.campaigns} × {scale.alerts:,} alerts",
        )
    )

    start = time.perf_counter()
    closed, assigned, linked = await shape(world, scale, rng)
    world.clock.now = NOW
    world.figures.append(
        Figure(
            "world: closes, fix links, assignments, writers",
            time.perf_counter() - start,
            note=f"{closed:,} alerts closed, {assigned:,} assignments, {linked:,} writers linked",
        )
    )
    return world


def close_moment(rng: random.Random) -> datetime:
    """Between the launch and the digest, denser lately (a burndown that speeds up)."""
    span = (NOW - CREATED).total_seconds() - 3600
    return CREATED + timedelta(seconds=span * math.sqrt(rng.random()))


async def shape(world: World, scale: Scale, rng: random.Random) -> tuple[int, int, int]:
    """Close a share of each campaign's alerts, add fix links, assignments and writers. Returns
    (alerts closed, assignments, writers linked to Slack)."""
    ca = schema.campaign_alerts
    members: dict[int, dict[int, list[int]]] = defaultdict(lambda: defaultdict(list))
    async with world.engine.connect() as conn:
        for campaign_id, alert_id, repository_id in await conn.execute(
            select(ca.c.campaign_id, ca.c.alert_id, ca.c.repository_id).order_by(ca.c.alert_id)
        ):
            members[campaign_id][repository_id].append(alert_id)
    changes: list[tuple[int, str, datetime | None]] = []
    still_open: list[tuple[int, int]] = []
    done: list[tuple[int, int, datetime]] = []
    idle: set[int] = set()
    """Alerts of the stalled repositories: no close, no fix link."""
    for index, campaign_id in enumerate(sorted(members)):
        share = 0.25 + 0.5 * index / max(1, len(members) - 1)
        for ids in members[campaign_id].values():
            roll = rng.random()
            cleared = 0.10 <= roll < 0.15  # every alert closed, the last one this week
            if roll < 0.10:  # stalled: nothing closed or linked since the launch
                shut = []
                idle.update(ids)
            else:
                shut = [alert_id for alert_id in ids if cleared or rng.random() < share]
            moments = sorted(close_moment(rng) for _ in shut)
            if cleared and moments:
                moments[-1] = NOW - timedelta(seconds=rng.uniform(3600, 6 * 86400))
            for alert_id, at in zip(shut, moments, strict=True):
                changes.append((alert_id, "fixed" if rng.random() < 0.85 else "dismissed", at))
                done.append((campaign_id, alert_id, at))
            gone = set(shut)
            still_open += [(campaign_id, alert_id) for alert_id in ids if alert_id not in gone]

    links = [
        FixLink(
            alert_id=alert_id,
            kind="pull_request",
            ref=f"acme/fixes#{alert_id}",
            created_at=NOW - timedelta(days=rng.uniform(0, 30)),
        )
        for _, alert_id in still_open
        if alert_id not in idle and rng.random() < 0.08
    ]

    rng.shuffle(still_open)
    rows: list[dict[str, Any]] = []
    for person in world.people:
        take = rng.randint(2, 6)
        if len(still_open) < take:
            raise RuntimeError("not enough open alerts for every assignee")
        for _ in range(take):
            campaign_id, alert_id = still_open.pop()
            rows.append(assignment(campaign_id, alert_id, person, CREATED + timedelta(days=1)))
    for campaign_id, alert_id, at in done:
        if rng.random() < 0.4:
            person = rng.choice(world.people)
            rows.append(assignment(campaign_id, alert_id, person, min(at, CREATED + timedelta(1))))

    writers: list[dict[str, Any]] = []
    for repository_id in (rid for campaign in members.values() for rid in campaign):
        if rng.random() < 0.05:  # no known writer: nobody there can be told
            continue
        for index in rng.sample(range(len(world.people)), min(3, len(world.people))):
            writers.append(
                {"repository_id": repository_id, "login": login(index), "permission": "write"}
            )
    people = list(range(len(world.people)))
    linked = [i for i in people if rng.random() < 0.9]
    async with world.engine.begin() as conn:
        await alerts.set_states(conn, changes)
        await fix_links.add_many(conn, links)
        await insert_ignore(conn, schema.assignments, rows, ["campaign_id", "alert_id"])
        await insert_ignore(conn, schema.repository_writers, writers, ["repository_id", "login"])
        await identities.save_many(
            conn, [Identity(slack_user_id=user(i), github_login=login(i)) for i in linked]
        )
    return len(changes), len(rows), len(linked)


def assignment(campaign_id: int, alert_id: int, person: str, at: datetime) -> dict[str, Any]:
    return {
        "campaign_id": campaign_id,
        "alert_id": alert_id,
        "assignee": person,
        "assigned_by": ADMIN,
        "assigned_at": at,
    }
