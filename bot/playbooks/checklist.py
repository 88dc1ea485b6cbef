"""The per-alert checklist of a leaked secret. (Skeleton.)"""

from __future__ import annotations

from bot.campaigns.service import CampaignService
from bot.playbooks.ports import AlertStates


class ChecklistService:
    def __init__(self, campaigns: CampaignService, states: AlertStates) -> None:
        self.campaigns = campaigns
        self.states = states
