"""The checklist on a secret alert's card: the assignee's checkboxes, and the resolve form that
the last step opens. Every rule is the service's (bot.playbooks.checklist)."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.core.errors import CampaignError
from bot.core.playbooks import CHECKLIST, ChecklistStep
from bot.playbooks.checklist import RESOLUTIONS, ChecklistService
from bot.services import Services
from commands.alerts.modal_views import AlertMeta
from commands.home.listeners import Home
from commands.playbooks.checklist_views import resolve_modal
from commands.shared import ids
from commands.shared.blocks import escape
from commands.shared.context import DAMAGED, HomeRefresh, SlackContext, listener
from commands.shared.state import state_value

LABELS = dict(CHECKLIST)


def _target(ctx: SlackContext) -> AlertMeta:
    """`alert_checklist:CAMPAIGN:ALERT` from the checkboxes' block id."""
    _, campaign, alert = [*str(ctx.action.get("block_id") or "").split(":", 2), "", ""][:3]
    if not campaign.isascii() or not campaign.isdigit() or not alert:
        raise CampaignError(DAMAGED)
    return AlertMeta(campaign=int(campaign), alert=alert, channel=ctx.channel_id)


class ChecklistListeners:
    def __init__(self, checklists: ChecklistService, refresh_home: HomeRefresh) -> None:
        self.checklists = checklists
        self.refresh_home = refresh_home

    async def ticked(self, ctx: SlackContext) -> None:
        meta = _target(ctx)
        chosen = {str(o.get("value")) for o in ctx.action.get("selected_options") or []}
        resolving = ChecklistStep.RESOLVE.value in chosen
        added, removed = await self.checklists.set_steps(
            ctx.user_id, str(meta.campaign), meta.alert, chosen - {ChecklistStep.RESOLVE.value}
        )
        if resolving:
            await self.checklists.resolvable(ctx.user_id, str(meta.campaign), meta.alert)
            missing = [
                label
                for step, label in CHECKLIST
                if step is not ChecklistStep.RESOLVE and step.value not in chosen
            ]
            view = resolve_modal(meta, missing)
            await ctx.client.views_open(trigger_id=ctx.trigger_id, view=view)
            return
        changes = [f":white_check_mark: {LABELS[step]}" for step in added]
        changes += [f":arrow_backward: {LABELS[step]} (unticked)" for step in removed]
        reference = escape(meta.alert)
        await ctx.tell("\n".join(changes) or f"The checklist of {reference} has not changed.")
        if ctx.view.get("type") == "home":
            await self.refresh_home(ctx.user_id, ctx.client)

    async def submit_resolve(self, ctx: SlackContext) -> None:
        meta = AlertMeta.model_validate_json(ctx.view.get("private_metadata") or "{}")
        resolution = str(state_value(ctx.view, ids.RESOLUTION) or "")
        comment = str(state_value(ctx.view, ids.RESOLUTION_COMMENT) or "")
        try:
            alert = await self.checklists.resolve(
                ctx.user_id, str(meta.campaign), meta.alert, resolution, comment
            )
        except CampaignError as exc:
            if exc.field is None and not ctx.acked:
                exc.field = ids.RESOLUTION
            raise
        await ctx.ack()
        text = (
            f":white_check_mark: {escape(alert.reference)} is resolved on GitHub "
            f"({RESOLUTIONS[resolution].lower()}). Thank you!"
        )
        if meta.channel and not meta.channel.startswith("D"):
            await ctx.client.chat_postEphemeral(channel=meta.channel, user=ctx.user_id, text=text)
        else:
            dm = await ctx.client.conversations_open(users=ctx.user_id)
            await ctx.client.chat_postMessage(channel=dm["channel"]["id"], text=text)
        await self.refresh_home(ctx.user_id, ctx.client)


def register(app: AsyncApp, services: Services) -> None:
    assert services.checklists is not None
    home = Home(services.campaigns, services.assignments).publish
    listeners, tasks = ChecklistListeners(services.checklists, home), services.tasks
    app.action(ids.CHECKLIST)(listener(listeners.ticked, tasks))
    app.view(ids.RESOLVE_MODAL)(listener(listeners.submit_resolve, tasks, ack_first=False))
