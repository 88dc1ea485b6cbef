"""Block Kit primitives on slack_sdk's models, shared by every view module.

Views build slack_sdk model objects and turn them into dicts with `to_dict()`, which runs
slack_sdk's validators: a breach of Slack's limits fails loudly where it is built instead of
being cut into something Slack refuses (or worse, half a JSON value). User text that may be
longer than a limit is shortened with an ellipsis *before* it goes into a model (`shorten`,
`user_text`), and whole lines are dropped rather than cut (`join_lines`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from pydantic import BaseModel
from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ConfirmObject,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)
from slack_sdk.models.blocks.block_elements import BlockElement, InteractiveElement

BlockDict = dict[str, Any]
"""A Block Kit block (or view) as the Web API takes it: the listeners pass these on."""

# Slack's limits (https://docs.slack.dev/reference/block-kit/blocks).
MESSAGE_BLOCKS = 50
VIEW_BLOCKS = 100
SECTION_TEXT = 3000
HEADER_TEXT = 150
BUTTON_TEXT = 75
BUTTON_VALUE = 2000
CONTEXT_ELEMENTS = 10
ACTIONS_ELEMENTS = 25
OPTION_TEXT = 75
OPTION_VALUE = 150
VIEW_TITLE = 24
PRIVATE_METADATA = 3000

# How much of a piece of user text is shown where it shares a block with other text.
NAME_SHOWN = 100
REPOSITORY_SHOWN = 200
QUERY_SHOWN = 1000

ELLIPSIS = "…"
_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}


def escape(text: str) -> str:
    """Slack's mrkdwn needs &, < and > escaped in user-supplied text (no pings, no fake links)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


SERVICE_MENTION = re.compile(r"&lt;([@#])([UWCG][A-Z0-9]{2,20})&gt;")
FIELD_MENTION = re.compile(r"<@[UW][A-Z0-9]{2,20}>")


def error_text(message: str) -> str:
    """A domain message for mrkdwn: all of it escaped (it may quote user text such as a name or
    a query), then only the user and channel mentions the service wrote are made live again.
    Answers are ephemeral, so even a mention a user typed pings nobody."""
    return SERVICE_MENTION.sub(r"<\1\2>", escape(message))


def field_error_text(message: str) -> str:
    """A domain message for a modal field error, which Slack shows as plain text."""
    return FIELD_MENTION.sub("this person", message)


def shorten(text: str, limit: int) -> str:
    """`text` if it fits in `limit` characters, else its start and an ellipsis (for plain text)."""
    if limit < 1:
        raise ValueError("limit must be positive")
    if len(text) <= limit:
        return text
    return text[: limit - 1].rstrip() + ELLIPSIS


def user_text(text: str, limit: int) -> str:
    """User text for mrkdwn: escaped, then shortened so the result has at most `limit` characters.

    Shortening counts escaped characters and never splits an entity such as `&amp;`.
    """
    escaped = escape(text)
    if len(escaped) <= limit:
        return escaped
    pieces: list[str] = []
    size = 0
    for char in text:
        piece = _ENTITIES.get(char, char)
        if size + len(piece) > limit - 1:
            break
        pieces.append(piece)
        size += len(piece)
    return "".join(pieces).rstrip() + ELLIPSIS


def join_lines(lines: Sequence[str], limit: int = SECTION_TEXT) -> str:
    """Lines joined by newlines; when they do not fit, the last whole lines give way to `…`."""
    text = "\n".join(lines)
    if len(text) <= limit:
        return text
    kept: list[str] = []
    size = len(ELLIPSIS)
    for line in lines:
        if size + len(line) + 1 > limit:
            break
        kept.append(line)
        size += len(line) + 1
    return "\n".join([*kept, ELLIPSIS])


def mention(user_id: str) -> str:
    """`<@U123>`; an id is never user text, but it is escaped so a bad one cannot inject."""
    return f"<@{escape(user_id)}>"


def channel_mention(channel_id: str) -> str:
    return f"<#{escape(channel_id)}>"


def link(url: str | None, label: str, *, url_limit: int = 1000) -> str:
    """A mrkdwn link `<url|label>` to an escaped label; just the label when there is no usable URL.

    `label` is plain text (it is escaped here). A URL longer than `url_limit` is not linked.
    """
    shown = escape(label)
    if not url or len(url) > url_limit:
        return shown
    return f"<{escape(url).replace('|', '%7C')}|{shown}>"


def encode(model: BaseModel) -> str:
    """Compact JSON of a small pydantic model, for private_metadata and button values."""
    return model.model_dump_json(exclude_defaults=True)


# -- slack_sdk model objects --------------------------------------------------------------------


def plain(text: str) -> PlainTextObject:
    return PlainTextObject(text=text, emoji=True)


def mrkdwn(text: str) -> MarkdownTextObject:
    return MarkdownTextObject(text=text)


def section(
    text: str, *, accessory: BlockElement | None = None, block_id: str | None = None
) -> SectionBlock:
    return SectionBlock(text=mrkdwn(text), accessory=accessory, block_id=block_id)


def header(text: str) -> HeaderBlock:
    """A header; plain text, so nothing in it pings or links. Shortened to Slack's 150."""
    return HeaderBlock(text=plain(shorten(text, HEADER_TEXT)))


def context(*texts: str) -> ContextBlock:
    return ContextBlock(elements=[mrkdwn(text) for text in texts])


def divider() -> DividerBlock:
    return DividerBlock()


def button(
    text: str,
    action_id: str,
    value: str,
    *,
    style: str | None = None,
    confirm: ConfirmObject | None = None,
) -> ButtonElement:
    return ButtonElement(
        text=plain(text), action_id=action_id, value=value, style=style, confirm=confirm
    )


def actions(*elements: InteractiveElement, block_id: str | None = None) -> ActionsBlock:
    return ActionsBlock(elements=list(elements), block_id=block_id)


def confirm(title: str, text: str, *, yes: str, no: str) -> ConfirmObject:
    return ConfirmObject(title=plain(title), text=plain(text), confirm=plain(yes), deny=plain(no))


def dicts(blocks: Iterable[Block]) -> list[BlockDict]:
    """The blocks as the Web API takes them; `to_dict` runs slack_sdk's validators."""
    return [block.to_dict() for block in blocks]
