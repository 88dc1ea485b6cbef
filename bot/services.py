"""The service container handed to every surface (Slack listeners, CLI, scheduler, webhooks)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.campaigns.service import AssigneeGate, CampaignService, Directory
from bot.core.clock import Clock, system_clock
from bot.core.settings import Settings
from bot.core.tasks import TaskTracker


@dataclass
class Services:
    settings: Settings
    engine: AsyncEngine
    clock: Clock = field(default=system_clock)
    directory: Directory | None = None
    gate: AssigneeGate | None = None
    tasks: TaskTracker = field(default_factory=TaskTracker)
    campaigns: CampaignService = field(init=False)

    def __post_init__(self) -> None:
        self.campaigns = CampaignService(
            self.engine,
            self.settings,
            directory=self.directory,
            gate=self.gate,
            clock=self.clock,
        )

    def use_directory(self, directory: Directory) -> None:
        """Swap in the Slack-backed directory once the Slack client exists."""
        self.directory = directory
        self.campaigns.directory = directory
