"""Escalation (the seed's step 6.3): raise an alert, or a repository where nothing moves, to the
people a rule names — security leadership, the secret's experts, the campaign's manager, the
repository's team — once per rule and subject.

The job evaluates each rule with one statement over the active campaigns' open alerts; a run
writes everything it found in one transaction: the `escalations` row (insert-if-absent on rule
and subject, so two runs racing escalate once), the audit event and one ESCALATION notice per
target. The **Escalate** button is the rule `manual`: once per alert, by anyone working on the
campaign.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.campaigns import rules as campaign_rules
from bot.campaigns.service import CampaignService
from bot.core.errors import CampaignError, Conflict, NotFound, PermissionDenied
from bot.core.models import Alert, Campaign, Event
from bot.core.notices import Notice, NoticeKind, delivery_key
from bot.core.settings import Settings
from bot.playbooks.escalation_rules import (
    BUILTIN,
    EXPERTS,
    MANAGER,
    MANUAL,
    TEAM,
    EscalationRule,
    EscalationRules,
    load_rules,
)
from store import alerts as alert_store
from store import campaigns as campaign_store
from store import escalations as store
from store import events, outbox
from store.engine import write_transaction

log = logging.getLogger(__name__)

ACTOR = "campaignbot"
"""Who escalated, in the audit trail, when a rule did."""
KEY_LIMIT = 300
"""The outbox key column's size: a longer subject is replaced by its digest in the key."""


@dataclass(frozen=True)
class Hit:
    """One subject a rule selected, with what the message says about it."""

    rule: str
    subject: str
    campaign: Campaign
    repository_id: int
    payload: dict[str, Any]
    alert: Alert | None = None
    actor: str = ACTOR
    to: tuple[str, ...] = field(default=())


class EscalationService:
    def __init__(
        self,
        campaigns: CampaignService,
        settings: Settings,
        rules: EscalationRules | None = None,
    ) -> None:
        self.campaigns = campaigns
        self.settings = settings
        self._rules = rules

    @property
    def rules(self) -> EscalationRules:
        """Loaded on first use, so a broken rules file fails the escalation job and the button
        (and `campaignbot run` at start), not every other command."""
        if self._rules is None:
            self._rules = load_rules(self.settings.escalation_rules, self.settings)
        return self._rules

    # -- the job -------------------------------------------------------------------------------

    async def run(self, now: datetime, *, write: bool = True) -> list[Notice]:
        """Escalate what the rules select at `now` and nobody escalated yet; returns the notices
        written (without `write`, those that would be)."""
        rules = self.rules
        if not rules.rules:
            return []
        active = await self.campaigns.list_campaigns()
        if not active:
            return []
        hits: list[Hit] = []
        async with self.campaigns.engine.connect() as conn:
            for rule in rules.rules:
                found = await (
                    self._stalled(conn, rule, active, now)
                    if rule.about_repositories
                    else self._alerts(conn, rule, active, now)
                )
                hits += await self._addressed(conn, rule, found)
        hits = _first_of_each(hits)
        if not write:
            return [notice for hit in hits for notice in _notices(hit, now)]
        return await self._write(hits, now)

    async def _alerts(
        self, conn: AsyncConnection, rule: EscalationRule, active: list[Campaign], now: datetime
    ) -> list[Hit]:
        chosen = {c.number: c for c in active}
        overdue: dict[int, int] = {}
        if rule.overdue_days is not None:
            overdue = {n: days for n, c in chosen.items() if (days := _days_over(c, now)) > 0}
            chosen = {n: c for n, c in chosen.items() if overdue.get(n, 0) >= rule.overdue_days}
        found = await store.matching_alerts(conn, rule.name, list(chosen), rule.query, now)
        return [
            Hit(
                rule=rule.name,
                subject=alert.reference,
                campaign=chosen[campaign_id],
                repository_id=repository_id,
                alert=alert,
                payload=alert_payload(
                    rule.name, alert, _reason(rule, chosen[campaign_id], overdue.get(campaign_id))
                ),
            )
            for campaign_id, repository_id, alert in found
        ]

    async def _stalled(
        self, conn: AsyncConnection, rule: EscalationRule, active: list[Campaign], now: datetime
    ) -> list[Hit]:
        assert rule.stalled_days is not None
        since = now - timedelta(days=rule.stalled_days)
        chosen = {c.number: c for c in active if c.created_at < since}  # old enough to stall
        found = await store.stalled_repositories(conn, rule.name, list(chosen), since)
        return [
            Hit(
                rule=rule.name,
                subject=store.stalled_subject(item.campaign_id, item.repository),
                campaign=chosen[item.campaign_id],
                repository_id=item.repository_id,
                payload={
                    "rule": rule.name,
                    "repository": item.repository,
                    "open": item.open,
                    "last_progress": item.last_progress.isoformat() if item.last_progress else None,
                    "reason": (
                        f"no alert of campaign #{item.campaign_id} in {item.repository} was "
                        f"closed or got a fix in {rule.stalled_days} days; {item.open} still open"
                    ),
                },
            )
            for item in found
        ]

    async def _addressed(
        self, conn: AsyncConnection, rule: EscalationRule, hits: list[Hit]
    ) -> list[Hit]:
        """Each hit with the people its rule names; one with nobody to tell is left for later
        (an expert or a team channel may be added to the file)."""
        teams: dict[int, list[str]] = {}
        if TEAM in rule.to and hits:
            teams = await store.writing_teams(conn, [hit.repository_id for hit in hits])
        addressed = []
        for hit in hits:
            to: list[str] = []
            for target in rule.to:
                if target == MANAGER:
                    to.append(hit.campaign.manager)
                elif target == EXPERTS:
                    to += self.rules.experts_for(hit.alert) if hit.alert else []
                elif target == TEAM:
                    to += self.rules.team_channels(teams.get(hit.repository_id, []))
                else:
                    to.append(target)
            if to:
                addressed.append(replace(hit, to=tuple(dict.fromkeys(to))))
            else:
                log.debug("escalation %s of %s: nobody to tell", rule.name, hit.subject)
        return addressed

    async def _write(self, hits: list[Hit], now: datetime) -> list[Notice]:
        """One transaction for the run: a hit another run recorded first tells nobody."""
        if not hits:
            return []
        written: list[Notice] = []
        async with write_transaction(self.campaigns.engine) as conn:
            for hit in hits:
                if await self._record(conn, hit, now):
                    written += await _enqueue(conn, _notices(hit, now))
        if written and self.campaigns.notices_written is not None:
            self.campaigns.notices_written()
        return written

    async def _record(self, conn: AsyncConnection, hit: Hit, now: datetime) -> bool:
        added = await store.add(
            conn,
            store.Escalation(
                rule=hit.rule,
                subject=hit.subject,
                campaign_id=hit.campaign.number,
                alert_id=hit.alert.id if hit.alert else None,
                actor=hit.actor,
                at=now,
            ),
        )
        if added:
            await events.add(
                conn,
                Event(
                    campaign_id=hit.campaign.number,
                    actor=hit.actor,
                    action="escalated",
                    at=now,
                    subject=hit.subject,
                    after={"rule": hit.rule, "to": list(hit.to), "reason": hit.payload["reason"]},
                ),
            )
        return added

    # -- the Escalate button ---------------------------------------------------------------------

    async def escalate(self, actor: str, campaign_ref: str, alert_ref: str) -> list[str]:
        """Escalate an open alert by hand, once: to the campaign's manager, the alert's experts
        and the leadership channel (if configured). Returns who is told."""
        rules = self.rules
        async with self.campaigns.engine.connect() as conn:
            campaign = await self.campaigns.resolve(campaign_ref, conn)
            campaign_rules.require_active(campaign, "escalate alerts in")
            alert = await _find_alert(conn, campaign, alert_ref)
            earlier = await store.get(conn, MANUAL, alert.reference)
        if not alert.is_open:
            raise Conflict(
                f"Alert {alert.reference} is already {alert.state}: nothing to escalate."
            )
        if earlier is not None:
            raise _already(earlier, campaign)
        await self._require_working_on(actor, campaign)
        to = [campaign.manager, *rules.experts_for(alert)]
        if rules.leadership:
            to.append(rules.leadership)
        to = [target for target in dict.fromkeys(to) if target != actor]
        if not to:
            raise Conflict(
                "There is nobody to escalate to but you: no experts for this alert and no "
                "ESCALATION_CHANNEL are configured."
            )
        now = self.campaigns.clock()
        hit = Hit(
            rule=MANUAL,
            subject=alert.reference,
            campaign=campaign,
            repository_id=0,
            alert=alert,
            actor=actor,
            to=tuple(to),
            payload=alert_payload(MANUAL, alert, "escalated with the Escalate button", actor=actor),
        )
        async with write_transaction(self.campaigns.engine) as conn:
            if not await self._record(conn, hit, now):  # a double click: the first one did it
                found = await store.get(conn, MANUAL, alert.reference)
                assert found is not None
                raise _already(found, campaign)
            await _enqueue(conn, _notices(hit, now))
        if self.campaigns.notices_written is not None:
            self.campaigns.notices_written()
        return to

    async def _require_working_on(self, actor: str, campaign: Campaign) -> None:
        """The campaign's manager, a security manager, or someone whose repositories or
        assignments it touches."""
        if await self.campaigns.may_manage(actor, campaign):
            return
        if any(mine.number == campaign.number for mine in await self.campaigns.for_user(actor)):
            return
        raise PermissionDenied(
            f"Only people working on campaign #{campaign.number} (its manager, security "
            "managers, assignees and the writers of its repositories) can escalate its alerts."
        )


def alert_payload(
    rule: str, alert: Alert, reason: str, *, actor: str | None = None
) -> dict[str, Any]:
    """What an escalation message needs about its alert, read once when it is escalated."""
    return {
        "rule": rule,
        "alert": alert.reference,
        "alert_id": alert.id,
        "title": alert.title,
        "repository": alert.repository,
        "kind": alert.kind.value,
        "validity": alert.validity,
        "publicly_leaked": alert.publicly_leaked,
        "severity": alert.security_severity or alert.severity,
        "html_url": alert.html_url,
        "reason": reason,
        "actor": actor,
    }


def _days_over(campaign: Campaign, now: datetime) -> int:
    """Whole days since the due date in the campaign's time zone (0 or less: not overdue)."""
    today = now.astimezone(ZoneInfo(campaign.timezone)).date()
    return (today - campaign.due_date).days


def _reason(rule: EscalationRule, campaign: Campaign, days_over: int | None) -> str:
    parts = []
    if rule.name == BUILTIN:
        parts.append("the secret is active and publicly leaked")
    elif rule.when is not None:
        parts.append(f"it matches “{rule.when}”")
    if rule.overdue_days is not None and days_over is not None:
        parts.append(
            f"campaign #{campaign.number} is {days_over} day{'s' if days_over != 1 else ''} "
            f"past its due date ({campaign.due_date.isoformat()})"
        )
    return "; ".join(parts)


def _first_of_each(hits: list[Hit]) -> list[Hit]:
    """An alert in two active campaigns is escalated once, with the oldest campaign."""
    seen: set[tuple[str, str]] = set()
    unique = []
    for hit in hits:
        if (hit.rule, hit.subject) not in seen:
            seen.add((hit.rule, hit.subject))
            unique.append(hit)
    return unique


def _notices(hit: Hit, now: datetime) -> list[Notice]:
    """One notice per target, keyed `escalation:CAMPAIGN:TARGET:RULE:SUBJECT`."""
    payload = hit.payload | {"subject": hit.subject, "to": list(hit.to)}
    told = []
    for target in hit.to:
        key = delivery_key(
            NoticeKind.ESCALATION, hit.campaign.number, target, f"{hit.rule}:{hit.subject}"
        )
        if len(key) > KEY_LIMIT:
            digest = hashlib.sha256(hit.subject.encode()).hexdigest()[:24]
            key = delivery_key(
                NoticeKind.ESCALATION, hit.campaign.number, target, f"{hit.rule}:{digest}"
            )
        told.append(
            Notice(
                key=key,
                kind=NoticeKind.ESCALATION,
                campaign_id=hit.campaign.number,
                target=target,
                payload=payload,
                created_at=now,
            )
        )
    return told


async def _enqueue(conn: AsyncConnection, notices: list[Notice]) -> list[Notice]:
    return [notice for notice in notices if await outbox.enqueue(conn, [notice])]


async def _find_alert(conn: AsyncConnection, campaign: Campaign, reference: str) -> Alert:
    found = await alert_store.find(conn, campaign_rules.parse_alert_ref(reference))
    inside = [
        alert
        for alert in found
        if await campaign_store.contains(conn, campaign.number, alert.id or 0)
    ]
    if len(inside) > 1:
        names = ", ".join(alert.reference for alert in inside)
        raise CampaignError(f"“{reference}” is ambiguous: {names}. Use OWNER/REPO.")
    if not inside:
        raise NotFound(f"Alert {reference} is not in campaign #{campaign.number}.")
    return inside[0]


def _already(earlier: store.Escalation, campaign: Campaign) -> Conflict:
    day = earlier.at.astimezone(ZoneInfo(campaign.timezone)).date().isoformat()
    by = "a rule" if earlier.actor == ACTOR else f"<@{earlier.actor}>"
    return Conflict(f"{earlier.subject} was already escalated by {by} on {day}.")
