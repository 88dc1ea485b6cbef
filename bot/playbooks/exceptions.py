"""Exceptions: asked for by a developer, decided by the manager, expiring. (Skeleton.)"""

from __future__ import annotations

from datetime import datetime

from bot.campaigns.service import CampaignService
from bot.core.notices import Notice
from bot.playbooks.ports import AlertStates


class ExceptionService:
    def __init__(self, campaigns: CampaignService, states: AlertStates) -> None:
        self.campaigns = campaigns
        self.states = states

    async def run(self, now: datetime, *, write: bool = True) -> list[Notice]:
        del now, write
        return []
