"""The **Escalate** button of an alert card: the service escalates (once, to the manager, the
alert's experts and the leadership channel) and the clicker is told, privately, who heard."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.core.errors import CampaignError
from bot.playbooks.escalation import EscalationService
from bot.services import Services
from commands.shared import ids
from commands.shared.blocks import channel_mention, escape, mention
from commands.shared.context import DAMAGED, SlackContext, listener


def told_text(alert: str, campaign: str, to: list[str]) -> str:
    """`:rotating_light: You escalated X in #3: told <@U…>, <#C…>.`"""
    people = ", ".join(
        mention(target) if target.startswith(("U", "W")) else channel_mention(target)
        for target in to
    )
    return f":rotating_light: You escalated {escape(alert)} in #{campaign}: told {people}."


class EscalateButton:
    def __init__(self, escalations: EscalationService) -> None:
        self.escalations = escalations

    async def escalate(self, ctx: SlackContext) -> None:
        campaign, sep, alert = str(ctx.action.get("value", "")).partition(":")
        if not sep or not campaign.isascii() or not campaign.isdigit() or not alert:
            raise CampaignError(DAMAGED)
        told = await self.escalations.escalate(ctx.user_id, campaign, alert)
        await ctx.tell(told_text(alert, campaign, told))


def register(app: AsyncApp, services: Services) -> None:
    if services.escalations is None:
        return
    button = EscalateButton(services.escalations)
    app.action(ids.ESCALATE)(listener(button.escalate, services.tasks))
