"""The create, edit and delete modals: preview in place, field errors on their field."""

from __future__ import annotations

import logging
import uuid
from datetime import date
from typing import Any

from pydantic import ValidationError
from slack_bolt.async_app import AsyncApp

from bot.campaigns.requests import CreateRequest, EditRequest
from bot.campaigns.service import CampaignService
from bot.core import templates
from bot.core.errors import CampaignError
from bot.services import Services
from commands.campaigns.modal_views import CampaignMeta, CreateModalMeta, create_modal
from commands.shared import ids
from commands.shared.blocks import escape
from commands.shared.context import HomeRefresh, SlackContext, listener, no_home_refresh
from commands.shared.state import state_value

log = logging.getLogger(__name__)


def query_state(view: dict[str, Any]) -> tuple[str | None, str | None]:
    """The query box's text and version: its block id changes when a template replaces it."""
    values = view.get("state", {}).get("values", {})
    for block_id in values:
        if block_id == ids.QUERY or block_id.startswith(f"{ids.QUERY}."):
            version = block_id.partition(".")[2] or None
            return state_value(view, block_id), version
    return None, None


def parse_date(value: str | None, field: str) -> date:
    if not value:
        raise CampaignError("Choose a date.", field=field)
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CampaignError(f"“{value}” is not a date.", field=field) from None


def create_request(view: dict[str, Any]) -> CreateRequest:
    query = (query_state(view)[0] or "").strip() or None
    template = state_value(view, ids.TEMPLATE)
    try:
        return CreateRequest(
            name=state_value(view, ids.NAME) or "",
            description=state_value(view, ids.DESCRIPTION) or "",
            due_date=parse_date(state_value(view, ids.DUE_DATE), ids.DUE_DATE),
            manager=state_value(view, ids.MANAGER) or "",
            query=query,
            template=None if query else template,
            channel=state_value(view, ids.CHANNEL),
            contact_link=state_value(view, ids.CONTACT_LINK),
            continue_big="continue" in (state_value(view, ids.BIG_CHOICE) or []),
            request_key=view.get("id"),
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        raise CampaignError(str(first["msg"]), field=str(first["loc"][0])) from None


def edit_request(view: dict[str, Any]) -> EditRequest:
    return EditRequest(
        name=state_value(view, ids.NAME) or "",
        description=state_value(view, ids.DESCRIPTION) or "",
        due_date=parse_date(state_value(view, ids.DUE_DATE), ids.DUE_DATE),
        manager=state_value(view, ids.MANAGER) or "",
        channel=state_value(view, ids.CHANNEL),
        contact_link=state_value(view, ids.CONTACT_LINK),
        **_reminder_fields(view),
    )


def _reminder_fields(view: dict[str, Any]) -> dict[str, Any]:
    """The edit modal's reminder inputs, where the modal has them (older modals do not)."""
    values = view.get("state", {}).get("values", {})
    found: dict[str, Any] = {}
    if ids.REMINDERS in values:
        found["reminders"] = "on" in (state_value(view, ids.REMINDERS) or [])
    if ids.REMINDER_DAYS in values:
        found["reminder_days"] = state_value(view, ids.REMINDER_DAYS)
    if ids.REMINDER_CHANNEL in values:
        found["reminder_channel"] = state_value(view, ids.REMINDER_CHANNEL)
    if ids.NUDGE_SEVERITIES in values:
        found["nudge_severities"] = state_value(view, ids.NUDGE_SEVERITIES)
    if ids.NUDGE_MIN_AGE in values:
        age = str(state_value(view, ids.NUDGE_MIN_AGE) or "").strip()
        if age and not (age.isascii() and age.isdigit()):
            raise CampaignError("Type a whole number of days.", field=ids.NUDGE_MIN_AGE)
        found["nudge_min_age_days"] = int(age) if age else 0
    return found


class Modals:
    def __init__(self, campaigns: CampaignService, refresh_home: HomeRefresh) -> None:
        self.campaigns = campaigns
        self.refresh_home = refresh_home

    async def preview(self, ctx: SlackContext) -> None:
        """The Preview button: update the modal in place, keeping what was typed."""
        view = ctx.view
        meta = CreateModalMeta.model_validate_json(view.get("private_metadata") or "{}")
        typed, version = query_state(view)
        query = (typed or "").strip()
        template = state_value(view, ids.TEMPLATE)
        text = query
        if not text and template:
            chosen = templates.find(template)
            text = chosen.query if chosen else ""
        kwargs: dict[str, Any] = {
            "query": query or None,
            "template": template,
            "query_version": version,
        }
        if not text:
            kwargs["preview_error"] = "Write a filter query or choose a template first."
        else:
            try:
                kwargs["preview"] = await self.campaigns.preview(text)
            except CampaignError as exc:
                kwargs["preview_error"] = exc.message
        await ctx.client.views_update(
            view_id=view["id"], hash=view.get("hash"), view=create_modal(meta, **kwargs)
        )

    async def choose_template(self, ctx: SlackContext) -> None:
        """Choosing a template replaces the query box with its query, and previews it."""
        view = ctx.view
        meta = CreateModalMeta.model_validate_json(view.get("private_metadata") or "{}")
        slug = (ctx.action.get("selected_option") or {}).get("value")
        chosen = templates.find(str(slug)) if slug else None
        if chosen is None:
            return
        kwargs: dict[str, Any] = {
            "query": chosen.query,
            "template": chosen.slug,
            "query_version": uuid.uuid4().hex[:8],
        }
        try:
            kwargs["preview"] = await self.campaigns.preview(chosen.query)
        except CampaignError as exc:
            kwargs["preview_error"] = exc.message
        await ctx.client.views_update(
            view_id=view["id"], hash=view.get("hash"), view=create_modal(meta, **kwargs)
        )

    async def submit_create(self, ctx: SlackContext) -> None:
        """Create, then close the modal; errors go back onto their field."""
        view = ctx.view
        meta = CreateModalMeta.model_validate_json(view.get("private_metadata") or "{}")
        created = await self.campaigns.create(ctx.user_id, create_request(view))
        await ctx.ack()
        if created.replayed:
            return
        campaign = created.campaign
        left = f" {created.left_out} alerts were left out." if created.left_out else ""
        text = (
            f":rocket: Campaign *#{campaign.id} {escape(campaign.name)}* is live with "
            f"{campaign.alert_count} alerts.{left}"
        )
        where = meta.channel or campaign.channel
        if where:
            await ctx.client.chat_postEphemeral(channel=where, user=ctx.user_id, text=text)
        else:  # from the App Home with no channel: the confirmation comes as a DM
            await ctx.client.chat_postMessage(channel=ctx.user_id, text=text)
        await self.refresh_home(ctx.user_id, ctx.client)

    async def submit_edit(self, ctx: SlackContext) -> None:
        """Save the changes; the service tells the channel and refreshes the live card."""
        meta = CampaignMeta.model_validate_json(ctx.view.get("private_metadata") or "{}")
        await self.campaigns.edit(ctx.user_id, str(meta.campaign), edit_request(ctx.view))
        await ctx.ack()
        await self.refresh_home(ctx.user_id, ctx.client)

    async def submit_delete(self, ctx: SlackContext) -> None:
        meta = CampaignMeta.model_validate_json(ctx.view.get("private_metadata") or "{}")
        deleted = await self.campaigns.delete(
            ctx.user_id,
            str(meta.campaign),
            confirm_name=state_value(ctx.view, ids.CONFIRM_NAME) or "",
        )
        await ctx.ack()
        if meta.channel:
            await ctx.client.chat_postEphemeral(
                channel=meta.channel,
                user=ctx.user_id,
                text=f"Deleted campaign #{deleted.id} {escape(deleted.name)}.",
            )
        await self.refresh_home(ctx.user_id, ctx.client)


def register(
    app: AsyncApp, services: Services, refresh_home: HomeRefresh = no_home_refresh
) -> None:
    modals, tasks = Modals(services.campaigns, refresh_home), services.tasks
    app.action(ids.PREVIEW_BUTTON)(listener(modals.preview, tasks))
    app.action(ids.TEMPLATE)(listener(modals.choose_template, tasks))
    app.view(ids.CREATE_MODAL)(listener(modals.submit_create, tasks, ack_first=False))
    app.view(ids.EDIT_MODAL)(listener(modals.submit_edit, tasks, ack_first=False))
    app.view(ids.DELETE_MODAL)(listener(modals.submit_delete, tasks, ack_first=False))
