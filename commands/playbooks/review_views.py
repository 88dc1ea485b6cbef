"""How the review reads in Slack: the open alerts, then each kind's groups of slices, each slice
with its count, its query and, for those who may create campaigns, **Start a campaign**.

Pure: a `Review` in, block dicts out. Slice titles come from the data (secret type names,
repository names), so they are escaped like user text. A review of both kinds shows fewer of
each ranking so that the message stays within Slack's 50 blocks.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field
from slack_sdk.models.blocks import Block

from bot.core.models import AlertKind
from bot.core.query.parser import MAX_QUERY_CHARACTERS
from bot.core.text import counted
from bot.playbooks.review import Review, Section, Slice
from commands.shared import ids
from commands.shared.blocks import (
    BUTTON_VALUE,
    ELLIPSIS,
    MESSAGE_BLOCKS,
    NAME_SHOWN,
    QUERY_SHOWN,
    BlockDict,
    button,
    context,
    dicts,
    divider,
    encode,
    error_text,
    header,
    section,
    user_text,
)

START_LABEL = "Start a campaign"
RANKED_SHOWN_BOTH = 3
"""Of each ranking (top providers, types, CWEs…), how many a review of both kinds shows."""
NOTE_SHOWN = 300

KIND_NAMES = {AlertKind.SECRET: "secret", AlertKind.CODE: "code"}
SECTION_TITLES = {AlertKind.SECRET: "Secret scanning", AlertKind.CODE: "Code scanning"}


class StartValue(BaseModel):
    """The value of a slice's **Start a campaign** button: the slice's query."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    query: str = Field(min_length=1, max_length=MAX_QUERY_CHARACTERS)


def _open_alerts(count: int, kind: AlertKind | None) -> str:
    word = f"open {KIND_NAMES[kind]} alert" if kind is not None else "open alert"
    return counted(count, word)


def review_text(review: Review) -> str:
    """The message's text (notifications, screen readers): the headline alone."""
    if not review.open_alerts:
        return f"No {_open_alerts(0, review.kind).removeprefix('0 ')} to review."
    repositories = counted(review.repositories, "repository", "repositories")
    return f"Review: {_open_alerts(review.open_alerts, review.kind)} in {repositories}"


def review_blocks(review: Review, *, start_refusal: str | None = None) -> list[BlockDict]:
    """The review. `start_refusal`: why this person may not start a campaign (then no button
    is shown and the reason closes the message); None gives every non-empty slice its button."""
    kind_name = f" {KIND_NAMES[review.kind]}" if review.kind is not None else ""
    if not review.open_alerts:
        return dicts(
            [
                section(
                    f"No open{kind_name} alerts: nothing to review. Alerts arrive with a GitHub "
                    "sync or `campaignbot import`."
                )
            ]
        )
    both = review.kind is None
    blocks: list[Block] = [
        header(f"Review of the open{kind_name} alerts"),
        section(f"*{review_text(review).removeprefix('Review: ')}*."),
    ]
    ranked_shown = RANKED_SHOWN_BOTH if both else None
    for part in review.sections:
        blocks += _section(part, start=start_refusal is None, ranked_shown=ranked_shown)
    footer = []
    if start_refusal is not None:
        footer.append(f":lock: {error_text(start_refusal)} `/campaign preview QUERY` shows more.")
    if both:
        footer.append("`/campaign review secrets` or `/campaign review code` shows more of each.")
    tail = [context(*footer)] if footer else []
    room = MESSAGE_BLOCKS - len(tail)
    if len(blocks) > room:
        blocks = [*blocks[: room - 1], context(f"{ELLIPSIS} more than fits in one message.")]
    return dicts([*blocks, *tail])


def _section(part: Section, *, start: bool, ranked_shown: int | None) -> list[Block]:
    kind_name = KIND_NAMES[part.kind]
    repositories = counted(part.repositories, "repository", "repositories")
    blocks: list[Block] = [divider(), header(SECTION_TITLES[part.kind])]
    if not part.open_alerts:
        blocks.append(context(f"No open {kind_name} alerts."))
        return blocks
    summary = f"*{_open_alerts(part.open_alerts, part.kind)}* in {repositories}"
    lines = [f"{summary} · `{user_text(part.query, QUERY_SHOWN)}`"]
    if part.note:
        lines.append(user_text(part.note, NOTE_SHOWN))
    blocks.append(context(*lines))
    for group in part.groups:
        shown = group.slices[:ranked_shown] if group.ranked and ranked_shown else group.slices
        blocks.append(section(f"*{user_text(group.title, NAME_SHOWN)}*"))
        blocks += [_slice(each, start=start) for each in shown]
    return blocks


def _slice(each: Slice, *, start: bool) -> Block:
    """One slice: title and count, its query, its note; the button when there is something to
    start and the query fits a button's value."""
    size = counted(each.count, "alert") if each.count else "none"
    lines = [f"*{user_text(each.title, NAME_SHOWN)}* — {size}"]
    lines.append(f"`{user_text(each.query, QUERY_SHOWN)}`")
    if each.note:
        lines.append(f"_{user_text(each.note, NOTE_SHOWN)}_")
    value = encode(StartValue(query=each.query))
    accessory = None
    if start and each.count and len(value) <= BUTTON_VALUE:
        accessory = button(START_LABEL, ids.REVIEW_START, value)
    return section("\n".join(lines), accessory=accessory)
