"""The campaign core at scale, each figure beside its floor measured in the same run:

- import of the organization's alert files through `campaignbot import`'s own path (streamed),
  beside the same rows written by plain `executemany` (`bench.import_floor`);
- the preview of eight queries, beside the count SQL a person would write for each
  (`bench.hand_sql`), and the median ratio of the eight;
- campaign creation (the first keeps 1,000 of a big selection), progress of the campaigns.

On SQLite (a temporary file) and, when a PostgreSQL database is named (`BENCH_POSTGRES_URL`, or
`DATABASE_URL` when it is `postgresql…`), on PostgreSQL too, in the same table: a schema of its
own there, dropped afterwards. The bench never writes to the database `DATABASE_URL` names.

    python -m bench --only core [--quick | --scale 1m]
"""

from __future__ import annotations

import os
import shutil
import statistics
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from bench import hand_sql, import_floor
from bench.org_files import OrgFiles, write_org
from bot.campaigns.ports import CLI_ACTOR, AdminList
from bot.campaigns.requests import CreateRequest
from bot.campaigns.service import CampaignService
from bot.core.settings import Settings
from bot.demo.repositories import team_name
from bot.ingest import importer
from store import repositories as repository_store
from store import schema
from store.engine import create_engine
from store.migrate import upgrade

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
QUERIES = (
    "is:open autofilter:true severity:critical",
    "is:open severity:critical,high",
    "is:open tag:external/cwe/cwe-079 autofilter:true",
    "is:open team:platform -archived:true",
    "is:open topic:payments props.businesspriority:urgent",
    "is:open provider:amazon_aws validity:active",
    "is:open age:>90d",
    "xss",
)
ALERT_TABLES = "alerts, alert_tags, alert_assignees"
FLOOR_UP_TO = 200_000
"""The floor reads each file whole: above this many alerts it is left out."""
Row = tuple[str, str]


def postgres_url() -> str | None:
    """The PostgreSQL database to measure too, if one is named."""
    for name in ("BENCH_POSTGRES_URL", "DATABASE_URL"):
        url = os.environ.get(name, "")
        if url.startswith("postgresql"):
            return url
    return None


def median(values: list[float]) -> float:
    return statistics.median(values)


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


async def timed(work: Callable[[], Awaitable[object]], runs: int) -> list[float]:
    """Milliseconds per run."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        await work()
        times.append((time.perf_counter() - start) * 1000)
    return times


def vm_hwm_mb() -> float:
    """This process's peak resident set (`VmHWM`), in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


# --- databases ------------------------------------------------------------------------------------


@dataclass
class Database:
    """Where one column of the table is measured: the app's database and the floor's twin,
    both put back to the prepared state (repositories, no alerts) by `reset`."""

    name: str
    engine: AsyncEngine
    floor: Callable[[Path, Path], Awaitable[import_floor.FloorTime]]
    reset: Callable[[], Awaitable[None]]
    cells: dict[str, str] = field(default_factory=dict)


async def _prepare(engine: AsyncEngine, org: OrgFiles) -> None:
    """Migrations, then the repositories, their custom properties and teams (not timed)."""
    await upgrade(engine)
    await importer.import_files(engine, [org.repositories, org.property_values], now=NOW)
    async with engine.begin() as conn:
        for slug, repos in org.teams.items():
            await repository_store.set_team_repositories(conn, slug, team_name(slug), dict(repos))


@asynccontextmanager
async def sqlite(tmp: Path, org: OrgFiles) -> AsyncIterator[Database]:
    base, main, twin = tmp / "base.db", tmp / "bench.db", tmp / "floor.db"
    engine = create_engine(f"sqlite+aiosqlite:///{base}")
    await _prepare(engine, org)
    await engine.dispose()  # checkpoints the WAL: the file is whole

    async def floor(code: Path, secret: Path) -> import_floor.FloorTime:
        return import_floor.sqlite_floor(twin, code, secret)

    def copy_base() -> None:
        for path in (main, twin):
            for suffix in ("-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
            shutil.copyfile(base, path)

    async def reset() -> None:
        await db.engine.dispose()
        copy_base()  # the bench's own files, between measurements
        db.engine = create_engine(f"sqlite+aiosqlite:///{main}")

    db = Database("SQLite", create_engine(f"sqlite+aiosqlite:///{main}"), floor, reset)
    try:
        yield db
    finally:
        await db.engine.dispose()


@asynccontextmanager
async def postgres(url: str, org: OrgFiles) -> AsyncIterator[Database]:
    main, twin = (f"bench_core_{uuid.uuid4().hex[:10]}{suffix}" for suffix in ("", "_floor"))
    admin = create_engine(url)
    engines: list[AsyncEngine] = []
    try:
        for name in (main, twin):
            async with admin.begin() as conn:
                await conn.execute(text(f"CREATE SCHEMA {name}"))
            engine = create_engine(url, connect_args={"server_settings": {"search_path": name}})
            engines.append(engine)
            await _prepare(engine, org)

        async def floor(code: Path, secret: Path) -> import_floor.FloorTime:
            return await import_floor.postgres_floor(url, twin, code, secret)

        async def reset() -> None:
            for engine in engines:
                async with engine.begin() as conn:
                    await conn.execute(
                        text(
                            "TRUNCATE alerts, alert_tags, alert_assignees RESTART IDENTITY CASCADE"
                        )
                    )

        yield Database("PostgreSQL", engines[0], floor, reset)
    finally:
        for engine in engines:
            await engine.dispose()
        async with admin.begin() as conn:
            for name in (main, twin):
                await conn.execute(text(f"DROP SCHEMA IF EXISTS {name} CASCADE"))
        await admin.dispose()


# --- figures --------------------------------------------------------------------------------------


@dataclass
class Sheet:
    """Figure names in order, and each database's cells."""

    names: list[str] = field(default_factory=list)

    def put(self, db: Database, name: str, cell: str) -> None:
        if name not in self.names:
            self.names.append(name)
        db.cells[name] = cell


async def measure_import(sheet: Sheet, db: Database, org: OrgFiles, repeat: int) -> None:
    """`repeat` times, each on a database just prepared: the floor, then the project's import.
    Each pair runs back to back, so both see the same machine; the ratio is given per pair."""
    alerts = org.code + org.secret
    floors: list[float] = []
    times: list[float] = []
    for _ in range(repeat if alerts <= FLOOR_UP_TO else 1):
        await db.reset()
        if alerts <= FLOOR_UP_TO:
            floors.append((await db.floor(org.code_alerts, org.secret_alerts)).seconds)
        start = time.perf_counter()
        report = await importer.import_files(db.engine, org.alert_files, now=NOW)
        times.append(time.perf_counter() - start)
        assert report.inserted == alerts, report
    seconds = median(times)
    cell = f"{seconds:.1f} s = {alerts / seconds:,.0f}/s"
    if floors:
        ratios = [project / floor for project, floor in zip(times, floors, strict=True)]
        cell += f"; floor {median(floors):.1f} s; × {median(ratios):.2f}"
        if len(ratios) > 1:
            cell += f" (min {min(ratios):.2f}, max {max(ratios):.2f}; medians of {len(ratios)})"
    else:
        cell += "; floor left out above 200,000 alerts (it reads each file whole)"
    sheet.put(db, f"import {alerts:,} alerts ({org.size_mb:,.0f} MB) vs executemany", cell)
    async with db.engine.connect() as conn:
        tags = await conn.scalar(select(func.count()).select_from(schema.alert_tags))
    sheet.put(db, "tags stored", f"{tags:,}")


async def measure_previews(
    sheet: Sheet, db: Database, service: CampaignService, runs: int, *, campaigns: bool = False
) -> None:
    """Each query's preview beside its hand-written SQL. With `campaigns` (ten are active), the
    preview also says how many of the selected alerts they hold: so does the floor then, by a
    second hand-written statement (`hand_sql.held`)."""
    suffix = ", 10 active campaigns" if campaigns else ""
    floor = "hand SQL (count + held)" if campaigns else "hand SQL"
    ratios: list[float] = []
    medians: list[float] = []
    for query in QUERIES:
        hand: list[float] = []
        project: list[float] = []
        held: dict[int, int] = {}
        for _ in range(runs):  # interleaved, so both see the same machine
            start = time.perf_counter()
            async with db.engine.connect() as conn:
                counted = await hand_sql.count(conn, query, NOW)
                if campaigns:
                    held = await hand_sql.held(conn, query, NOW)
            hand.append((time.perf_counter() - start) * 1000)
            start = time.perf_counter()
            preview = await service.preview(query)
            project.append((time.perf_counter() - start) * 1000)
        got = preview.selection
        same = counted == (got.alerts, got.repositories, got.code, got.secret)
        same = same and (not campaigns or held == preview.breakdown.held)
        ratio = median(project) / median(hand)
        ratios.append(ratio)
        medians.append(median(project))
        sheet.put(
            db,
            f"preview `{query}`{suffix}",
            f"{median(project):.1f} ms; {floor} {median(hand):.1f} ms; × {ratio:.2f}"
            + ("" if same else " (COUNTS DIFFER)")
            + f" [{got.alerts:,}"
            + (f", {sum(held.values()):,} held]" if campaigns else "]"),
        )
    sheet.put(
        db,
        f"preview ÷ hand-written SQL, 8 queries{suffix}",
        f"median × {median(ratios):.2f} (min {min(ratios):.2f}, max {max(ratios):.2f})",
    )
    sheet.put(db, f"preview time, median of the 8 queries{suffix}", f"{median(medians):.0f} ms")


async def measure_campaigns(
    sheet: Sheet, db: Database, service: CampaignService, runs: int
) -> None:
    created = []
    for index in range(10):
        start = time.perf_counter()
        result = await service.create(
            CLI_ACTOR,
            CreateRequest(
                name=f"Bench campaign {index}",
                description="bench",
                due_date=date(2027, 1, 31),
                manager="UBENCH",
                query=QUERIES[index % 2] if index else "is:open kind:code",
                continue_big=True,
            ),
        )
        created.append((result.campaign, (time.perf_counter() - start) * 1000))
    first, first_ms = created[0]
    sheet.put(
        db,
        "create a campaign keeping 1,000 alerts of a big selection",
        f"{first_ms:.0f} ms ({first.alert_count:,} kept); median of 10 creations "
        f"{median([ms for _, ms in created]):.0f} ms",
    )
    one = await timed(lambda: service.progress(first), runs)
    sheet.put(db, "progress of one campaign", f"median {median(one):.1f} ms")
    campaigns = [campaign for campaign, _ in created]
    every = await timed(lambda: service.progress_many(campaigns), runs)
    sheet.put(db, "progress of all 10 active campaigns", f"median {median(every):.1f} ms")


async def measure(sheet: Sheet, db: Database, org: OrgFiles, runs: int, repeat: int) -> None:
    start = time.perf_counter()
    await measure_import(sheet, db, org, repeat)
    settings = Settings(_env_file=None, campaign_admins="UBENCH", max_active_campaigns=10)
    service = CampaignService(
        db.engine,
        settings,
        directory=AdminList(frozenset({"UBENCH", CLI_ACTOR})),
        clock=lambda: NOW,
    )
    await measure_previews(sheet, db, service, runs)
    await measure_campaigns(sheet, db, service, runs)
    # The same previews once ten campaigns are active: each also counts the alerts they hold.
    await measure_previews(sheet, db, service, runs, campaigns=True)
    sheet.put(db, "wall time of this column", f"{time.perf_counter() - start:.0f} s")


async def run(
    *,
    alerts: int = 100_000,
    repositories: int = 2_000,
    runs: int = 20,
    repeat: int = 3,
    postgres_at: str | None = None,
) -> list[Row]:
    """The table's rows: a header, then one row per figure with a cell per database."""
    postgres_at = postgres_at or postgres_url()
    sheet = Sheet()
    databases: list[Database] = []
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        org = write_org(Path(tmp) / "org", now=NOW, alerts=alerts, repositories=repositories)
        generated = f"{time.perf_counter() - start:.1f} s ({org.size_mb:,.0f} MB of alerts)"
        async with sqlite(Path(tmp), org) as db:
            databases.append(db)
            await measure(sheet, db, org, runs, repeat)
        if postgres_at:
            async with postgres(postgres_at, org) as db:
                databases.append(db)
                await measure(sheet, db, org, runs, repeat)
    header = "  |  ".join(db.name for db in databases)
    rows: list[Row] = [("generate the organization's files", generated), ("figure", header)]
    for name in sheet.names:
        rows.append((name, "  |  ".join(db.cells.get(name, "") for db in databases)))
    rows.append(("peak RSS of the bench (VmHWM)", f"{vm_hwm_mb():.0f} MB"))
    if not postgres_at:
        rows.append(("PostgreSQL", "skipped: set BENCH_POSTGRES_URL=postgresql+asyncpg://…"))
    return rows
