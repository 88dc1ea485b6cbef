"""Buttons on alert lines: **Assign to me** and **Unassign**, one click each."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.assignments.service import AssignmentService
from bot.core.errors import CampaignError
from bot.services import Services
from commands.shared import ids
from commands.shared.blocks import escape
from commands.shared.context import DAMAGED, SlackContext, listener


def _target(ctx: SlackContext) -> tuple[str, str]:
    """`CAMPAIGN:ALERT` from the button, or the answer for a damaged one."""
    campaign, sep, alert = str(ctx.action.get("value", "")).partition(":")
    if not sep or not campaign.isascii() or not campaign.isdigit() or not alert:
        raise CampaignError(DAMAGED)
    return campaign, alert


class AlertButtons:
    def __init__(self, assignments: AssignmentService) -> None:
        self.assignments = assignments

    async def assign_to_me(self, ctx: SlackContext) -> None:
        campaign, alert = _target(ctx)
        found, claimed = await self.assignments.assign(ctx.user_id, campaign, alert, ctx.user_id)
        await ctx.tell(f"{escape(claimed.reference)} in #{found.id} is yours now.")

    async def unassign(self, ctx: SlackContext) -> None:
        campaign, alert = _target(ctx)
        found, released, _ = await self.assignments.unassign(ctx.user_id, campaign, alert)
        await ctx.tell(f"You gave back {escape(released.reference)} in #{found.id}.")


def register(app: AsyncApp, services: Services) -> None:
    buttons, tasks = AlertButtons(services.assignments), services.tasks
    app.action(ids.ASSIGN_TO_ME)(listener(buttons.assign_to_me, tasks))
    app.action(ids.UNASSIGN)(listener(buttons.unassign, tasks))
