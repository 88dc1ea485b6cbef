"""The leaked-secret playbook's shared vocabulary (the second seed's step 6): the checklist steps,
exception reasons and states, and an exception as the services pass it around. Pure."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from bot.core.models import AlertKind


class ChecklistStep(StrEnum):
    VERIFY = "verify"
    ACTIVE = "active"
    REVOKE = "revoke"
    UPDATE = "update"
    TEST = "test"
    DOCUMENT = "document"
    RESOLVE = "resolve"


CHECKLIST: tuple[tuple[ChecklistStep, str], ...] = (
    (ChecklistStep.VERIFY, "Verify the leak is real"),
    (ChecklistStep.ACTIVE, "Check whether it is still active (validity)"),
    (ChecklistStep.REVOKE, "Revoke or rotate the secret"),
    (ChecklistStep.UPDATE, "Update the systems that use it"),
    (ChecklistStep.TEST, "Test those systems with the new secret"),
    (ChecklistStep.DOCUMENT, "Document what happened"),
    (ChecklistStep.RESOLVE, "Resolve the alert on GitHub"),
)
"""The steps in order, with the label a card shows."""


class ExceptionReason(StrEnum):
    FALSE_POSITIVE = "false_positive"
    ACCEPTED_RISK = "accepted_risk"
    USED_IN_TESTS = "used_in_tests"


REASON_LABELS = {
    ExceptionReason.FALSE_POSITIVE: "False positive",
    ExceptionReason.ACCEPTED_RISK: "Accepted risk",
    ExceptionReason.USED_IN_TESTS: "Used in tests",
}

GITHUB_CLOSE_REASON = {
    AlertKind.CODE: {
        ExceptionReason.FALSE_POSITIVE: "false positive",
        ExceptionReason.ACCEPTED_RISK: "won't fix",
        ExceptionReason.USED_IN_TESTS: "used in tests",
    },
    AlertKind.SECRET: {
        ExceptionReason.FALSE_POSITIVE: "false_positive",
        ExceptionReason.ACCEPTED_RISK: "wont_fix",
        ExceptionReason.USED_IN_TESTS: "used_in_tests",
    },
}
"""How GitHub spells each reason: a code alert's `dismissed_reason`, a secret's `resolution`."""


class ExceptionState(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    EXPIRED = "expired"
    """Approved, then its expiry came: the alert was reopened on GitHub."""
    WITHDRAWN = "withdrawn"
    """The alert closed (fixed, resolved) while the request waited, or the requester took it
    back."""


class AlertException(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: int | None = None
    campaign_id: int
    alert_id: int
    alert_reference: str = ""
    requested_by: str
    reason: ExceptionReason
    comment: str
    expires_on: date
    state: ExceptionState = ExceptionState.PENDING
    requested_at: datetime
    decided_by: str | None = None
    decided_at: datetime | None = None
    decision_note: str | None = None
    warned_at: datetime | None = None
    ended_at: datetime | None = None
