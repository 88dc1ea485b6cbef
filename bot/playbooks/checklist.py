"""The leaked-secret checklist (the second seed's step 6.2), tracked per alert: verify the leak,
check it is active, revoke or rotate, update the systems that use it, test them, document, and
resolve the alert. The assignee ticks the steps on the alert's card; every tick is an event; the
last step resolves the alert on GitHub with a resolution and a comment."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.assignments.service import AssignmentService
from bot.campaigns import rules
from bot.core.errors import CampaignError, Conflict, PermissionDenied
from bot.core.models import Alert, AlertKind, Campaign
from bot.core.playbooks import CHECKLIST, ChecklistStep
from bot.playbooks.ports import AlertStates
from store import alerts as alert_store
from store import campaigns as campaign_store
from store import checklists as store
from store.engine import write_transaction

RESOLUTIONS = {
    "revoked": "Revoked (rotated)",
    "false_positive": "False positive",
    "used_in_tests": "Used in tests",
    "wont_fix": "Won't fix",
}
"""GitHub's secret-scanning resolutions, as the resolve form offers them."""
MAX_COMMENT = 270
"""GitHub keeps at most 270 characters of a resolution comment."""


class ChecklistService:
    def __init__(self, assignments: AssignmentService, states: AlertStates) -> None:
        self.assignments = assignments
        self.campaigns = assignments.campaigns
        self.states = states

    async def steps(
        self, reference: str, alert_reference: str
    ) -> tuple[Campaign, Alert, dict[str, tuple[str, datetime]]]:
        """An alert's checklist: the ticked steps, by whom and when."""
        async with self.campaigns.engine.connect() as conn:
            campaign = await self.campaigns.resolve(reference, conn)
            alert = await self.assignments.find_alert(conn, campaign, alert_reference)
            return campaign, alert, await store.ticked(conn, alert.id or 0)

    async def _workable(
        self, conn: AsyncConnection, actor: str, reference: str, alert_reference: str
    ) -> tuple[Campaign, Alert]:
        """The checklist is the assignee's, on an open secret alert of an active campaign."""
        campaign = await self.campaigns.resolve(reference, conn)
        rules.require_active(campaign, "work on checklists in")
        alert = await self.assignments.find_alert(conn, campaign, alert_reference)
        if alert.kind is not AlertKind.SECRET:
            raise CampaignError("The checklist is for leaked secrets; code alerts have none.")
        if not alert.is_open:
            raise Conflict(f"{alert.reference} is already {alert.state}: its checklist is done.")
        held = await campaign_store.get_assignment(conn, campaign.number, alert.id or 0)
        if held is None:
            raise PermissionDenied(
                f"Nobody has {alert.reference} yet: claim it (Assign to me), then tick its steps."
            )
        if held.assignee != actor:
            raise PermissionDenied(
                f"{alert.reference} is <@{held.assignee}>'s: only they tick its checklist."
            )
        return campaign, alert

    async def set_steps(
        self, actor: str, reference: str, alert_reference: str, steps: Iterable[str]
    ) -> tuple[list[ChecklistStep], list[ChecklistStep]]:
        """The card's checkboxes as they are now: steps newly ticked and newly unticked, each an
        event. The last step is not ticked here: it resolves the alert (`resolve`)."""
        wanted = _steps(steps)
        if ChecklistStep.RESOLVE in wanted:
            raise CampaignError("Resolve the alert with its form: it needs a resolution.")
        now = self.campaigns.clock()
        async with write_transaction(self.campaigns.engine) as conn:
            campaign, alert = await self._workable(conn, actor, reference, alert_reference)
            ticked = {ChecklistStep(step) for step in await store.ticked(conn, alert.id or 0)}
            ticked.discard(ChecklistStep.RESOLVE)
            added = [step for step, _ in CHECKLIST if step in wanted - ticked]
            removed = [step for step, _ in CHECKLIST if step in ticked - wanted]
            await store.tick(conn, alert.id or 0, [s.value for s in added], actor, now)
            await store.untick(conn, alert.id or 0, [s.value for s in removed])
            for step in added:
                await self.campaigns.record(
                    conn,
                    campaign,
                    actor,
                    "checklist_ticked",
                    subject=alert.reference,
                    after={"step": step.value},
                )
            for step in removed:
                await self.campaigns.record(
                    conn,
                    campaign,
                    actor,
                    "checklist_unticked",
                    subject=alert.reference,
                    before={"step": step.value},
                )
        return added, removed

    async def resolvable(self, actor: str, reference: str, alert_reference: str) -> Alert:
        """Checked before the resolve form opens."""
        async with self.campaigns.engine.connect() as conn:
            return (await self._workable(conn, actor, reference, alert_reference))[1]

    async def resolve(
        self, actor: str, reference: str, alert_reference: str, resolution: str, comment: str
    ) -> Alert:
        """The last step: resolve the secret on GitHub with the resolution and the comment."""
        if resolution not in RESOLUTIONS:
            choices = ", ".join(RESOLUTIONS.values()).lower()
            raise CampaignError(f"Choose a resolution: {choices}.", field="resolution")
        text = comment.strip()
        if len(text) > MAX_COMMENT:
            raise CampaignError(
                f"GitHub keeps {MAX_COMMENT} characters of a comment ({len(text)} now).",
                field="comment",
            )
        now = self.campaigns.clock()
        async with write_transaction(self.campaigns.engine) as conn:
            campaign, alert = await self._workable(conn, actor, reference, alert_reference)
            changed = await self.states.close(alert, resolution, text)
            await alert_store.set_closure(conn, alert, "resolved", resolution, changed or now)
            await store.tick(conn, alert.id or 0, [ChecklistStep.RESOLVE.value], actor, now)
            await self.campaigns.record(
                conn,
                campaign,
                actor,
                "checklist_resolved",
                subject=alert.reference,
                after={"resolution": resolution, "comment": text},
            )
        await self.campaigns.alerts_changed([alert.id or 0])
        return alert


def _steps(values: Iterable[str]) -> set[ChecklistStep]:
    found: set[ChecklistStep] = set()
    for value in values:
        try:
            found.add(ChecklistStep(value))
        except ValueError:
            raise CampaignError(f"“{value[:40]}” is not a step of the checklist.") from None
    return found
