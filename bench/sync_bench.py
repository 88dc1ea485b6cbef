"""Benchmark: a full GitHub sync of a large organization from FakeGitHub, beside its storage floor.

Four kinds of process, so that each figure measures one thing: the fake GitHub (bench.sync_fake: it
holds the generated organization, ~100,000 alert documents, every page encoded once before the
first run), the sync (whose peak RSS is a figure: the bot never holds a whole organization, it
commits page by page), the floor (bench.sync_floor: the same requests, decoded and stored with
plain `sqlite3`, one commit per page), and this orchestrator. Each run times the sync and the floor
against the same server, one after the other, so that a busy machine slows both; the ratio is the
figure.

When a PostgreSQL database is named (`BENCH_POSTGRES_URL`, or `DATABASE_URL` when it is
`postgresql…`; see `bench.core_bench.postgres_url`), each run then times the same sync into a
fresh schema there and the PostgreSQL floor (bench.sync_floor_pg: the same requests and the same
rows, stored with plain `asyncpg`, `executemany` for batches but a page's alerts in one `INSERT …
SELECT FROM unnest(…) RETURNING`, one transaction per page with the page's ETag) into another,
both made by the project's migrations and dropped afterwards, also on failure. The bench never
writes anywhere else in that database. The two must store the same number of rows in every table
the sync fills: the table says so. The WAL notions (checkpoints, the floor at SQLite's default)
are SQLite's alone.

    python -m bench.sync_bench                      # 100,000 alerts over 2,000 repositories, 3 runs
    python -m bench.sync_bench --alerts 5000 --repositories 100 --runs 1
    BENCH_POSTGRES_URL=postgresql+asyncpg://USER@HOST/DB python -m bench.sync_bench --runs 1

Aims (issue 12): the full sync within 1.3x of the floor that checkpoints the WAL as the sync does
(the floor at SQLite's default checkpoint is shown too), peak RSS under 150 MB (VmHWM, not
`ru_maxrss`, which a child inherits from its parent), and an unchanged re-sync costing no more than
one non-304 request per list. On PostgreSQL no aim but the peak RSS; its ratio is shown.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.sync_fake import ORG, TOKEN, serve_fake

ROOT = Path(__file__).resolve().parents[1]
LISTS = 5
"""Organization lists a sync walks: repositories, property values, teams, code alerts, secret
alerts; each team's repository list comes on top."""


# ---- the sync and floor processes -------------------------------------------------------------


def peak_rss_kb(field: str = "VmHWM") -> int:
    """This process's own peak resident set (`VmHWM`; `VmRSS`: the current one): `ru_maxrss` of
    a child starts from its parent's peak, so after the core bench it reported the parent's."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith(f"{field}:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # not Linux: the best there is


async def sync_worker(
    url: str, database: str, resync: bool, search_path: str | None = None
) -> dict[str, Any]:
    """Full sync; with `resync`, then an unchanged incremental and an unchanged `--full` one.
    `database` is a SQLite file, or a PostgreSQL URL (`postgresql+asyncpg://…`) and
    `search_path` the schema there to sync into."""
    import aiohttp
    from sqlalchemy import func, select

    from bot.github.auth import TokenAuth
    from bot.github.client import GitHubClient
    from bot.github.sync import sync
    from store import schema
    from store.engine import create_engine
    from store.migrate import upgrade

    if database.startswith("postgresql"):
        settings = {"search_path": search_path}
        engine = create_engine(database, connect_args={"server_settings": settings})
    else:
        engine = create_engine(f"sqlite+aiosqlite:///{database}")
    await upgrade(engine)
    figures: dict[str, Any] = {"rss_before_kb": peak_rss_kb("VmRSS")}
    async with aiohttp.ClientSession() as session:

        def client() -> GitHubClient:
            return GitHubClient(session, TokenAuth(TOKEN), base_url=url)

        started, cpu = time.perf_counter(), time.process_time()
        full = await sync(engine, client(), ORG, full=True)
        figures["seconds"] = time.perf_counter() - started
        figures["cpu_seconds"] = time.process_time() - cpu
        figures["peak_rss_kb"] = peak_rss_kb()
        figures["full"] = full.model_dump(mode="json")
        if resync:
            figures["again"] = (await sync(engine, client(), ORG)).model_dump(mode="json")
            walked = await sync(engine, client(), ORG, full=True)
            figures["walked"] = walked.model_dump(mode="json")
    async with engine.connect() as conn:
        figures["stored_alerts"] = await conn.scalar(
            select(func.count()).select_from(schema.alerts)
        )
        figures["stored_repositories"] = await conn.scalar(
            select(func.count()).select_from(schema.repositories)
        )
    await engine.dispose()
    return figures


async def floor_worker(url: str, database: str, autocheckpoint: str) -> dict[str, Any]:
    from bench.sync_floor import floor_worker as floor

    checkpoint = int(autocheckpoint) if autocheckpoint != "default" else None
    figures = await floor(url, database, TOKEN, ORG, autocheckpoint=checkpoint)
    figures["peak_rss_kb"] = peak_rss_kb()
    return figures


async def pg_floor_worker(url: str, database: str, schema: str) -> dict[str, Any]:
    from bench.sync_floor_pg import floor_worker as floor

    figures = await floor(url, database, schema, TOKEN, ORG)
    figures["peak_rss_kb"] = peak_rss_kb()
    return figures


# ---- orchestration ---------------------------------------------------------------------------

LIST_NAMES = ("repositories", "property_values", "teams", "code_alerts", "secret_alerts", "writers")
AIM_RATIO = 1.3
AIM_RSS_MB = 150
Row = tuple[str, str]


async def _python(*args: str, stdin: int | None = None) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.sync_bench",
        *args,
        cwd=ROOT,
        stdin=stdin,
        stdout=asyncio.subprocess.PIPE,
    )


async def _worker(*args: str) -> dict[str, Any]:
    """One worker process; its figures (it prints one JSON document)."""
    process = await _python(*args)
    out, _ = await process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"the {args[0]} worker failed ({process.returncode})")
    return json.loads(out)  # type: ignore[no-any-return]


def _remove(database: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)


async def _one_run(
    url: str, tmp: Path, index: int, postgres: str | None
) -> dict[str, dict[str, Any]]:
    """The sync and both floors, each on a new database; the order turns with each run. Then,
    when a PostgreSQL database is named, the sync and its floor there."""
    from store.engine import LONG_WRITES_AUTOCHECKPOINT

    jobs = [
        ("sync", ("sync", url, "resync" if index == 0 else "once")),
        ("floor", ("floor", url, str(LONG_WRITES_AUTOCHECKPOINT))),
        ("plain", ("floor", url, "default")),
    ]
    jobs = jobs[index % 3 :] + jobs[: index % 3]
    figures: dict[str, dict[str, Any]] = {}
    for name, (command, *args) in jobs:
        database = tmp / f"{name}-{index}.db"
        figures[name] = await _worker(command, args[0], str(database), *args[1:])
        _remove(database)
    if postgres is not None:
        figures.update(await _postgres_run(url, postgres, index))
    return figures


async def _postgres_run(url: str, postgres: str, index: int) -> dict[str, dict[str, Any]]:
    """The sync and the PostgreSQL floor, each in a fresh schema (dropped afterwards, also on
    failure), in turns; what each stored."""
    from bench import sync_floor_pg

    jobs = ["pg_sync", "pg_floor"]
    jobs = jobs[index % 2 :] + jobs[: index % 2]
    figures: dict[str, dict[str, Any]] = {}
    async with sync_floor_pg.schemas(postgres, "", "_floor") as (sync_schema, floor_schema):
        for name in jobs:
            if name == "pg_sync":
                engine_url = sync_floor_pg.engine_url(postgres)
                figures[name] = await _worker("sync", url, engine_url, "once", sync_schema)
            else:
                figures[name] = await _worker("pgfloor", url, postgres, floor_schema)
        figures["pg_sync"]["stored"] = await sync_floor_pg.stored(postgres, sync_schema)
        figures["pg_floor"]["stored"] = await sync_floor_pg.stored(postgres, floor_schema)
    return figures


async def run(
    *, alerts: int = 100_000, repositories: int = 2_000, runs: int | None = None
) -> list[Row]:
    """Run the benchmark (3 runs at full size, 1 when small); returns (figure, value) rows."""
    from bench.core_bench import postgres_url  # not at the top: the workers would import it

    runs = runs if runs is not None else (3 if alerts >= 50_000 else 1)
    postgres = postgres_url()
    fake = await _python("serve", str(alerts), str(repositories), stdin=asyncio.subprocess.PIPE)
    assert fake.stdout is not None and fake.stdin is not None
    ready = (await fake.stdout.readline()).decode().split(maxsplit=2)
    if not ready or ready[0] != "READY":
        raise RuntimeError("the fake GitHub did not start")
    url, generated = ready[1], json.loads(ready[2])
    try:
        with tempfile.TemporaryDirectory() as tmp:
            results = [await _one_run(url, Path(tmp), index, postgres) for index in range(runs)]
    finally:
        fake.stdin.close()
        await fake.wait()
    return _rows(generated, repositories, results)


def _lists(generated: dict[str, Any]) -> int:
    """Lists a sync walks: the five org lists plus each team's repository list."""
    return LISTS + int(generated["teams"])


def _requests(report: dict[str, Any]) -> str:
    non_304 = report["requests"] - report["not_modified"]
    return f"{report['requests']:,} requests, {non_304:,} not answered 304"


def _spread(values: list[float], unit: str = "", digits: int = 2) -> str:
    """min / median / max (one value alone when there is one run)."""
    if len(values) == 1:
        return f"{values[0]:.{digits}f}{unit}"
    low, mid, high = min(values), statistics.median(values), max(values)
    return f"{low:.{digits}f} / {mid:.{digits}f} / {high:.{digits}f}{unit} (min / median / max)"


def _mb(figures: dict[str, Any]) -> float:
    return float(figures["peak_rss_kb"]) / 1024


def _rows(
    generated: dict[str, Any], repositories: int, results: list[dict[str, dict[str, Any]]]
) -> list[Row]:
    total = generated["code"] + generated["secret"]
    first = results[0]["sync"]
    full, again, walked = first["full"], first["again"], first["walked"]
    alert_pages = full["code_alerts"]["pages"] + full["secret_alerts"]["pages"]
    ratios = [r["sync"]["seconds"] / r["floor"]["seconds"] for r in results]
    plain_ratios = [r["sync"]["seconds"] / r["plain"]["seconds"] for r in results]
    rss = [_mb(r["sync"]) for r in results]
    rows: list[Row] = [
        ("organization", f"{total:,} alerts ({generated['code']:,} code, "
         f"{generated['secret']:,} secret), {repositories:,} repositories"),
        ("floor", f"same requests, {results[0]['floor']['parser']} + plain sqlite3 "
         "executemany, one commit per page"),
    ]  # fmt: skip
    for index, r in enumerate(results, 1):
        sync, floor, plain = r["sync"], r["floor"], r["plain"]
        rows.append((
            f"run {index}: full sync / floor / floor at default WAL",
            f"{sync['seconds']:.1f} s / {floor['seconds']:.1f} s / {plain['seconds']:.1f} s; "
            f"ratio {sync['seconds'] / floor['seconds']:.2f} / "
            f"{sync['seconds'] / plain['seconds']:.2f}; CPU {sync['cpu_seconds']:.1f} s / "
            f"{floor['cpu_seconds']:.1f} s; peak RSS {_mb(sync):.0f} / {_mb(floor):.0f} / "
            f"{_mb(plain):.0f} MB",
        ))  # fmt: skip
    lists = _by_list(results, "sync", "floor")
    within = all(r <= AIM_RATIO for r in ratios) and all(m < AIM_RSS_MB for m in rss)
    floor0 = results[0]["floor"]
    lists_walked = _lists(generated)
    rows += [
        ("ratio to the floor (same WAL checkpoints)", f"{_spread(ratios, 'x')}, aim {AIM_RATIO}"),
        ("ratio to the floor at default WAL", _spread(plain_ratios, "x")),
        ("peak RSS of the sync process", _spread(rss, " MB", 0) + f", aim < {AIM_RSS_MB} MB; "
         f"{first['rss_before_kb'] / 1024:.0f} MB of it before the sync (code, imports)"),
        ("by list, median run (sync / floor, s)", lists),
        ("within aims in every run", "yes" if within else "NO"),
        ("full sync requests", f"{full['requests']:,} ({alert_pages:,} pages of alerts); "
         f"floor {floor0['requests']:,}"),
        ("stored", f"{first['stored_alerts']:,} alerts (floor {floor0['stored_alerts']:,}), "
         f"{first['stored_repositories']:,} repositories, {full['skipped_total']} skipped"),
        ("unchanged re-sync", f"{_requests(again)} (aim: <= 1 per list, {lists_walked} lists); "
         f"{again['changed_alerts']} alerts changed"),
        ("unchanged re-sync, --full", _requests(walked)),
        ("unchanged re-sync within aim", "yes" if again["requests"] - again["not_modified"]
         <= lists_walked else "NO"),
    ]  # fmt: skip
    return rows + _postgres_rows(results)


def _by_list(results: list[dict[str, dict[str, Any]]], sync: str, floor: str) -> str:
    """Each list's seconds, sync / floor, in the run whose whole-sync ratio is the median."""
    middle = sorted(results, key=lambda r: r[sync]["seconds"] / r[floor]["seconds"])
    median = middle[len(middle) // 2]
    return ", ".join(
        f"{name.replace('_', ' ')} {median[sync]['full'][name]['seconds']:.1f}"
        f" / {median[floor]['lists'][name]:.1f}"
        for name in LIST_NAMES
    )


def _postgres_rows(results: list[dict[str, dict[str, Any]]]) -> list[Row]:
    if "pg_sync" not in results[0]:
        return [("PostgreSQL", "skipped: set BENCH_POSTGRES_URL=postgresql+asyncpg://USER@HOST/DB "
                 "(a schema of its own there, dropped afterwards) to include it")]  # fmt: skip
    ratios = [r["pg_sync"]["seconds"] / r["pg_floor"]["seconds"] for r in results]
    rss = [_mb(r["pg_sync"]) for r in results]
    rows: list[Row] = [
        ("PostgreSQL floor", f"same requests, {results[0]['pg_floor']['parser']} + plain asyncpg "
         "executemany (alerts: INSERT … unnest … RETURNING), one transaction per page"),
    ]  # fmt: skip
    for index, r in enumerate(results, 1):
        sync, floor = r["pg_sync"], r["pg_floor"]
        rows.append((
            f"run {index}, PostgreSQL: full sync / floor",
            f"{sync['seconds']:.1f} s / {floor['seconds']:.1f} s; ratio "
            f"{sync['seconds'] / floor['seconds']:.2f}; CPU {sync['cpu_seconds']:.1f} s / "
            f"{floor['cpu_seconds']:.1f} s; peak RSS {_mb(sync):.0f} / {_mb(floor):.0f} MB",
        ))  # fmt: skip
    lists = _by_list(results, "pg_sync", "pg_floor")
    first_sync, first_floor = results[0]["pg_sync"], results[0]["pg_floor"]
    counted = first_sync["stored"], first_floor["stored"]
    unequal = [
        f"run {index}: {table} {synced[table]:,} / {floored[table]:,}"
        for index, (synced, floored) in enumerate(
            ((r["pg_sync"]["stored"], r["pg_floor"]["stored"]) for r in results), 1
        )
        for table in synced
        if synced[table] != floored[table]
    ]
    stored = ", ".join(f"{name} {count:,} / {counted[1][name]:,}"
                       for name, count in counted[0].items())  # fmt: skip
    rows += [
        ("PostgreSQL ratio to the floor", _spread(ratios, "x")),
        ("PostgreSQL peak RSS of the sync process", _spread(rss, " MB", 0) + f", aim < "
         f"{AIM_RSS_MB} MB; {first_sync['rss_before_kb'] / 1024:.0f} MB of it before the sync"),
        ("PostgreSQL by list, median run (sync / floor, s)", lists),
        ("PostgreSQL full sync requests", f"{first_sync['full']['requests']:,}; floor "
         f"{first_floor['requests']:,}"),
        ("PostgreSQL stored (sync / floor)", stored),
        ("PostgreSQL floor stored what the sync stored",
         "NO: " + "; ".join(unequal) if unequal else "yes, as many rows in every table, every run"),
    ]  # fmt: skip
    return rows


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["serve"]:
        asyncio.run(serve_fake(int(args[1]), int(args[2])))
        return
    if args[:1] == ["sync"]:
        where = args[4] if len(args) > 4 else None
        print(json.dumps(asyncio.run(sync_worker(args[1], args[2], args[3] == "resync", where))))
        return
    if args[:1] == ["pgfloor"]:
        print(json.dumps(asyncio.run(pg_floor_worker(args[1], args[2], args[3]))))
        return
    if args[:1] == ["floor"]:
        print(json.dumps(asyncio.run(floor_worker(args[1], args[2], args[3]))))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alerts", type=int, default=100_000)
    parser.add_argument("--repositories", type=int, default=2_000)
    parser.add_argument("--runs", type=int, default=None, help="default: 3, or 1 when small")
    options = parser.parse_args(args)
    rows = asyncio.run(
        run(alerts=options.alerts, repositories=options.repositories, runs=options.runs)
    )
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")


if __name__ == "__main__":
    main()
