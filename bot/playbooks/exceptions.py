"""Exceptions (issue 11): a developer asks for one (false positive, accepted risk, used in tests)
with a reason and an expiry; the campaign's manager approves or rejects it in Slack. Approval
closes the alert on GitHub with that reason (a code alert is dismissed, a secret resolved); the
expiry reopens it, after a warning to the requester and the manager some days before. Pending
exceptions are blockers in the weekly digest.

GitHub is asked inside the write transaction that records the decision, as with assignments: a
refusal keeps nothing, and two managers clicking Approve at once make one approval, one PATCH.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.assignments.service import AssignmentService
from bot.campaigns import rules
from bot.core.errors import CampaignError, Conflict, NotFound
from bot.core.models import Alert, Campaign
from bot.core.notices import Notice
from bot.core.playbooks import (
    GITHUB_CLOSE_REASON,
    AlertException,
    ExceptionReason,
    ExceptionState,
)
from bot.playbooks import exception_rules
from bot.playbooks.exception_rules import MAX_REASON
from bot.playbooks.ports import AlertStates
from store import alerts as alert_store
from store import campaigns as campaign_store
from store import exceptions as store
from store import outbox
from store.engine import write_transaction

log = logging.getLogger(__name__)

SCHEDULER_ACTOR = "campaignbot"
"""Who the audit trail names for what the clock did."""


class ExceptionService:
    def __init__(self, assignments: AssignmentService, states: AlertStates) -> None:
        self.assignments = assignments
        self.campaigns = assignments.campaigns
        self.states = states

    @property
    def max_days(self) -> int:
        return self.campaigns.settings.exception_max_days

    @property
    def warn_days(self) -> int:
        return self.campaigns.settings.exception_warn_days

    def today(self, campaign: Campaign) -> date:
        return self.campaigns.clock().astimezone(ZoneInfo(campaign.timezone)).date()

    async def requestable(
        self, actor: str, reference: str, alert_reference: str
    ) -> tuple[Campaign, Alert]:
        """The alert someone may ask an exception for (checked before the form opens)."""
        async with self.campaigns.engine.connect() as conn:
            return await self._requestable(conn, actor, reference, alert_reference)

    async def _requestable(
        self, conn: AsyncConnection, actor: str, reference: str, alert_reference: str
    ) -> tuple[Campaign, Alert]:
        campaign = await self.campaigns.resolve(reference, conn)
        rules.require_active(campaign, "ask for exceptions in")
        alert = await self.assignments.find_alert(conn, campaign, alert_reference)
        if not alert.is_open:
            raise Conflict(
                f"Alert {alert.reference} is already {alert.state}: no exception needed."
            )
        current = await store.open_for_alert(conn, alert.id or 0)
        if current is not None:
            raise Conflict(exception_rules.already(current))
        held = await campaign_store.get_assignment(conn, campaign.number, alert.id or 0)
        if (
            held is not None
            and held.assignee != actor
            and not await self.campaigns.may_manage(actor, campaign)
        ):
            raise Conflict(
                f"{alert.reference} is <@{held.assignee}>'s: they, or the campaign's manager, "
                "can ask for an exception."
            )
        return campaign, alert

    def check_fields(
        self, campaign: Campaign, reason: str | None, comment: str | None, expires_on: date | None
    ) -> tuple[ExceptionReason, str, date]:
        return exception_rules.check_fields(
            self.today(campaign), self.max_days, reason, comment, expires_on
        )

    async def request(
        self,
        actor: str,
        reference: str,
        alert_reference: str,
        *,
        reason: str | None,
        comment: str | None,
        expires_on: date | None,
    ) -> AlertException:
        """Ask for an exception: pending until the campaign's manager decides (told by DM)."""
        now = self.campaigns.clock()
        async with write_transaction(self.campaigns.engine) as conn:
            campaign, alert = await self._requestable(conn, actor, reference, alert_reference)
            kind, text, ends = self.check_fields(campaign, reason, comment, expires_on)
            asked = AlertException(
                campaign_id=campaign.number,
                alert_id=alert.id or 0,
                alert_reference=alert.reference,
                requested_by=actor,
                reason=kind,
                comment=text,
                expires_on=ends,
                requested_at=now,
            )
            asked.id = await store.add(conn, asked)
            await self.campaigns.record(
                conn,
                campaign,
                actor,
                "exception_requested",
                subject=alert.reference,
                after={"exception": asked.id, "reason": kind.value, "expires_on": ends.isoformat()},
            )
            await outbox.enqueue(
                conn, [exception_rules.notice(asked, campaign.manager, "requested", alert, now)]
            )
        self._wake()
        return asked

    async def decide(
        self, actor: str, exception_id: int, *, approve: bool, note: str | None = None
    ) -> AlertException:
        """The manager's answer. Approving closes the alert on GitHub with the reason."""
        now = self.campaigns.clock()
        async with write_transaction(self.campaigns.engine) as conn:
            asked = await store.get(conn, exception_id)
            if asked is None:
                raise NotFound("That exception request no longer exists.")
            campaign = await campaign_store.get(conn, asked.campaign_id)
            if campaign is None:
                raise NotFound(f"Campaign #{asked.campaign_id} was deleted.")
            await self.campaigns.require_manager(actor, campaign, "decide exceptions in")
            if asked.state is not ExceptionState.PENDING:
                raise Conflict(exception_rules.decided(asked))
            alert = await _alert(conn, asked.alert_id)
            if alert is None or not alert.is_open:
                await store.set_state(
                    conn,
                    asked.id or 0,
                    ExceptionState.WITHDRAWN,
                    expected=ExceptionState.PENDING,
                    ended_at=now,
                )
                decided = None  # the withdrawal is committed, then the manager is told
            else:
                decided = await self._record_decision(
                    conn, campaign, asked, alert, actor, approve, note, now
                )
        if decided is None:
            raise Conflict(f"{asked.alert_reference} is already closed: the request was withdrawn.")
        asked = decided
        if approve:
            await self.campaigns.alerts_changed([asked.alert_id])
        self._wake()
        return asked

    async def _record_decision(
        self,
        conn: AsyncConnection,
        campaign: Campaign,
        asked: AlertException,
        alert: Alert,
        actor: str,
        approve: bool,
        note: str | None,
        now: datetime,
    ) -> AlertException:
        """Close on GitHub when approving, then the decision, its event and the requester's DM."""
        decided = ExceptionState.APPROVED if approve else ExceptionState.REJECTED
        if approve:
            await self._close(conn, asked, alert, now)
        await store.set_state(
            conn,
            asked.id or 0,
            decided,
            expected=ExceptionState.PENDING,
            decided_by=actor,
            decided_at=now,
            decision_note=(note or "").strip()[:MAX_REASON] or None,
        )
        await self.campaigns.record(
            conn,
            campaign,
            actor,
            f"exception_{decided.value}",
            subject=asked.alert_reference,
            before={"exception": asked.id, "state": "pending"},
            after={"exception": asked.id, "state": decided.value},
        )
        asked = asked.model_copy(update={"state": decided, "decided_by": actor, "decided_at": now})
        await outbox.enqueue(
            conn, [exception_rules.notice(asked, asked.requested_by, decided.value, alert, now)]
        )
        return asked

    async def _close(
        self,
        conn: AsyncConnection,
        asked: AlertException,
        alert: Alert,
        now: datetime,
    ) -> None:
        reason = GITHUB_CLOSE_REASON[alert.kind][asked.reason]
        comment = (
            f"Exception approved by a campaign manager until {asked.expires_on.isoformat()}: "
            f"{asked.comment}"
        )
        changed = await self.states.close(alert, reason, comment)
        state = "dismissed" if alert.kind.value == "code" else "resolved"
        await alert_store.set_closure(conn, alert, state, reason, changed or now)

    async def pending(self, campaign: Campaign) -> list[AlertException]:
        async with self.campaigns.engine.connect() as conn:
            return await store.pending_for_campaign(conn, campaign.number)

    async def run(self, now: datetime, *, write: bool = True) -> list[Notice]:
        """The `exceptions` job: warn `warn_days` before an approved exception ends, and reopen
        the alert when it does (on GitHub first). Each exception is its own transaction, so one
        that GitHub refuses is retried on the next run without holding up the others."""
        horizon = now.date() + timedelta(days=self.warn_days + 1)
        async with self.campaigns.engine.connect() as conn:
            candidates = await store.approved_ending_by(conn, horizon)
            campaigns = {
                c.number: c
                for c in [
                    await campaign_store.get(conn, i) for i in {x.campaign_id for x in candidates}
                ]
                if c is not None
            }
        written: list[Notice] = []
        reopened: list[int] = []
        for asked in candidates:
            campaign = campaigns.get(asked.campaign_id)
            if campaign is None:
                continue
            today = now.astimezone(ZoneInfo(campaign.timezone)).date()
            if asked.expires_on <= today:
                told = await self._expire(asked, campaign, now, write=write)
                if told and write:
                    reopened.append(asked.alert_id)
            elif (
                asked.warned_at is None
                and asked.expires_on - timedelta(days=self.warn_days) <= today
            ):
                told = await self._warn(asked, campaign, now, write=write)
            else:
                continue
            written += told
        if reopened:
            await self.campaigns.alerts_changed(reopened)
        if written and write:
            self._wake()
        return written

    async def _warn(
        self, asked: AlertException, campaign: Campaign, now: datetime, *, write: bool
    ) -> list[Notice]:
        told = [
            exception_rules.notice(asked, person, "expiring", None, now)
            for person in dict.fromkeys([asked.requested_by, campaign.manager])
        ]
        if write:
            async with write_transaction(self.campaigns.engine) as conn:
                await store.mark_warned(conn, [asked.id or 0], now)
                await outbox.enqueue(conn, told)
        return told

    async def _expire(
        self, asked: AlertException, campaign: Campaign, now: datetime, *, write: bool
    ) -> list[Notice]:
        told = [
            exception_rules.notice(asked, person, "expired", None, now)
            for person in dict.fromkeys([asked.requested_by, campaign.manager])
        ]
        if not write:
            return told
        try:
            async with write_transaction(self.campaigns.engine) as conn:
                if not await store.set_state(
                    conn,
                    asked.id or 0,
                    ExceptionState.EXPIRED,
                    expected=ExceptionState.APPROVED,
                    ended_at=now,
                ):
                    return []  # another run ended it first
                alert = await _alert(conn, asked.alert_id)
                if alert is not None and not alert.is_open:
                    changed = await self.states.reopen(alert)
                    await alert_store.set_closure(conn, alert, "open", None, changed or now)
                await self.campaigns.record(
                    conn,
                    campaign,
                    SCHEDULER_ACTOR,
                    "exception_expired",
                    subject=asked.alert_reference,
                    before={"exception": asked.id, "state": "approved"},
                    after={"exception": asked.id, "state": "expired"},
                )
                await outbox.enqueue(conn, told)
        except CampaignError as exc:
            log.warning(
                "could not reopen %s at its exception's end: %s", asked.alert_reference, exc
            )
            return []
        return told

    def _wake(self) -> None:
        if self.campaigns.notices_written is not None:
            self.campaigns.notices_written()


async def _alert(conn: AsyncConnection, alert_id: int) -> Alert | None:
    found = await alert_store.get_many(conn, [alert_id])
    return found[0] if found else None
