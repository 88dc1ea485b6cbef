"""The clock jobs (ARCHITECTURE §6): ask what is due at `now`, write it to the outbox, end.

The database is the source of truth: a notice's key names its slot, so a job run twice, a
restart, or two replicas racing write each notice once; the deliverer sends it (and re-checks
that the campaign is still active just before).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.campaigns.service import CampaignService
from bot.core import notices
from bot.core.clock import Clock, system_clock
from bot.core.days import parse_days
from bot.core.models import Campaign
from bot.core.notices import Notice
from bot.core.settings import Settings
from bot.scheduler import slots
from store import events, outbox, preferences, reminders
from store.engine import write_transaction

log = logging.getLogger(__name__)


class TimeZones(Protocol):
    """People's own time zones (Slack's), asked for everyone at once: those Slack does not know
    are left out, and their reminders follow the campaign's zone."""

    async def timezones_of(self, user_ids: Sequence[str]) -> dict[str, str]: ...


class CampaignZone:
    """Without Slack, a person's reminders follow the campaign's time zone."""

    async def timezones_of(self, user_ids: Sequence[str]) -> dict[str, str]:
        del user_ids
        return {}


class ClockJobs:
    def __init__(
        self,
        engine: AsyncEngine,
        campaigns: CampaignService,
        settings: Settings,
        zones: TimeZones | None = None,
        clock: Clock = system_clock,
    ) -> None:
        self.engine = engine
        self.campaigns = campaigns
        self.schedule = slots.schedule_from(settings)
        self.zones: TimeZones = zones or CampaignZone()
        self.clock = clock

    async def reminders(self, now: datetime | None = None, *, write: bool = True) -> list[Notice]:
        """Channel reminders and reminder DMs due at `now`; returns the notices written (or,
        without `write`, those that would be: due and not in the outbox yet)."""
        now = now or self.clock()
        active = {c.number: c for c in await self.campaigns.list_campaigns()}
        async with self.engine.connect() as conn:
            moves = await events.due_date_moves(conn, list(active))
        told = [
            notice
            for campaign in active.values()
            if (notice := self._channel_reminder(campaign, now, moves.get(campaign.number, 0)))
        ]
        told += await self._reminder_dms(active, now)
        return await self._write(told) if write else await self._new(told)

    async def digest(self, now: datetime | None = None, *, write: bool = True) -> list[Notice]:
        """The weekly digests due at `now`, one per active campaign with a channel."""
        now = now or self.clock()
        told = []
        for campaign in await self.campaigns.list_campaigns():
            if not campaign.channel:
                continue
            week = slots.digest_week(
                now, campaign.timezone, created_at=campaign.created_at, schedule=self.schedule
            )
            if week is not None:
                told.append(notices.digest(campaign.number, campaign.channel, week.name, now))
        return await self._write(told) if write else await self._new(told)

    def _channel_reminder(self, campaign: Campaign, now: datetime, moves: int) -> Notice | None:
        """The slot's name is the key's period (`due-7`); once the due date was moved, the
        reminders of the new date are new ones (`due-7.m1`), not the old date's sent again."""
        channel = campaign.reminder_channel or campaign.channel
        if not campaign.reminders or not channel:
            return None
        days = parse_days(campaign.reminder_days) if campaign.reminder_days else None
        slot = slots.channel_reminder(
            campaign.due_date,
            campaign.timezone,
            now,
            created_at=campaign.created_at,
            days_before=days,
            schedule=self.schedule,
        )
        if slot is None:
            return None
        period = slot.name if moves == 0 else f"{slot.name}.m{moves}"
        return notices.reminder(campaign.number, channel, period, now)

    async def _reminder_dms(self, active: dict[int, Campaign], now: datetime) -> list[Notice]:
        """One DM per person per local day, covering every campaign whose slot is due for them
        in their own time zone; nobody who turned notices off or snoozed, nobody without work."""
        # A DM slot is 09:00 somewhere on a day near a slot date: no campaign near one, nothing
        # to ask (not even anyone's time zone).
        near = {n for n, c in active.items() if slots.dm_slot_near(c.due_date, now, self.schedule)}
        if not near:
            return []
        async with self.engine.connect() as conn:
            work = [w for w in await reminders.open_work(conn, now) if w.campaign_id in near]
            people = sorted({w.assignee for w in work})
            quiet = await preferences.muted(conn, people) | await preferences.snoozed(
                conn, people, now
            )
        due: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
        working = sorted(
            {w.assignee for w in work if w.assignee not in quiet and w.open + w.in_progress}
        )
        zones = await self.zones.timezones_of(working) if working else {}
        decided: dict[tuple[int, str], slots.Slot | None] = {}
        for item in work:
            if item.assignee in quiet or item.open + item.in_progress == 0:
                continue
            campaign = active[item.campaign_id]
            zone = zones.get(item.assignee, campaign.timezone)
            key = (campaign.number, zone)
            if key not in decided:  # once per campaign and zone, not per person
                decided[key] = slots.dm_reminder(
                    campaign.due_date,
                    zone,
                    now,
                    created_at=campaign.created_at,
                    schedule=self.schedule,
                )
            slot = decided[key]
            if slot is None:
                continue
            day = slot.at.date().isoformat()
            due[(item.assignee, day)].append(
                {
                    "campaign": campaign.number,
                    "slot": slot.name,
                    "open": item.open,
                    "in_progress": item.in_progress,
                }
            )
        return [notices.reminder_dm(user, day, items, now) for (user, day), items in due.items()]

    async def _new(self, told: list[Notice]) -> list[Notice]:
        async with self.engine.connect() as conn:
            known = await outbox.existing_keys(conn, [notice.key for notice in told])
        return [notice for notice in told if notice.key not in known]

    async def _write(self, told: list[Notice]) -> list[Notice]:
        if not told:
            return []
        fresh = await self._new(told)  # a run that finds everything written writes nothing
        if not fresh:
            return []
        written: list[Notice] = []
        async with write_transaction(self.engine) as conn:
            for notice in fresh:
                if await outbox.enqueue(conn, [notice]):
                    written.append(notice)
        if written and self.campaigns.notices_written is not None:
            self.campaigns.notices_written()
        return written
