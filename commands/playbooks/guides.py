"""Slack surface of the playbook: guides. (Skeleton.)"""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.services import Services
from commands.campaigns.parsing import Command
from commands.shared.context import SlackContext


def register(app: AsyncApp, services: Services) -> None:
    del app, services


async def guide_command(services: Services, ctx: SlackContext, command: Command) -> None:
    del services, command
    await ctx.tell("Not built yet.")
