"""The rules of an exception request, pure: its fields, and what the people involved read."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from bot.core.errors import CampaignError, raise_all
from bot.core.models import Alert
from bot.core.notices import Notice, exception_notice
from bot.core.playbooks import REASON_LABELS, AlertException, ExceptionReason, ExceptionState

MIN_REASON = 10
MAX_REASON = 1000
"""A manager decides on the reason: a word is not enough, an essay does not fit a DM."""


def check_fields(
    today: date,
    max_days: int,
    reason: str | None,
    comment: str | None,
    expires_on: date | None,
) -> tuple[ExceptionReason, str, date]:
    """Every field of the request, each refusal on its own field (the modal shows them)."""
    problems: list[CampaignError] = []
    try:
        kind = ExceptionReason(reason or "")
    except ValueError:
        kind = ExceptionReason.FALSE_POSITIVE
        choices = ", ".join(label.lower() for label in REASON_LABELS.values())
        problems.append(CampaignError(f"Choose a reason: {choices}.", field="reason"))
    text = (comment or "").strip()
    if len(text) < MIN_REASON:
        problems.append(
            CampaignError(
                "Say why, in a sentence: the manager decides on it and GitHub keeps it.",
                field="comment",
            )
        )
    elif len(text) > MAX_REASON:
        problems.append(
            CampaignError(
                f"Keep the reason under {MAX_REASON} characters ({len(text)} now).",
                field="comment",
            )
        )
    latest = today + timedelta(days=max_days)
    if expires_on is None:
        problems.append(CampaignError("Choose when the exception ends.", field="expires_on"))
    elif expires_on <= today:
        problems.append(
            CampaignError(
                f"The exception must end after today ({today.isoformat()}).",
                field="expires_on",
            )
        )
    elif expires_on > latest:
        problems.append(
            CampaignError(
                f"Exceptions last at most {max_days} days: choose {latest.isoformat()} or earlier.",
                field="expires_on",
            )
        )
    raise_all(problems)
    assert expires_on is not None
    return kind, text, expires_on


def notice(
    asked: AlertException, target: str, event: str, alert: Alert | None, now: datetime
) -> Notice:
    payload: dict[str, Any] = {
        "alert": asked.alert_reference,
        "requested_by": asked.requested_by,
        "reason": asked.reason.value,
        "comment": asked.comment,
        "expires_on": asked.expires_on.isoformat(),
        "decided_by": asked.decided_by,
    }
    if alert is not None:
        payload["title"] = alert.title
        payload["url"] = alert.html_url
    return exception_notice(asked.campaign_id, target, asked.id or 0, event, payload, now)


def already(current: AlertException) -> str:
    if current.state is ExceptionState.PENDING:
        return (
            f"{current.alert_reference} already has an exception request from "
            f"<@{current.requested_by}>, waiting for the manager."
        )
    return (
        f"{current.alert_reference} already has an exception until "
        f"{current.expires_on.isoformat()}."
    )


def decided(asked: AlertException) -> str:
    who = f" by <@{asked.decided_by}>" if asked.decided_by else ""
    return f"That exception request was already {asked.state.value}{who}."
