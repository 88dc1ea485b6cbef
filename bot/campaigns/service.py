"""The campaign service: every rule of ARCHITECTURE §4, checked once, whichever surface calls.

Each mutation opens one transaction, checks the rules, changes the rows, writes its audit `Event`
and the notices that tell people about it (the outbox), all in that same transaction: the trail,
the state and what will be said never disagree, and a crash after the commit loses nothing.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from bot.campaigns import rules
from bot.campaigns.checks import CampaignChecks
from bot.campaigns.launch import launch_notices
from bot.campaigns.notifier import CampaignNotifier
from bot.campaigns.requests import EDITABLE, Created, CreateRequest, Edited, EditRequest
from bot.core import notices, templates
from bot.core.errors import CampaignError, Conflict, raise_all
from bot.core.models import Campaign, CampaignState
from bot.core.notices import Notice, NoticeKind
from store import alert_query, outbox
from store import campaigns as store
from store.engine import write_transaction


class CampaignService(CampaignChecks, CampaignNotifier):
    """Every campaign mutation: the checks (`CampaignChecks`), then the rows, the audit event and
    the notices in one transaction (`CampaignNotifier`)."""

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


def _plain(value: Any) -> Any:
    """JSON-friendly values for the audit trail and the notices."""
    if isinstance(value, date | datetime):
        return value.isoformat()
    return value


def _value(value: Any) -> Any:
    """An emptied text field means "none"; a boolean is kept as it is."""
    return value if isinstance(value, bool) else (value or None)
