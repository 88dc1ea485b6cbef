"""The services handed to every surface (Slack listeners, CLI, jobs, webhooks).

Built in one place, `bot.runtime.container.build_services`, so `run`, every CLI command and every
job get the same directory, GitHub gate, observers, messenger and clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.assignments.service import AssignmentService
from bot.campaigns.service import CampaignService
from bot.core.clock import Clock
from bot.core.settings import Settings
from bot.core.tasks import TaskTracker
from bot.delivery.deliverer import Deliverer
from bot.github.client import GitHubClient
from bot.scheduler.jobs import ClockJobs


@dataclass
class Services:
    settings: Settings
    engine: AsyncEngine
    clock: Clock
    campaigns: CampaignService
    assignments: AssignmentService
    clock_jobs: ClockJobs | None = None
    """Reminders and digests (bot.scheduler); always built by the container."""
    deliverer: Deliverer | None = None
    """None where no Slack token is configured: notices then wait in the outbox."""
    github: GitHubClient | None = None
    """None where GitHub is not connected."""
    tasks: TaskTracker = field(default_factory=TaskTracker)
