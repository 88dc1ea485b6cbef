"""`/campaign` and its subcommands: parse, check, call the service, answer (ephemeral)."""

from __future__ import annotations

from datetime import timedelta

from slack_bolt.async_app import AsyncApp

from bot.core.errors import CampaignError, PermissionDenied
from bot.core.tasks import TaskTracker
from bot.notify import Announcer
from bot.services import Services
from commands import blocks
from commands.blocks import AlertPage, CreateModalMeta
from commands.campaigns.parsing import Command, parse_command
from commands.shared import ids
from commands.shared.context import SlackContext, listener

DEFAULT_DUE = timedelta(days=30)


class CampaignCommands:
    def __init__(self, services: Services, announcer: Announcer) -> None:
        self.services = services
        self.campaigns = services.campaigns
        self.announcer = announcer

    async def handle(self, ctx: SlackContext) -> None:
        """Route one `/campaign …` to its subcommand."""
        command = parse_command(str(ctx.body.get("text", "")))
        route = {
            "help": self.help,
            "new": self.new,
            "list": self.list_,
            "show": self.show,
            "edit": self.edit,
            "close": self.close,
            "reopen": self.reopen,
            "delete": self.delete,
            "templates": self.templates,
            "preview": self.preview,
            "report": self.report,
        }[command.name]
        await route(ctx, command)

    async def help(self, ctx: SlackContext, command: Command) -> None:
        await ctx.tell(
            command.note or "Security campaigns: /campaign subcommands",
            blocks.help_blocks(command.note),
        )

    async def new(self, ctx: SlackContext, command: Command) -> None:
        """Open the form first (the trigger expires in 3 s), then fill in the preview."""
        if not await self.campaigns.directory.is_security_manager(ctx.user_id):
            raise PermissionDenied("Only security managers can create campaigns.")
        meta = CreateModalMeta(channel=ctx.channel_id)
        due = self.services.clock().date() + DEFAULT_DUE
        view = blocks.create_modal(
            meta,
            query=command.query,
            template=command.template,
            manager=ctx.user_id,
            due_default=due,
        )
        opened = await ctx.client.views_open(trigger_id=ctx.trigger_id, view=view)
        query = view["blocks"][1]["element"].get("initial_value")
        if not query:
            return
        try:
            preview = await self.campaigns.preview(query)
            updated = blocks.create_modal(
                meta,
                query=command.query,
                template=command.template,
                manager=ctx.user_id,
                preview=preview,
                due_default=due,
            )
        except CampaignError as exc:
            updated = blocks.create_modal(
                meta,
                query=command.query,
                template=command.template,
                manager=ctx.user_id,
                preview_error=exc.message,
                due_default=due,
            )
        await ctx.client.views_update(
            view_id=opened["view"]["id"], hash=opened["view"]["hash"], view=updated
        )

    async def list_(self, ctx: SlackContext, command: Command) -> None:
        found = await self.campaigns.list_campaigns(
            include_closed=command.list_scope == "all", only_closed=command.list_scope == "closed"
        )
        progresses = await self.campaigns.progress_many(found)
        await ctx.tell(
            f"{len(found)} campaigns", blocks.campaign_list(found, progresses, command.list_scope)
        )

    async def show(self, ctx: SlackContext, command: Command) -> None:
        campaign = await self.campaigns.resolve(command.campaign or "")
        if command.group_none:
            page = AlertPage(
                campaign=campaign.number, repository=command.repository, status=command.status
            )
            items, total = await self.campaigns.alerts(
                campaign,
                repository=page.repository,
                status=page.status,
                limit=blocks.ALERTS_PER_PAGE,
            )
            await ctx.tell(
                f"Alerts of campaign #{campaign.id}",
                blocks.alert_list(campaign, items, total, page),
            )
            return
        progress = await self.campaigns.progress(campaign)
        await ctx.tell(
            f"Campaign #{campaign.id} {campaign.name}", blocks.campaign_view(campaign, progress)
        )

    async def edit(self, ctx: SlackContext, command: Command) -> None:
        """Open a loading modal at once, then fill it with the campaign (open first, update)."""
        opened = await ctx.client.views_open(
            trigger_id=ctx.trigger_id, view=blocks.loading_modal("Edit campaign")
        )
        campaign = await self.campaigns.resolve(command.campaign or "")
        try:
            await self.campaigns.check_can_edit(ctx.user_id, campaign)
        except CampaignError:
            await ctx.client.views_update(
                view_id=opened["view"]["id"],
                view=_message_modal("Edit campaign", f"You can't edit campaign #{campaign.id}."),
            )
            raise
        await ctx.client.views_update(
            view_id=opened["view"]["id"],
            hash=opened["view"]["hash"],
            view=blocks.edit_modal(campaign),
        )

    async def close(self, ctx: SlackContext, command: Command) -> None:
        campaign = await self.campaigns.resolve(command.campaign or "")
        await self.campaigns.check_can_change_state(ctx.user_id, campaign, closing=True)
        await ctx.tell(
            f"Close campaign #{campaign.id}?", blocks.confirm_state_change(campaign, closing=True)
        )

    async def reopen(self, ctx: SlackContext, command: Command) -> None:
        campaign = await self.campaigns.resolve(command.campaign or "")
        await self.campaigns.check_can_change_state(ctx.user_id, campaign, closing=False)
        await ctx.tell(
            f"Reopen campaign #{campaign.id}?", blocks.confirm_state_change(campaign, closing=False)
        )

    async def delete(self, ctx: SlackContext, command: Command) -> None:
        opened = await ctx.client.views_open(
            trigger_id=ctx.trigger_id, view=blocks.loading_modal("Delete campaign")
        )
        campaign = await self.campaigns.resolve(command.campaign or "")
        if not await self.campaigns.directory.is_security_manager(ctx.user_id):
            await ctx.client.views_update(
                view_id=opened["view"]["id"],
                view=_message_modal("Delete campaign", "Only security managers can delete."),
            )
            raise PermissionDenied("Only security managers can delete campaigns.")
        await ctx.client.views_update(
            view_id=opened["view"]["id"],
            hash=opened["view"]["hash"],
            view=blocks.delete_modal(campaign, ctx.channel_id),
        )

    async def templates(self, ctx: SlackContext, command: Command) -> None:
        await ctx.tell("Campaign templates", blocks.templates_blocks())

    async def preview(self, ctx: SlackContext, command: Command) -> None:
        result = await self.campaigns.preview(command.query or "")
        await ctx.tell(blocks.preview_text(result), blocks.preview_blocks(result))

    async def report(self, ctx: SlackContext, command: Command) -> None:
        campaign = await self.campaigns.resolve(command.campaign or "")
        channel = command.channel or campaign.channel or ctx.channel_id
        if not channel:
            raise CampaignError("Name a channel: `/campaign report CAMPAIGN #channel`.")
        await self.announcer.report(campaign, channel)
        await ctx.tell(f"Posted the progress of #{campaign.id} in <#{channel}>.")


def _message_modal(title: str, text: str) -> dict[str, object]:
    return {
        "type": "modal",
        "callback_id": ids.LOADING_MODAL,
        "title": blocks.plain(title, 24),
        "close": blocks.plain("Close", 24),
        "blocks": [blocks.section(f":warning: {text}")],
    }


def register(app: AsyncApp, tasks: TaskTracker, commands: CampaignCommands) -> None:
    app.command(ids.COMMAND)(listener(commands.handle, tasks))
