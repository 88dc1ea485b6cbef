"""The campaign service: every rule of ARCHITECTURE §4, checked once, whichever surface calls.

Each mutation opens one transaction, checks the rules, changes the rows and writes its audit
`Event` in that same transaction, so the trail and the state never disagree.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.core import progress as progress_math
from bot.core import templates
from bot.core.clock import Clock, system_clock
from bot.core.errors import CampaignError, Conflict, NotFound, PermissionDenied
from bot.core.models import (
    Alert,
    AlertKind,
    AlertRef,
    AlertStatus,
    Assignment,
    Campaign,
    CampaignAlert,
    CampaignState,
    Event,
    Progress,
    Selection,
)
from bot.core.query.parser import Query, QueryError, parse
from bot.core.settings import Settings
from store import alert_query, events, identities
from store import alerts as alert_store
from store import campaigns as store

log = logging.getLogger(__name__)

NAME_MAX = 50
DESCRIPTION_MAX = 255
CLI_ACTOR = "cli"
"""The command line runs with the database owner's authority: it acts as a security manager."""

ALERT_REF = re.compile(r"^(?P<repo>[\w.\-]+(?:/[\w.\-]+)?)#(?P<kind>code|secret)-(?P<number>\d+)$")
URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)


class Directory(Protocol):
    """Who is a security manager: CAMPAIGN_ADMINS, or members of the admin Slack user group."""

    async def is_security_manager(self, user_id: str) -> bool: ...


class AssigneeGate(Protocol):
    """GitHub's say on assignments: write access, and the write-back of the assignee."""

    async def check_and_write(self, alert: Alert, assignee: str | None) -> None: ...


class CampaignObserver(Protocol):
    """Told after a change is committed (publishing to GitHub, announcements, …).

    `action` is one of created, edited, closed, reopened, deleted, assigned, unassigned.
    An observer's failure is logged; it never undoes the committed change.
    """

    async def campaign_changed(self, campaign: Campaign, action: str) -> None: ...


@dataclass(frozen=True)
class AdminList:
    """A Directory from settings alone (the CLI, and the bot before Slack answers)."""

    admins: frozenset[str]

    async def is_security_manager(self, user_id: str) -> bool:
        return user_id == CLI_ACTOR or user_id in self.admins


class NoGitHub:
    """Without GitHub connected, assignments stay local and nobody's access is checked."""

    async def check_and_write(self, alert: Alert, assignee: str | None) -> None:
        del alert, assignee


class CreateRequest(BaseModel):
    """What a manager fills in; the modal, the CLI and tests all build this."""

    model_config = ConfigDict(str_strip_whitespace=True)

    name: str
    description: str
    due_date: date
    manager: str
    query: str | None = None
    template: str | None = None
    channel: str | None = None
    contact_link: str | None = None
    timezone: str | None = None
    continue_big: bool = False
    request_key: str | None = None


class EditRequest(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    name: str | None = None
    description: str | None = None
    due_date: date | None = None
    manager: str | None = None
    channel: str | None = None
    contact_link: str | None = None


class Preview(BaseModel):
    selection: Selection
    notes: list[str]
    breakdown: alert_query.Breakdown


@dataclass(frozen=True)
class Created:
    campaign: Campaign
    left_out: int
    replayed: bool = False
    """True when the same request was submitted twice and the first campaign is returned."""


@dataclass(frozen=True)
class Edited:
    campaign: Campaign
    changes: dict[str, tuple[Any, Any]]


EDITABLE = ("name", "description", "due_date", "manager", "channel", "contact_link")


def parse_alert_ref(text: str) -> AlertRef:
    """`OWNER/REPO#code-12` or `REPO#secret-7` → AlertRef, or a message saying what is expected."""
    match = ALERT_REF.match(text.strip())
    if match is None:
        raise CampaignError(
            f"“{text}” is not an alert reference: write OWNER/REPO#code-12 or REPO#secret-7"
        )
    return AlertRef(
        repository=match["repo"], kind=AlertKind(match["kind"]), number=int(match["number"])
    )


class CampaignService:
    def __init__(
        self,
        engine: AsyncEngine,
        settings: Settings,
        *,
        directory: Directory | None = None,
        gate: AssigneeGate | None = None,
        clock: Clock = system_clock,
    ) -> None:
        self.engine = engine
        self.settings = settings
        self.directory: Directory = directory or AdminList(settings.admin_ids)
        self.gate: AssigneeGate = gate or NoGitHub()
        self.clock = clock
        self.observers: list[CampaignObserver] = []

    async def _tell_observers(self, campaign: Campaign, action: str) -> None:
        for observer in self.observers:
            try:
                await observer.campaign_changed(campaign, action)
            except Exception:  # an observer must never undo a committed change
                log.exception("observer %r failed on %s of #%s", observer, action, campaign.id)

    # -- reading ---------------------------------------------------------------------------

    def _today(self, timezone: str | None = None) -> date:
        zone = ZoneInfo(timezone or self.settings.campaign_timezone)
        return self.clock().astimezone(zone).date()

    @staticmethod
    def parse_query(text: str) -> Query:
        try:
            return parse(text)
        except QueryError as exc:
            raise CampaignError(str(exc), field="query") from exc

    async def preview(self, text: str) -> Preview:
        """What a filter selects and whether it looks like a big campaign."""
        query = self.parse_query(text)
        now = self.clock()
        async with self.engine.connect() as conn:
            breakdown = await alert_query.breakdown(conn, query, now=now)
        counts = breakdown.counts
        limit = self.settings.max_campaign_alerts
        big = (
            counts.alerts > limit or counts.repositories >= self.settings.big_campaign_repositories
        )
        kept = min(counts.alerts, limit)
        selection = Selection(
            query=text,
            alerts=counts.alerts,
            repositories=counts.repositories,
            code=counts.code,
            secret=counts.secret,
            big=big,
            kept=kept,
            left_out=counts.alerts - kept,
        )
        return Preview(selection=selection, notes=list(query.notes), breakdown=breakdown)

    async def resolve(self, reference: str, conn: AsyncConnection | None = None) -> Campaign:
        """A campaign by number (`3`, `#3`) or by a unique prefix of its name."""
        if conn is None:
            async with self.engine.connect() as own:
                return await self.resolve(reference, own)
        text = reference.strip()
        if not text:
            raise CampaignError("name a campaign: its number (#3) or the start of its name")
        number = text.removeprefix("#")
        if number.isdigit():
            found = await store.get(conn, int(number))
            if found is None:
                raise NotFound(f"There is no campaign #{number}. `/campaign list` shows them.")
            return found
        matches = await store.by_name_prefix(conn, text)
        exact = [campaign for campaign in matches if campaign.name.lower() == text.lower()]
        if len(exact) == 1:
            return exact[0]
        if not matches:
            raise NotFound(f"No campaign's name starts with “{text}”.")
        if len(matches) > 1:
            names = ", ".join(f"#{m.id} {m.name}" for m in matches[:5])
            raise CampaignError(f"“{text}” matches several campaigns: {names}. Use the number.")
        return matches[0]

    async def list_campaigns(
        self, *, include_closed: bool = False, only_closed: bool = False
    ) -> list[Campaign]:
        states: list[CampaignState] | None = [CampaignState.ACTIVE]
        if only_closed:
            states = [CampaignState.CLOSED]
        elif include_closed:
            states = None
        async with self.engine.connect() as conn:
            return await store.list_campaigns(conn, states)

    async def progress(self, campaign: Campaign) -> Progress:
        return (await self.progress_many([campaign]))[0]

    async def progress_many(self, campaigns: Sequence[Campaign]) -> list[Progress]:
        """Progress of several campaigns in a handful of grouped queries, not one per campaign."""
        if not campaigns:
            return []
        ids = [campaign.number for campaign in campaigns]
        since = self.clock() - timedelta(days=progress_math.BURN_WINDOW_DAYS + 1)
        async with self.engine.connect() as conn:
            counts = await store.status_counts(conn, ids)
            closed = await store.closed_dates(conn, ids, since)
            repos = await store.repository_counts(conn, ids)
        return [
            progress_math.compute(
                campaign_id=campaign.number,
                counts=counts[campaign.number],
                repositories=repos[campaign.number],
                closed_dates=closed[campaign.number],
                due=campaign.due_date,
                today=self._today(campaign.timezone),
            )
            for campaign in campaigns
        ]

    async def alerts(
        self,
        campaign: Campaign,
        *,
        repository: str | None = None,
        status: AlertStatus | None = None,
        assignee: str | None = None,
        offset: int = 0,
        limit: int = 20,
    ) -> tuple[list[CampaignAlert], int]:
        async with self.engine.connect() as conn:
            return await store.campaign_alerts(
                conn,
                campaign.number,
                repository=repository,
                status=status,
                assignee=assignee,
                offset=offset,
                limit=limit,
            )

    async def for_user(self, user_id: str) -> list[Campaign]:
        """Active campaigns that touch the repositories a user works on."""
        async with self.engine.connect() as conn:
            identity = await identities.get(conn, user_id)
            ids = await store.active_campaigns_for_user(
                conn, user_id, identity.github_login if identity else None
            )
            found = [await store.get(conn, campaign_id) for campaign_id in ids]
        return [campaign for campaign in found if campaign is not None]

    async def active_with_alerts(self, alert_ids: Sequence[int]) -> list[Campaign]:
        """Active campaigns holding any of these alerts (whose views must be refreshed)."""
        async with self.engine.connect() as conn:
            ids = await store.active_with_alerts(conn, alert_ids)
            found = [await store.get(conn, campaign_id) for campaign_id in ids]
        return [campaign for campaign in found if campaign is not None]

    async def history(self, campaign: Campaign) -> list[Event]:
        async with self.engine.connect() as conn:
            return await events.for_campaign(conn, campaign.number)

    async def remember_announcement(self, campaign: Campaign, channel: str, ts: str) -> None:
        """Keep the launch message's address so it can be updated as progress moves."""
        async with self.engine.begin() as conn:
            await store.update_fields(
                conn, campaign.number, {"announce_channel": channel, "announce_ts": ts}
            )

    async def remember_github_number(self, campaign: Campaign, number: int | None) -> None:
        """The number GitHub gave the published copy of this campaign."""
        async with self.engine.begin() as conn:
            await store.update_fields(conn, campaign.number, {"github_number": number})

    async def check_can_edit(self, actor: str, campaign: Campaign) -> None:
        """Raise unless `actor` may edit `campaign` now (checked before opening the form)."""
        await self._require_manager(actor, campaign, "edit")
        self._require_active(campaign, "edit")

    async def check_can_change_state(
        self, actor: str, campaign: Campaign, *, closing: bool
    ) -> None:
        """Raise unless `actor` may close (or reopen) `campaign` now."""
        await self._require_manager(actor, campaign, "close" if closing else "reopen")
        if closing and campaign.state is CampaignState.CLOSED:
            raise Conflict(f"Campaign #{campaign.id} “{campaign.name}” is already closed.")
        if not closing and campaign.state is CampaignState.ACTIVE:
            raise Conflict(f"Campaign #{campaign.id} “{campaign.name}” is already active.")

    # -- rules -----------------------------------------------------------------------------

    async def _require_security_manager(self, actor: str, action: str) -> None:
        if not await self.directory.is_security_manager(actor):
            raise PermissionDenied(f"Only security managers can {action}.")

    async def _require_manager(self, actor: str, campaign: Campaign, action: str) -> None:
        if actor == campaign.manager:
            return
        if not await self.directory.is_security_manager(actor):
            raise PermissionDenied(
                f"Only the campaign's manager (<@{campaign.manager}>) or a security manager "
                f"can {action} campaign #{campaign.id}."
            )

    async def _check_manager_field(self, manager: str) -> None:
        if not manager:
            raise CampaignError("Choose a campaign manager.", field="manager")
        if not await self.directory.is_security_manager(manager):
            raise CampaignError(
                f"<@{manager}> is not a security manager; a campaign's manager must be one.",
                field="manager",
            )

    def _check_text_fields(self, name: str | None, description: str | None) -> None:
        if name is not None and not 1 <= len(name) <= NAME_MAX:
            raise CampaignError(
                f"The name must be 1 to {NAME_MAX} characters (it has {len(name)}).",
                field="name",
            )
        if description is not None and not 1 <= len(description) <= DESCRIPTION_MAX:
            raise CampaignError(
                f"The short description must be 1 to {DESCRIPTION_MAX} characters "
                f"(it has {len(description)}).",
                field="description",
            )

    def _check_due_date(self, due: date, timezone: str) -> None:
        today = self._today(timezone)
        if due <= today:
            raise CampaignError(
                f"The due date must be in the future (after {today.isoformat()}).",
                field="due_date",
            )

    @staticmethod
    def _check_contact_link(link: str | None) -> None:
        if link and not URL.match(link):
            raise CampaignError(
                "The contact link must be a web address starting with https://",
                field="contact_link",
            )

    @staticmethod
    def _check_timezone(timezone: str) -> None:
        try:
            ZoneInfo(timezone)
        except (KeyError, ValueError) as exc:
            raise CampaignError(f"Unknown time zone “{timezone}”.", field="timezone") from exc

    async def _check_room_for_active(self, conn: AsyncConnection, verb: str) -> None:
        active = await store.count_active(conn)
        limit = self.settings.max_active_campaigns
        if active >= limit:
            raise Conflict(
                f"There are already {active} active campaigns, the most allowed ({limit}). "
                f"Close one before you {verb} another."
            )

    # -- mutations -------------------------------------------------------------------------

    async def create(self, actor: str, request: CreateRequest) -> Created:
        """Create a campaign from a query or a template, under every rule of §4."""
        await self._require_security_manager(actor, "create campaigns")
        template = None
        if request.template:
            template = templates.find(request.template)
            if template is None:
                raise CampaignError(
                    f"There is no template “{request.template}”. `/campaign templates` lists them.",
                    field="template",
                )
        text = request.query or (template.query if template else "")
        if not text.strip():
            raise CampaignError("Give a filter query or choose a template.", field="query")
        query = self.parse_query(text)
        timezone = request.timezone or self.settings.campaign_timezone
        self._check_timezone(timezone)
        self._check_text_fields(request.name, request.description)
        self._check_due_date(request.due_date, timezone)
        self._check_contact_link(request.contact_link)
        await self._check_manager_field(request.manager)

        now = self.clock()
        async with self.engine.begin() as conn:
            if request.request_key:
                earlier = await store.by_request_key(conn, request.request_key)
                if earlier is not None:
                    return Created(campaign=earlier, left_out=earlier.left_out, replayed=True)
            await self._check_room_for_active(conn, "create")
            counts = await alert_query.count_selection(conn, query, now=now)
            if counts.alerts == 0:
                raise CampaignError(
                    f"“{text}” selects no alerts; a campaign needs at least one.", field="query"
                )
            kind = self._single_kind(counts.code, counts.secret)
            limit = self.settings.max_campaign_alerts
            big = (
                counts.alerts > limit
                or counts.repositories >= self.settings.big_campaign_repositories
            )
            if big and not request.continue_big:
                raise Conflict(
                    f"This looks like a big campaign: {counts.alerts} alerts in "
                    f"{counts.repositories} repositories. Refine the filter, or continue and "
                    f"keep the first {min(limit, counts.alerts)} alerts "
                    "(from the most recently pushed repositories).",
                    field="query",
                )
            chosen = await alert_query.select_for_campaign(conn, query, now=now, limit=limit)
            left_out = counts.alerts - len(chosen)
            campaign = Campaign(
                name=request.name,
                description=request.description,
                kind=kind,
                query=text,
                template=template.slug if template else None,
                due_date=request.due_date,
                manager=request.manager,
                channel=request.channel or None,
                contact_link=request.contact_link or None,
                timezone=timezone,
                created_by=actor,
                created_at=now,
                updated_at=now,
                left_out=left_out,
            )
            campaign_id = await store.insert_campaign(conn, campaign, request.request_key)
            await store.add_alerts(conn, campaign_id, chosen)
            created = campaign.model_copy(update={"id": campaign_id, "alert_count": len(chosen)})
            await self._record(
                conn,
                created,
                actor,
                "created",
                after={
                    "name": created.name,
                    "query": text,
                    "alerts": len(chosen),
                    "left_out": left_out,
                    "due_date": created.due_date.isoformat(),
                    "manager": created.manager,
                },
            )
        await self._tell_observers(created, "created")
        return Created(campaign=created, left_out=left_out)

    @staticmethod
    def _single_kind(code: int, secret: int) -> AlertKind:
        if code and secret:
            raise CampaignError(
                f"The filter selects {code} code alerts and {secret} secret alerts; a campaign "
                "holds one kind. Add kind:code or kind:secret.",
                field="query",
            )
        return AlertKind.CODE if code else AlertKind.SECRET

    async def edit(self, actor: str, reference: str, request: EditRequest) -> Edited:
        """Change fields of an active campaign; returns what changed (for the announcement)."""
        async with self.engine.begin() as conn:
            campaign = await self.resolve(reference, conn)
            await self._require_manager(actor, campaign, "edit")
            self._require_active(campaign, "edit")
            wanted = request.model_dump(exclude_unset=True)
            self._check_text_fields(wanted.get("name"), wanted.get("description"))
            if "due_date" in wanted and wanted["due_date"] != campaign.due_date:
                self._check_due_date(wanted["due_date"], campaign.timezone)
            if "manager" in wanted and wanted["manager"] != campaign.manager:
                await self._check_manager_field(wanted["manager"])
            self._check_contact_link(wanted.get("contact_link"))
            changes = {
                field: (getattr(campaign, field), value or None)
                for field, value in wanted.items()
                if field in EDITABLE and (value or None) != getattr(campaign, field)
            }
            if not changes:
                return Edited(campaign=campaign, changes={})
            now = self.clock()
            await store.update_fields(
                conn,
                campaign.number,
                {k: new for k, (_, new) in changes.items()} | {"updated_at": now},
            )
            updated = campaign.model_copy(
                update={k: new for k, (_, new) in changes.items()} | {"updated_at": now}
            )
            await self._record(
                conn,
                updated,
                actor,
                "edited",
                before={k: _plain(old) for k, (old, _) in changes.items()},
                after={k: _plain(new) for k, (_, new) in changes.items()},
            )
        await self._tell_observers(updated, "edited")
        return Edited(campaign=updated, changes=changes)

    @staticmethod
    def _require_active(campaign: Campaign, action: str) -> None:
        if campaign.state is not CampaignState.ACTIVE:
            raise Conflict(
                f"Campaign #{campaign.id} “{campaign.name}” is closed; reopen it to {action} it."
            )

    async def close(self, actor: str, reference: str) -> Campaign:
        async with self.engine.begin() as conn:
            campaign = await self.resolve(reference, conn)
            await self._require_manager(actor, campaign, "close")
            if campaign.state is CampaignState.CLOSED:
                raise Conflict(f"Campaign #{campaign.id} “{campaign.name}” is already closed.")
            now = self.clock()
            values = {"state": CampaignState.CLOSED, "closed_at": now, "updated_at": now}
            await store.update_fields(conn, campaign.number, values)
            closed = campaign.model_copy(update=values)
            await self._record(
                conn, closed, actor, "closed", before={"state": "active"}, after={"state": "closed"}
            )
        await self._tell_observers(closed, "closed")
        return closed

    async def reopen(self, actor: str, reference: str) -> Campaign:
        async with self.engine.begin() as conn:
            campaign = await self.resolve(reference, conn)
            await self._require_manager(actor, campaign, "reopen")
            if campaign.state is CampaignState.ACTIVE:
                raise Conflict(f"Campaign #{campaign.id} “{campaign.name}” is already active.")
            await self._check_room_for_active(conn, "reopen")
            now = self.clock()
            values = {"state": CampaignState.ACTIVE, "closed_at": None, "updated_at": now}
            await store.update_fields(conn, campaign.number, values)
            reopened = campaign.model_copy(update=values)
            await self._record(
                conn,
                reopened,
                actor,
                "reopened",
                before={"state": "closed"},
                after={"state": "active"},
            )
        await self._tell_observers(reopened, "reopened")
        return reopened

    async def delete(self, actor: str, reference: str, *, confirm_name: str) -> Campaign:
        """Delete for good; the caller must type the campaign's name to confirm."""
        async with self.engine.begin() as conn:
            campaign = await self.resolve(reference, conn)
            await self._require_security_manager(actor, "delete campaigns")
            if confirm_name.strip() != campaign.name:
                raise CampaignError(
                    f"To delete, type the campaign's name exactly: {campaign.name}",
                    field="confirm_name",
                )
            await store.delete_campaign(conn, campaign.number)
            await self._record(
                conn,
                campaign,
                actor,
                "deleted",
                before={"name": campaign.name, "alerts": campaign.alert_count},
            )
        await self._tell_observers(campaign, "deleted")
        return campaign

    async def find_alert(self, conn: AsyncConnection, campaign: Campaign, reference: str) -> Alert:
        ref = parse_alert_ref(reference)
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
        async with self.engine.begin() as conn:
            campaign = await self.resolve(reference, conn)
            self._require_active(campaign, "assign alerts in")
            if assignee != actor:
                await self._require_manager(actor, campaign, "assign others in")
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
                    assigned_at=self.clock(),
                ),
            )
            await self._record(
                conn,
                campaign,
                actor,
                "assigned",
                subject=alert.reference,
                before={"assignee": before.assignee} if before else None,
                after={"assignee": assignee},
            )
        await self._tell_observers(campaign, "assigned")
        return campaign, alert

    async def unassign(
        self, actor: str, reference: str, alert_reference: str
    ) -> tuple[Campaign, Alert, str]:
        async with self.engine.begin() as conn:
            campaign = await self.resolve(reference, conn)
            self._require_active(campaign, "unassign alerts in")
            alert = await self.find_alert(conn, campaign, alert_reference)
            current = await store.get_assignment(conn, campaign.number, alert.id or 0)
            if current is None:
                raise Conflict(f"Alert {alert.reference} has no assignee.")
            if current.assignee != actor:
                await self._require_manager(actor, campaign, "unassign others in")
            await self.gate.check_and_write(alert, None)
            await store.remove_assignment(conn, campaign.number, alert.id or 0)
            await self._record(
                conn,
                campaign,
                actor,
                "unassigned",
                subject=alert.reference,
                before={"assignee": current.assignee},
            )
        await self._tell_observers(campaign, "unassigned")
        return campaign, alert, current.assignee

    async def _record(
        self,
        conn: AsyncConnection,
        campaign: Campaign,
        actor: str,
        action: str,
        *,
        subject: str | None = None,
        before: dict[str, Any] | None = None,
        after: dict[str, Any] | None = None,
    ) -> None:
        await events.add(
            conn,
            Event(
                campaign_id=campaign.id,
                actor=actor,
                action=action,
                at=self.clock(),
                subject=subject,
                before=before,
                after=after,
            ),
        )


def _plain(value: Any) -> Any:
    """JSON-friendly values for the audit trail."""
    if isinstance(value, date | datetime):
        return value.isoformat()
    return value
