"""FakeGitHub's list endpoints: `page=` and cursor pagination, and the organization's lists."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, urlencode

from aiohttp import web

from tests.fakes.github_data import GitHubData
from tests.fakes.github_docs import (
    TEAM_ROLE,
    code_matches,
    decode_cursor,
    encode_cursor,
    error_response,
    json_response,
    permission_flags,
    secret_matches,
)


class ListRoutes(GitHubData):
    """Paged answers, and the organization-level lists the sync walks."""

    # ---- pagination ------------------------------------------------------------------------------

    def _per_page(self, request: web.Request) -> int:
        try:
            return max(1, min(int(request.query.get("per_page", "30")), 100))
        except ValueError:
            return 30

    def _page_style(self, request: web.Request, items: list[Any]) -> web.Response:
        """`page=` pagination with next/last/prev/first links, as most list endpoints do."""
        per_page = self._per_page(request)
        try:
            page = max(int(request.query.get("page", "1")), 1)
        except ValueError:
            page = 1
        last = max(math.ceil(len(items) / per_page), 1)
        chunk = items[(page - 1) * per_page : page * per_page]
        links: list[tuple[str, dict[str, str]]] = []
        if page < last:
            links += [("next", {"page": str(page + 1)}), ("last", {"page": str(last)})]
        if page > 1:
            links += [("prev", {"page": str(page - 1)}), ("first", {"page": "1"})]
        return self._with_links(request, json_response(chunk), links)

    def _cursor_style(
        self, request: web.Request, items: list[Any], key: Callable[[Any], list[Any]], asc: bool
    ) -> web.Response:
        """`after=`/`before=` cursors naming the last item seen, so inserts don't shift pages."""
        if "page" in request.query:
            return self._page_style(request, items)
        per_page = self._per_page(request)
        keys = [key(item) for item in items]

        def later(a: list[Any], b: list[Any]) -> bool:
            return a > b if asc else a < b

        after, before = request.query.get("after"), request.query.get("before")
        if after:
            mark = decode_cursor(after)
            start = next((i for i, k in enumerate(keys) if later(k, mark)), len(items))
            end = min(start + per_page, len(items))
        elif before:
            mark = decode_cursor(before)
            end = next((i for i, k in enumerate(keys) if not later(mark, k)), len(items))
            start = max(end - per_page, 0)
        else:
            start, end = 0, min(per_page, len(items))
        links: list[tuple[str, dict[str, str]]] = []
        if end < len(items):
            links.append(("next", {"after": encode_cursor(keys[end - 1]), "before": ""}))
        if start > 0:
            links.append(("prev", {"before": encode_cursor(keys[start]), "after": ""}))
        return self._with_links(request, json_response(items[start:end]), links)

    def _with_links(
        self,
        request: web.Request,
        response: web.Response,
        links: list[tuple[str, dict[str, str]]],
    ) -> web.Response:
        if not links:
            return response
        base = str(request.url.with_query(None))
        parts = []
        for rel, changes in links:
            query = {**request.query, **changes}
            query = {k: v for k, v in query.items() if v or k not in ("after", "before")}
            parts.append(f'<{base}?{urlencode(query, quote_via=quote, safe="")}>; rel="{rel}"')
        response.headers["Link"] = ", ".join(parts)
        return response

    # ---- org lists -------------------------------------------------------------------------------

    async def _org_code_alerts(self, request: web.Request) -> web.StreamResponse:
        org = request.match_info["org"].lower()
        if org not in self.orgs:
            return error_response(404, "Not Found")
        q = request.query
        state = q.get("state")
        if state is not None and state not in ("open", "closed", "dismissed", "fixed"):
            return error_response(422, f"Invalid value for state: {state}")
        alerts = [
            a
            for key, repo_alerts in self.code_alerts.items()
            if key.startswith(org + "/")
            for a in repo_alerts.values()
            if code_matches(a, q)
        ]
        return self._sorted_alerts(request, alerts, cursor=True)

    async def _org_secret_alerts(self, request: web.Request) -> web.StreamResponse:
        org = request.match_info["org"].lower()
        if org not in self.orgs:
            return error_response(404, "Not Found")
        q = request.query
        state = q.get("state")
        if state is not None and state not in ("open", "resolved"):
            return error_response(422, f"Invalid value for state: {state}")
        alerts = [
            a
            for key, repo_alerts in self.secret_alerts.items()
            if key.startswith(org + "/")
            for a in repo_alerts.values()
            if secret_matches(a, q)
        ]
        if q.get("hide_secret") == "true":
            alerts = [{k: v for k, v in a.items() if k != "secret"} for a in alerts]
        return self._sorted_alerts(request, alerts, cursor=True)

    def _sorted_alerts(
        self, request: web.Request, alerts: list[dict[str, Any]], *, cursor: bool
    ) -> web.Response:
        sort = request.query.get("sort", "created")
        direction = request.query.get("direction", "desc")
        if sort not in ("created", "updated") or direction not in ("asc", "desc"):
            return error_response(422, "Invalid value for sort or direction")
        field_name = f"{sort}_at"

        def key(alert: dict[str, Any]) -> list[Any]:
            stamp = alert.get(field_name) or alert["created_at"]
            return [stamp, alert.get("repository", {}).get("id", 0), alert["number"]]

        asc = direction == "asc"
        alerts = sorted(alerts, key=key, reverse=not asc)
        if cursor:
            return self._cursor_style(request, alerts, key, asc)
        return self._page_style(request, alerts)

    async def _org_repos(self, request: web.Request) -> web.StreamResponse:
        org = request.match_info["org"].lower()
        if org not in self.orgs:
            return error_response(404, "Not Found")
        kind = request.query.get("type", "all")
        repos = [r for r in self.repos.values() if r["owner"]["login"].lower() == org]
        if kind in ("public", "private"):
            repos = [r for r in repos if r["visibility"] == kind]
        sort = request.query.get("sort", "created")
        field_name = {"created": "created_at", "updated": "updated_at", "pushed": "pushed_at"}
        default_direction = "asc" if sort == "full_name" else "desc"
        reverse = request.query.get("direction", default_direction) == "desc"
        repos.sort(key=lambda r: (r[field_name.get(sort, "full_name")], r["id"]), reverse=reverse)
        return self._page_style(request, repos)

    async def _org_property_values(self, request: web.Request) -> web.StreamResponse:
        org = request.match_info["org"].lower()
        if org not in self.orgs:
            return error_response(404, "Not Found")
        rows = [
            {
                "repository_id": repo["id"],
                "repository_name": repo["name"],
                "repository_full_name": repo["full_name"],
                "properties": [
                    {"property_name": name, "value": value}
                    for name, value in self.properties.get(key, {}).items()
                ],
            }
            for key, repo in sorted(self.repos.items(), key=lambda item: item[1]["id"])
            if repo["owner"]["login"].lower() == org
        ]
        return self._page_style(request, rows)

    async def _org_teams(self, request: web.Request) -> web.StreamResponse:
        org = request.match_info["org"].lower()
        if org not in self.orgs:
            return error_response(404, "Not Found")
        teams = [team for (team_org, _), team in self.teams.items() if team_org == org]
        return self._page_style(request, teams)

    async def _team_repos(self, request: web.Request) -> web.StreamResponse:
        key = (request.match_info["org"].lower(), request.match_info["slug"])
        if key not in self.teams:
            return error_response(404, "Not Found")
        repos = []
        for repo_key, permission in self.team_repos[key].items():
            role = TEAM_ROLE.get(permission, permission)
            repos.append(
                {
                    **self.repos[repo_key],
                    "permissions": permission_flags(role),
                    "role_name": role,
                }
            )
        return self._page_style(request, repos)
