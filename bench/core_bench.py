"""The campaign core at scale: import, preview, campaign creation, progress, memory."""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from pathlib import Path

from bot.campaigns.ports import CLI_ACTOR, AdminList
from bot.campaigns.requests import CreateRequest
from bot.campaigns.service import CampaignService
from bot.core.settings import Settings
from bot.demo import organization as demo
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
Row = tuple[str, str]


async def timed(work: Callable[[], Awaitable[object]], runs: int) -> list[float]:
    """Milliseconds per run."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        await work()
        times.append((time.perf_counter() - start) * 1000)
    return times


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


async def run(*, alerts: int = 100_000, repositories: int = 2_000, runs: int = 20) -> list[Row]:
    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as tmp:
        engine = create_engine(f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}")
        await upgrade(engine)
        start = time.perf_counter()
        data = demo.generate_org(alerts=alerts, repositories=repositories, now=NOW)
        rows.append(("generate organization (JSON)", f"{time.perf_counter() - start:.1f} s"))

        start = time.perf_counter()
        report = await demo.load(engine, data)
        seconds = time.perf_counter() - start
        imported = len(data.code_alerts) + len(data.secret_alerts)
        rows.append(
            ("import alerts", f"{imported:,} in {seconds:.1f} s = {imported / seconds:,.0f}/s")
        )
        del report

        settings = Settings(_env_file=None, campaign_admins="UBENCH", max_active_campaigns=10)
        service = CampaignService(
            engine,
            settings,
            directory=AdminList(frozenset({"UBENCH", CLI_ACTOR})),
            clock=lambda: NOW,
        )
        for query in QUERIES:
            times = await timed(lambda q=query: service.preview(q), runs)  # type: ignore[misc]
            selected = (await service.preview(query)).selection.alerts
            rows.append(
                (
                    f"preview `{query}`",
                    f"median {statistics.median(times):.0f} ms, p95 {p95(times):.0f} ms "
                    f"({selected:,} alerts)",
                )
            )

        created = []
        due = date(2027, 1, 31)
        for index in range(10):
            begin = time.perf_counter()
            result = await service.create(
                CLI_ACTOR,
                CreateRequest(
                    name=f"Bench campaign {index}",
                    description="bench",
                    due_date=due,
                    manager="UBENCH",
                    query=QUERIES[index % 2] if index else "is:open kind:code",
                    continue_big=True,
                ),
            )
            created.append((result.campaign, (time.perf_counter() - begin) * 1000))
        first, first_ms = created[0]
        rows.append(
            (
                f"create a {first.alert_count:,}-alert campaign",
                f"{first_ms:.0f} ms (median of 10 creations "
                f"{statistics.median(ms for _, ms in created):.0f} ms)",
            )
        )
        one = await timed(lambda: service.progress(first), runs)
        rows.append(
            (
                "progress of one campaign",
                f"median {statistics.median(one):.1f} ms, p95 {p95(one):.1f} ms",
            )
        )
        campaigns = [campaign for campaign, _ in created]
        every = await timed(lambda: service.progress_many(campaigns), runs)
        rows.append(
            (
                "progress of all 10 active campaigns",
                f"median {statistics.median(every):.1f} ms, p95 {p95(every):.1f} ms",
            )
        )
        await engine.dispose()
    return rows
