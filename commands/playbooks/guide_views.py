"""Remediation guides in Block Kit: the `/campaign guide` answer, the alert card's **Guide** button
and its modal, and the launch DM's line of guide links.

Pure: values in, blocks out. Guide text comes from files an organization may write, so every
piece of it is escaped like user text (no pings, no disguised links); only the links listed in a
guide become links.
"""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk.models.blocks import Block, ButtonElement
from slack_sdk.models.views import View

from bot.core.models import Alert, AlertKind, AlertStatus, Campaign, CampaignAlert
from bot.playbooks.guides import Guide, GuideBook, builtin_book
from commands.shared import ids
from commands.shared.blocks import (
    BUTTON_VALUE,
    ELLIPSIS,
    NAME_SHOWN,
    REPOSITORY_SHOWN,
    BlockDict,
    button,
    context,
    dicts,
    divider,
    escape,
    header,
    join_lines,
    link,
    plain,
    section,
    shorten,
    user_text,
)

SECTION_LABELS = {
    AlertKind.SECRET: ("Revoke or rotate", "Then update", "Verify"),
    AlertKind.CODE: ("Fix", "Also change", "Verify"),
}
APPLIES_SHOWN = 1500
LINKS_LINE = 1500
TOPIC_SHOWN = 100
EXAMPLES = (
    "`/campaign guide aws`, `/campaign guide github_personal_access_token`, "
    "`/campaign guide CWE-89`"
)


def _distinct(names: Sequence[str]) -> list[str]:
    """`GitHub, github` and `Amazon AWS, amazon_aws` once each: the first spelling."""
    seen: dict[str, str] = {}
    for name in names:
        seen.setdefault(name.lower().replace("_", " "), name)
    return list(seen.values())


def _applies_line(guide: Guide) -> str:
    """What the guide is for, in one context line; whole names give way to `…` when long."""
    names = [
        *(f"`{escape(name)}`" for name in guide.applies_to.secret_types),
        *(escape(name) for name in _distinct(guide.applies_to.providers)),
        *(name.upper() for name in guide.applies_to.cwes),
    ]
    shown: list[str] = []
    for name in names:
        if len(", ".join([*shown, name])) > APPLIES_SHOWN:
            shown.append(ELLIPSIS)
            break
        shown.append(name)
    return f"Applies to: {', '.join(shown)}" if shown else ""


def _steps(label: str, steps: Sequence[str]) -> str:
    return join_lines([f"*{label}*", *(f"{n}. {escape(step)}" for n, step in enumerate(steps, 1))])


def guide_blocks(guide: Guide) -> list[Block]:
    """A guide: title, why it matters, what it applies to, the three kinds of steps, links."""
    first, then, verify = SECTION_LABELS[guide.kind]
    blocks: list[Block] = [header(guide.title), section(escape(guide.summary))]
    applies = _applies_line(guide)
    if applies:
        blocks.append(context(applies))
    blocks.append(section(_steps(first, guide.first_steps)))
    blocks.append(section(_steps(then, guide.update)))
    blocks.append(section(_steps(verify, guide.verify)))
    if guide.links:
        lines = [f"• {link(item.url, item.title)}" for item in guide.links]
        blocks.append(section(join_lines(["*Read more*", *lines])))
    blocks.append(context(f"`{guide.command}` shows this guide again."))
    return blocks


def guide_message(guide: Guide) -> list[BlockDict]:
    """The ephemeral answer to `/campaign guide TYPE`."""
    return dicts(guide_blocks(guide))


def guide_modal(guide: Guide, campaign: Campaign, alert: Alert) -> BlockDict:
    """The **Guide** button's modal: which alert it is for, then the guide."""
    reference = link(alert.html_url, shorten(alert.reference, REPOSITORY_SHOWN + 30))
    about = f"For {reference} in #{campaign.id} {user_text(campaign.name, NAME_SHOWN)}"
    return View(
        type="modal",
        title=plain("Remediation guide"),
        close=plain("Close"),
        blocks=[context(about), divider(), *guide_blocks(guide)],
    ).to_dict()


def unknown_guide_blocks(
    topic: str, guides: Sequence[Guide], suggestions: Sequence[Guide] = ()
) -> list[BlockDict]:
    """No guide by that name: the closest ones, every guide there is, and how to ask."""
    asked = user_text(topic, TOPIC_SHOWN)
    lead = f":grey_question: No remediation guide matches “{asked}”."
    if suggestions:
        lead += " Did you mean " + ", ".join(f"`{escape(g.id)}`" for g in suggestions) + "?"
    blocks: list[Block] = [section(lead)]
    for kind, label in ((AlertKind.SECRET, "Secrets"), (AlertKind.CODE, "Code")):
        lines = [f"• `{escape(g.id)}` — {escape(g.title)}" for g in guides if g.kind is kind]
        if lines:
            blocks.append(section(join_lines([f"*{label}*", *lines])))
    blocks.append(
        context(
            f"Ask by guide name, secret type, provider or CWE: {EXAMPLES}. "
            "`/campaign help` lists every command."
        )
    )
    return dicts(blocks)


def guide_button(
    campaign: Campaign, item: CampaignAlert, book: GuideBook | None = None
) -> ButtonElement | None:
    """**Guide** on an alert card (value `CAMPAIGN:ALERT`, like the other alert buttons); None
    for a closed alert or campaign, a value too long for Slack, or an alert no guide covers."""
    if item.status is AlertStatus.CLOSED or campaign.state.value != "active":
        return None
    value = f"{campaign.number}:{item.alert.reference}"
    if len(value) > BUTTON_VALUE:
        return None
    if (book or builtin_book()).for_alert(item.alert) is None:
        return None
    return button("Guide", ids.GUIDE, value)


def guide_links_line(guides: list[Guide]) -> str:
    """One mrkdwn line for a launch DM: `Guides: *AWS credentials* (`/campaign guide aws`) · …`.
    Empty without guides; whole guides give way to `…` past Slack-friendly length."""
    parts: list[str] = []
    for guide in guides:
        part = f"*{escape(guide.title)}* (`{guide.command}`)"
        if len("Guides: " + " · ".join([*parts, part])) > LINKS_LINE:
            parts.append(ELLIPSIS)
            break
        parts.append(part)
    return f"Guides: {' · '.join(parts)}" if parts else ""
