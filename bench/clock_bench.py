"""The clock jobs at scale (issue 10): the weekly digest and the reminders job, each figure beside
a floor measured in the same run.

    python -m bench.clock_bench [--quick]      # or: python -m bench --only clock [--quick]

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

1. The digest, per campaign, at Monday 9 November 2026 09:00 UTC: `CampaignService.progress` +
   `bot.reports.digest.digest_facts` (aim < 50 ms), `bot.reports.chart.burndown_png` (facts and
   chart: aim < 500 ms), `commands.delivery.clock_views.digest` (the render), as the deliverer
   does for a digest notice. Floors: one hand-written SQL query over the same file (stdlib
   `sqlite3`, sync; `asyncpg` on PostgreSQL) giving the campaign's closed / total / open, closed
   this week and open per repository; a bare matplotlib Figure stepping the same arrays to PNG
   (no date locator, formatter, legend or tight layout). Checked: the app's counts equal the
   floor's.
2. The reminders job at Wednesday 2 December 09:00 UTC, the due date: every campaign's channel
   slot `due-0` and everyone's DM slot `due-0` are due. `ClockJobs(...).reminders(now,
   write=False)` (decide), then `write=True` on an outbox without reminders (decide and write),
   then once more (writes nothing), and at a quiet hour (Monday 30 November 14:00, no slot due).
   Floor: one query grouping the open assigned alerts per assignee and campaign, plus one
   `executemany` INSERT of as many rows into a scratch table (one per channel, one per person).
   Checked: every DM's campaigns and counts equal the floor's grouping.

SQLite in a temporary directory; and PostgreSQL when BENCH_POSTGRES_URL (or TEST_POSTGRES_URL)
names a database (`postgresql+asyncpg://…`): a schema of its own there, dropped afterwards.
No assertion on speed anywhere: figures are printed, never checked.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import math
import os
import random
import re
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

import asyncpg
from sqlalchemy import delete, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.core_bench import p95
from bench.delivery_bench import Figure, header, print_table, rows
from bench.delivery_world import ADMIN, engine_for
from bot.campaigns.ports import AdminList
from bot.campaigns.requests import CreateRequest
from bot.campaigns.service import CampaignService
from bot.core.models import Campaign, FixLink, Identity, Progress
from bot.core.notices import Notice, NoticeKind
from bot.core.settings import Settings
from bot.reports.digest import DigestFacts, digest_facts
from bot.scheduler.jobs import ClockJobs
from commands.delivery import clock_views
from store import alerts, fix_links, identities, repositories, schema
from store.engine import create_engine
from store.migrate import upgrade
from store.upsert import insert_ignore
from tests.builders import code_alert, repo

CREATED = datetime(2026, 9, 21, 10, 0, tzinfo=UTC)
"""A Monday: every campaign is created then, seven weeks before the digest."""
NOW = datetime(2026, 11, 9, 9, 0, tzinfo=UTC)
"""Monday 09:00 UTC: the digest's moment; every close happened before it."""
DUE = date(2026, 12, 2)
"""A Wednesday, so the DM slot `due-0` is not moved to a Friday."""
REMIND_AT = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
"""The due date at 09:00 UTC: channel slot `due-0` (of 7,1,0) and DM slot `due-0` (of 3,0)."""
QUIET_AT = datetime(2026, 11, 30, 14, 0, tzinfo=UTC)
"""No slot within its 24 h window: due-7 was 5 days ago, due-3 (a Sunday: Friday 27) 3 days ago."""
FACTS_AIM = 50.0
CHART_AIM = 500.0
"""Milliseconds per campaign: the digest's facts, and facts with the chart (issue 10)."""
RULES = ("js/xss", "py/sql-injection", "java/path-injection", "go/ssrf", "rb/code-injection")
OTHER_TOPICS = ("payments", "platform", "frontend", "data", "mobile")
REMINDER_KINDS = (NoticeKind.REMINDER.value, NoticeKind.REMINDER_DM.value)


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


def aim(value: float, limit: float) -> str:
    """A verdict (delivery_bench's own "aim <" verdict is for its 500 ms aim only)."""
    return f"{'within' if value < limit else 'OVER'} the {limit:.0f} ms aim"


# ---- the world ---------------------------------------------------------------------------------


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


# ---- the floors --------------------------------------------------------------------------------

DIGEST_SQL = """
SELECT r.full_name,
       SUM(CASE WHEN a.is_open THEN 1 ELSE 0 END),
       SUM(CASE WHEN a.is_open THEN 0 ELSE 1 END),
       SUM(CASE WHEN NOT a.is_open AND COALESCE(a.closed_at, a.updated_at) >= ? THEN 1 ELSE 0 END),
       SUM(CASE WHEN NOT a.is_open AND COALESCE(a.closed_at, a.updated_at) >= ? THEN 1 ELSE 0 END)
FROM campaign_alerts ca
JOIN alerts a ON a.id = ca.alert_id
JOIN repositories r ON r.id = ca.repository_id
WHERE ca.campaign_id = ?
GROUP BY r.full_name
"""
"""Per repository of one campaign: open, closed, closed since the week's first full day (the
digest's "resolved this week"), closed since the week's start (its top fixers' window)."""

WORK_SQL = """
SELECT s.assignee, s.campaign_id, COUNT(*)
FROM assignments s
JOIN alerts a ON a.id = s.alert_id
JOIN campaigns c ON c.id = s.campaign_id
WHERE c.state = 'active' AND a.is_open
GROUP BY s.assignee, s.campaign_id
ORDER BY s.assignee, s.campaign_id
"""

SCRATCH = "bench_scratch_outbox"
INSERT_SQL = (
    f"INSERT INTO {SCRATCH} (key, kind, campaign_id, target, payload, state, not_before, "  # noqa: S608
    "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)


@dataclass(frozen=True)
class FloorCounts:
    total: int
    closed: int
    open: int
    closed_this_week: int
    """Closed in the digest's week (the seven days before it)."""
    closed_since_week_start: int
    """Closed in the window its top fixers and cleared repositories use (the same week)."""
    open_by_repository: dict[str, int]


def floor_counts(found: Sequence[Sequence[Any]]) -> FloorCounts:
    by_repo = {str(name): int(opened) for name, opened, *_ in found}
    return FloorCounts(
        total=sum(int(row[1]) + int(row[2]) for row in found),
        closed=sum(int(row[2]) for row in found),
        open=sum(by_repo.values()),
        closed_this_week=sum(int(row[3]) for row in found),
        closed_since_week_start=sum(int(row[4]) for row in found),
        open_by_repository=by_repo,
    )


ScratchRow = tuple[str, str, int | None, str, str, str, datetime, datetime]


class Floor(Protocol):
    label: str

    async def digest(self, campaign_id: int, week: datetime, start: datetime) -> FloorCounts: ...

    async def work(self) -> list[tuple[str, int, int]]: ...

    async def insert(self, rows: Sequence[ScratchRow]) -> None: ...

    async def clear(self) -> None: ...

    async def close(self) -> None: ...


def sqlite_moment(moment: datetime) -> str:
    """How SQLAlchemy stores a UTC datetime in SQLite (text, naive UTC)."""
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


class SqliteFloor:
    """The stdlib `sqlite3` on the same file, synchronous, as the app's pragmas set it."""

    label = "sqlite3"

    def __init__(self, path: Path) -> None:
        self.db = sqlite3.connect(path)
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute(
            f"CREATE TABLE {SCRATCH} (id INTEGER PRIMARY KEY, key VARCHAR(300) NOT NULL UNIQUE, "
            "kind VARCHAR(16) NOT NULL, campaign_id INTEGER, target VARCHAR(64), "
            "payload TEXT NOT NULL, state VARCHAR(10) NOT NULL, not_before DATETIME NOT NULL, "
            "created_at DATETIME NOT NULL)"
        )
        self.db.commit()

    async def digest(self, campaign_id: int, week: datetime, start: datetime) -> FloorCounts:
        found = self.db.execute(
            DIGEST_SQL, (sqlite_moment(week), sqlite_moment(start), campaign_id)
        ).fetchall()
        return floor_counts(found)

    async def work(self) -> list[tuple[str, int, int]]:
        return self.db.execute(WORK_SQL).fetchall()

    async def insert(self, rows: Sequence[ScratchRow]) -> None:
        with self.db:
            self.db.executemany(
                INSERT_SQL,
                [(*row[:6], sqlite_moment(row[6]), sqlite_moment(row[7])) for row in rows],
            )

    async def clear(self) -> None:
        with self.db:
            self.db.execute(f"DELETE FROM {SCRATCH}")  # noqa: S608

    async def close(self) -> None:
        self.db.execute(f"DROP TABLE {SCRATCH}")
        self.db.close()


def numbered(sql: str) -> str:
    """`?` placeholders as asyncpg's `$1`, `$2`…"""
    count = iter(range(1, sql.count("?") + 1))
    return re.sub(r"\?", lambda _: f"${next(count)}", sql)


class PostgresFloor:
    """A bare asyncpg connection to the same schema."""

    label = "asyncpg"

    def __init__(self, db: asyncpg.Connection) -> None:
        self.db = db

    @classmethod
    async def open(cls, url: str, schema_name: str) -> PostgresFloor:
        db = await asyncpg.connect(
            url.replace("postgresql+asyncpg://", "postgresql://", 1),
            server_settings={"search_path": schema_name},
        )
        await db.execute(
            f"CREATE TABLE {SCRATCH} (id SERIAL PRIMARY KEY, key VARCHAR(300) NOT NULL UNIQUE, "
            "kind VARCHAR(16) NOT NULL, campaign_id INTEGER, target VARCHAR(64), "
            "payload JSON NOT NULL, state VARCHAR(10) NOT NULL, "
            "not_before TIMESTAMPTZ NOT NULL, created_at TIMESTAMPTZ NOT NULL)"
        )
        return cls(db)

    async def digest(self, campaign_id: int, week: datetime, start: datetime) -> FloorCounts:
        return floor_counts(await self.db.fetch(numbered(DIGEST_SQL), week, start, campaign_id))

    async def work(self) -> list[tuple[str, int, int]]:
        return [(str(a), int(c), int(n)) for a, c, n in await self.db.fetch(WORK_SQL)]

    async def insert(self, rows: Sequence[ScratchRow]) -> None:
        async with self.db.transaction():
            await self.db.executemany(numbered(INSERT_SQL), rows)

    async def clear(self) -> None:
        await self.db.execute(f"DELETE FROM {SCRATCH}")  # noqa: S608

    async def close(self) -> None:
        await self.db.execute(f"DROP TABLE {SCRATCH}")
        await self.db.close()


def bare_png(
    days: list[float], remaining: list[int], ideal: tuple[list[float], list[int]]
) -> bytes:
    """The chart's floor: the same arrays on a bare Figure, straight to PNG."""
    from matplotlib.figure import Figure as PlotFigure  # loaded after the first chart is timed

    figure = PlotFigure(figsize=(7, 3.5), dpi=100)
    axes = figure.add_subplot()
    axes.step(days, remaining, where="post")
    axes.plot(*ideal)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


# ---- 1: the digest -----------------------------------------------------------------------------


@dataclass
class DigestTimes:
    progress: list[float] = field(default_factory=list)
    facts: list[float] = field(default_factory=list)
    chart: list[float] = field(default_factory=list)
    render: list[float] = field(default_factory=list)
    floor_sql: list[float] = field(default_factory=list)
    floor_chart: list[float] = field(default_factory=list)
    png_bytes: list[int] = field(default_factory=list)

    def sums(self, *parts: list[float]) -> list[float]:
        return [sum(values) for values in zip(*parts, strict=True)]


def disagreements(progress: Progress, facts: DigestFacts, floor: FloorCounts) -> int:
    """How many of the floor's counts the app's progress and facts disagree with."""
    counts = progress.counts
    app_repos = {rp.name: rp.open + rp.in_progress for rp in progress.repositories}
    pairs = [
        (counts.total, floor.total),
        (counts.closed, floor.closed),
        (counts.open + counts.in_progress, floor.open),
        (facts.closed_this_week, floor.closed_this_week),
    ]
    return sum(a != b for a, b in pairs) + int(app_repos != floor.open_by_repository)


async def measure_digest(world: World, floor: Floor, runs: int) -> list[Figure]:
    service, engine = world.service, world.engine
    # The digest's week is the seven days before it, for every line (resolved, fixers, cleared).
    week_start = NOW - timedelta(days=7)
    first_day = week_start

    first = world.campaigns[0]
    progress = await service.progress(first)
    facts = await digest_facts(engine, first, progress, NOW)
    loaded = "matplotlib" in sys.modules
    start = time.perf_counter()
    from bot.reports.chart import burndown_png  # as the deliverer: loaded with the first chart

    burndown_png(facts.burndown, f"#{first.number} {first.name}: burndown")
    cold = (time.perf_counter() - start) * 1000
    from matplotlib.dates import date2num

    times, wrong, not_png, shapes = DigestTimes(), 0, 0, Counter[str]()
    extra_fixer_window = 0
    for run in range(runs):
        for campaign in world.campaigns:
            title = f"#{campaign.number} {campaign.name}: burndown"
            t0 = time.perf_counter()
            progress = await service.progress(campaign)
            t1 = time.perf_counter()
            facts = await digest_facts(engine, campaign, progress, NOW)
            t2 = time.perf_counter()
            png = burndown_png(facts.burndown, title)
            t3 = time.perf_counter()
            text_, blocks = clock_views.digest(campaign, progress, facts)
            t4 = time.perf_counter()
            counts = await floor.digest(campaign.number, first_day, week_start)
            t5 = time.perf_counter()
            chart = facts.burndown
            ideal_days, ideal_values = zip(*chart.ideal, strict=True)
            arrays = (
                [float(date2num(day)) for day in chart.days],
                chart.remaining,
                ([float(date2num(day)) for day in ideal_days], list(ideal_values)),
            )
            t6 = time.perf_counter()
            bare = bare_png(*arrays)
            t7 = time.perf_counter()
            times.progress.append(t1 - t0)
            times.facts.append(t2 - t1)
            times.chart.append(t3 - t2)
            times.render.append(t4 - t3)
            times.floor_sql.append(t5 - t4)
            times.floor_chart.append(t7 - t6)
            times.png_bytes.append(len(png))
            if run == 0:
                wrong += disagreements(progress, facts, counts)
                not_png += sum(not p.startswith(b"\x89PNG") for p in (png, bare))
                not_png += int(not text_ or not blocks)
                extra_fixer_window += counts.closed_since_week_start - counts.closed_this_week
                shapes.update(
                    stalled=len(facts.stalled),
                    cleared=len(facts.cleared),
                    fixers=len(facts.top_fixers),
                    milestones=len(facts.milestones),
                    week=facts.closed_this_week,
                    unreachable=len(getattr(facts, "unreachable", [])),
                )

    n = len(world.campaigns)
    facts_ms = times.sums(times.progress, times.facts)
    with_chart = times.sums(times.progress, times.facts, times.chart)
    full = times.sums(times.progress, times.facts, times.chart, times.render)
    floor_both = times.sums(times.floor_sql, times.floor_chart)
    sql_p50, sql_p95 = ms(times.floor_sql)
    chart_floor_p50, chart_floor_p95 = ms(times.floor_chart)
    both_p50, both_p95 = ms(floor_both)
    label = f"digest ×{n} campaigns ×{runs} rounds"
    f50, f95 = ms(facts_ms)
    c50, c95 = ms(with_chart)
    u50, u95 = ms(full)
    figures = [
        Figure(f"{label}: facts p50 (progress + digest_facts)", f50, "ms", floor=sql_p50,
               note=f"{aim(f50, FACTS_AIM)}; floor: one {floor.label} query, same counts"),
        Figure(f"{label}: facts p95", f95, "ms", floor=sql_p95, note=aim(f95, FACTS_AIM)),
        Figure(f"{label}: of which progress() p50", ms(times.progress)[0], "ms"),
        Figure(f"{label}: of which digest_facts() p50", ms(times.facts)[0], "ms"),
        Figure(f"{label}: burndown_png p50", ms(times.chart)[0], "ms", floor=chart_floor_p50,
               note="floor: bare Figure, same arrays, to PNG"),
        Figure(f"{label}: burndown_png p95", ms(times.chart)[1], "ms", floor=chart_floor_p95),
        Figure(f"{label}: facts + chart p50", c50, "ms", floor=both_p50,
               note=f"{aim(c50, CHART_AIM)}; floor: query + bare chart"),
        Figure(f"{label}: facts + chart p95", c95, "ms", floor=both_p95,
               note=aim(c95, CHART_AIM)),
        Figure(f"{label}: clock_views.digest render p50", ms(times.render)[0], "ms"),
        Figure(f"{label}: facts + chart + render p50", u50, "ms", floor=both_p50,
               note="what the deliverer does per digest notice"),
        Figure(f"{label}: facts + chart + render p95", u95, "ms", floor=both_p95),
        Figure("digest: first chart in this process", cold, "ms",
               note="matplotlib already loaded" if loaded else "incl. importing matplotlib"),
        Figure("digest: PNG size median", statistics.median(times.png_bytes) / 1024, "",
               note="KiB"),
        Figure("digest: counts where app and floor disagree", wrong, "", zero=True),
        Figure("digest: PNGs or messages missing", not_png, "", zero=True),
        Figure("digest: closes in top fixers' window, not in 'resolved'", extra_fixer_window, "",
               note="must be 0: one window for every line"),
        Figure("digest: what the facts hold (all campaigns)", shapes["week"], "",
               note=f"resolved this week; {shapes['stalled']} stalled, {shapes['cleared']} "
               f"cleared, {shapes['fixers']} fixers, {shapes['milestones']} milestones, "
               f"{shapes['unreachable']} unreachable"),
    ]  # fmt: skip
    return figures


# ---- 2: the reminders job ----------------------------------------------------------------------


class CountingZones:
    """The campaign's zone, as with `zones=None`; counts the questions (each would be a Slack
    `users.info` call, cached 12 hours, in `campaignbot run`)."""

    def __init__(self) -> None:
        self.asked = 0

    async def timezone_of(self, user_id: str, default: str) -> str:
        self.asked += 1
        return default


async def clear_reminders(engine: AsyncEngine) -> None:
    o = schema.outbox
    async with engine.begin() as conn:
        await conn.execute(delete(o).where(o.c.kind.in_(REMINDER_KINDS)))


def floor_rows(world: World, work: Sequence[tuple[str, int, int]]) -> list[ScratchRow]:
    """What the floor writes: one row per campaign channel, one per person with open work."""
    day = REMIND_AT.date().isoformat()
    found: list[ScratchRow] = [
        (
            f"reminder:{c.number}:{c.channel}:due-0",
            "reminder",
            c.number,
            str(c.channel),
            json.dumps({"slot": "due-0"}),
            "pending",
            REMIND_AT,
            REMIND_AT,
        )
        for c in world.campaigns
    ]
    mine: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for person, campaign_id, count in work:
        mine[person].append({"campaign": campaign_id, "slot": "due-0", "open": count})
    found += [
        (
            f"dm:{person}:{day}",
            "dm",
            None,
            person,
            json.dumps({"campaigns": items, "day": day}),
            "pending",
            REMIND_AT,
            REMIND_AT,
        )
        for person, items in mine.items()
    ]
    return found


def wrong_dms(told: Sequence[Notice], work: Sequence[tuple[str, int, int]]) -> int:
    """DMs whose campaigns or open counts are not the floor's grouping, and people missed."""
    wanted: dict[str, dict[int, int]] = defaultdict(dict)
    for person, campaign_id, count in work:
        wanted[person][campaign_id] = count
    got = {
        notice.target: {
            int(item["campaign"]): int(item["open"]) + int(item["in_progress"])
            for item in notice.payload["campaigns"]
        }
        for notice in told
        if notice.kind is NoticeKind.REMINDER_DM
    }
    return sum(got.get(person) != items for person, items in wanted.items()) + len(
        set(got) - set(wanted)
    )


async def measure_reminders(world: World, floor: Floor, runs: int) -> list[Figure]:
    jobs = ClockJobs(world.engine, world.service, world.settings, zones=None, clock=world.clock)
    world.clock.now = REMIND_AT
    await clear_reminders(world.engine)

    decide, told = [], []
    for _ in range(runs):
        start = time.perf_counter()
        told = await jobs.reminders(REMIND_AT, write=False)
        decide.append(time.perf_counter() - start)
    kinds = Counter(notice.kind for notice in told)

    write, written = [], []
    for _ in range(runs):
        await clear_reminders(world.engine)
        start = time.perf_counter()
        written = await jobs.reminders(REMIND_AT, write=True)
        write.append(time.perf_counter() - start)
    again = []
    for _ in range(runs):
        start = time.perf_counter()
        repeated = await jobs.reminders(REMIND_AT, write=True)
        again.append(time.perf_counter() - start)
    dry_after = await jobs.reminders(REMIND_AT, write=False)
    quiet = []
    for _ in range(runs):
        world.clock.now = QUIET_AT
        start = time.perf_counter()
        nothing = await jobs.reminders(QUIET_AT, write=True)
        quiet.append(time.perf_counter() - start)
    world.clock.now = REMIND_AT

    zones = CountingZones()
    counted = ClockJobs(world.engine, world.service, world.settings, zones, clock=world.clock)
    await counted.reminders(QUIET_AT, write=False)

    floor_query, floor_write, scratch = [], [], []
    work: list[tuple[str, int, int]] = []
    for _ in range(runs):
        await floor.clear()
        start = time.perf_counter()
        work = await floor.work()
        middle = time.perf_counter()
        scratch = floor_rows(world, work)
        await floor.insert(scratch)
        floor_query.append(middle - start)
        floor_write.append(time.perf_counter() - start)

    people = len({person for person, _, _ in work})
    channels = len(world.campaigns)
    d50, d95 = ms(decide)
    w50, w95 = ms(write)
    q50, q95 = ms(floor_query)
    fw50, fw95 = ms(floor_write)
    label = f"reminders {channels} campaigns/{len(world.people)} assignees"
    return [
        Figure(f"{label}: decide (write=False) p50", d50, "ms", floor=q50,
               note=f"floor: one {floor.label} GROUP BY assignee, campaign"),
        Figure(f"{label}: decide p95", d95, "ms", floor=q95),
        Figure(f"{label}: decide + write p50", w50, "ms", floor=fw50,
               note=f"fresh outbox; floor: query + executemany of {len(scratch)} rows"),
        Figure(f"{label}: decide + write p95", w95, "ms", floor=fw95),
        Figure(f"{label}: channel reminders decided", kinds[NoticeKind.REMINDER], "",
               note=f"expected {channels}"),
        Figure(f"{label}: reminder DMs decided", kinds[NoticeKind.REMINDER_DM], "",
               note=f"expected {people} (people with open work, one DM each)"),
        Figure(f"{label}: notices written", len(written), "",
               note=f"expected {channels + people}; floor wrote {len(scratch)}"),
        Figure(f"{label}: DMs unlike the floor's grouping", wrong_dms(written, work), "",
               zero=True),
        Figure(f"{label}: second run: time", ms(again)[0], "ms", note="p50; writes nothing"),
        Figure(f"{label}: second run: notices written", len(repeated), "", zero=True),
        Figure(f"{label}: dry run after: would write", len(dry_after), "", zero=True),
        Figure(f"{label}: quiet hour (nothing due) p50", ms(quiet)[0], "ms",
               floor=q50, note=f"{len(nothing)} written; floor: the query alone"),
        Figure(f"{label}: time-zone questions per run", zones.asked, "",
               note="one per person with open work, even at a quiet hour"),
    ]  # fmt: skip


# ---- one run -----------------------------------------------------------------------------------


def postgres_url() -> str | None:
    url = os.environ.get("BENCH_POSTGRES_URL") or os.environ.get("TEST_POSTGRES_URL")
    return url if url and url.startswith("postgresql") else None


@asynccontextmanager
async def postgres(url: str) -> AsyncIterator[tuple[AsyncEngine, str]]:
    """A fresh schema of the database `url` names, migrated; dropped afterwards."""
    name = f"bench_clock_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url)
    try:
        async with admin.begin() as conn:
            await conn.execute(text(f"CREATE SCHEMA {name}"))
        engine = engine_for(url, name)
        try:
            await upgrade(engine)
            yield engine, name
        finally:
            await engine.dispose()
    finally:
        async with admin.begin() as conn:
            await conn.execute(text(f"DROP SCHEMA IF EXISTS {name} CASCADE"))
        await admin.dispose()


async def measure(
    engine: AsyncEngine, floor_of: Callable[[], Awaitable[Floor]], scale: Scale, seed: int
) -> list[Figure]:
    world = await build(engine, scale, seed)
    floor: Floor = await floor_of()
    try:
        figures = list(world.figures)
        figures += await measure_digest(world, floor, scale.runs)
        figures += await measure_reminders(world, floor, scale.runs)
    finally:
        await floor.close()
    return figures


async def run(
    quick: bool = False, postgres_at: str | None = None, seed: int = 7
) -> list[tuple[str, list[Figure]]]:
    """One run on SQLite, and on PostgreSQL when `postgres_at` names a database; returns
    (where, figures) for each."""
    scale = QUICK if quick else FULL
    shape_ = f"{scale.campaigns} campaigns × {scale.alerts:,} alerts, {scale.assignees} assignees"
    sections = []
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "clock.db"
        engine = create_engine(f"sqlite+aiosqlite:///{path}")
        try:
            await upgrade(engine)

            async def sqlite_floor() -> Floor:
                return SqliteFloor(path)

            start = time.perf_counter()
            figures = await measure(engine, sqlite_floor, scale, seed)
        finally:
            await engine.dispose()
        sections.append((f"SQLite, {shape_}, {time.perf_counter() - start:.0f} s", figures))
    if postgres_at:
        start = time.perf_counter()
        async with postgres(postgres_at) as (engine, name):

            async def postgres_floor() -> Floor:
                return await PostgresFloor.open(postgres_at, name)

            figures = await measure(engine, postgres_floor, scale, seed)
        sections.append(
            (f"PostgreSQL (schema dropped after), {shape_}, {time.perf_counter() - start:.0f} s",
             figures)
        )  # fmt: skip
    return sections


async def main(quick: bool) -> None:
    url = postgres_url()
    for where, figures in await run(quick, url):
        print_table(
            f"Clock jobs: weekly digest and reminders ({where})", [header(), *rows(figures)]
        )
    if url is None:
        print("\n(PostgreSQL skipped: set BENCH_POSTGRES_URL=postgresql+asyncpg://… to include it)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.clock_bench")
    parser.add_argument(
        "--quick", action="store_true", help="3 campaigns × 200 alerts, 50 assignees"
    )
    asyncio.run(main(parser.parse_args().quick))
