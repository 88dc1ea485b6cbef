"""Block Kit limit checks of the fake Slack: `block_problems` and `view_problems` say why Slack
would refuse a payload; `BlockKitChecks` runs them on message and view methods, keeps every
breach in `fake.violations` and answers the call as Slack would."""

from __future__ import annotations

import json

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from tests.fakes.slack_model import Json, Reject, Violation

MESSAGE_BLOCKS_MAX = 50
VIEW_BLOCKS_MAX = 100
TEXT_MAX = 40_000
HEADER_TEXT_MAX = 150
SECTION_TEXT_MAX = 3000
VIEW_BYTES_MAX = 250_000

MESSAGE_METHODS = frozenset({"chat.postMessage", "chat.update", "chat.postEphemeral"})
VIEW_METHODS = frozenset({"views.open", "views.update", "views.push", "views.publish"})


class BlockKitChecks:
    """FakeSlack's checks of message and view payloads against Slack's limits."""

    violations: list[Violation]

    def _violate(self, method: str, problems: list[str], error: str) -> None:
        if problems:
            self.violations.extend(Violation(method, p) for p in problems)
            raise Reject(error, response_metadata={"messages": [f"[ERROR] {p}" for p in problems]})

    def _validate_message(self, method: str, args: Json) -> None:
        problems = []
        text = args.get("text") or ""
        if len(text) > TEXT_MAX:
            problems.append(f"text is {len(text)} characters; at most {TEXT_MAX}")
        self._violate(method, problems, "msg_too_long")
        blocks = args.get("blocks")
        if blocks is not None:
            blocks_problems = block_problems(blocks, MESSAGE_BLOCKS_MAX)
            self._violate(method, blocks_problems, "invalid_blocks")

    def _validate_view(self, method: str, view: object) -> None:
        if not isinstance(view, dict):
            return  # answered as invalid_arguments by the method itself
        size = len(json.dumps(view))
        if size > VIEW_BYTES_MAX:
            self._violate(
                method, [f"view is {size} bytes; at most {VIEW_BYTES_MAX}"], "view_too_large"
            )
        self._violate(method, view_problems(view), "invalid_arguments")


def _text_of(obj: object) -> str:
    if isinstance(obj, dict):
        return str(obj.get("text", ""))
    return str(obj or "")


def _limit_problems(block: Json, index: int) -> list[str]:
    """Limits checked by hand, so a breach is named even where slack_sdk does not check it."""
    kind = block.get("type")
    text = _text_of(block.get("text"))
    if kind == "header" and len(text) > HEADER_TEXT_MAX:
        return [
            f"blocks[{index}]: header text is {len(text)} characters; at most {HEADER_TEXT_MAX}"
        ]
    if kind == "section" and len(text) > SECTION_TEXT_MAX:
        return [
            f"blocks[{index}]: section text is {len(text)} characters; at most {SECTION_TEXT_MAX}"
        ]
    return []


def _sdk_problems(block: Json, index: int) -> list[str]:
    """Parse with slack_sdk and run its validators (to_dict validates nested objects too)."""
    try:
        parsed = Block.parse(block)
        if parsed is None:
            return [f"blocks[{index}]: unknown block type {block.get('type')!r}"]
        parsed.to_dict()
    except (SlackObjectFormationError, TypeError, ValueError, KeyError, AttributeError) as exc:
        return [f"blocks[{index}]: {exc}"]
    return []


def block_problems(blocks: object, limit: int) -> list[str]:
    """Why Slack would refuse these blocks, as readable sentences (empty when fine)."""
    if not isinstance(blocks, list):
        return ["blocks must be a JSON array"]
    problems = [f"{len(blocks)} blocks; at most {limit}"] if len(blocks) > limit else []
    for index, block in enumerate(blocks):
        if not isinstance(block, dict):
            problems.append(f"blocks[{index}] is not an object")
            continue
        problems += _limit_problems(block, index) or _sdk_problems(block, index)
    return problems


def view_problems(view: Json) -> list[str]:
    """Why Slack would refuse this view: its own limits, then each block's."""
    problems: list[str] = []
    blocks = view.get("blocks", [])
    if view.get("type") == "modal":
        if not view.get("title"):
            problems.append("a modal needs a title")
        has_input = isinstance(blocks, list) and any(
            isinstance(b, dict) and b.get("type") == "input" for b in blocks
        )
        if has_input and not view.get("submit"):
            problems.append("a modal with input blocks needs a submit button")
    try:
        # View checks title/submit/close (24), private_metadata (3000), callback_id (255);
        # blocks are checked one by one below, a stand-in keeps View's own count check quiet.
        View(**{**view, "blocks": [{"type": "divider"}]}).to_dict()
    except (SlackObjectFormationError, TypeError, ValueError) as exc:
        problems.append(f"view: {exc}")
    return problems + block_problems(blocks, VIEW_BLOCKS_MAX)
