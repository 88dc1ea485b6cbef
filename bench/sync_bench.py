"""Benchmark: a full GitHub sync of a large organization from FakeGitHub, then unchanged re-syncs.

Three processes, so that each figure measures one thing: the fake GitHub (it holds the generated
organization, ~100,000 alert documents), the sync (whose peak RSS is the figure: the bot never
holds a whole organization, it commits page by page), and this orchestrator.

    python -m bench.sync_bench                      # 100,000 alerts over 2,000 repositories
    python -m bench.sync_bench --alerts 5000 --repositories 100

Aims (issue 4): full sync under 60 s, peak RSS under 300 MB, and an unchanged re-sync costing no
more than one non-304 request per list.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
ORG = "acme"
TOKEN = "ghp_benchtoken0123456789"
LISTS = 5
"""Organization lists a sync walks: repositories, property values, teams, code alerts, secret
alerts; each team's repository list comes on top."""


# ---- the fake GitHub process -----------------------------------------------------------------


def _bench_github() -> Any:
    """FakeGitHub whose org alert lists are sorted once and whose pages are encoded once. The data
    never changes during a run, and re-sorting 100,000 alerts on each of 1,000 requests (or
    encoding each page again for every re-sync) would measure the fake, not the sync."""
    from aiohttp import web

    from tests.fakes.github import FakeGitHub
    from tests.fakes.github_docs import decode_cursor, encode_cursor

    class BenchGitHub(FakeGitHub):
        SIMPLE = frozenset({"per_page", "sort", "direction", "after"})

        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self._sorted: dict[tuple[str, str, str], tuple[list[Any], list[Any]]] = {}
            self._bodies: dict[tuple[str, str, str, int, int], bytes] = {}
            self.rate_limit = self.rate_remaining = 10_000_000

        def _listing(self, kind: str, sort: str, direction: str) -> tuple[list[Any], list[Any]]:
            key = (kind, sort, direction)
            if key not in self._sorted:
                table = self.code_alerts if kind == "code" else self.secret_alerts
                field = f"{sort}_at"

                def order(alert: dict[str, Any]) -> list[Any]:
                    stamp = alert.get(field) or alert["created_at"]
                    return [stamp, alert["repository"]["id"], alert["number"]]

                alerts = [alert for repo in table.values() for alert in repo.values()]
                alerts.sort(key=order, reverse=direction == "desc")
                self._sorted[key] = (alerts, [order(alert) for alert in alerts])
            return self._sorted[key]

        async def _org_code_alerts(self, request: web.Request) -> web.StreamResponse:
            if set(request.query) - self.SIMPLE:
                return await super()._org_code_alerts(request)
            return self._cursor_page(request, "code")

        async def _org_secret_alerts(self, request: web.Request) -> web.StreamResponse:
            if set(request.query) - self.SIMPLE:
                return await super()._org_secret_alerts(request)
            return self._cursor_page(request, "secret")

        def _cursor_page(self, request: web.Request, kind: str) -> web.Response:
            sort = request.query.get("sort", "created")
            direction = request.query.get("direction", "desc")
            alerts, keys = self._listing(kind, sort, direction)
            asc = direction == "asc"
            start = 0
            if request.query.get("after"):
                mark = decode_cursor(request.query["after"])
                lo, hi = 0, len(keys)
                while lo < hi:  # first key strictly past the cursor, in list order
                    mid = (lo + hi) // 2
                    if keys[mid] > mark if asc else keys[mid] < mark:
                        hi = mid
                    else:
                        lo = mid + 1
                start = lo
            end = min(start + self._per_page(request), len(alerts))
            links = []
            if end < len(alerts):
                links.append(("next", {"after": encode_cursor(keys[end - 1]), "before": ""}))
            body = self._bodies.get((kind, sort, direction, start, end))
            if body is None:  # the fake shares the machine's cores: encode each page once
                body = json.dumps(alerts[start:end]).encode()
                self._bodies[(kind, sort, direction, start, end)] = body
            response = web.Response(body=body, content_type="application/json")
            return self._with_links(request, response, links)

    return BenchGitHub


async def serve_fake(alerts: int, repositories: int) -> None:
    """Generate the organization, serve it, print `READY <url>`, stop at end of stdin."""
    from bot.demo.organization import generate_org
    from bot.demo.repositories import team_name

    data = generate_org(org=ORG, repositories=repositories, alerts=alerts, seed=7, now=NOW)
    fake = _bench_github()(org=ORG, token=TOKEN, clock=lambda: NOW)
    for repo in data.repositories:
        key = repo["full_name"].lower()
        fake.repos[key] = repo
        fake.code_alerts.setdefault(key, {})
        fake.secret_alerts.setdefault(key, {})
    for alert in data.code_alerts:
        fake.code_alerts[alert["repository"]["full_name"].lower()][alert["number"]] = alert
    for alert in data.secret_alerts:
        fake.secret_alerts[alert["repository"]["full_name"].lower()][alert["number"]] = alert
    for item in data.property_values:
        fake.properties[item["repository_full_name"].lower()] = {
            prop["property_name"]: prop["value"] for prop in item["properties"]
        }
    for slug, repos in data.teams.items():
        fake.add_team(slug, name=team_name(slug), repos=dict(repos))
    await fake.start()
    counts = {
        "code": len(data.code_alerts),
        "secret": len(data.secret_alerts),
        "teams": len(data.teams),
    }
    print("READY", fake.url, json.dumps(counts), flush=True)
    del data
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    await fake.stop()


# ---- the sync process ------------------------------------------------------------------------


async def sync_worker(url: str, database: str) -> dict[str, Any]:
    """Full sync, then an unchanged incremental re-sync and an unchanged `--full` re-sync."""
    import aiohttp
    from sqlalchemy import func, select

    from bot.github.auth import TokenAuth
    from bot.github.client import GitHubClient
    from bot.github.sync import sync
    from store import schema
    from store.engine import create_engine
    from store.migrate import upgrade

    engine = create_engine(f"sqlite+aiosqlite:///{database}")
    await upgrade(engine)
    figures: dict[str, Any] = {}
    async with aiohttp.ClientSession() as session:

        def client() -> GitHubClient:
            return GitHubClient(session, TokenAuth(TOKEN), base_url=url)

        started = time.perf_counter()
        full = await sync(engine, client(), ORG, full=True)
        figures["seconds"] = time.perf_counter() - started
        figures["peak_rss_kb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        figures["full"] = full.model_dump(mode="json")
        figures["again"] = (await sync(engine, client(), ORG)).model_dump(mode="json")
        figures["walked"] = (await sync(engine, client(), ORG, full=True)).model_dump(mode="json")
    async with engine.connect() as conn:
        figures["stored_alerts"] = await conn.scalar(
            select(func.count()).select_from(schema.alerts)
        )
        figures["stored_repositories"] = await conn.scalar(
            select(func.count()).select_from(schema.repositories)
        )
    figures["peak_rss_kb_end"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    await engine.dispose()
    return figures


# ---- orchestration ---------------------------------------------------------------------------


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


def _lists(generated: dict[str, Any]) -> int:
    """Lists a sync walks: the five org lists plus each team's repository list."""
    return LISTS + int(generated["teams"])


def _requests(report: dict[str, Any]) -> str:
    non_304 = report["requests"] - report["not_modified"]
    return f"{report['requests']:,} requests, {non_304:,} not answered 304"


async def run(*, alerts: int = 100_000, repositories: int = 2_000) -> list[tuple[str, str]]:
    """Run the benchmark; returns (figure, value) rows for the bench table."""
    fake = await _python("serve", str(alerts), str(repositories), stdin=asyncio.subprocess.PIPE)
    assert fake.stdout is not None and fake.stdin is not None
    ready = (await fake.stdout.readline()).decode().split(maxsplit=2)
    if not ready or ready[0] != "READY":
        raise RuntimeError("the fake GitHub did not start")
    url, generated = ready[1], json.loads(ready[2])
    try:
        with tempfile.TemporaryDirectory() as tmp:
            worker = await _python("sync", url, str(Path(tmp) / "sync.db"))
            out, _ = await worker.communicate()
            if worker.returncode != 0:
                raise RuntimeError(f"the sync worker failed ({worker.returncode})")
    finally:
        fake.stdin.close()
        await fake.wait()
    figures = json.loads(out)
    full, again, walked = figures["full"], figures["again"], figures["walked"]
    alert_pages = full["code_alerts"]["pages"] + full["secret_alerts"]["pages"]
    again_non_304 = again["requests"] - again["not_modified"]
    total = generated["code"] + generated["secret"]
    lists = _lists(generated)
    rss = figures["peak_rss_kb"] / 1024
    return [
        ("organization", f"{total:,} alerts ({generated['code']:,} code, "
         f"{generated['secret']:,} secret), {repositories:,} repositories"),
        ("full sync time", f"{figures['seconds']:.1f} s (aim < 60 s)"),
        ("full sync requests", f"{full['requests']:,} ({alert_pages:,} pages of alerts)"),
        ("peak RSS of the sync process", f"{rss:.0f} MB (aim < 300 MB)"),
        ("stored", f"{figures['stored_alerts']:,} alerts, "
         f"{figures['stored_repositories']:,} repositories, {full['skipped_total']} skipped"),
        ("unchanged re-sync", f"{_requests(again)} (aim: ≤ 1 per list, {lists} lists); "
         f"{again['changed_alerts']} alerts changed"),
        ("unchanged re-sync, --full", _requests(walked)),
        ("unchanged re-sync within aim", "yes" if again_non_304 <= lists else "NO"),
    ]  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["serve"]:
        asyncio.run(serve_fake(int(args[1]), int(args[2])))
        return
    if args[:1] == ["sync"]:
        print(json.dumps(asyncio.run(sync_worker(args[1], args[2]))))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alerts", type=int, default=100_000)
    parser.add_argument("--repositories", type=int, default=2_000)
    options = parser.parse_args(args)
    rows = asyncio.run(run(alerts=options.alerts, repositories=options.repositories))
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")


if __name__ == "__main__":
    main()
