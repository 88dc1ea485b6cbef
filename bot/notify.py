"""Who to tell and what: launch notices, edit and state announcements, progress reports.

The launch message is kept: its channel and timestamp are stored so that `refresh` can
chat.update it as progress moves, instead of posting a new message each time.
"""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.campaigns.service import CampaignService
from bot.core.models import Campaign
from commands import blocks

log = logging.getLogger(__name__)


class Announcer:
    def __init__(self, client: AsyncWebClient, campaigns: CampaignService) -> None:
        self.client = client
        self.campaigns = campaigns

    async def launch(self, campaign: Campaign) -> None:
        """Announce a new campaign in its channel and remember the message to keep it current."""
        if not campaign.channel:
            return
        progress = await self.campaigns.progress(campaign)
        response = await self.client.chat_postMessage(
            channel=campaign.channel,
            text=f"New security campaign #{campaign.id}: {campaign.name}",
            blocks=blocks.campaign_view(campaign, progress),
        )
        await self.campaigns.remember_announcement(
            campaign, str(response["channel"]), str(response["ts"])
        )

    async def refresh(self, campaign: Campaign) -> None:
        """Bring the launch message up to date (chat.update), if there is one."""
        if not campaign.announce_channel or not campaign.announce_ts:
            return
        progress = await self.campaigns.progress(campaign)
        try:
            await self.client.chat_update(
                channel=campaign.announce_channel,
                ts=campaign.announce_ts,
                text=f"Security campaign #{campaign.id}: {campaign.name}",
                blocks=blocks.campaign_view(campaign, progress),
            )
        except SlackApiError as exc:
            log.warning(
                "could not update the launch message of #%s: %s",
                campaign.id,
                exc.response.get("error"),
            )

    async def alerts_changed(self, alert_ids: list[int]) -> None:
        """Alerts moved (a webhook, a sync): bring every affected campaign's message up to date."""
        for campaign in await self.campaigns.active_with_alerts(alert_ids):
            await self.refresh(campaign)

    async def say(self, campaign: Campaign, text: str) -> None:
        if campaign.channel:
            await self.client.chat_postMessage(channel=campaign.channel, text=text)

    async def report(self, campaign: Campaign, channel: str) -> None:
        progress = await self.campaigns.progress(campaign)
        await self.client.chat_postMessage(
            channel=channel,
            text=f"Progress of campaign #{campaign.id} {campaign.name}: "
            f"{progress.counts.closed}/{progress.counts.total} closed",
            blocks=blocks.report_blocks(campaign, progress),
        )
