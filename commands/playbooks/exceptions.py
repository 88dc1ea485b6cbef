"""Exceptions in Slack: **Request exception** on a card opens the form; the manager's DM has
**Approve** / **Reject**. Every rule is the service's (bot.playbooks.exceptions)."""

from __future__ import annotations

from datetime import date

from slack_bolt.async_app import AsyncApp

from bot.core.errors import CampaignError
from bot.playbooks.exceptions import ExceptionService
from bot.services import Services
from commands.alerts.modal_views import AlertMeta
from commands.playbooks.exception_views import decided_blocks, exception_modal
from commands.shared import ids
from commands.shared.blocks import escape
from commands.shared.context import DAMAGED, SlackContext, listener
from commands.shared.state import state_value


def _meta(ctx: SlackContext) -> AlertMeta:
    campaign, sep, alert = str(ctx.action.get("value", "")).partition(":")
    if not sep or not campaign.isascii() or not campaign.isdigit() or not alert:
        raise CampaignError(DAMAGED)
    return AlertMeta(campaign=int(campaign), alert=alert, channel=ctx.channel_id)


def _date(value: object) -> date | None:
    try:
        return date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


class ExceptionListeners:
    def __init__(self, exceptions: ExceptionService) -> None:
        self.exceptions = exceptions

    async def open_form(self, ctx: SlackContext) -> None:
        meta = _meta(ctx)
        campaign, _ = await self.exceptions.requestable(ctx.user_id, str(meta.campaign), meta.alert)
        view = exception_modal(meta, self.exceptions.today(campaign), self.exceptions.max_days)
        await ctx.client.views_open(trigger_id=ctx.trigger_id, view=view)

    async def submit(self, ctx: SlackContext) -> None:
        meta = AlertMeta.model_validate_json(ctx.view.get("private_metadata") or "{}")
        asked = await self.exceptions.request(
            ctx.user_id,
            str(meta.campaign),
            meta.alert,
            reason=state_value(ctx.view, ids.EXCEPTION_REASON),
            comment=state_value(ctx.view, ids.EXCEPTION_COMMENT),
            expires_on=_date(state_value(ctx.view, ids.EXCEPTION_EXPIRES)),
        )
        await ctx.ack()
        text = (
            f":raised_hand: Exception asked for {escape(asked.alert_reference)} until "
            f"{asked.expires_on.isoformat()}; the campaign's manager decides, and you will hear."
        )
        if meta.channel and not meta.channel.startswith("D"):
            await ctx.client.chat_postEphemeral(channel=meta.channel, user=ctx.user_id, text=text)
        else:
            dm = await ctx.client.conversations_open(users=ctx.user_id)
            await ctx.client.chat_postMessage(channel=dm["channel"]["id"], text=text)

    async def approve(self, ctx: SlackContext) -> None:
        await self._decide(ctx, approve=True)

    async def reject(self, ctx: SlackContext) -> None:
        await self._decide(ctx, approve=False)

    async def _decide(self, ctx: SlackContext, *, approve: bool) -> None:
        value = str(ctx.action.get("value", ""))
        if not value.isascii() or not value.isdigit():
            raise CampaignError(DAMAGED)
        asked = await self.exceptions.decide(ctx.user_id, int(value), approve=approve)
        verb = "approved" if approve else "rejected"
        closed = f"; it is closed on GitHub until {asked.expires_on.isoformat()}" if approve else ""
        text = (
            f"You {verb} the exception on {escape(asked.alert_reference)} "
            f"(asked by <@{asked.requested_by}>){closed}."
        )
        message = ctx.body.get("message") or {}
        channel = ctx.channel_id
        if channel and message.get("ts"):
            # The request's buttons give way to the decision, so nobody clicks them again.
            await ctx.client.chat_update(
                channel=channel, ts=str(message["ts"]), text=text, blocks=decided_blocks(text)
            )
        else:
            await ctx.tell(text)


def register(app: AsyncApp, services: Services) -> None:
    assert services.exceptions is not None
    listeners, tasks = ExceptionListeners(services.exceptions), services.tasks
    app.action(ids.REQUEST_EXCEPTION)(listener(listeners.open_form, tasks))
    app.view(ids.EXCEPTION_MODAL)(listener(listeners.submit, tasks, ack_first=False))
    app.action(ids.APPROVE_EXCEPTION)(listener(listeners.approve, tasks))
    app.action(ids.REJECT_EXCEPTION)(listener(listeners.reject, tasks))
