"""FakeGitHub's security campaigns API, with the validation GitHub documents for it."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from aiohttp import web

from tests.fakes.github_docs import (
    CAMPAIGN_FIELDS,
    CAMPAIGN_PATCH_FIELDS,
    JSON_BODY,
    error_response,
    iso,
    json_response,
    public_campaign,
)
from tests.fakes.github_lists import ListRoutes


class CampaignRoutes(ListRoutes):
    """Routes under `/orgs/{org}/campaigns`."""

    def add_campaign(self, body: Mapping[str, Any], *, org: str | None = None) -> dict[str, Any]:
        """A published campaign, as if created through the API (no validation)."""
        return self._store_campaign((org or self.org).lower(), dict(body))

    def _store_campaign(self, org: str, body: dict[str, Any]) -> dict[str, Any]:
        number = max(self.campaigns[org], default=0) + 1
        now = iso(self.clock())
        campaign = {
            "number": number,
            "created_at": now,
            "updated_at": now,
            "name": body.get("name"),
            "description": body.get("description"),
            "managers": [self.user(login) for login in body.get("managers", [])],
            "team_managers": [
                self.teams[(org, slug)]
                for slug in body.get("team_managers", [])
                if (org, slug) in self.teams
            ],
            "published_at": now,
            "ends_at": body.get("ends_at"),
            "closed_at": None,
            "state": "open",
            "contact_link": body.get("contact_link"),
            "_alerts": body.get("code_scanning_alerts") or body.get("secret_scanning_alerts") or [],
            "_kind": "secret" if body.get("secret_scanning_alerts") else "code",
        }
        self.campaigns[org][number] = campaign
        return campaign

    # ---- routes ----------------------------------------------------------------------------------

    def _campaign_org(self, request: web.Request) -> str | None:
        org = request.match_info["org"].lower()
        return org if org in self.orgs else None

    async def _list_campaigns(self, request: web.Request) -> web.StreamResponse:
        org = self._campaign_org(request)
        if org is None:
            return error_response(404, "Not Found")
        state = request.query.get("state")
        items = [
            {k: v for k, v in c.items() if k not in ("alert_stats", "_alerts")}
            for c in self.campaigns[org].values()
            if state is None or c["state"] == state
        ]
        reverse = request.query.get("direction", "desc") == "desc"
        items.sort(key=lambda c: (c["created_at"], c["number"]), reverse=reverse)
        return self._page_style(request, items)

    async def _create_campaign(self, request: web.Request) -> web.StreamResponse:
        org = self._campaign_org(request)
        if org is None:
            return error_response(404, "Not Found")
        body = request[JSON_BODY]
        if not isinstance(body, dict):
            return error_response(400, "Problems parsing JSON")
        refused = self._check_campaign(org, body, creating=True)
        if refused is not None:
            return refused
        campaign = self._store_campaign(org, body)
        return json_response(public_campaign(campaign, self._alert_stats(campaign)))  # 200, not 201

    def _check_campaign(
        self, org: str, body: dict[str, Any], *, creating: bool
    ) -> web.Response | None:
        allowed = CAMPAIGN_FIELDS if creating else CAMPAIGN_PATCH_FIELDS
        unknown = sorted(set(body) - allowed)
        if unknown:
            return error_response(422, f'Invalid request. "{unknown[0]}" is not a permitted key.')
        if creating:
            missing = [k for k in ("name", "description", "ends_at") if k not in body]
            if missing:
                return error_response(422, f'Invalid request. "{missing[0]}" wasn\'t supplied.')
            alert_sets = [
                k for k in ("code_scanning_alerts", "secret_scanning_alerts") if body.get(k)
            ]
            if len(alert_sets) != 1:
                return error_response(
                    422, "Invalid request. Exactly one list of alerts is required."
                )
            refused = self._check_campaign_alerts(org, body[alert_sets[0]])
            if refused is not None:
                return refused
        return self._check_campaign_fields(body)

    def _check_campaign_fields(self, body: dict[str, Any]) -> web.Response | None:
        if "name" in body and not (isinstance(body["name"], str) and 1 <= len(body["name"]) <= 50):
            return error_response(422, "Name must be between 1 and 50 characters")
        description = body.get("description", "x")
        if not (isinstance(description, str) and 1 <= len(description) <= 255):
            return error_response(422, "Description must be between 1 and 255 characters")
        if "ends_at" in body:
            try:
                ends_at = datetime.fromisoformat(str(body["ends_at"]).replace("Z", "+00:00"))
            except ValueError:
                return error_response(422, "ends_at must be a date-time")
            if ends_at.tzinfo is None or ends_at <= self.clock():
                return error_response(422, "The date must be in the future.")
        managers = body.get("managers", [])
        if not isinstance(managers, list) or len(managers) > 1:
            return error_response(422, "At this time, only a single manager can be supplied.")
        if body.get("state", "open") not in ("open", "closed"):
            return error_response(422, "state must be open or closed")
        return None

    def _check_campaign_alerts(self, org: str, groups: Any) -> web.Response | None:
        if not isinstance(groups, list) or not groups:
            return error_response(422, "Invalid request. At least one repository is required.")
        for group in groups:
            if not isinstance(group, dict) or not group.get("alert_numbers"):
                return error_response(422, "Invalid request. alert_numbers must not be empty.")
            repo = next(
                (r for r in self.repos.values() if r["id"] == group.get("repository_id")), None
            )
            if repo is None or repo["owner"]["login"].lower() != org:
                return error_response(422, f"Repository {group.get('repository_id')} not found")
        return None

    async def _get_campaign(self, request: web.Request) -> web.StreamResponse:
        found = self._campaign(request)
        return (
            json_response(public_campaign(found[1], self._alert_stats(found[1])))
            if found
            else error_response(404, "Not Found")
        )

    def _campaign(self, request: web.Request) -> tuple[str, dict[str, Any]] | None:
        org = self._campaign_org(request)
        try:
            number = int(request.match_info["number"])
        except ValueError:
            return None
        if org is None or number not in self.campaigns[org]:
            return None
        return org, self.campaigns[org][number]

    async def _update_campaign(self, request: web.Request) -> web.StreamResponse:
        found = self._campaign(request)
        if not found:
            return error_response(404, "Not Found")
        org, campaign = found
        body = request[JSON_BODY]
        if not isinstance(body, dict):
            return error_response(400, "Problems parsing JSON")
        refused = self._check_campaign(org, body, creating=False)
        if refused is not None:
            return refused
        now = iso(self.clock())
        for name in ("name", "description", "ends_at", "contact_link"):
            if name in body:
                campaign[name] = body[name]
        if "managers" in body:
            campaign["managers"] = [self.user(login) for login in body["managers"]]
        if "state" in body and body["state"] != campaign["state"]:
            campaign["state"] = body["state"]
            campaign["closed_at"] = now if body["state"] == "closed" else None
        campaign["updated_at"] = now
        return json_response(public_campaign(campaign, self._alert_stats(campaign)))

    async def _delete_campaign(self, request: web.Request) -> web.StreamResponse:
        found = self._campaign(request)
        if not found:
            return error_response(404, "Not Found")
        del self.campaigns[found[0]][found[1]["number"]]
        return web.Response(status=204)

    def _alert_stats(self, campaign: dict[str, Any]) -> dict[str, int]:
        store = self.secret_alerts if campaign["_kind"] == "secret" else self.code_alerts
        open_count = closed_count = 0
        for group in campaign["_alerts"]:
            repo_key = next(
                (k for k, r in self.repos.items() if r["id"] == group["repository_id"]), None
            )
            for number in group["alert_numbers"]:
                alert = store.get(repo_key or "", {}).get(number)
                if alert is not None and alert["state"] == "open":
                    open_count += 1
                elif alert is not None:
                    closed_count += 1
        return {"open_count": open_count, "closed_count": closed_count, "in_progress_count": 0}
