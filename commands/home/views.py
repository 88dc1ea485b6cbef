"""The App Home tab: a manager's control panel, or a developer's campaigns. Pure: a view out."""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk.models.blocks import Block, ButtonElement
from slack_sdk.models.views import View

from bot.core.models import Campaign, Progress
from commands.campaigns.views import campaign_summary
from commands.shared import ids
from commands.shared.blocks import (
    NAME_SHOWN,
    VIEW_BLOCKS,
    BlockDict,
    actions,
    button,
    confirm,
    context,
    divider,
    header,
    section,
    shorten,
)

BLOCKS_PER_CAMPAIGN = 3  # divider, summary, buttons


def home_view(
    campaigns: Sequence[Campaign], progresses: Sequence[Progress], *, manager: bool
) -> BlockDict:
    """The Home tab: a manager's control panel, or a developer's campaigns."""
    content: list[Block] = [header("Security campaigns")]
    if manager:
        content.append(actions(button("New campaign", ids.OPEN_CREATE, "new", style="primary")))
        content.append(
            context(f"{len(campaigns)} active campaigns. `/campaign help` lists every command.")
        )
    else:
        content.append(context("Active campaigns that touch your repositories."))
    if not campaigns:
        content.append(
            section(
                "Nothing here yet." if manager else "No active campaign touches your repositories."
            )
        )
    pairs = list(zip(campaigns, progresses, strict=True))
    room = (VIEW_BLOCKS - len(content) - 1) // BLOCKS_PER_CAMPAIGN  # one line for the rest
    for campaign, progress in pairs[:room]:
        content.append(divider())
        content.append(section(campaign_summary(campaign, progress, bar_width=16)))
        content.append(actions(*_controls(campaign, manager=manager)))
    if len(pairs) > room:
        content.append(context(f"…and {len(pairs) - room} more. `/campaign list` shows them all."))
    return View(type="home", blocks=content).to_dict()


def _controls(campaign: Campaign, *, manager: bool) -> list[ButtonElement]:
    number = str(campaign.number)
    controls = [button("View", ids.VIEW_CAMPAIGN, number)]
    if not manager:
        return controls
    name = shorten(campaign.name, NAME_SHOWN)  # plain text in the dialog: shortened, not escaped
    return [
        *controls,
        button("Edit", ids.OPEN_EDIT, number),
        button("Post report", ids.POST_REPORT, number),
        button(
            "Close",
            ids.CONFIRM_CLOSE,
            number,
            style="danger",
            confirm=confirm(
                "Close this campaign?",
                f"#{campaign.id} {name} leaves developers' views; you can reopen it later.",
                yes="Close",
                no="Keep it",
            ),
        ),
    ]
