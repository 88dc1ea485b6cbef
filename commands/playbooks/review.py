"""Slack surface of the review: `/campaign review [secrets | code]` answers privately with the
open alerts and their urgent slices; a slice's **Start a campaign** opens the create modal on
its query, exactly as `/campaign new QUERY` does (the same function)."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.core.errors import CampaignError
from bot.core.models import AlertKind
from bot.playbooks.review import ReviewService
from bot.services import Services
from commands.campaigns.open_create import open_create_modal
from commands.campaigns.parsing import Command
from commands.playbooks.review_views import StartValue, review_blocks, review_text
from commands.shared import ids
from commands.shared.context import DAMAGED, SlackContext, listener

TOPICS = {None: None, "secret": AlertKind.SECRET, "code": AlertKind.CODE}
"""`command.topic` (parsing turns `secrets` into `secret`) → the kind reviewed."""


def register(app: AsyncApp, services: Services) -> None:
    async def start_a_campaign(ctx: SlackContext) -> None:
        await start_campaign(services, ctx)

    app.action(ids.REVIEW_START)(listener(start_a_campaign, services.tasks))


def reviewer(services: Services) -> ReviewService:
    return services.review or ReviewService(services.engine, services.clock)


async def review_command(services: Services, ctx: SlackContext, command: Command) -> None:
    """The review, privately; buttons only for those who may create a campaign right now."""
    review = await reviewer(services).review(TOPICS.get(command.topic))
    refusal = await start_refusal(services, ctx.user_id) if review.open_alerts else None
    await ctx.tell(review_text(review), review_blocks(review, start_refusal=refusal))


async def start_refusal(services: Services, user_id: str) -> str | None:
    """Why `user_id` may not start a campaign now (not a security manager, no room), or None."""
    try:
        await services.campaigns.check_can_create(user_id)
    except CampaignError as exc:
        return exc.message
    return None


async def start_campaign(services: Services, ctx: SlackContext) -> None:
    """**Start a campaign**: the slice's query into the create modal. A value that is not one of
    ours (not JSON of a query, or a query that does not parse) is refused as damaged; the
    permission is checked where every create form opens."""
    start = StartValue.model_validate_json(ctx.action.get("value") or "{}")
    try:
        services.campaigns.parse_query(start.query)
    except CampaignError:
        raise CampaignError(DAMAGED) from None
    await open_create_modal(services, ctx, query=start.query)
