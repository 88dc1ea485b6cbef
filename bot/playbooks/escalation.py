"""Escalation rules and the escalations they make. (Skeleton.)"""

from __future__ import annotations

from datetime import datetime

from bot.campaigns.service import CampaignService
from bot.core.notices import Notice
from bot.core.settings import Settings


class EscalationService:
    def __init__(self, campaigns: CampaignService, settings: Settings) -> None:
        self.campaigns = campaigns
        self.settings = settings

    async def run(self, now: datetime, *, write: bool = True) -> list[Notice]:
        del now, write
        return []
