"""Forms that need the database before they can show: open a loading modal at once (the trigger
expires in 3 seconds), then fill it, or say in the same modal why it cannot be filled."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from bot.core.errors import CampaignError
from commands.campaigns.modal_views import loading_modal, message_modal
from commands.shared.context import SlackContext


async def open_form(
    ctx: SlackContext, title: str, build: Callable[[], Awaitable[dict[str, Any]]]
) -> None:
    """A refusal is said once, in the modal the person is looking at; never a stuck Loading…"""
    opened = await ctx.client.views_open(trigger_id=ctx.trigger_id, view=loading_modal(title))
    view_id = opened["view"]["id"]
    try:
        form = await build()
    except CampaignError as exc:
        await ctx.client.views_update(view_id=view_id, view=message_modal(title, exc.message))
        return
    await ctx.client.views_update(view_id=view_id, hash=opened["view"]["hash"], view=form)
