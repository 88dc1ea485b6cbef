"""Mirror code-scanning campaigns to GitHub's campaigns API (setting GITHUB_PUBLISH_CAMPAIGNS).

A campaign observer: created → `POST /orgs/{org}/campaigns` (its number is remembered), edited →
PATCH of the fields GitHub has, closed / reopened → PATCH `state`, deleted → DELETE. GitHub cannot
change a published campaign's alerts, so later alert changes stay here. Secret-scanning campaigns
are not published: the API's create body names `secret_scanning_alerts` but documents no schema
for it (and refuses unknown keys), so there is nothing safe to send.

Failures are logged and never undo the change here; the campaign simply stays unpublished.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.core.models import AlertKind, Campaign
from bot.github.client import GitHubClient
from bot.github.errors import GitHubError, GitHubNotFound
from store import campaigns as campaign_store
from store import identities, inventory

log = logging.getLogger(__name__)


class GitHubPublisher:
    """A `CampaignObserver` that keeps GitHub's copy of each code-scanning campaign."""

    def __init__(self, engine: AsyncEngine, client: GitHubClient, org: str) -> None:
        self.engine = engine
        self.client = client
        self.org = org

    async def campaign_changed(self, campaign: Campaign, action: str) -> None:
        if campaign.kind is not AlertKind.CODE:
            if action == "created":
                log.info(
                    "campaign #%s not published to GitHub: the campaigns API documents no "
                    "schema for secret-scanning alerts",
                    campaign.id,
                )
            return
        try:
            await self._publish(campaign, action)
        except GitHubError as exc:
            log.warning(
                "publishing %s of campaign #%s to GitHub failed: %s", action, campaign.id, exc
            )

    async def _publish(self, campaign: Campaign, action: str) -> None:
        if action == "created":
            await self._create(campaign)
            return
        number = campaign.github_number
        if number is None:
            return  # never published (it failed, or publishing was switched on later)
        if action == "edited":
            fields = await self._fields(campaign)
            await self.client.update_campaign(self.org, number, fields)
        elif action in ("closed", "reopened"):
            state = "closed" if action == "closed" else "open"
            await self.client.update_campaign(self.org, number, {"state": state})
        elif action == "deleted":
            try:
                await self.client.delete_campaign(self.org, number)
            except GitHubNotFound:
                log.info("campaign #%s was already gone from GitHub", campaign.id)

    async def _create(self, campaign: Campaign) -> None:
        async with self.engine.connect() as conn:
            grouped = await inventory.campaign_alert_numbers(conn, campaign.number)
        unknown = grouped.pop(None, [])
        if unknown:
            log.warning(
                "campaign #%s: %d alerts are in repositories whose GitHub id is unknown "
                "(never synced); they are left out of the published campaign",
                campaign.id,
                len(unknown),
            )
        if not grouped:
            log.warning("campaign #%s not published: no alert with a known repository", campaign.id)
            return
        body = await self._fields(campaign)
        if body["contact_link"] is None:
            del body["contact_link"]
        body["code_scanning_alerts"] = [
            {"repository_id": repository_id, "alert_numbers": numbers}
            for repository_id, numbers in sorted(grouped.items(), key=lambda item: item[0] or 0)
        ]
        published = await self.client.create_campaign(self.org, body)
        async with self.engine.begin() as conn:
            await campaign_store.update_fields(
                conn, campaign.number, {"github_number": int(published["number"])}
            )
        log.info("campaign #%s published to GitHub as %s", campaign.id, published["number"])

    async def _fields(self, campaign: Campaign) -> dict[str, Any]:
        """The fields GitHub keeps, as the create and update bodies spell them (a manager
        without a linked GitHub login is left out: GitHub only takes logins)."""
        body: dict[str, Any] = {
            "name": campaign.name,
            "description": campaign.description,
            "ends_at": ends_at(campaign),
            "contact_link": campaign.contact_link,
        }
        async with self.engine.connect() as conn:
            manager = await identities.get(conn, campaign.manager)
        if manager is not None and manager.github_login:
            body["managers"] = [manager.github_login]
        return body


def ends_at(campaign: Campaign) -> str:
    """The end of the due date in the campaign's time zone, in UTC as GitHub writes it."""
    end = datetime.combine(campaign.due_date, time(23, 59, 59), ZoneInfo(campaign.timezone))
    return end.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
