"""`/campaign` and its subcommands: parse, check, call the service, answer (ephemeral)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.core.errors import CampaignError
from bot.services import Services
from commands.alerts.views import (
    ALERTS_PER_PAGE,
    MINE_CARDS,
    AlertPage,
    alert_list,
    mine_blocks,
)
from commands.campaigns.forms import open_form
from commands.campaigns.modal_views import delete_modal, edit_modal
from commands.campaigns.open_create import open_create_modal
from commands.campaigns.parsing import SUBCOMMANDS, Command, parse_command
from commands.campaigns.views import (
    campaign_list,
    campaign_view,
    confirm_state_change,
    help_blocks,
    preview_blocks,
    preview_text,
    report_blocks,
    templates_blocks,
)
from commands.shared import ids
from commands.shared.blocks import escape
from commands.shared.context import SlackContext, listener

AreaHandler = Callable[[Services, SlackContext, Command], Awaitable[None]]
"""A subcommand another area answers (it may import this package; this one never imports it)."""


class CampaignCommands:
    def __init__(self, services: Services, areas: dict[str, AreaHandler] | None = None) -> None:
        self.services = services
        self.campaigns = services.campaigns
        self.areas = areas or {}
        """Subcommands answered by other areas (the playbooks' `review`, `guide`), by handler."""

    async def handle(self, ctx: SlackContext) -> None:
        """Route one `/campaign …` to its subcommand."""
        command = parse_command(str(ctx.body.get("text", "")))
        handler = SUBCOMMANDS[command.name].handler
        if handler in self.areas:
            await self.areas[handler](self.services, ctx, command)
            return
        route = getattr(self, handler)
        await route(ctx, command)

    async def help(self, ctx: SlackContext, command: Command) -> None:
        """Help fits the person: managing subcommands only for those who may use them."""
        manager = await self.campaigns.is_security_manager(ctx.user_id) or any(
            campaign.manager == ctx.user_id for campaign in await self.campaigns.list_campaigns()
        )
        await ctx.tell(
            command.note or "Security campaigns: /campaign subcommands",
            help_blocks(command.note, manager=manager),
        )

    async def new(self, ctx: SlackContext, command: Command) -> None:
        await open_create_modal(self.services, ctx, query=command.query, template=command.template)

    async def list_(self, ctx: SlackContext, command: Command) -> None:
        found = await self.campaigns.list_campaigns(
            include_closed=command.list_scope == "all", only_closed=command.list_scope == "closed"
        )
        progresses = await self.campaigns.progress_many(found, repositories=False)
        await ctx.tell(
            f"{len(found)} campaigns", campaign_list(found, progresses, command.list_scope)
        )

    async def show(self, ctx: SlackContext, command: Command) -> None:
        campaign = await self.campaigns.resolve(command.campaign or "")
        if command.group_none:
            page = AlertPage(
                campaign=campaign.number, repository=command.repository, status=command.status
            )
            items, total = await self.campaigns.alerts(
                campaign,
                viewer=ctx.user_id,
                repository=page.repository,
                status=page.status,
                limit=ALERTS_PER_PAGE,
            )
            await ctx.tell(
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
            )
            return
        progress = await self.campaigns.progress(campaign)
        await ctx.tell(
            f"Campaign #{campaign.id} {escape(campaign.name)}",
            campaign_view(
                campaign, progress, manage=await self.campaigns.may_manage(ctx.user_id, campaign)
            ),
        )

    async def edit(self, ctx: SlackContext, command: Command) -> None:
        async def form() -> dict[str, Any]:
            campaign = await self.campaigns.resolve(command.campaign or "")
            await self.campaigns.check_can_edit(ctx.user_id, campaign)
            return edit_modal(campaign)

        await open_form(ctx, "Edit campaign", form)

    async def close(self, ctx: SlackContext, command: Command) -> None:
        campaign = await self.campaigns.resolve(command.campaign or "")
        await self.campaigns.check_can_change_state(ctx.user_id, campaign, closing=True)
        await ctx.tell(
            f"Close campaign #{campaign.id}?", confirm_state_change(campaign, closing=True)
        )

    async def reopen(self, ctx: SlackContext, command: Command) -> None:
        campaign = await self.campaigns.resolve(command.campaign or "")
        await self.campaigns.check_can_change_state(ctx.user_id, campaign, closing=False)
        await ctx.tell(
            f"Reopen campaign #{campaign.id}?", confirm_state_change(campaign, closing=False)
        )

    async def delete(self, ctx: SlackContext, command: Command) -> None:
        async def form() -> dict[str, Any]:
            campaign = await self.campaigns.resolve(command.campaign or "")
            await self.campaigns.check_can_delete(ctx.user_id)
            return delete_modal(campaign, ctx.channel_id)

        await open_form(ctx, "Delete campaign", form)

    async def assign(self, ctx: SlackContext, command: Command) -> None:
        campaign, alert = await self.services.assignments.assign(
            ctx.user_id, command.campaign or "", command.alert or "", command.user or ""
        )
        await ctx.tell(
            f"Assigned {escape(alert.reference)} in #{campaign.id} to <@{command.user}>."
        )

    async def unassign(self, ctx: SlackContext, command: Command) -> None:
        campaign, alert, before = await self.services.assignments.unassign(
            ctx.user_id, command.campaign or "", command.alert or ""
        )
        await ctx.tell(f"{escape(alert.reference)} in #{campaign.id} is no longer <@{before}>'s.")

    async def mine(self, ctx: SlackContext, command: Command) -> None:
        found = await self.services.assignments.mine(ctx.user_id, limit=MINE_CARDS)
        blocks = mine_blocks(found, viewer=ctx.user_id, now=self.campaigns.clock())
        await ctx.tell("Your open alerts", blocks)

    async def notify(self, ctx: SlackContext, command: Command) -> None:
        on = command.note == "on"
        await self.services.assignments.set_notify(ctx.user_id, on)
        await ctx.tell(
            "I'll message you about your alerts again."
            if on
            else "I won't message you on my own any more; `/campaign notify on` undoes it."
        )

    async def link(self, ctx: SlackContext, command: Command) -> None:
        identity = await self.services.assignments.link(
            ctx.user_id, command.user or "", command.login or ""
        )
        await ctx.tell(
            f"Linked <@{identity.slack_user_id}> to GitHub login "
            f"`{escape(identity.github_login or '')}`."
        )

    async def templates(self, ctx: SlackContext, command: Command) -> None:
        await ctx.tell("Campaign templates", templates_blocks())

    async def preview(self, ctx: SlackContext, command: Command) -> None:
        result = await self.campaigns.preview(command.query or "")
        await ctx.tell(preview_text(result), preview_blocks(result))

    async def report(self, ctx: SlackContext, command: Command) -> None:
        campaign = await self.campaigns.resolve(command.campaign or "")
        channel = command.channel or campaign.channel or ctx.channel_id
        if not channel:
            raise CampaignError("Name a channel: `/campaign report CAMPAIGN #channel`.")
        if not await self.campaigns.may_manage(ctx.user_id, campaign):
            # Only the manager or a security manager posts in a channel; others see it privately.
            progress = await self.campaigns.progress(campaign)
            await ctx.tell(
                f"Progress of campaign #{campaign.id}", report_blocks(campaign, progress)
            )
            return
        await self.campaigns.request_report(ctx.user_id, campaign, channel)
        await ctx.tell(f"Posting the progress of #{campaign.id} in <#{channel}>.")


def register(
    app: AsyncApp, services: Services, areas: dict[str, AreaHandler] | None = None
) -> None:
    handle = CampaignCommands(services, areas).handle
    app.command(ids.COMMAND)(listener(handle, services.tasks))
