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
from bot.playbooks.checklist import ChecklistService
from bot.playbooks.escalation import EscalationService
from bot.playbooks.exceptions import ExceptionService
from bot.playbooks.guides import GuideBook
from bot.playbooks.review import ReviewService
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
    review: ReviewService | None = None
    guides: GuideBook = field(default_factory=GuideBook)
    checklists: ChecklistService | None = None
    exceptions: ExceptionService | None = None
    escalations: EscalationService | None = None
    """The playbooks (bot.playbooks); always built by the container."""
    tasks: TaskTracker = field(default_factory=TaskTracker)
