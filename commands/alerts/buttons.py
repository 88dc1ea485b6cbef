"""The alert cards' buttons and modals: **Assign to me**, **Assign…**, **Unassign**,
**Start fix**, **Link PR**, and the launch DM's **My alerts**.

Every rule (who may assign whom, write access, open alert, active campaign) is the service's; a
listener only reads the button, calls it and says what happened.
"""

from __future__ import annotations

from datetime import UTC, datetime

from slack_bolt.async_app import AsyncApp

from bot.assignments.service import AssignmentService
from bot.core.errors import CampaignError
from bot.services import Services
from commands.alerts.modal_views import AlertMeta, assign_modal, link_pr_modal
from commands.alerts.views import workable_blocks
from commands.shared import ids
from commands.shared.blocks import escape, link, mention
from commands.shared.context import (
    DAMAGED,
    HomeRefresh,
    SlackContext,
    listener,
    no_home_refresh,
)
from commands.shared.state import state_value


def _target(ctx: SlackContext) -> tuple[str, str]:
    """`CAMPAIGN:ALERT` from the button, or the answer for a damaged one."""
    campaign, sep, alert = str(ctx.action.get("value", "")).partition(":")
    if not sep or not campaign.isascii() or not campaign.isdigit() or not alert:
        raise CampaignError(DAMAGED)
    return campaign, alert


def _meta(ctx: SlackContext) -> AlertMeta:
    campaign, alert = _target(ctx)
    return AlertMeta(campaign=int(campaign), alert=alert, channel=ctx.channel_id)


class AlertButtons:
    def __init__(
        self, assignments: AssignmentService, refresh_home: HomeRefresh = no_home_refresh
    ) -> None:
        self.assignments = assignments
        self.refresh_home = refresh_home

    async def _changed(self, ctx: SlackContext) -> None:
        """A click on the Home tab re-publishes it, so its cards show the change."""
        if ctx.view.get("type") == "home" or ctx.is_view_submission:
            await self.refresh_home(ctx.user_id, ctx.client)

    async def assign_to_me(self, ctx: SlackContext) -> None:
        campaign, alert = _target(ctx)
        found, claimed = await self.assignments.assign(ctx.user_id, campaign, alert, ctx.user_id)
        await ctx.tell(f"{escape(claimed.reference)} in #{found.id} is yours now.")
        await self._changed(ctx)

    async def unassign(self, ctx: SlackContext) -> None:
        campaign, alert = _target(ctx)
        found, released, was = await self.assignments.unassign(ctx.user_id, campaign, alert)
        whose = "You gave back" if was == ctx.user_id else f"You took {mention(was)} off"
        await ctx.tell(f"{whose} {escape(released.reference)} in #{found.id}.")
        await self._changed(ctx)

    async def assign_other(self, ctx: SlackContext) -> None:
        meta = _meta(ctx)
        campaign, _ = await self.assignments.open_alert(str(meta.campaign), meta.alert)
        await self.assignments.campaigns.require_manager(ctx.user_id, campaign, "assign others in")
        await ctx.client.views_open(trigger_id=ctx.trigger_id, view=assign_modal(meta))

    async def submit_assign(self, ctx: SlackContext) -> None:
        meta = AlertMeta.model_validate_json(ctx.view.get("private_metadata") or "{}")
        assignee = state_value(ctx.view, ids.ASSIGNEE)
        if not assignee:
            raise CampaignError("Choose who should fix it.", field=ids.ASSIGNEE)
        try:
            found, alert = await self.assignments.assign(
                ctx.user_id, str(meta.campaign), meta.alert, str(assignee)
            )
        except CampaignError as exc:
            exc.field = exc.field or ids.ASSIGNEE
            raise
        await ctx.ack()
        await self._say(
            ctx, meta, f"{mention(str(assignee))} now has {escape(alert.reference)} in #{found.id}."
        )
        await self._changed(ctx)

    async def start_fix(self, ctx: SlackContext) -> None:
        meta = _meta(ctx)
        found, alert, fix = await self.assignments.start_fix(
            ctx.user_id, str(meta.campaign), meta.alert
        )
        if fix is None:  # no GitHub: the person links the pull request instead
            await ctx.client.views_open(
                trigger_id=ctx.trigger_id, view=link_pr_modal(meta, no_github=True)
            )
            return
        await ctx.tell(
            f":hammer_and_wrench: Branch {link(fix.url, escape(fix.ref))} is ready for "
            f"{escape(alert.reference)}; #{found.id} counts it in progress."
        )
        await self._changed(ctx)

    async def link_pr(self, ctx: SlackContext) -> None:
        meta = _meta(ctx)
        await self.assignments.open_alert(str(meta.campaign), meta.alert)
        await ctx.client.views_open(trigger_id=ctx.trigger_id, view=link_pr_modal(meta))

    async def submit_link_pr(self, ctx: SlackContext) -> None:
        meta = AlertMeta.model_validate_json(ctx.view.get("private_metadata") or "{}")
        url = str(state_value(ctx.view, ids.PULL_REQUEST) or "")
        try:
            found, alert, fix = await self.assignments.link_pull_request(
                ctx.user_id, str(meta.campaign), meta.alert, url
            )
        except CampaignError as exc:
            exc.field = exc.field or ids.PULL_REQUEST
            raise
        await ctx.ack()
        await self._say(
            ctx,
            meta,
            f":hammer_and_wrench: {link(fix.url, 'Pull request ' + escape(fix.ref))} works on "
            f"{escape(alert.reference)}; #{found.id} counts it in progress.",
        )
        await self._changed(ctx)

    async def my_alerts(self, ctx: SlackContext) -> None:
        reference = str(ctx.action.get("value", ""))
        if not reference.isascii() or not reference.isdigit():
            raise CampaignError(DAMAGED)
        campaign, items, total = await self.assignments.workable(ctx.user_id, reference)
        blocks = workable_blocks(campaign, items, total, ctx.user_id, now=datetime.now(UTC))
        await ctx.tell(f"Your alerts in campaign #{campaign.id}", blocks)

    async def snooze(self, ctx: SlackContext) -> None:
        days = str(ctx.action.get("value", ""))
        if days not in ("1", "7"):
            raise CampaignError(DAMAGED)
        until = await self.assignments.snooze(ctx.user_id, int(days))
        when = "tomorrow" if days == "1" else "in a week"
        stamp = f"<!date^{int(until.timestamp())}^{{date_short_pretty}} {{time}}|{until:%Y-%m-%d}>"
        await ctx.tell(f":zzz: No reminder DMs until {when} ({stamp}).")

    @staticmethod
    async def _say(ctx: SlackContext, meta: AlertMeta, text: str) -> None:
        """After a modal: an ephemeral note where the button was, or a DM."""
        if meta.channel and not meta.channel.startswith("D"):
            await ctx.client.chat_postEphemeral(channel=meta.channel, user=ctx.user_id, text=text)
            return
        dm = await ctx.client.conversations_open(users=ctx.user_id)
        await ctx.client.chat_postMessage(channel=dm["channel"]["id"], text=text)


def register(
    app: AsyncApp, services: Services, refresh_home: HomeRefresh = no_home_refresh
) -> None:
    buttons, tasks = AlertButtons(services.assignments, refresh_home), services.tasks
    app.action(ids.ASSIGN_TO_ME)(listener(buttons.assign_to_me, tasks))
    app.action(ids.UNASSIGN)(listener(buttons.unassign, tasks))
    app.action(ids.ASSIGN_OTHER)(listener(buttons.assign_other, tasks))
    app.action(ids.START_FIX)(listener(buttons.start_fix, tasks))
    app.action(ids.LINK_PR)(listener(buttons.link_pr, tasks))
    app.action(ids.MY_ALERTS)(listener(buttons.my_alerts, tasks))
    app.action(ids.SNOOZE_DAY)(listener(buttons.snooze, tasks))
    app.action(ids.SNOOZE_WEEK)(listener(buttons.snooze, tasks))
    app.view(ids.ASSIGN_MODAL)(listener(buttons.submit_assign, tasks, ack_first=False))
    app.view(ids.LINK_PR_MODAL)(listener(buttons.submit_link_pr, tasks, ack_first=False))
