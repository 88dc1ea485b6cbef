"""Buttons on campaign messages and the App Home: view, expand, page, report, close, reopen."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.campaigns.service import CampaignService
from bot.core.tasks import TaskTracker
from bot.notify import Announcer
from commands import blocks
from commands.blocks import AlertPage, CreateModalMeta
from commands.shared import ids
from commands.shared.context import SlackContext, listener

DEFAULT_DUE = timedelta(days=30)


async def show(ctx: SlackContext, text: str, content: list[dict[str, Any]], title: str) -> None:
    """Replace the message a button sat on; from the App Home (no message), open a modal."""
    if ctx.respond is not None and ctx.body.get("response_url"):
        await ctx.respond(text=text, blocks=content, replace_original=True)
        return
    modal = {
        "type": "modal",
        "title": blocks.plain(title, 24),
        "close": blocks.plain("Close", 24),
        "blocks": content[: blocks.VIEW_BLOCKS],
    }
    if ctx.view and ctx.view.get("type") == "modal":
        await ctx.client.views_push(trigger_id=ctx.trigger_id, view=modal)
    else:
        await ctx.client.views_open(trigger_id=ctx.trigger_id, view=modal)


class CampaignButtons:
    def __init__(self, campaigns: CampaignService, announcer: Announcer) -> None:
        self.campaigns = campaigns
        self.announcer = announcer

    async def view_campaign(self, ctx: SlackContext) -> None:
        campaign = await self.campaigns.resolve(ctx.action.get("value", ""))
        progress = await self.campaigns.progress(campaign)
        await show(
            ctx,
            f"Campaign #{campaign.id}",
            blocks.campaign_view(campaign, progress),
            f"Campaign #{campaign.id}",
        )

    async def alert_page(self, ctx: SlackContext) -> None:
        page = AlertPage.model_validate_json(ctx.action.get("value") or "{}")
        campaign = await self.campaigns.resolve(str(page.campaign))
        items, total = await self.campaigns.alerts(
            campaign,
            repository=page.repository,
            status=page.status,
            offset=page.offset,
            limit=blocks.ALERTS_PER_PAGE,
        )
        await show(
            ctx,
            f"Alerts of campaign #{campaign.id}",
            blocks.alert_list(campaign, items, total, page),
            f"Campaign #{campaign.id}",
        )

    async def post_report(self, ctx: SlackContext) -> None:
        campaign = await self.campaigns.resolve(ctx.action.get("value", ""))
        channel = campaign.channel or ctx.channel_id
        if channel is None:
            await ctx.tell(
                f"Campaign #{campaign.id} has no channel for updates; "
                f"use `/campaign report {campaign.id} #channel`."
            )
            return
        await self.announcer.report(campaign, channel)
        await ctx.tell(f"Posted the progress of #{campaign.id} in <#{channel}>.")

    async def close(self, ctx: SlackContext) -> None:
        closed = await self.campaigns.close(ctx.user_id, ctx.action.get("value", ""))
        await self._done(ctx, f"Closed campaign #{closed.id} {blocks.escape(closed.name)}.")
        await self.announcer.say(
            closed, f"<@{ctx.user_id}> closed campaign *#{closed.id} {blocks.escape(closed.name)}*."
        )
        await self.announcer.refresh(closed)

    async def reopen(self, ctx: SlackContext) -> None:
        reopened = await self.campaigns.reopen(ctx.user_id, ctx.action.get("value", ""))
        await self._done(ctx, f"Reopened campaign #{reopened.id} {blocks.escape(reopened.name)}.")
        await self.announcer.say(
            reopened,
            f"<@{ctx.user_id}> reopened campaign *#{reopened.id} {blocks.escape(reopened.name)}*.",
        )
        await self.announcer.refresh(reopened)

    async def cancel(self, ctx: SlackContext) -> None:
        await self._done(ctx, "Nothing changed.")

    async def _done(self, ctx: SlackContext, text: str) -> None:
        if ctx.respond is not None and ctx.body.get("response_url"):
            await ctx.respond(text=text, replace_original=True)
        else:
            await ctx.tell(text)

    async def open_create(self, ctx: SlackContext) -> None:
        if not await self.campaigns.directory.is_security_manager(ctx.user_id):
            await ctx.tell("Only security managers can create campaigns.")
            return
        template = (
            ctx.action.get("value") if ctx.action.get("action_id") == ids.USE_TEMPLATE else None
        )
        due = self.campaigns.clock().date() + DEFAULT_DUE
        await ctx.client.views_open(
            trigger_id=ctx.trigger_id,
            view=blocks.create_modal(
                CreateModalMeta(channel=ctx.channel_id),
                template=template,
                manager=ctx.user_id,
                due_default=due,
            ),
        )

    async def open_edit(self, ctx: SlackContext) -> None:
        opened = await ctx.client.views_open(
            trigger_id=ctx.trigger_id, view=blocks.loading_modal("Edit campaign")
        )
        campaign = await self.campaigns.resolve(ctx.action.get("value", ""))
        await self.campaigns.check_can_edit(ctx.user_id, campaign)
        await ctx.client.views_update(
            view_id=opened["view"]["id"],
            hash=opened["view"]["hash"],
            view=blocks.edit_modal(campaign),
        )


def register(app: AsyncApp, tasks: TaskTracker, buttons: CampaignButtons) -> None:
    app.action(ids.VIEW_CAMPAIGN)(listener(buttons.view_campaign, tasks))
    app.action(ids.EXPAND_REPOSITORY)(listener(buttons.alert_page, tasks))
    app.action(re.compile(f"^{ids.ALERT_PAGE}(:.*)?$"))(listener(buttons.alert_page, tasks))
    app.action(ids.POST_REPORT)(listener(buttons.post_report, tasks))
    app.action(ids.CONFIRM_CLOSE)(listener(buttons.close, tasks))
    app.action(ids.CONFIRM_REOPEN)(listener(buttons.reopen, tasks))
    app.action(ids.CANCEL)(listener(buttons.cancel, tasks))
    app.action(ids.OPEN_CREATE)(listener(buttons.open_create, tasks))
    app.action(ids.USE_TEMPLATE)(listener(buttons.open_create, tasks))
    app.action(ids.OPEN_EDIT)(listener(buttons.open_edit, tasks))
