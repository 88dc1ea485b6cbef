"""The clock jobs at scale (issue 10): the weekly digest and the reminders job, each figure beside
a floor measured in the same run.

    python -m bench.clock_bench [--quick]      # or: python -m bench --only clock [--quick]

This module runs it: it builds the world (bench/clock_world.py: campaigns seven weeks into their
burndown, their alerts closed, fixed, assigned and their repositories' writers linked to Slack),
then measures
1. the digest, per campaign, at Monday 9 November 2026 09:00 UTC (bench/clock_digest.py), and
2. the reminders job at Wednesday 2 December 09:00 UTC, the due date (bench/clock_reminders.py),
each beside its floor (bench/clock_floors.py: hand-written SQL on a bare driver, a bare chart).
`--quick`: 3 campaigns × 200 alerts over 10 repositories each, 50 assignees.

SQLite in a temporary directory; and PostgreSQL when BENCH_POSTGRES_URL (or TEST_POSTGRES_URL)
names a database (`postgresql+asyncpg://…`): a schema of its own there, dropped afterwards.
No assertion on speed anywhere: figures are printed, never checked.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.clock_digest import measure_digest
from bench.clock_floors import Floor, PostgresFloor, SqliteFloor
from bench.clock_reminders import measure_reminders
from bench.clock_world import FULL, QUICK, Scale, build
from bench.delivery_bench import Figure, header, print_table, rows
from bench.delivery_world import engine_for
from store.engine import create_engine
from store.migrate import upgrade


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
