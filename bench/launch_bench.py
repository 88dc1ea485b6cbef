"""Launch DMs and "Assign to me" (issue 9), each figure beside its floor measured in the same run.

    python -m bench.launch_bench [--quick]     # or: python -m bench --only launch [--quick]

Three processes: the fake Slack (bench/fake_slack.py, pacing chat.postMessage at 1 message/s per
channel, 429 + Retry-After), the fake GitHub (bench/launch_world.py) and this one. The
organization: 1,000 open code alerts over 100 repositories, 500 writers linked to a Slack user
(5 random repositories each, every repository with at least one) and 50 writers without one;
synced into a SQLite file by the real sync, so the writers are stored as in production.
`--quick`: 100 alerts, 20 repositories, 50 linked and 5 unlinked writers.

This module runs, on that organization:
1. the launch, `create` and the delivery of its notices, and
2. the launch again with 429s injected (both bench/launch_dms.py; `create` bench/launch_create.py);
3. "Assign to me", rounds of concurrent clicks against `campaignbot run` (bench/launch_assign.py;
   the clicks bench/launch_clicks.py).

No assertion on speed anywhere: figures are printed, never checked.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
import time
from pathlib import Path

from bench.delivery_bench import Figure, header, print_table, rows
from bench.delivery_world import SlackProcess, bench_settings
from bench.launch_assign import assign_figures, bare_clicks, project_clicks, stored_clicks
from bench.launch_clicks import click_phases
from bench.launch_dms import launch, launch_figures
from bench.launch_world import FULL, QUICK, GitHubProcess, app_settings, fill, generate, sqlite


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
                    "campaignbot run: start-up jobs (sync starts 1 min in)",
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
