"""The App Home tab: a manager's control panel, or a developer's campaigns. Pure: a view out."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from slack_sdk.models.blocks import Block, ButtonElement
from slack_sdk.models.views import View

from bot.core.models import Campaign, CampaignAlert, Progress
from commands.alerts.views import alert_card
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


HOME_ALERTS = 8
"""Alert cards on the Home tab (three blocks each); `/campaign mine` lists every one."""


def my_alert_blocks(
    mine: Sequence[tuple[Campaign, Sequence[CampaignAlert]]], viewer: str, now: datetime | None
) -> list[Block]:
    """The person's open alerts across active campaigns, in progress first, as cards."""
    cards = [(campaign, item) for campaign, items in mine for item in items]
    if not cards:
        return []
    blocks: list[Block] = [header("Your alerts")]
    for campaign, item in cards[:HOME_ALERTS]:
        blocks += alert_card(campaign, item, viewer, now=now)
    if len(cards) > HOME_ALERTS:
        blocks.append(context(f"…and {len(cards) - HOME_ALERTS} more: `/campaign mine`."))
    return blocks


def home_view(
    campaigns: Sequence[Campaign],
    progresses: Sequence[Progress],
    *,
    manager: bool,
    viewer: str | None = None,
    mine: Sequence[tuple[Campaign, Sequence[CampaignAlert]]] = (),
    now: datetime | None = None,
) -> BlockDict:
    """The Home tab: the person's own alerts, then a manager's control panel or the campaigns
    touching the developer's repositories."""
    content: list[Block] = []
    if viewer is not None:
        content += my_alert_blocks(mine, viewer, now)
    content.append(header("Security campaigns"))
    if manager:
        content.append(actions(button("New campaign", ids.OPEN_CREATE, "new", style="primary")))
        content.append(
            context(f"{len(campaigns)} active campaigns. `/campaign help` lists every command.")
        )
    else:
        content.append(
            context("Active campaigns in repositories you can write to, or with your alerts.")
        )
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
        return [*controls, button("My alerts", ids.MY_ALERTS, number)]
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
