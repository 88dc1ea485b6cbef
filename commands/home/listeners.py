"""The App Home: managers see every active campaign with its controls; everyone sees theirs."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.assignments.service import AssignmentService
from bot.campaigns.service import CampaignService
from bot.services import Services
from commands.home.views import home_view


class Home:
    def __init__(self, campaigns: CampaignService, assignments: AssignmentService) -> None:
        self.campaigns = campaigns
        self.assignments = assignments

    async def publish(self, user_id: str, client: AsyncWebClient) -> None:
        manager = await self.campaigns.is_security_manager(user_id)
        found = (
            await self.campaigns.list_campaigns()
            if manager
            else await self.campaigns.for_user(user_id)
        )
        progresses = await self.campaigns.progress_many(found, repositories=False)
        mine = await self.assignments.mine(user_id)
        view = home_view(
            found,
            progresses,
            manager=manager,
            viewer=user_id,
            mine=mine,
            now=self.campaigns.clock(),
        )
        await client.views_publish(user_id=user_id, view=view)

    async def opened(self, event: dict[str, Any], client: AsyncWebClient) -> None:
        if event.get("tab", "home") == "home":
            await self.publish(str(event["user"]), client)


def register(app: AsyncApp, services: Services) -> None:
    home, tasks = Home(services.campaigns, services.assignments), services.tasks

    async def app_home_opened(event: dict[str, Any], client: AsyncWebClient) -> None:
        tasks.track_current()
        await home.opened(event, client)

    app.event("app_home_opened")(app_home_opened)
