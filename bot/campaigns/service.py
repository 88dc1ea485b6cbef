"""The campaign service: every rule of ARCHITECTURE §4, checked once, whichever surface calls.

Each mutation opens one transaction, checks the rules, changes the rows, writes its audit `Event`
and the notices that tell people about it (the outbox), all in that same transaction: the trail,
the state and what will be said never disagree, and a crash after the commit loses nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.campaigns import rules
from bot.campaigns.launch import launch_notices
from bot.campaigns.ports import CampaignObserver, Directory
from bot.campaigns.queries import CampaignQueries
from bot.campaigns.requests import EDITABLE, Created, CreateRequest, Edited, EditRequest
from bot.core import notices, templates
from bot.core.clock import Clock, system_clock
from bot.core.errors import CampaignError, Conflict, PermissionDenied, raise_all
from bot.core.models import Campaign, CampaignState, Event
from bot.core.notices import Notice, NoticeKind, NoticeState
from bot.core.settings import Settings
from store import alert_query, events, outbox, preferences
from store import assignments as assignment_store
from store import campaigns as store
from store.engine import write_transaction

log = logging.getLogger(__name__)


class CampaignService(CampaignQueries):
    def __init__(
        self,
        engine: AsyncEngine,
        settings: Settings,
        *,
        directory: Directory | None = None,
        clock: Clock = system_clock,
    ) -> None:
        super().__init__(engine, settings, directory=directory, clock=clock)
        self.observers: list[CampaignObserver] = []
        self.notices_written: Callable[[], None] | None = None
        """Called after a commit that wrote notices: the in-process deliverer wakes at once."""

    async def after_commit(self, campaign: Campaign, action: str, wrote_notices: bool) -> None:
        if wrote_notices and self.notices_written is not None:
            self.notices_written()
        for observer in self.observers:
            try:
                await observer.campaign_changed(campaign, action)
            except Exception:  # an observer must never undo a committed change
                log.exception("observer %r failed on %s of #%s", observer, action, campaign.id)

    # -- permission checks the surfaces ask before opening a form --------------------------

    async def check_can_create(self, actor: str) -> None:
        """Asked before the form opens: who may create, and whether there is room for one more."""
        await self._require_security_manager(actor, "create campaigns")
        async with self.engine.connect() as conn:
            await self._check_room_for_active(conn, "create")

    async def check_can_delete(self, actor: str) -> None:
        await self._require_security_manager(actor, "delete campaigns")

    async def check_can_edit(self, actor: str, campaign: Campaign) -> None:
        """Raise unless `actor` may edit `campaign` now (checked before opening the form)."""
        await self.require_manager(actor, campaign, "edit")
        rules.require_active(campaign, "edit")

    async def check_can_change_state(
        self, actor: str, campaign: Campaign, *, closing: bool
    ) -> None:
        """Raise unless `actor` may close (or reopen) `campaign` now."""
        await self.require_manager(actor, campaign, "close" if closing else "reopen")
        if closing and campaign.state is CampaignState.CLOSED:
            raise Conflict(f"Campaign #{campaign.id} “{campaign.name}” is already closed.")
        if not closing and campaign.state is CampaignState.ACTIVE:
            raise Conflict(f"Campaign #{campaign.id} “{campaign.name}” is already active.")

    async def _require_security_manager(self, actor: str, action: str) -> None:
        if not await self.directory.is_security_manager(actor):
            raise PermissionDenied(f"Only security managers can {action}.")

    async def require_manager(self, actor: str, campaign: Campaign, action: str) -> None:
        if not await self.may_manage(actor, campaign):
            raise PermissionDenied(
                f"Only the campaign's manager (<@{campaign.manager}>) or a security manager "
                f"can {action} campaign #{campaign.id}."
            )

    def _check_query_text(self, text: str) -> None:
        if not text.strip():
            raise CampaignError("Give a filter query or choose a template.", field="query")
        self.parse_query(text)

    async def _check_manager_field(self, manager: str) -> None:
        if not manager:
            raise CampaignError("Choose a campaign manager.", field="manager")
        if not await self.directory.is_security_manager(manager):
            raise CampaignError(
                f"A campaign's manager must be a security manager; <@{manager}> is not one.",
                field="manager",
            )

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
        timezone = request.timezone or self.settings.campaign_timezone
        problems = rules.field_problems(
            lambda: self._check_query_text(text),
            lambda: rules.check_timezone(timezone),
            lambda: rules.check_text_fields(request.name, request.description),
            lambda: rules.check_due_date(request.due_date, self.today(timezone)),
            lambda: rules.check_contact_link(request.contact_link),
        )
        try:
            await self._check_manager_field(request.manager)
        except CampaignError as problem:
            problems.append(problem)
        raise_all(problems)
        query = self.parse_query(text)

        now = self.clock()
        async with write_transaction(self.engine) as conn:
            if request.request_key:
                earlier = await store.by_request_key(conn, request.request_key)
                if earlier is not None:
                    return Created(campaign=earlier, left_out=earlier.left_out, replayed=True)
            await self._check_room_for_active(conn, "create")
            # One pass over the selection counts it per repository; the alerts kept are then
            # read from the most recently pushed repositories only.
            selection = await alert_query.selection_for_campaign(conn, query, now=now)
            counts = selection.counts
            if counts.alerts == 0:
                raise CampaignError(
                    f"“{text}” selects no alerts; a campaign needs at least one.", field="query"
                )
            kind = rules.single_kind(counts.code, counts.secret)
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
            chosen = await alert_query.choose(conn, selection, limit=limit)
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
            await self.record(
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
            told = []
            if created.channel:
                told.append(notices.launch(campaign_id, created.channel, now))
            told += await launch_notices(conn, created, now)
            await outbox.enqueue(conn, told)
        await self.after_commit(created, "created", bool(told))
        return Created(campaign=created, left_out=left_out)

    async def edit(self, actor: str, reference: str, request: EditRequest) -> Edited:
        """Change fields of an active campaign; the change is announced in its channel."""
        async with write_transaction(self.engine) as conn:
            campaign = await self.resolve(reference, conn)
            await self.require_manager(actor, campaign, "edit")
            rules.require_active(campaign, "edit")
            wanted = request.model_dump(exclude_unset=True)
            rules.check_text_fields(wanted.get("name"), wanted.get("description"))
            if "due_date" in wanted and wanted["due_date"] != campaign.due_date:
                rules.check_due_date(wanted["due_date"], self.today(campaign.timezone))
            if "manager" in wanted and wanted["manager"] != campaign.manager:
                await self._check_manager_field(wanted["manager"])
            rules.check_contact_link(wanted.get("contact_link"))
            if wanted.get("reminder_days"):
                wanted["reminder_days"] = rules.reminder_days(wanted["reminder_days"])
            if wanted.get("nudge_severities"):
                wanted["nudge_severities"] = rules.nudge_severities(wanted["nudge_severities"])
            if wanted.get("nudge_min_age_days") is not None:
                wanted["nudge_min_age_days"] = rules.nudge_min_age(wanted["nudge_min_age_days"])
            if wanted.get("reminders") is None:
                wanted.pop("reminders", None)  # a checkbox left alone is no change
            changes = {
                field: (getattr(campaign, field), _value(value))
                for field, value in wanted.items()
                if field in EDITABLE and _value(value) != getattr(campaign, field)
            }
            if not changes:
                return Edited(campaign=campaign, changes={})
            now = self.clock()
            values = {k: new for k, (_, new) in changes.items()} | {"updated_at": now}
            await store.update_fields(conn, campaign.number, values)
            updated = campaign.model_copy(update=values)
            before = {k: _plain(old) for k, (old, _) in changes.items()}
            after = {k: _plain(new) for k, (_, new) in changes.items()}
            event_id = await self.record(conn, updated, actor, "edited", before=before, after=after)
            told = await self._tell_channel(
                conn,
                updated,
                NoticeKind.EDITED,
                now,
                event_id,
                {"actor": actor, "before": before, "after": after},
            )
            if updated.channel and updated.channel != campaign.announce_channel:
                # The campaign moved (or got) a channel: its live card follows it there.
                told.append(notices.launch(updated.number, updated.channel, now))
            await outbox.enqueue(conn, told)
        await self.after_commit(updated, "edited", bool(told))
        return Edited(campaign=updated, changes=changes)

    async def close(self, actor: str, reference: str) -> Campaign:
        async with write_transaction(self.engine) as conn:
            campaign = await self.resolve(reference, conn)
            await self.require_manager(actor, campaign, "close")
            if campaign.state is CampaignState.CLOSED:
                raise Conflict(f"Campaign #{campaign.id} “{campaign.name}” is already closed.")
            now = self.clock()
            values = {"state": CampaignState.CLOSED, "closed_at": now, "updated_at": now}
            await store.update_fields(conn, campaign.number, values)
            closed = campaign.model_copy(update=values)
            event_id = await self.record(
                conn, closed, actor, "closed", before={"state": "active"}, after={"state": "closed"}
            )
            told = await self._tell_channel(
                conn, closed, NoticeKind.CLOSED, now, event_id, {"actor": actor}
            )
            await outbox.enqueue(conn, told)
        await self.after_commit(closed, "closed", bool(told))
        return closed

    async def reopen(self, actor: str, reference: str) -> Campaign:
        async with write_transaction(self.engine) as conn:
            campaign = await self.resolve(reference, conn)
            await self.require_manager(actor, campaign, "reopen")
            if campaign.state is CampaignState.ACTIVE:
                raise Conflict(f"Campaign #{campaign.id} “{campaign.name}” is already active.")
            await self._check_room_for_active(conn, "reopen")
            now = self.clock()
            values = {"state": CampaignState.ACTIVE, "closed_at": None, "updated_at": now}
            await store.update_fields(conn, campaign.number, values)
            reopened = campaign.model_copy(update=values)
            event_id = await self.record(
                conn,
                reopened,
                actor,
                "reopened",
                before={"state": "closed"},
                after={"state": "active"},
            )
            told = await self._tell_channel(
                conn, reopened, NoticeKind.REOPENED, now, event_id, {"actor": actor}
            )
            await outbox.enqueue(conn, told)
        await self.after_commit(reopened, "reopened", bool(told))
        return reopened

    async def delete(self, actor: str, reference: str, *, confirm_name: str) -> Campaign:
        """Delete for good; the caller must type the campaign's name to confirm."""
        async with write_transaction(self.engine) as conn:
            campaign = await self.resolve(reference, conn)
            await self._require_security_manager(actor, "delete campaigns")
            if confirm_name.strip() != campaign.name:
                raise CampaignError(
                    f"To delete, type the campaign's name exactly: {campaign.name}",
                    field="confirm_name",
                )
            await store.delete_campaign(conn, campaign.number)
            event_id = await self.record(
                conn,
                campaign,
                actor,
                "deleted",
                before={"name": campaign.name, "alerts": campaign.alert_count},
            )
            told = []
            if campaign.channel:
                told.append(
                    notices.announcement(
                        NoticeKind.DELETED,
                        campaign.number,
                        campaign.channel,
                        self.clock(),
                        event_id=event_id,
                        payload={"actor": actor, "name": campaign.name},
                    )
                )
            await outbox.enqueue(conn, told)
        await self.after_commit(campaign, "deleted", bool(told))
        return campaign

    async def request_report(self, actor: str, campaign: Campaign, channel: str) -> Notice:
        """Post the progress report in a channel: only the manager or a security manager may."""
        await self.require_manager(actor, campaign, "post the report of")
        notice = notices.report(campaign.number, channel, self.clock(), actor)
        async with write_transaction(self.engine) as conn:
            await outbox.enqueue(conn, [notice])
        await self.after_commit(campaign, "reported", True)
        return notice

    async def alerts_changed(self, alert_ids: Sequence[int]) -> None:
        """Alerts moved (a webhook, a sync): bring the affected campaigns' live cards up to date,
        and tell each assignee once that their alert was closed, or is open again."""
        now = self.clock()
        wrote = False
        async with write_transaction(self.engine) as conn:
            changed = await assignment_store.held(conn, alert_ids)
            quiet = await preferences.muted(conn, [item.assignee for item in changed])
            told = [
                notices.alert_status(
                    item.campaign_id,
                    item.assignee,
                    alert_id=item.alert_id,
                    reference=item.reference,
                    state=item.state,
                    changed_at=item.updated_at,
                    now=now,
                )
                for item in changed
                if item.assignee not in quiet
            ]
            wrote |= bool(await outbox.enqueue(conn, told))
            wrote |= await self._refresh_cards(conn, alert_ids, now)
        if wrote and self.notices_written is not None:
            self.notices_written()

    async def work_changed(self, alert_ids: Sequence[int]) -> None:
        """Work started on alerts (a fix branch or pull request): only the cards move."""
        async with write_transaction(self.engine) as conn:
            wrote = await self._refresh_cards(conn, alert_ids, self.clock())
        if wrote and self.notices_written is not None:
            self.notices_written()

    async def _refresh_cards(
        self, conn: AsyncConnection, alert_ids: Sequence[int], now: datetime
    ) -> bool:
        wrote = False
        for campaign_id in await store.active_with_alerts(conn, alert_ids):
            campaign = await store.get(conn, campaign_id)
            if campaign is None or not await self._card_needs_refresh(conn, campaign):
                continue
            channel = campaign.announce_channel or campaign.channel
            refresh = notices.card_refresh(campaign_id, channel, now)
            wrote |= bool(await outbox.enqueue(conn, [refresh]))
        return wrote

    async def _tell_channel(
        self,
        conn: AsyncConnection,
        campaign: Campaign,
        kind: NoticeKind,
        now: datetime,
        event_id: int,
        payload: dict[str, Any],
    ) -> list[Notice]:
        """The announcement in the campaign's channel, and a refresh of its live card."""
        told: list[Notice] = []
        if campaign.channel:
            told.append(
                notices.announcement(
                    kind, campaign.number, campaign.channel, now, event_id=event_id, payload=payload
                )
            )
        if await self._card_needs_refresh(conn, campaign):
            channel = campaign.announce_channel or campaign.channel
            told.append(notices.card_refresh(campaign.number, channel, now))
        return told

    @staticmethod
    async def _card_needs_refresh(conn: AsyncConnection, campaign: Campaign) -> bool:
        """A posted card, or one being posted right now (it may show the old state), gets one
        refresh; none while one already waits, and none while the launch itself still waits (it
        will show the state as it is when it goes out)."""
        if await outbox.has_pending(conn, NoticeKind.CARD, campaign.number):
            return False
        return bool(campaign.announce_ts) or await outbox.has_pending(
            conn, NoticeKind.LAUNCH, campaign.number, states=(NoticeState.SENDING,)
        )

    async def record(
        self,
        conn: AsyncConnection,
        campaign: Campaign,
        actor: str,
        action: str,
        *,
        subject: str | None = None,
        before: dict[str, Any] | None = None,
        after: dict[str, Any] | None = None,
    ) -> int:
        return await events.add(
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
    """JSON-friendly values for the audit trail and the notices."""
    if isinstance(value, date | datetime):
        return value.isoformat()
    return value


def _value(value: Any) -> Any:
    """An emptied text field means "none"; a boolean is kept as it is."""
    return value if isinstance(value, bool) else (value or None)
