"""A campaign's alerts as pages of a message: one section per alert, previous / next buttons.

Pure: values in, block dicts out.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from pydantic import BaseModel, Field
from slack_sdk.models.blocks import ActionsBlock, Block, ButtonElement, CheckboxesElement, Option

from bot.core.models import AlertKind, AlertStatus, Campaign, CampaignAlert, CampaignState
from bot.core.playbooks import CHECKLIST
from commands.shared import ids
from commands.shared.blocks import (
    BUTTON_VALUE,
    MESSAGE_BLOCKS,
    NAME_SHOWN,
    REPOSITORY_SHOWN,
    BlockDict,
    actions,
    button,
    confirm,
    context,
    dicts,
    divider,
    link,
    mention,
    section,
    shorten,
    user_text,
)

ALERTS_PER_PAGE = 10
MINE_CARDS = (MESSAGE_BLOCKS - 1) // 3
"""The most alert cards `mine_blocks` can show: a card of an open alert in an active campaign
has at least three blocks (text, facts, buttons), so no more are worth reading."""
BLOCK_ID = 255

ALERT_STATUS_LABEL = {
    AlertStatus.IN_PROGRESS: ":hammer_and_wrench: in progress",
    AlertStatus.OPEN: ":o: open",
    AlertStatus.CLOSED: ":white_check_mark: closed",
}


class AlertPage(BaseModel):
    """Which page of which alerts a button shows; round-trips through the button value.

    Kept small on purpose: a campaign number, a repository name (GitHub allows at most 140
    characters), a status and an offset — never the alerts themselves.
    """

    campaign: int = Field(ge=1)
    repository: str | None = None
    status: AlertStatus | None = None
    offset: int = Field(default=0, ge=0, le=1_000_000)

    def button_value(self) -> str | None:
        """Compact JSON for a button, or None when it would not fit Slack's 2000 characters.

        Only a repository name far longer than GitHub allows can make it not fit; a view then
        leaves that button out rather than send a value Slack refuses or that no longer parses.
        """
        value = self.model_dump_json(exclude_defaults=True)
        return value if len(value) <= BUTTON_VALUE else None


def alert_line(item: CampaignAlert) -> str:
    """One alert in mrkdwn: status, title, severity or validity, link, path and assignee."""
    alert = item.alert
    title = user_text(alert.title, 200)
    reference = link(alert.html_url, shorten(alert.reference, REPOSITORY_SHOWN + 30))
    detail = (
        alert.security_severity or alert.severity or ""
        if alert.kind is AlertKind.CODE
        else alert.validity or ""
    )
    where = f" · `{user_text(alert.path, 300)}`" if alert.path else ""
    who = f" · {mention(item.assignee)}" if item.assignee else ""
    fix = ""
    if item.fix is not None:
        label = "PR" if item.fix.kind == "pull_request" else "branch"
        fix = f" · {label} {link(item.fix.url, shorten(item.fix.ref, 100))}"
    return (
        f"{ALERT_STATUS_LABEL[item.status]} *{title}* {user_text(detail, 40)}\n"
        f"{reference}{where}{who}{fix}"
    )


def alert_age(item: CampaignAlert, now: datetime | None) -> str:
    if now is None:
        return ""
    days = max(0, (now - item.alert.created_at).days)
    return "opened today" if days == 0 else f"open {days} day{'s' if days != 1 else ''}"


def card_buttons(
    campaign: Campaign, item: CampaignAlert, viewer: str | None, *, can_manage: bool = False
) -> list[ButtonElement]:
    """What the viewer can do with this alert: **Assign to me** on one nobody has, **Start fix**
    and **Link PR** on one that is theirs (or nobody's: starting claims it), **Unassign** on
    theirs, and for managers **Assign…** and **Unassign** on anyone's."""
    if viewer is None or item.status is AlertStatus.CLOSED or campaign.state.value != "active":
        return []
    value = f"{campaign.number}:{item.alert.reference}"
    if len(value) > BUTTON_VALUE:
        return []
    mine, free = item.assignee == viewer, item.assignee is None
    found: list[ButtonElement] = []
    if free:
        found.append(button("Assign to me", ids.ASSIGN_TO_ME, value, style="primary"))
    if can_manage:
        found.append(button("Assign…", ids.ASSIGN_OTHER, value))
    if (mine or free or can_manage) and item.fix is None:
        found.append(button("Start fix", ids.START_FIX, value))
    if (mine or free or can_manage) and (item.fix is None or item.fix.kind != "pull_request"):
        found.append(button("Link PR", ids.LINK_PR, value))
    if mine or (can_manage and not free):
        found.append(button("Unassign", ids.UNASSIGN, value))
    if item.exception is None and (mine or free or can_manage):
        found.append(button("Request exception", ids.REQUEST_EXCEPTION, value))
    found.append(button("Guide", ids.GUIDE, value))
    escalate = escalate_button(campaign, item)
    if escalate is not None:
        found.append(escalate)
    return found


def claim_button(
    campaign: Campaign, item: CampaignAlert, viewer: str | None
) -> ButtonElement | None:
    """The one-click button of a compact alert line (the first of `card_buttons`)."""
    found = card_buttons(campaign, item, viewer)
    return found[0] if found else None


def alert_card(
    campaign: Campaign,
    item: CampaignAlert,
    viewer: str | None,
    *,
    can_manage: bool = False,
    now: datetime | None = None,
) -> list[Block]:
    """An alert as a card: what and where it is, how long it is open, who has it, the branch
    or pull request working on it, and the buttons the viewer may use."""
    line = alert_line(item)
    age = alert_age(item, now)
    facts = [f"#{campaign.id} {user_text(campaign.name, NAME_SHOWN)}"]
    if age:
        facts.append(age)
    if item.alert.start_line is not None and item.alert.path:
        line = line.replace(
            f"`{user_text(item.alert.path, 300)}`",
            f"`{user_text(item.alert.path, 300)}:{item.alert.start_line}`",
            1,
        )
    facts += playbook_facts(item)
    card: list[Block] = [section(line), context(" · ".join(facts))]
    found = card_buttons(campaign, item, viewer, can_manage=can_manage)
    if found:
        card.append(actions(*found))
    steps = checklist_block(campaign, item, viewer)
    if steps is not None:
        card.append(steps)
    return card


def playbook_facts(item: CampaignAlert) -> list[str]:
    """A secret's checklist progress and an exception asked for or granted, in the card's facts."""
    facts = []
    if item.alert.kind is AlertKind.SECRET and item.status is not AlertStatus.CLOSED:
        done = sum(1 for step, _ in CHECKLIST if step.value in item.checklist)
        facts.append(f"checklist {done}/{len(CHECKLIST)}")
    if item.exception == "pending":
        facts.append(":hourglass: exception asked for")
    elif item.exception == "approved" and item.exception_until is not None:
        facts.append(f"exception until {item.exception_until.isoformat()}")
    return facts


def checklist_block(campaign: Campaign, item: CampaignAlert, viewer: str | None) -> Block | None:
    """The assignee's checkboxes on an open secret alert; ticking the last step opens the form
    that resolves the alert on GitHub. The block id says which alert it is."""
    if (
        viewer is None
        or item.assignee != viewer
        or item.alert.kind is not AlertKind.SECRET
        or item.status is AlertStatus.CLOSED
        or campaign.state.value != "active"
    ):
        return None
    block_id = f"{ids.CHECKLIST}:{campaign.number}:{item.alert.reference}"
    if len(block_id) > BLOCK_ID:
        return None
    options = [Option(value=step.value, text=label) for step, label in CHECKLIST]
    ticked = [option for option in options if option.value in item.checklist]
    return ActionsBlock(
        block_id=block_id,
        elements=[
            CheckboxesElement(
                action_id=ids.CHECKLIST, options=options, initial_options=ticked or None
            )
        ],
    )


def alert_list(
    campaign: Campaign,
    items: Sequence[CampaignAlert],
    total: int,
    page: AlertPage,
    *,
    viewer: str | None = None,
    can_manage: bool = False,
    now: datetime | None = None,
) -> list[BlockDict]:
    """A page of alerts, in progress first, with previous / next buttons; with a `viewer`, each
    alert is a card with the buttons that fit them."""
    items = items[:ALERTS_PER_PAGE]
    scope = [f"#{campaign.id} {user_text(campaign.name, NAME_SHOWN)}"]
    if page.repository:
        scope.append(f"repo:{user_text(page.repository, REPOSITORY_SHOWN)}")
    if page.status:
        scope.append(f"status:{page.status.value.replace('_', '-')}")
    shown_to = min(page.offset + len(items), total)
    blocks = [
        section(f"*Alerts* — {' · '.join(scope)}"),
        context(f"{page.offset + 1 if total else 0}–{shown_to} of {total}"),
    ]
    if not items:
        blocks.append(section("No alerts match."))
    for item in items:
        blocks += alert_card(campaign, item, viewer, can_manage=can_manage, now=now)
    nav = []
    if page.offset > 0:
        previous = page.model_copy(update={"offset": max(0, page.offset - ALERTS_PER_PAGE)})
        value = previous.button_value()
        if value is not None:
            nav.append(button("◀ Previous", ids.ALERT_PAGE + ":prev", value))
    if shown_to < total:
        following = page.model_copy(update={"offset": page.offset + ALERTS_PER_PAGE})
        value = following.button_value()
        if value is not None:
            nav.append(button("Next ▶", ids.ALERT_PAGE + ":next", value))
    nav.append(button("Back to campaign", ids.VIEW_CAMPAIGN, str(campaign.number)))
    blocks.append(actions(*nav))
    return dicts(blocks)


def mine_blocks(
    found: Sequence[tuple[Campaign, Sequence[CampaignAlert]]],
    viewer: str | None = None,
    *,
    now: datetime | None = None,
) -> list[BlockDict]:
    """`/campaign mine`: each active campaign with the person's open alerts, in progress first."""
    if not found:
        return dicts([section("You have no open alerts in active campaigns.")])
    room = MESSAGE_BLOCKS - 1
    blocks: list[Block] = []
    for campaign, items in found:
        blocks.append(
            section(
                f"*#{campaign.id} {user_text(campaign.name, NAME_SHOWN)}* · due "
                f"{campaign.due_date.isoformat()}"
            )
        )
        for item in items[:ALERTS_PER_PAGE]:
            if len(blocks) >= room:
                break  # what is cut would never be shown: it is not built
            blocks += alert_card(campaign, item, viewer, now=now)
        blocks.append(divider())
        if len(blocks) >= room:
            break
    return dicts(blocks[:room])


def workable_blocks(
    campaign: Campaign,
    items: Sequence[CampaignAlert],
    total: int,
    viewer: str,
    *,
    now: datetime | None = None,
) -> list[BlockDict]:
    """**My alerts**: what the person can work on in one campaign, as cards."""
    name = user_text(campaign.name, NAME_SHOWN)
    if not items:
        return dicts(
            [
                section(
                    f"Nothing waits for you in *#{campaign.id} {name}*: no alert is yours, and "
                    "none in your repositories is free. `/campaign mine` lists all of yours."
                )
            ]
        )
    blocks: list[Block] = [
        section(f"*#{campaign.id} {name}* · due {campaign.due_date.isoformat()}"),
        context(f"{min(len(items), total)} of {total} · in progress first"),
    ]
    for item in items[:ALERTS_PER_PAGE]:
        blocks += alert_card(campaign, item, viewer, now=now)
    return dicts(blocks[:MESSAGE_BLOCKS])


def escalate_button(campaign: Campaign, item: CampaignAlert) -> ButtonElement | None:
    """**Escalate** on an open alert of an active campaign (None otherwise); the service decides
    who may press it and that it escalates once."""
    if campaign.state is not CampaignState.ACTIVE or item.status is AlertStatus.CLOSED:
        return None
    value = f"{campaign.number}:{item.alert.reference}"
    if len(value) > BUTTON_VALUE:
        return None
    return button(
        "Escalate",
        ids.ESCALATE,
        value,
        style="danger",
        confirm=confirm(
            "Escalate this alert?",
            shorten(
                f"{item.alert.reference} goes to the campaign's manager and the experts for "
                "it, once.",
                300,
            ),
            yes="Escalate",
            no="Cancel",
        ),
    )
