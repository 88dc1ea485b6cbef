"""Notices: what the bot tells people on its own initiative, as outbox rows (ARCHITECTURE §6).

A service decides *what* to tell *whom* and writes a `Notice` in the same transaction as the
change; the deliverer sends it later. The delivery key makes writing the same notice twice a no-op,
so a retried request, a second replica or a job run twice never sends twice.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class NoticeKind(StrEnum):
    LAUNCH = "launch"
    """The campaign's live card, posted once in its channel; its address is kept to update it."""
    CARD = "card"
    """Bring the live card up to date (chat.update); coalesced while one is pending."""
    EDITED = "edited"
    CLOSED = "closed"
    REOPENED = "reopened"
    DELETED = "deleted"
    REPORT = "report"
    STATUS = "status"
    """An assignee told that their alert was fixed, dismissed, resolved or reopened (a DM)."""
    LAUNCH_DM = "launch_dm"
    """A writer of the campaign's repositories told that it started: one DM per person, ever."""
    UNLINKED = "unlinked"
    """The manager told which writers could not be told (no Slack identity), and how to link."""
    REMINDER = "reminder"
    """A due-date reminder in the campaign's channel (`reminder:12:C0SEC:due-7`)."""
    REMINDER_DM = "dm"
    """One person's reminder for the day, covering every campaign due for them (`dm:U1:DATE`)."""
    DIGEST = "digest"
    """The weekly progress post in the campaign's channel (`digest:12:C0SEC:2026-W49`)."""
    ESCALATION = "escalation"
    """An alert (or a stalled repository) raised to the people a rule names, once per rule."""
    EXCEPTION = "exception"
    """An exception asked for, decided, about to expire or expired (`payload["event"]`)."""


LAUNCH_FAMILY = frozenset({NoticeKind.LAUNCH, NoticeKind.LAUNCH_DM, NoticeKind.UNLINKED})
"""Notices about a campaign starting: dropped when it is closed before they are sent."""
WITH_DIGEST = frozenset({NoticeKind.DIGEST, NoticeKind.REPORT})
"""Notices that carry the week's digest and its burndown chart."""
ACTIVE_ONLY = LAUNCH_FAMILY | {NoticeKind.REMINDER, NoticeKind.DIGEST, NoticeKind.ESCALATION}
"""Notices that only make sense while the campaign is active: dropped once it is closed."""
LISTED_REPOSITORIES = 15
"""Repositories named in one launch DM; the rest are counted."""
LISTED_LOGINS = 40
"""Unlinked writers named in the manager's DM; the rest are counted."""


class NoticeState(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    """Retries ran out; `reason` says why. Kept for `jobs list` and `/healthz`."""
    DROPPED = "dropped"
    """Not sent on purpose (the campaign was deleted or closed first); `reason` says why."""


class Notice(BaseModel):
    """One row of the outbox."""

    model_config = ConfigDict(frozen=True)

    key: str
    kind: NoticeKind
    campaign_id: int | None = None
    target: str | None = None
    """A channel or user ID (a user gets a DM)."""
    payload: dict[str, Any] = Field(default_factory=dict)
    created_at: datetime
    not_before: datetime | None = None

    id: int | None = None
    state: NoticeState = NoticeState.PENDING
    attempts: int = 0
    uncertain: bool = False
    """A lease ran out while the row was being sent: it may have been sent already."""
    channel: str | None = None
    ts: str | None = None
    sent_at: datetime | None = None
    reason: str | None = None


class OutboxStats(BaseModel):
    pending: int
    failed: int
    oldest_pending: datetime | None


def delivery_key(kind: NoticeKind, campaign: int | None, target: str | None, period: str) -> str:
    """`kind:campaign:target:period`, e.g. `launch:12:C0SEC:-` or `closed:12:C0SEC:ev41`."""
    return f"{kind.value}:{campaign if campaign is not None else '-'}:{target or '-'}:{period}"


def launch(campaign_id: int, channel: str, now: datetime) -> Notice:
    """The live card in the campaign's channel; one per campaign and channel, ever."""
    return Notice(
        key=delivery_key(NoticeKind.LAUNCH, campaign_id, channel, "-"),
        kind=NoticeKind.LAUNCH,
        campaign_id=campaign_id,
        target=channel,
        created_at=now,
    )


def card_refresh(campaign_id: int, channel: str | None, now: datetime) -> Notice:
    """Bring the live card up to date. Every refresh is its own row (a random period: an update
    is idempotent); the caller coalesces while one waits. It targets the card's channel so the
    deliverer sends it after that channel's launch."""
    return Notice(
        key=delivery_key(NoticeKind.CARD, campaign_id, channel, uuid.uuid4().hex),
        kind=NoticeKind.CARD,
        campaign_id=campaign_id,
        target=channel,
        created_at=now,
    )


def announcement(
    kind: NoticeKind,
    campaign_id: int,
    channel: str,
    now: datetime,
    *,
    event_id: int,
    payload: dict[str, Any],
) -> Notice:
    """An edit, close, reopen or delete told in the channel; keyed by the audit event it tells."""
    return Notice(
        key=delivery_key(kind, campaign_id, channel, f"ev{event_id}"),
        kind=kind,
        campaign_id=campaign_id,
        target=channel,
        payload=payload,
        created_at=now,
    )


def report(campaign_id: int, channel: str, now: datetime, actor: str) -> Notice:
    """A progress report asked for now; the same minute asks once (a double click posts once)."""
    return Notice(
        key=delivery_key(NoticeKind.REPORT, campaign_id, channel, now.strftime("%Y-%m-%dT%H:%M")),
        kind=NoticeKind.REPORT,
        campaign_id=campaign_id,
        target=channel,
        payload={"actor": actor},
        created_at=now,
    )


def alert_status(
    campaign_id: int,
    assignee: str,
    *,
    alert_id: int,
    reference: str,
    state: str,
    changed_at: datetime | None,
    now: datetime,
) -> Notice:
    """Keyed by the alert's state and when it changed: a re-delivered webhook tells nobody twice,
    a fix after a reopen is told again."""
    period = f"a{alert_id}-{state}-{(changed_at or now).isoformat()}"
    return Notice(
        key=delivery_key(NoticeKind.STATUS, campaign_id, assignee, period),
        kind=NoticeKind.STATUS,
        campaign_id=campaign_id,
        target=assignee,
        payload={"alert": reference, "state": state},
        created_at=now,
    )


def launch_dm(
    campaign_id: int,
    user: str,
    repositories: list[tuple[str, int]],
    now: datetime,
    *,
    topics: list[str] | None = None,
) -> Notice:
    """One per person and campaign: `repositories` are theirs, with the campaign's open alerts in
    each, most first; `topics` (secret types, providers, CWE tags) name the guides it links."""
    shown = repositories[:LISTED_REPOSITORIES]
    return Notice(
        key=delivery_key(NoticeKind.LAUNCH_DM, campaign_id, user, "-"),
        kind=NoticeKind.LAUNCH_DM,
        campaign_id=campaign_id,
        target=user,
        payload={
            "repositories": [[name, count] for name, count in shown],
            "more_repositories": len(repositories) - len(shown),
            "alerts": sum(count for _, count in repositories),
            "topics": list(topics or []),
        },
        created_at=now,
    )


def unlinked_writers(campaign_id: int, manager: str, logins: list[str], now: datetime) -> Notice:
    shown = logins[:LISTED_LOGINS]
    return Notice(
        key=delivery_key(NoticeKind.UNLINKED, campaign_id, manager, "-"),
        kind=NoticeKind.UNLINKED,
        campaign_id=campaign_id,
        target=manager,
        payload={"logins": shown, "more": len(logins) - len(shown)},
        created_at=now,
    )


def reminder(campaign_id: int, channel: str, slot: str, now: datetime) -> Notice:
    return Notice(
        key=delivery_key(NoticeKind.REMINDER, campaign_id, channel, slot),
        kind=NoticeKind.REMINDER,
        campaign_id=campaign_id,
        target=channel,
        payload={"slot": slot},
        created_at=now,
    )


def digest(campaign_id: int, channel: str, week: str, now: datetime) -> Notice:
    return Notice(
        key=delivery_key(NoticeKind.DIGEST, campaign_id, channel, week),
        kind=NoticeKind.DIGEST,
        campaign_id=campaign_id,
        target=channel,
        payload={"week": week},
        created_at=now,
    )


def reminder_dm(user: str, day: str, campaigns: list[dict[str, Any]], now: datetime) -> Notice:
    """`campaigns`: [{"campaign": N, "slot": "due-3", "open": 4, "in_progress": 1}, …]; the key
    has no campaign (`dm:U0ALICE:2026-12-03`): one DM per person per day."""
    return Notice(
        key=f"{NoticeKind.REMINDER_DM.value}:{user}:{day}",
        kind=NoticeKind.REMINDER_DM,
        campaign_id=None,
        target=user,
        payload={"campaigns": campaigns, "day": day},
        created_at=now,
    )


def exception_notice(
    campaign_id: int,
    target: str,
    exception_id: int,
    event: str,
    payload: dict[str, Any],
    now: datetime,
) -> Notice:
    """An exception `requested` (to the manager), `approved` / `rejected` (to the requester),
    `expiring` or `expired` (to both): one message per exception, event and person."""
    return Notice(
        key=delivery_key(NoticeKind.EXCEPTION, campaign_id, target, f"x{exception_id}-{event}"),
        kind=NoticeKind.EXCEPTION,
        campaign_id=campaign_id,
        target=target,
        payload={"event": event, "exception": exception_id, **payload},
        created_at=now,
    )
