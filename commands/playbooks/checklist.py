"""Slack surface of the playbook: checklist. (Skeleton.)"""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.services import Services


def register(app: AsyncApp, services: Services) -> None:
    del app, services
