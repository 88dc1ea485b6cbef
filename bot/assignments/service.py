"""Assignment: who fixes which alert. Anyone may claim for themselves, managers may assign anyone,
and GitHub has the last word on write access (ARCHITECTURE §4).

The GitHub check and write-back run inside the transaction: if GitHub refuses, nothing is kept.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.assignments.identities import EmailLookup, import_rows, parse_csv
from bot.campaigns import rules
from bot.campaigns.ports import AssigneeGate, NoGitHub
from bot.campaigns.service import CampaignService
from bot.core.errors import CampaignError, Conflict, NotFound, PermissionDenied
from bot.core.models import (
    Alert,
    AlertStatus,
    Assignment,
    Campaign,
    CampaignAlert,
    Identity,
)
from store import alerts as alert_store
from store import campaigns as store
from store import identities, preferences
from store.engine import write_transaction

MINE_PER_CAMPAIGN = 10
"""Alerts shown per campaign in `/campaign mine` (in progress first); the rest are counted."""


class AssignmentService:
    def __init__(
        self,
        campaigns: CampaignService,
        gate: AssigneeGate | None = None,
        emails: EmailLookup | None = None,
    ) -> None:
        self.campaigns = campaigns
        self.gate: AssigneeGate = gate or NoGitHub()
        self.emails = emails

    async def find_alert(self, conn: AsyncConnection, campaign: Campaign, reference: str) -> Alert:
        ref = rules.parse_alert_ref(reference)
        found = await alert_store.find(conn, ref)
        if not found:
            raise NotFound(f"There is no alert {reference}.")
        inside = [
            alert for alert in found if await store.contains(conn, campaign.number, alert.id or 0)
        ]
        if len(inside) > 1:
            names = ", ".join(alert.reference for alert in inside)
            raise CampaignError(f"“{reference}” is ambiguous: {names}. Use OWNER/REPO.")
        if not inside:
            raise NotFound(f"Alert {found[0].reference} is not in campaign #{campaign.id}.")
        return inside[0]

    async def assign(
        self, actor: str, reference: str, alert_reference: str, assignee: str
    ) -> tuple[Campaign, Alert]:
        """Assign an alert of an active campaign; GitHub's write-access check has the last word."""
        async with write_transaction(self.campaigns.engine) as conn:
            campaign = await self.campaigns.resolve(reference, conn)
            rules.require_active(campaign, "assign alerts in")
            if assignee != actor:
                await self.campaigns.require_manager(actor, campaign, "assign others in")
            alert = await self.find_alert(conn, campaign, alert_reference)
            if not alert.is_open:
                raise Conflict(f"Alert {alert.reference} is already {alert.state}.")
            before = await store.get_assignment(conn, campaign.number, alert.id or 0)
            if before is not None and before.assignee == assignee:
                return campaign, alert
            # Ask GitHub first; if it refuses, the transaction rolls back and nothing is kept.
            await self.gate.check_and_write(alert, assignee)
            await store.set_assignment(
                conn,
                Assignment(
                    campaign_id=campaign.number,
                    alert_id=alert.id or 0,
                    assignee=assignee,
                    assigned_by=actor,
                    assigned_at=self.campaigns.clock(),
                ),
            )
            await self.campaigns.record(
                conn,
                campaign,
                actor,
                "assigned",
                subject=alert.reference,
                before={"assignee": before.assignee} if before else None,
                after={"assignee": assignee},
            )
        await self.campaigns.after_commit(campaign, "assigned", False)
        return campaign, alert

    async def unassign(
        self, actor: str, reference: str, alert_reference: str
    ) -> tuple[Campaign, Alert, str]:
        async with write_transaction(self.campaigns.engine) as conn:
            campaign = await self.campaigns.resolve(reference, conn)
            rules.require_active(campaign, "unassign alerts in")
            alert = await self.find_alert(conn, campaign, alert_reference)
            current = await store.get_assignment(conn, campaign.number, alert.id or 0)
            if current is None:
                raise Conflict(f"Alert {alert.reference} has no assignee.")
            if current.assignee != actor:
                await self.campaigns.require_manager(actor, campaign, "unassign others in")
            await self.gate.check_and_write(alert, None)
            await store.remove_assignment(conn, campaign.number, alert.id or 0)
            await self.campaigns.record(
                conn,
                campaign,
                actor,
                "unassigned",
                subject=alert.reference,
                before={"assignee": current.assignee},
            )
        await self.campaigns.after_commit(campaign, "unassigned", False)
        return campaign, alert, current.assignee

    async def mine(self, user: str) -> list[tuple[Campaign, list[CampaignAlert]]]:
        """A person's open alerts across active campaigns, in progress first, by campaign."""
        found: list[tuple[Campaign, list[CampaignAlert]]] = []
        for campaign in await self.campaigns.list_campaigns():
            items, _ = await self.campaigns.alerts(campaign, assignee=user, limit=MINE_PER_CAMPAIGN)
            still_open = [item for item in items if item.status is not AlertStatus.CLOSED]
            if still_open:
                found.append((campaign, still_open))
        return found

    async def link(self, actor: str, user: str, login: str) -> Identity:
        """A security manager links a Slack user to a GitHub login (GitHub checks it on assign)."""
        if not await self.campaigns.is_security_manager(actor):
            raise PermissionDenied("Only security managers can link people to GitHub logins.")
        identity = Identity(slack_user_id=user, github_login=login, source="manual")
        async with write_transaction(self.campaigns.engine) as conn:
            taken = await identities.by_login(conn, login)
            if taken is not None and taken.slack_user_id != user:
                raise Conflict(
                    f"GitHub login {login} is already linked to <@{taken.slack_user_id}>."
                )
            await identities.save(conn, identity)
        return identity

    async def import_identities(self, text: str, name: str) -> list[Identity]:
        """Links from a CSV file (`campaignbot identities import`): all or nothing."""
        rows = parse_csv(text, name)
        return await import_rows(self.campaigns.engine, rows, name, self.emails)

    async def list_identities(self) -> list[Identity]:
        async with self.campaigns.engine.connect() as conn:
            return await identities.all_identities(conn)

    async def set_notify(self, user: str, on: bool) -> None:
        """`/campaign notify on|off`: launch, reminder and status DMs for this person."""
        async with write_transaction(self.campaigns.engine) as conn:
            await preferences.set_notify(conn, user, on, self.campaigns.clock())
