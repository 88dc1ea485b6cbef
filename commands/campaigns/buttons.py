"""Buttons on campaign messages and the App Home: view, expand, page, report, close, reopen."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.campaigns.service import CampaignService
from bot.core.errors import CampaignError
from bot.services import Services
from commands.alerts.views import ALERTS_PER_PAGE, AlertPage, alert_list
from commands.campaigns.forms import open_form
from commands.campaigns.modal_views import (
    CreateModalMeta,
    content_modal,
    create_modal,
    edit_modal,
)
from commands.campaigns.views import campaign_view
from commands.shared import ids
from commands.shared.blocks import escape
from commands.shared.context import (
    DAMAGED,
    HomeRefresh,
    SlackContext,
    listener,
    no_home_refresh,
)

DEFAULT_DUE = timedelta(days=30)


async def show(ctx: SlackContext, text: str, content: list[dict[str, Any]], title: str) -> None:
    """Replace the message a button sat on; from the App Home (no message), open a modal; inside
    a modal, replace it in place (pushing would hit Slack's three-view stack after two pages)."""
    if ctx.respond is not None and ctx.body.get("response_url"):
        await ctx.respond(text=text, blocks=content, replace_original=True)
        return
    modal = content_modal(title, content)
    if ctx.view and ctx.view.get("type") == "modal":
        await ctx.client.views_update(view_id=ctx.view["id"], view=modal)
    else:
        await ctx.client.views_open(trigger_id=ctx.trigger_id, view=modal)


class CampaignButtons:
    def __init__(self, campaigns: CampaignService, refresh_home: HomeRefresh) -> None:
        self.campaigns = campaigns
        self.refresh_home = refresh_home

    async def view_campaign(self, ctx: SlackContext) -> None:
        campaign = await self.campaigns.resolve(ctx.action.get("value", ""))
        progress = await self.campaigns.progress(campaign)
        await show(
            ctx,
            f"Campaign #{campaign.id}",
            campaign_view(
                campaign, progress, manage=await self.campaigns.may_manage(ctx.user_id, campaign)
            ),
            f"Campaign #{campaign.id}",
        )

    async def repository_page(self, ctx: SlackContext) -> None:
        """`CAMPAIGN:OFFSET`: the next (or previous) ten repositories of the campaign view."""
        number, _, offset = str(ctx.action.get("value", "")).partition(":")
        if not (number.isascii() and number.isdigit() and offset.isascii() and offset.isdigit()):
            raise CampaignError(DAMAGED)
        campaign = await self.campaigns.resolve(number)
        progress = await self.campaigns.progress(campaign)
        manage = await self.campaigns.may_manage(ctx.user_id, campaign)
        view = campaign_view(campaign, progress, manage=manage, repo_offset=int(offset[:9]))
        await show(ctx, f"Campaign #{campaign.id}", view, f"Campaign #{campaign.id}")

    async def alert_page(self, ctx: SlackContext) -> None:
        page = AlertPage.model_validate_json(ctx.action.get("value") or "{}")
        campaign = await self.campaigns.resolve(str(page.campaign))
        items, total = await self.campaigns.alerts(
            campaign,
            viewer=ctx.user_id,
            repository=page.repository,
            status=page.status,
            offset=page.offset,
            limit=ALERTS_PER_PAGE,
        )
        await show(
            ctx,
            f"Alerts of campaign #{campaign.id}",
            alert_list(
                campaign,
                items,
                total,
                page,
                viewer=ctx.user_id,
                can_manage=await self.campaigns.may_manage(ctx.user_id, campaign),
                now=self.campaigns.clock(),
            ),
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
        await self.campaigns.request_report(ctx.user_id, campaign, channel)
        await ctx.tell(f"Posting the progress of #{campaign.id} in <#{channel}>.")

    async def close(self, ctx: SlackContext) -> None:
        closed = await self.campaigns.close(ctx.user_id, ctx.action.get("value", ""))
        await self._done(ctx, f"Closed campaign #{closed.id} {escape(closed.name)}.")
        await self.refresh_home(ctx.user_id, ctx.client)

    async def reopen(self, ctx: SlackContext) -> None:
        reopened = await self.campaigns.reopen(ctx.user_id, ctx.action.get("value", ""))
        await self._done(ctx, f"Reopened campaign #{reopened.id} {escape(reopened.name)}.")
        await self.refresh_home(ctx.user_id, ctx.client)

    async def cancel(self, ctx: SlackContext) -> None:
        await self._done(ctx, "Nothing changed.")

    async def _done(self, ctx: SlackContext, text: str) -> None:
        if ctx.respond is not None and ctx.body.get("response_url"):
            await ctx.respond(text=text, replace_original=True)
        else:
            await ctx.tell(text)

    async def open_create(self, ctx: SlackContext) -> None:
        await self.campaigns.check_can_create(ctx.user_id)
        template = (
            ctx.action.get("value") if ctx.action.get("action_id") == ids.USE_TEMPLATE else None
        )
        due = self.campaigns.clock().date() + DEFAULT_DUE
        await ctx.client.views_open(
            trigger_id=ctx.trigger_id,
            view=create_modal(
                CreateModalMeta(channel=ctx.channel_id),
                template=template,
                manager=ctx.user_id,
                due_default=due,
            ),
        )

    async def open_edit(self, ctx: SlackContext) -> None:
        async def form() -> dict[str, Any]:
            campaign = await self.campaigns.resolve(ctx.action.get("value", ""))
            await self.campaigns.check_can_edit(ctx.user_id, campaign)
            return edit_modal(campaign)

        await open_form(ctx, "Edit campaign", form)


def register(
    app: AsyncApp, services: Services, refresh_home: HomeRefresh = no_home_refresh
) -> None:
    buttons, tasks = CampaignButtons(services.campaigns, refresh_home), services.tasks
    app.action(ids.VIEW_CAMPAIGN)(listener(buttons.view_campaign, tasks))
    app.action(ids.EXPAND_REPOSITORY)(listener(buttons.alert_page, tasks))
    app.action(ids.REPOSITORY_PAGE)(listener(buttons.repository_page, tasks))
    app.action(re.compile(f"^{ids.ALERT_PAGE}(:.*)?$"))(listener(buttons.alert_page, tasks))
    app.action(ids.POST_REPORT)(listener(buttons.post_report, tasks))
    app.action(ids.CONFIRM_CLOSE)(listener(buttons.close, tasks))
    app.action(ids.CONFIRM_REOPEN)(listener(buttons.reopen, tasks))
    app.action(ids.CANCEL)(listener(buttons.cancel, tasks))
    app.action(ids.OPEN_CREATE)(listener(buttons.open_create, tasks))
    app.action(ids.USE_TEMPLATE)(listener(buttons.open_create, tasks))
    app.action(ids.OPEN_EDIT)(listener(buttons.open_edit, tasks))
