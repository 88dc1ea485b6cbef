"""Notice delivery through the outbox (ARCHITECTURE §6): each figure beside its floor.

    python -m bench.delivery_bench                 # 1,000 notices over 20 channels, 30 samples
    python -m bench.delivery_bench --quick         # 100 notices over 20 channels, 10 samples
    python -m bench.delivery_bench --runs 3        # min / median / max over three runs
    python -m bench --only delivery [--quick]      # one run, in the bench table

Three processes: the fake Slack (bench/fake_slack.py, pacing chat.postMessage at Slack's
1 message/s/channel with 429 + Retry-After), this one (deliverer and campaign service, as in
`campaignbot run`), and for the cross-process latency a writer with an engine of its own.

1. Burst: notices for 20 channels enqueued at once (round robin, as they are written over time),
   delivered by one `Deliverer.run_once()` and again by `run_forever`. Floors: 50 posts per
   channel at 1/s take 49 s; the "bare" floor is the same posts, same payloads, to the same fake
   by plain `chat_postMessage` calls paced by one aiolimiter per channel: no database, no outbox.
   Lost (keys in the outbox never posted) and duplicated (keys posted twice) must both be 0.
2. 429 storm: the burst again, with extra 429s (Retry-After 1) injected on chat.postMessage.
3. Latency of one notice, from the commit of `CampaignService.create(...)` with a channel to the
   fake receiving the launch card: woken in-process (`notices_written = deliverer.wake`), and
   written by another process and found by polling (interval 0.25 s). Floor: a direct
   `chat_postMessage` to the same fake. Aim: under 0.5 s.

SQLite in a temporary directory; with DATABASE_URL set to PostgreSQL, a schema of its own there,
dropped afterwards. No assertion on speed anywhere: figures are printed, never checked.

The processes, database and service: bench/delivery_world.py; the burst, storm and latency
scenarios: bench/delivery_scenarios.py; here, one run's figures, the tables and the entry point.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.delivery_scenarios import (
    Burst,
    bare_burst,
    deliver_burst,
    direct_round_trips,
    polled_latency,
    woken_latency,
    writer_main,
)
from bench.delivery_world import (
    FULL,
    QUICK,
    SlackProcess,
    bench_settings,
    database,
    seed,
    service_for,
)
from commands.delivery.messenger import PER_CHANNEL_RATE

AIM = 0.5
"""Seconds from commit to send."""
Row = tuple[str, str]


@dataclass(frozen=True)
class Figure:
    name: str
    value: float
    unit: str = "s"
    """s, ms, or "" for a count."""
    floor: float | None = None
    zero: bool = False
    """A count that must be 0 (lost, duplicated): shown with OK or FAIL."""
    ideal: float | None = None
    """The theoretical floor, for a wall time measured against the bare one."""
    note: str = ""


# ---- one run ----------------------------------------------------------------------------------


def p95(values: Sequence[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def _burst_figures(
    label: str, burst: Burst, floor: float, ideal: float, run_once: bool
) -> list[Figure]:
    figures = [
        Figure(f"{label}: wall time", burst.seconds, floor=floor, ideal=ideal),
        Figure(f"{label}: lost", burst.lost, "", zero=True),
        Figure(f"{label}: duplicated", burst.duplicated, "", zero=True),
        Figure(f"{label}: 429s received", burst.status_429, ""),
        Figure(f"{label}: rows not sent at the end", burst.unsent, "", zero=True),
        Figure(f"{label}: claims beyond the first", burst.extra_claims, ""),
        Figure(f"{label}: channels posted out of order", burst.out_of_order_channels, ""),
    ]
    if run_once:
        figures.append(Figure(f"{label}: left pending by run_once", burst.left_after_run_once, ""))
    return figures


def latency_figures(
    trips: Sequence[float],
    one_way: Sequence[float],
    woken: Sequence[float],
    polled: Sequence[float],
    creates: Sequence[float],
) -> list[Figure]:
    """Seconds in, milliseconds out; each latency beside the direct post's round trip."""
    ms, aim = 1000.0, f"aim < {AIM * 1000:.0f} ms"
    median_trip, p95_trip = statistics.median(trips) * ms, p95(trips) * ms
    figures = [
        Figure("direct chat_postMessage: round trip median", median_trip, "ms"),
        Figure("direct chat_postMessage: round trip p95", p95_trip, "ms"),
        Figure(
            "direct chat_postMessage: send→arrival median", statistics.median(one_way) * ms, "ms"
        ),
    ]
    for label, values in (("woken in-process", woken), ("polled, other process", polled)):
        figures += [
            Figure(f"commit→send, {label}: median", statistics.median(values) * ms, "ms",
                   floor=median_trip, note=aim),
            Figure(f"commit→send, {label}: p95", p95(values) * ms, "ms", floor=p95_trip, note=aim),
            Figure(f"commit→send, {label}: max", max(values) * ms, "ms"),
        ]  # fmt: skip
    figures.append(
        Figure("create() with a channel, for scale: median", statistics.median(creates) * ms, "ms")
    )
    return figures


async def run(
    quick: bool = False,
    *,
    forever: bool | None = None,
    by_channel: bool = False,
    rate: float = PER_CHANNEL_RATE,
    seed_: int = 7,
) -> tuple[list[Figure], str]:
    """One run of every part; returns its figures and the database it used. The burst through
    run_forever is left out of a quick run unless `forever` (the storm goes through it anyway)."""
    forever = not quick if forever is None else forever
    scale = dataclasses.replace(QUICK if quick else FULL, rate=rate)
    rng = random.Random(seed_)
    figures: list[Figure] = []
    with tempfile.TemporaryDirectory() as tmp:
        async with SlackProcess.start() as fake, database(Path(tmp)) as db:
            await seed(db.engine)
            settings = bench_settings(fake.api_url)
            service = service_for(db.engine, settings)
            n, per = scale.notices, scale.per_channel
            ideal = (per - 1) / PER_CHANNEL_RATE
            figures.append(
                Figure(f"floor: {per} posts per channel at 1/s", ideal, note="theoretical")
            )

            bare, bare_429 = await bare_burst(service, settings, fake, scale)
            figures.append(Figure(f"bare: {n} chat_postMessage + aiolimiter", bare, floor=ideal))
            figures.append(Figure("bare: 429s received", bare_429, ""))

            label = f"burst {n}/{scale.channels}ch run_once" + (" by channel" if by_channel else "")
            burst = await deliver_burst(
                db, service, settings, fake, scale, forever=False, by_channel=by_channel
            )
            figures += _burst_figures(label, burst, bare, ideal, run_once=True)
            if forever:
                burst = await deliver_burst(db, service, settings, fake, scale, forever=True)
                figures += _burst_figures(
                    f"burst {n}/{scale.channels}ch run_forever", burst, bare, ideal, run_once=False
                )
            storm = await deliver_burst(
                db, service, settings, fake, scale, forever=True, storm=scale.storm
            )
            label = f"storm +{scale.storm}×429 run_forever"
            figures += _burst_figures(label, storm, bare, ideal, run_once=False)
            figures.append(Figure(f"{label}: injected 429s used", storm.injected_429, ""))
            figures.append(
                Figure(
                    f"{label}: 429s beyond the injected", storm.status_429 - storm.injected_429, ""
                )
            )

            trips, one_way = await direct_round_trips(settings, fake, scale.samples)
            woken, creates = await woken_latency(db, settings, fake, scale.samples, rng)
            polled = await polled_latency(db, settings, fake, scale.samples, rng)
            figures += latency_figures(trips, one_way, woken, polled, creates)
            label = db.label
            if rate != PER_CHANNEL_RATE:
                label += f", pacer at {rate:g} posts/s/channel"
    return figures, label


# ---- tables -----------------------------------------------------------------------------------


def fmt(value: float, unit: str) -> str:
    if unit == "s":
        return f"{value:.2f} s"
    if unit == "ms":
        return f"{value:.1f} ms"
    return f"{value:.0f}"


def _verdict(figure: Figure, value: float) -> str:
    if figure.zero:
        return "OK" if value == 0 else "FAIL"
    if figure.note.startswith("aim <") and figure.unit == "ms":
        return "within aim" if value < AIM * 1000 else "OVER AIM"
    if figure.ideal:
        return f"× {value / figure.ideal:.2f} of theoretical"
    return figure.note


def rows(figures: Sequence[Figure]) -> list[Row]:
    """One run, as (figure, "value  floor  ratio  note") rows for `bench.__main__.table`."""
    out = []
    for figure in figures:
        floor = fmt(figure.floor, figure.unit) if figure.floor is not None else ""
        ratio = f"× {figure.value / figure.floor:.2f}" if figure.floor else ""
        value = fmt(figure.value, figure.unit)
        out.append(
            (figure.name, f"{value:>10}  {floor:>10}  {ratio:>7}  {_verdict(figure, figure.value)}")
        )
    return out


def header() -> Row:
    return ("figure", f"{'value':>10}  {'floor':>10}  {'ratio':>7}")


def summary(runs: Sequence[Sequence[Figure]]) -> list[Row]:
    """min / median / max of each figure over runs; floor and ratio at the medians."""
    out = [("figure", f"{'min':>10}  {'median':>10}  {'max':>10}  {'floor':>10}  {'ratio':>7}")]
    for index, figure in enumerate(runs[0]):
        values = [run[index].value for run in runs]
        middle = statistics.median(values)
        floors = [run[index].floor for run in runs if run[index].floor is not None]
        floor = statistics.median(floors) if floors else None  # type: ignore[type-var]
        cells = [fmt(v, figure.unit) for v in (min(values), middle, max(values))]
        floor_cell = fmt(floor, figure.unit) if floor is not None else ""
        ratio = f"× {middle / floor:.2f}" if floor else ""
        verdict = _verdict(figure, middle if figure.ideal else max(values))
        out.append(
            (
                figure.name,
                "  ".join(f"{cell:>10}" for cell in [*cells, floor_cell])
                + f"  {ratio:>7}  {verdict}",
            )
        )
    return out


def print_table(title: str, table_rows: Sequence[Row]) -> None:
    width = max(len(name) for name, _ in table_rows)
    print(f"\n{title}\n" + "-" * len(title))
    for name, value in table_rows:
        print(f"{name.ljust(width)}  {value}")


async def main(quick: bool, runs: int, forever: bool | None, by_channel: bool, rate: float) -> None:
    results = []
    for index in range(runs):
        start = time.perf_counter()
        figures, label = await run(
            quick, forever=forever, by_channel=by_channel, rate=rate, seed_=7 + index
        )
        results.append(figures)
        seconds = time.perf_counter() - start
        title = f"Notice delivery, run {index + 1}/{runs} ({label}, {seconds:.0f} s)"
        print_table(title, [header(), *rows(figures)])
        sys.stdout.flush()
    if runs > 1:
        print_table(f"Notice delivery over {runs} runs", summary(results))


if __name__ == "__main__":
    if sys.argv[1:2] == ["write"]:
        asyncio.run(writer_main(*sys.argv[2:5]))
        sys.exit(0)
    parser = argparse.ArgumentParser(prog="python -m bench.delivery_bench")
    parser.add_argument("--quick", action="store_true", help="100 notices, 10 latency samples")
    parser.add_argument("--runs", type=int, default=1, help="runs, for min / median / max")
    parser.add_argument(
        "--no-forever",
        action="store_true",
        help="skip the burst through run_forever (a --quick run skips it anyway)",
    )
    parser.add_argument(
        "--by-channel",
        action="store_true",
        help="enqueue the run_once burst one channel after another instead of round robin",
    )
    parser.add_argument(
        "--rate",
        type=float,
        default=PER_CHANNEL_RATE,
        help="posts/s/channel for the pacer and the bare floor's limiter (what-if; Slack's is 1)",
    )
    options = parser.parse_args()
    asyncio.run(
        main(
            options.quick,
            options.runs,
            False if options.no_forever else None,
            options.by_channel,
            options.rate,
        )
    )
