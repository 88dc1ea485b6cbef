"""The playbook's Slack surface: the review, guides, checklists, escalation and exceptions."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.services import Services
from commands.playbooks import checklist, escalation, exceptions, guides, review


def register(app: AsyncApp, services: Services) -> None:
    for area in (review, guides, checklist, escalation, exceptions):
        area.register(app, services)
