"""`python -m bench [--quick | --scale quick|100k|1m] [--only core,slack,…]`: run benchmarks,
print tables. `--only` takes core,slack,sync,delivery,launch,clock. `--scale` sizes the core
bench (import, preview, creation): 100,000 alerts by default, 1,000,000 with `--scale 1m`;
`--quick` is `--scale quick`, and makes every other bench small too."""

from __future__ import annotations

import argparse
import asyncio
import resource
import sys
import time

from bench import core_bench

Row = tuple[str, str]


def table(title: str, rows: list[Row]) -> str:
    width = max(len(name) for name, _ in rows)
    lines = [f"\n{title}", "-" * len(title)]
    lines += [f"{name.ljust(width)}  {value}" for name, value in rows]
    return "\n".join(lines)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


CORE_SCALES = {
    "quick": {"alerts": 5_000, "repositories": 100, "runs": 5, "repeat": 1},
    "100k": {"alerts": 100_000, "repositories": 2_000, "runs": 20, "repeat": 3},
    "1m": {"alerts": 1_000_000, "repositories": 2_000, "runs": 10, "repeat": 1},
}


async def main(quick: bool, only: set[str], core_scale: str = "100k") -> None:
    scale = {"alerts": 5_000, "repositories": 100} if quick else {}
    if "core" in only:
        start = time.perf_counter()
        rows = await core_bench.run(**CORE_SCALES["quick" if quick else core_scale])
        rows.append(("total", f"{time.perf_counter() - start:.1f} s"))
        print(table(f"Campaign core ({core_scale if not quick else 'quick'})", rows), flush=True)
    if "slack" in only:
        from bench import slack_bench

        slack_bench.print_tables(await slack_bench.run(quick))
    if "sync" in only:
        from bench import sync_bench

        rows = await sync_bench.run(**scale)  # type: ignore[arg-type]
        print(table("GitHub sync (fake GitHub)", rows), flush=True)
    if "delivery" in only:
        from bench import delivery_bench

        figures, database = await delivery_bench.run(quick)
        rows = [delivery_bench.header(), *delivery_bench.rows(figures)]
        title = f"Notice delivery (outbox to fake Slack at 1 msg/s/channel, {database})"
        print(table(title, rows), flush=True)
    if "launch" in only:
        from bench import delivery_bench, launch_bench

        figures, where = await launch_bench.run(quick)
        rows = [delivery_bench.header(), *delivery_bench.rows(figures)]
        print(table(f"Launch DMs and Assign to me ({where})", rows), flush=True)
    if "clock" in only:
        from bench import clock_bench, delivery_bench

        url = clock_bench.postgres_url()
        for where, figures in await clock_bench.run(quick, url):
            rows = [delivery_bench.header(), *delivery_bench.rows(figures)]
            print(table(f"Clock jobs: weekly digest and reminders ({where})", rows), flush=True)
        if url is None:
            print("(clock: PostgreSQL skipped; set BENCH_POSTGRES_URL to include it)", flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--quick", action="store_true", help="a small run, for a smoke test")
    parser.add_argument(
        "--only",
        default="core,slack,sync,delivery,launch,clock",
        help="comma-separated: core,slack,sync,delivery,launch,clock",
    )
    parser.add_argument(
        "--scale",
        choices=sorted(CORE_SCALES),
        default="100k",
        help="alerts in the core bench: quick (5,000), 100k (default) or 1m",
    )
    args = parser.parse_args()
    quick = args.quick or args.scale == "quick"
    asyncio.run(main(quick, set(args.only.split(",")), args.scale))
    sys.exit(0)
