"""Remediation guides in Slack: `/campaign guide TYPE` and the alert cards' **Guide** button.

Reading a guide changes nothing, so anyone may ask for one by name. The button names an alert,
though, and a secret alert is shown only to the people the campaign shows it to (its managers
and its assignee), so the button checks that before it says which guide the secret needs.
"""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.core.errors import CampaignError, PermissionDenied
from bot.core.models import Alert, AlertKind, Campaign
from bot.services import Services
from commands.campaigns.parsing import Command
from commands.playbooks.guide_views import guide_message, guide_modal, unknown_guide_blocks
from commands.shared import ids
from commands.shared.blocks import escape, user_text
from commands.shared.context import DAMAGED, SlackContext, listener

ALERTS_CHECKED = 500
"""How many of a person's alerts in one repository the secret check reads (far more than anyone
is assigned)."""


async def guide_command(services: Services, ctx: SlackContext, command: Command) -> None:
    """The guide asked for, or what guides exist when none matches."""
    topic = (command.topic or "").strip()
    book = services.guides
    guide = book.find(topic)
    if guide is None:
        await ctx.tell(
            f"No remediation guide matches “{user_text(topic, 100)}”.",
            unknown_guide_blocks(topic, book.guides(), book.suggest(topic)),
        )
        return
    await ctx.tell(f"Remediation guide: {escape(guide.title)}", guide_message(guide))


def _target(ctx: SlackContext) -> tuple[str, str]:
    """`CAMPAIGN:ALERT` from the button, as the other alert buttons write it."""
    campaign, sep, alert = str(ctx.action.get("value", "")).partition(":")
    if not sep or not campaign.isascii() or not campaign.isdigit() or not alert:
        raise CampaignError(DAMAGED)
    return campaign, alert


class GuideButton:
    def __init__(self, services: Services) -> None:
        self.services = services

    async def show(self, ctx: SlackContext) -> None:
        """The alert's guide in a modal (or an ephemeral answer where no modal can open)."""
        reference, alert_reference = _target(ctx)
        campaign, alert = await self.services.assignments.open_alert(reference, alert_reference)
        await self._may_see(ctx.user_id, campaign, alert)
        guide = self.services.guides.for_alert(alert)
        if guide is None:
            await ctx.tell(f"No remediation guide covers {escape(alert.reference)} yet.")
            return
        if ctx.trigger_id:
            await ctx.client.views_open(
                trigger_id=ctx.trigger_id, view=guide_modal(guide, campaign, alert)
            )
            return
        await ctx.tell(f"Remediation guide: {escape(guide.title)}", guide_message(guide))

    async def _may_see(self, user: str, campaign: Campaign, alert: Alert) -> None:
        """Secret alerts: the campaign's managers and the alert's assignee only."""
        if alert.kind is not AlertKind.SECRET:
            return
        campaigns = self.services.campaigns
        if await campaigns.may_manage(user, campaign):
            return
        try:
            mine, _ = await campaigns.alerts(
                campaign, viewer=user, repository=alert.repository, limit=ALERTS_CHECKED
            )
        except PermissionDenied:
            mine = []
        if all(item.alert.id != alert.id for item in mine):
            raise PermissionDenied(
                "The guide for a secret alert is shown to the campaign's managers and the "
                "person the alert is assigned to."
            )


def register(app: AsyncApp, services: Services) -> None:
    guides = GuideButton(services)
    app.action(ids.GUIDE)(listener(guides.show, services.tasks))
