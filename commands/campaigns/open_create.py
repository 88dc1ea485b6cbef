"""Open the create modal for a query or a template: `/campaign new QUERY` and every button that
starts a campaign from a query (the review's slices) take this one path, so the form, its
permission check and its preview are the same wherever a campaign begins."""

from __future__ import annotations

from datetime import timedelta

from bot.core.errors import CampaignError
from bot.services import Services
from commands.campaigns.modal_views import CreateModalMeta, create_modal
from commands.shared.context import SlackContext

DEFAULT_DUE = timedelta(days=30)


async def open_create_modal(
    services: Services,
    ctx: SlackContext,
    *,
    query: str | None = None,
    template: str | None = None,
) -> None:
    """Check, open the form first (the trigger expires in 3 s), then fill in the preview."""
    campaigns = services.campaigns
    await campaigns.check_can_create(ctx.user_id)
    meta = CreateModalMeta(channel=ctx.channel_id)
    due = services.clock().date() + DEFAULT_DUE
    view = create_modal(meta, query=query, template=template, manager=ctx.user_id, due_default=due)
    opened = await ctx.client.views_open(trigger_id=ctx.trigger_id, view=view)
    shown = view["blocks"][1]["element"].get("initial_value")
    if not shown:
        return
    try:
        preview = await campaigns.preview(shown)
        updated = create_modal(
            meta,
            query=query,
            template=template,
            manager=ctx.user_id,
            preview=preview,
            due_default=due,
        )
    except CampaignError as exc:
        updated = create_modal(
            meta,
            query=query,
            template=template,
            manager=ctx.user_id,
            preview_error=exc.message,
            due_default=due,
        )
    await ctx.client.views_update(
        view_id=opened["view"]["id"], hash=opened["view"]["hash"], view=updated
    )
