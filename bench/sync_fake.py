"""The sync bench's fake GitHub process (`python -m bench.sync_bench serve ALERTS REPOSITORIES`):
a generated organization served by a FakeGitHub whose alert lists are sorted once and whose pages
are encoded once, so that the figures measure the sync, not the fake."""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import UTC, datetime
from typing import Any

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
ORG = "acme"
TOKEN = "ghp_benchtoken0123456789"


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

        def warm(self, per_page: int = 100) -> None:
            """Encode every page the sync asks for now, so no run pays for it in the fake."""
            for kind in ("code", "secret"):
                alerts, _ = self._listing(kind, "updated", "desc")
                for start in range(0, len(alerts), per_page):
                    end = min(start + per_page, len(alerts))
                    key = (kind, "updated", "desc", start, end)
                    self._bodies[key] = json.dumps(alerts[start:end]).encode()

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
    fake.warm()
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
