"""Assignment: who fixes which alert. Anyone may claim for themselves, managers may assign anyone,
and GitHub has the last word on write access (ARCHITECTURE §4).

The GitHub check and write-back run inside the transaction: if GitHub refuses, nothing is kept.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.assignments.identities import EmailLookup, import_rows, parse_csv
from bot.assignments.matching import MatchReport, PublicEmails, match_by_email
from bot.campaigns import rules
from bot.campaigns.ports import AssigneeGate, NoGitHub
from bot.campaigns.service import CampaignService
from bot.core.errors import CampaignError, Conflict, NotFound, PermissionDenied
from bot.core.models import (
    Alert,
    AlertKind,
    Assignment,
    Campaign,
    CampaignAlert,
    FixLink,
    Identity,
)
from store import alerts as alert_store
from store import campaigns as store
from store import fix_links, identities, preferences
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
        """Assign an alert of an active campaign; GitHub's write-access check has the last word.

        The rules are checked twice: before the write lock, with GitHub's vetting of the assignee
        (it may call GitHub, on connections of its own), and again under the lock, which then
        holds one connection and at most one write-back: concurrent clicks queue on the lock, not
        on the connection pool, and give one assignment and one PATCH."""
        async with self.campaigns.engine.connect() as conn:
            campaign, alert, before = await self._assignable(
                conn, actor, reference, alert_reference, assignee
            )
        if before is not None and before.assignee == assignee:
            return campaign, alert
        login = await self.gate.vet(alert, assignee)
        async with write_transaction(self.campaigns.engine) as conn:
            campaign, alert, before = await self._assignable(
                conn, actor, reference, alert_reference, assignee
            )
            if before is not None and before.assignee == assignee:
                return campaign, alert  # a double click: the first one did it
            # GitHub first; if it refuses, the transaction rolls back and nothing is kept.
            await self.gate.write_back(alert, login)
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

    async def _assignable(
        self,
        conn: AsyncConnection,
        actor: str,
        reference: str,
        alert_reference: str,
        assignee: str,
    ) -> tuple[Campaign, Alert, Assignment | None]:
        """Every rule of an assignment (§4), read on `conn`; the current assignment if any."""
        campaign = await self.campaigns.resolve(reference, conn)
        rules.require_active(campaign, "assign alerts in")
        if assignee != actor:
            await self.campaigns.require_manager(actor, campaign, "assign others in")
        alert = await self.find_alert(conn, campaign, alert_reference)
        if not alert.is_open:
            raise Conflict(f"Alert {alert.reference} is already {alert.state}.")
        before = await store.get_assignment(conn, campaign.number, alert.id or 0)
        # Claiming is for free alerts: taking over someone's is a manager's decision.
        if (
            before is not None
            and before.assignee != assignee
            and assignee == actor
            and not await self.campaigns.may_manage(actor, campaign)
        ):
            raise Conflict(
                f"{alert.reference} is already <@{before.assignee}>'s. Ask them, or the "
                "campaign's manager, to hand it over."
            )
        return campaign, alert, before

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
            await self.gate.write_back(alert, None)
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

    async def start_fix(
        self, actor: str, reference: str, alert_reference: str
    ) -> tuple[Campaign, Alert, FixLink | None]:
        """**Start fix**: the alert's fix branch from the default branch's head, linked, so the
        alert is in progress. An unassigned alert is claimed first (with every rule of a claim).
        Without GitHub connected no branch is made (None): the person links a pull request."""
        campaign, alert = await self._take_up(actor, reference, alert_reference)
        made = await self.gate.create_fix_branch(alert)
        if made is None:
            return campaign, alert, None
        name, url = made
        return campaign, alert, await self._link(actor, campaign, alert, "branch", name, url)

    async def link_pull_request(
        self, actor: str, reference: str, alert_reference: str, url: str
    ) -> tuple[Campaign, Alert, FixLink]:
        """**Link PR**: a pull request of the alert's repository works on it (in progress)."""
        found: list[int] = []

        def check(alert: Alert) -> None:  # before anything is claimed
            found.append(rules.pull_request_number(url, alert.repository, alert.html_url))

        campaign, alert = await self._take_up(actor, reference, alert_reference, check)
        number = found[0]
        return (
            campaign,
            alert,
            await self._link(actor, campaign, alert, "pull_request", f"#{number}", url.strip()),
        )

    async def open_alert(self, reference: str, alert_reference: str) -> tuple[Campaign, Alert]:
        """An open alert of an active campaign (checked before a modal opens for it)."""
        async with self.campaigns.engine.connect() as conn:
            campaign = await self.campaigns.resolve(reference, conn)
            rules.require_active(campaign, "work in")
            alert = await self.find_alert(conn, campaign, alert_reference)
        if not alert.is_open:
            raise Conflict(f"Alert {alert.reference} is already {alert.state}.")
        return campaign, alert

    async def _take_up(
        self,
        actor: str,
        reference: str,
        alert_reference: str,
        check: Callable[[Alert], None] | None = None,
    ) -> tuple[Campaign, Alert]:
        """The alert someone starts work on: open, in an active campaign, theirs (claimed now
        when nobody has it) or one a manager of the campaign acts on."""
        async with self.campaigns.engine.connect() as conn:
            campaign = await self.campaigns.resolve(reference, conn)
            rules.require_active(campaign, "start work in")
            alert = await self.find_alert(conn, campaign, alert_reference)
            current = await store.get_assignment(conn, campaign.number, alert.id or 0)
        if not alert.is_open:
            raise Conflict(f"Alert {alert.reference} is already {alert.state}: nothing to fix.")
        if check is not None:
            check(alert)
        if current is None:
            await self.assign(actor, reference, alert_reference, actor)
        elif current.assignee != actor:
            await self.campaigns.require_manager(actor, campaign, "work on others' alerts in")
        return campaign, alert

    async def _link(
        self, actor: str, campaign: Campaign, alert: Alert, kind: str, ref: str, url: str
    ) -> FixLink:
        now = self.campaigns.clock()
        async with write_transaction(self.campaigns.engine) as conn:
            await fix_links.add(conn, alert.id or 0, kind, ref, url, now)
            await self.campaigns.record(
                conn,
                campaign,
                actor,
                "fix_linked",
                subject=alert.reference,
                after={"kind": kind, "ref": ref, "url": url},
            )
        await self.campaigns.work_changed([alert.id or 0])
        return FixLink(alert_id=alert.id or 0, kind=kind, ref=ref, url=url, created_at=now)

    async def workable(
        self, user: str, reference: str, *, limit: int = MINE_PER_CAMPAIGN
    ) -> tuple[Campaign, list[CampaignAlert], int]:
        """**My alerts** of a launch DM: the person's alerts in the campaign, and the open ones
        nobody has in repositories they may write to (code campaigns; a secret campaign's alerts
        are listed to its managers and, one by one, to their assignees)."""
        campaign = await self.campaigns.resolve(reference)
        async with self.campaigns.engine.connect() as conn:
            identity = await identities.get(conn, user)
        login = identity.github_login if identity else None
        secret_hidden = campaign.kind is AlertKind.SECRET and not await self.campaigns.may_manage(
            user, campaign
        )
        if login is None or secret_hidden:
            items, total = await self.campaigns.alerts(campaign, assignee=user, limit=limit)
        else:
            items, total = await self.campaigns.alerts(
                campaign, claimable_by=(user, login), limit=limit
            )
        return campaign, items, total

    async def mine(
        self, user: str, *, limit: int | None = None
    ) -> list[tuple[Campaign, list[CampaignAlert]]]:
        """A person's open alerts across active campaigns, in progress first, by campaign: at
        most `MINE_PER_CAMPAIGN` of each, and `limit` in all (what a message can show)."""
        active = await self.campaigns.list_campaigns()
        return await self.campaigns.open_assigned(
            user, active, per_campaign=MINE_PER_CAMPAIGN, limit=limit
        )

    async def link(self, actor: str, user: str, login: str) -> Identity:
        """A security manager links a Slack user to a GitHub login (GitHub checks it on assign)."""
        if not await self.campaigns.is_security_manager(actor):
            raise PermissionDenied("Only security managers can link people to GitHub logins.")
        if not await self.gate.login_exists(login):
            raise NotFound(f"GitHub has no user “{login}”; check the spelling of the login.")
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

    async def match_identities(self, github: PublicEmails) -> MatchReport | None:
        """Link writers by their public e-mail (after a sync); None without a Slack workspace."""
        if self.emails is None:
            return None
        return await match_by_email(
            self.campaigns.engine, github, self.emails, clock=self.campaigns.clock
        )

    async def list_identities(self) -> list[Identity]:
        async with self.campaigns.engine.connect() as conn:
            return await identities.all_identities(conn)

    async def snooze(self, user: str, days: int) -> datetime:
        """**Snooze 1 day / 1 week** on a reminder DM: no reminder DM before the returned moment."""
        if days not in (1, 7):
            raise CampaignError("Snooze for 1 day or 1 week.")
        now = self.campaigns.clock()
        until = now + timedelta(days=days)
        async with write_transaction(self.campaigns.engine) as conn:
            await preferences.snooze(conn, user, until, now)
        return until

    async def set_notify(self, user: str, on: bool) -> None:
        """`/campaign notify on|off`: launch, reminder and status DMs for this person."""
        async with write_transaction(self.campaigns.engine) as conn:
            await preferences.set_notify(conn, user, on, self.campaigns.clock())
