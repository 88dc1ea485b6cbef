"""The composition root: one function builds the services for `run`, every CLI command and job.

What differs between them is only what exists: a Slack client (then security managers also come
from the admin user group, and notices can be delivered), GitHub credentials (then assignments are
checked and written back, and campaigns may be published).
"""

from __future__ import annotations

from functools import partial

import aiohttp
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.assignments.service import AssignmentService
from bot.campaigns.ports import AdminList, Directory
from bot.campaigns.service import CampaignService
from bot.core.clock import Clock, system_clock
from bot.core.settings import Settings
from bot.delivery.deliverer import Deliverer
from bot.github.alert_states import GitHubAlertStates
from bot.github.client import GitHubClient
from bot.github.gate import GitHubGate
from bot.github.publish import GitHubPublisher
from bot.playbooks.checklist import ChecklistService
from bot.playbooks.escalation import EscalationService
from bot.playbooks.exceptions import ExceptionService
from bot.playbooks.guides import GuideBook
from bot.playbooks.ports import AlertStates, LocalAlertStates
from bot.playbooks.review import ReviewService
from bot.scheduler.jobs import ClockJobs
from bot.services import Services
from commands.delivery import views
from commands.delivery.messenger import SlackMessenger
from commands.home.listeners import Home
from commands.shared.directory import SlackDirectory


def build_services(
    settings: Settings,
    engine: AsyncEngine,
    *,
    session: aiohttp.ClientSession | None = None,
    slack: AsyncWebClient | None = None,
    clock: Clock = system_clock,
) -> Services:
    github = (
        GitHubClient.from_settings(session, settings, clock=clock)
        if session is not None and settings.github_connected
        else None
    )
    directory: Directory = (
        SlackDirectory(slack, settings.admin_ids, settings.campaign_admin_group, clock=clock)
        if slack is not None
        else AdminList(settings.admin_ids)
    )
    campaigns = CampaignService(engine, settings, directory=directory, clock=clock)
    assignments = AssignmentService(
        campaigns,
        GitHubGate(engine, github) if github is not None else None,
        emails=directory if isinstance(directory, SlackDirectory) else None,
    )
    if github is not None and settings.github_publish_campaigns and settings.github_org:
        campaigns.observers.append(GitHubPublisher(engine, github, settings.github_org))
    guides = GuideBook.load(settings.playbook_guides_dir)
    deliverer = None
    if slack is not None:
        home = Home(campaigns, assignments)
        messenger = SlackMessenger(
            slack, refresh_home=home.publish, render=partial(views.render, guides=guides)
        )
        deliverer = Deliverer(engine, messenger, campaigns, clock=clock)
        campaigns.notices_written = deliverer.wake
    states: AlertStates = GitHubAlertStates(github) if github is not None else LocalAlertStates()
    zones = directory if isinstance(directory, SlackDirectory) else None
    return Services(
        settings=settings,
        engine=engine,
        clock=clock,
        campaigns=campaigns,
        assignments=assignments,
        clock_jobs=ClockJobs(engine, campaigns, settings, zones, clock),
        deliverer=deliverer,
        github=github,
        review=ReviewService(engine, clock),
        guides=guides,
        checklists=ChecklistService(assignments, states),
        exceptions=ExceptionService(assignments, states),
        escalations=EscalationService(campaigns, settings),
    )
