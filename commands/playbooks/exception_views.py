"""Exceptions in Slack: the request form, and the DMs about a request (to the manager, with
**Approve** / **Reject**; to the requester; the expiry warnings). Pure: values in, blocks out."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from slack_sdk.models.blocks import (
    Block,
    DatePickerElement,
    InputBlock,
    Option,
    PlainTextInputElement,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from bot.core.models import Campaign
from bot.core.notices import Notice
from bot.core.playbooks import REASON_LABELS, ExceptionReason
from commands.alerts.modal_views import AlertMeta
from commands.shared import ids
from commands.shared.blocks import (
    NAME_SHOWN,
    BlockDict,
    actions,
    button,
    context,
    dicts,
    link,
    mention,
    plain,
    section,
    user_text,
)

DEFAULT_DAYS = 90
"""The form's suggested expiry: a quarter, within the installation's maximum."""


def exception_modal(meta: AlertMeta, today: date, max_days: int) -> BlockDict:
    """Ask for an exception: a reason, why, and until when (at most `max_days` from today)."""
    options = [Option(value=reason.value, text=label) for reason, label in REASON_LABELS.items()]
    default = today + timedelta(days=min(DEFAULT_DAYS, max_days))
    blocks: list[Block] = [
        section(
            f"Ask the campaign's manager for an exception on *{user_text(meta.alert, 200)}* "
            f"(campaign #{meta.campaign}). Approved, it closes the alert on GitHub until the "
            "date you choose; then it opens again."
        ),
        InputBlock(
            block_id=ids.EXCEPTION_REASON,
            label=plain("Reason"),
            element=StaticSelectElement(
                action_id=ids.EXCEPTION_REASON, options=options, placeholder=plain("Choose")
            ),
        ),
        InputBlock(
            block_id=ids.EXCEPTION_COMMENT,
            label=plain("Why"),
            element=PlainTextInputElement(
                action_id=ids.EXCEPTION_COMMENT,
                multiline=True,
                max_length=1000,
                placeholder=plain("What makes this safe to leave, and who checked it"),
            ),
        ),
        InputBlock(
            block_id=ids.EXCEPTION_EXPIRES,
            label=plain("Until"),
            element=DatePickerElement(
                action_id=ids.EXCEPTION_EXPIRES, initial_date=default.isoformat()
            ),
        ),
        context(f"At most {max_days} days. The requester and the manager are told before it ends."),
    ]
    return View(
        type="modal",
        callback_id=ids.EXCEPTION_MODAL,
        title=plain("Request an exception"),
        submit=plain("Send request"),
        close=plain("Cancel"),
        private_metadata=meta.model_dump_json(),
        blocks=blocks,
    ).to_dict()


def _reason(payload: dict[str, Any]) -> str:
    try:
        return REASON_LABELS[ExceptionReason(str(payload.get("reason")))]
    except ValueError:
        return "Exception"


def exception_message(notice: Notice, campaign: Campaign) -> tuple[str, list[BlockDict]]:
    """How each event of an exception reads in a DM. All user text is escaped."""
    payload = notice.payload
    event = str(payload.get("event") or "")
    reference = user_text(str(payload.get("alert") or ""), 200)
    alert = link(payload.get("url") if isinstance(payload.get("url"), str) else None, reference)
    where = f"#{campaign.id} {user_text(campaign.name, NAME_SHOWN)}"
    who = mention(str(payload.get("requested_by") or ""))
    until = user_text(str(payload.get("expires_on") or ""), 20)
    reason = _reason(payload)
    comment = user_text(str(payload.get("comment") or ""), 1000)
    decider = payload.get("decided_by")
    by = f" by {mention(str(decider))}" if decider else ""
    if event == "requested":
        text = f"{who} asks for an exception on {reference} in {where}: {reason}, until {until}."
        number = str(payload.get("exception") or "")
        blocks = [
            section(
                f":raised_hand: {who} asks for an exception on *{alert}* in *{where}*.\n"
                f"*{reason}*, until *{until}*\n>{comment}"
            ),
            actions(
                button("Approve", ids.APPROVE_EXCEPTION, number, style="primary"),
                button("Reject", ids.REJECT_EXCEPTION, number, style="danger"),
            ),
            context("Approving closes the alert on GitHub with this reason until that date."),
        ]
        return text, dicts(blocks)
    lines = {
        "approved": f":white_check_mark: Your exception on {alert} in *{where}* was approved{by}: "
        f"the alert is closed on GitHub until {until}.",
        "rejected": f":no_entry: Your exception on {alert} in *{where}* was rejected{by}; the "
        "alert stays open.",
        "expiring": f":hourglass_flowing_sand: The exception on {alert} in *{where}* ({reason}, "
        f"asked by {who}) ends on {until}; then the alert opens again. Fix it, or ask for a new "
        "exception.",
        "expired": f":alarm_clock: The exception on {alert} in *{where}* ended on {until}: the "
        "alert is open again.",
    }
    line = lines.get(event, f"The exception on {alert} in *{where}* changed.")
    return _plain_text(line), dicts([section(line)])


def _plain_text(line: str) -> str:
    """The notification text: the line without its emoji code."""
    return line.split(": ", 1)[1] if line.startswith(":") and ": " in line else line


def decided_blocks(text: str) -> list[BlockDict]:
    """The manager's DM after a decision: the buttons give way to what was decided."""
    return dicts([section(text)])
