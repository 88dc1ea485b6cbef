"""What is due at `now` (ARCHITECTURE §6): pure functions of a campaign, a clock and a time zone.

A *slot* is a moment something should be sent, named so that its delivery key is stable
(`due-7`, `due-1`, `due-0`, `overdue-14`, `2026-W49`). A job asks for the slot due at `now`: the
latest slot at or before `now`, if it is still within its catch-up window. So a job that was down
sends only the latest slot it missed, and never a stale one ("7 days left" on the last day): the
next slot supersedes it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.core.days import WEEKDAYS, parse_days
from bot.core.settings import Settings

SEND_AT = time(9, 0)
"""Reminders and digests go out at 09:00 local time."""
CHANNEL_DAYS_BEFORE = (7, 1, 0)
DM_DAYS_BEFORE = (3, 0)
OVERDUE_EVERY = 7
"""Days between overdue reminders."""
DM_OVERDUE_WEEKS = 4
"""Overdue DMs stop after this many weeks; the channel keeps reminding while overdue."""
CHANNEL_OVERDUE_WEEKS = 52
REMINDER_CATCH_UP = timedelta(hours=24)
DIGEST_CATCH_UP = timedelta(hours=48)
MONDAY = 0


@dataclass(frozen=True)
class Schedule:
    """The installation's timings (settings), with ARCHITECTURE §6's defaults."""

    channel_days: tuple[int, ...] = CHANNEL_DAYS_BEFORE
    dm_days: tuple[int, ...] = DM_DAYS_BEFORE
    send_at: time = SEND_AT
    digest_weekday: int = MONDAY
    digest_at: time = SEND_AT
    reminder_window: timedelta = REMINDER_CATCH_UP
    digest_window: timedelta = DIGEST_CATCH_UP


DEFAULT = Schedule()


@dataclass(frozen=True)
class Slot:
    name: str
    at: datetime
    """When it is due, timezone-aware."""


def local_moment(day: date, zone: str, at: time = SEND_AT) -> datetime:
    return datetime.combine(day, at, tzinfo=ZoneInfo(zone))


def _weekday_or_friday_before(day: date) -> date:
    """Weekdays only: a Saturday or Sunday slot moves to the Friday before."""
    return day - timedelta(days=max(0, day.weekday() - 4))


def _name(offset: int) -> str:
    return f"due-{offset}" if offset >= 0 else f"overdue-{-offset}"


def reminder_slots(
    due: date,
    zone: str,
    *,
    days_before: tuple[int, ...] = CHANNEL_DAYS_BEFORE,
    overdue_weeks: int = CHANNEL_OVERDUE_WEEKS,
    weekdays_only: bool = False,
    at: time = SEND_AT,
) -> list[Slot]:
    """Every reminder slot of a due date, in order: the days before, then weekly when overdue."""
    offsets = sorted({int(days) for days in days_before if days >= 0}, reverse=True)
    offsets += [-OVERDUE_EVERY * week for week in range(1, overdue_weeks + 1)]
    slots = []
    for offset in offsets:
        day = due - timedelta(days=offset)
        if weekdays_only:
            day = _weekday_or_friday_before(day)
        slots.append(Slot(_name(offset), local_moment(day, zone, at)))
    return sorted(slots, key=lambda slot: slot.at)


def due_slot(
    slots: list[Slot], now: datetime, *, since: datetime | None, window: timedelta
) -> Slot | None:
    """The latest slot at or before `now`, if within `window` and not before `since` (the
    campaign's creation: slots before it are not sent)."""
    now = now.astimezone(UTC)  # elapsed time in real hours, whatever zones the moments carry
    passed = [slot for slot in slots if slot.at <= now]
    if not passed:
        return None
    latest = passed[-1]
    if now - latest.at.astimezone(UTC) > window:
        return None
    if since is not None and latest.at < since:
        return None
    return latest


def channel_reminder(
    due: date,
    zone: str,
    now: datetime,
    *,
    created_at: datetime,
    days_before: tuple[int, ...] | None = None,
    schedule: Schedule = DEFAULT,
) -> Slot | None:
    """The channel reminder due at `now`, in the campaign's zone."""
    slots = reminder_slots(
        due,
        zone,
        days_before=days_before if days_before is not None else schedule.channel_days,
        at=schedule.send_at,
    )
    return due_slot(slots, now, since=created_at, window=schedule.reminder_window)


def dm_reminder(
    due: date, zone: str, now: datetime, *, created_at: datetime, schedule: Schedule = DEFAULT
) -> Slot | None:
    """A person's reminder slot for one campaign, in their own time zone, weekdays only."""
    slots = reminder_slots(
        due,
        zone,
        days_before=schedule.dm_days,
        overdue_weeks=DM_OVERDUE_WEEKS,
        weekdays_only=True,
        at=schedule.send_at,
    )
    return due_slot(slots, now, since=created_at, window=schedule.reminder_window)


def dm_slot_near(due: date, now: datetime, schedule: Schedule = DEFAULT) -> bool:
    """Whether any reminder DM slot of `due` could be due at `now` in some time zone: a slot
    date (moved to a Friday at most two days earlier) within a few days of `now`."""
    today = now.astimezone(UTC).date()
    offsets = [*schedule.dm_days, *(-OVERDUE_EVERY * w for w in range(1, DM_OVERDUE_WEEKS + 1))]
    margin = timedelta(days=3) + schedule.reminder_window
    return any(abs(due - timedelta(days=offset) - today) <= margin for offset in offsets)


def digest_week(
    now: datetime, zone: str, *, created_at: datetime, schedule: Schedule = DEFAULT
) -> Slot | None:
    """The weekly digest due at `now`: the digest day (Monday) at 09:00 in the campaign's zone,
    caught up within 48 hours, named by ISO week. The first is the first moment strictly after
    the launch: a campaign launched at 09:00 on a Monday has no week to sum up yet (its launch
    card just said it all), so its first digest is the next Monday's."""
    local = now.astimezone(ZoneInfo(zone))
    day = local.date() - timedelta(days=(local.weekday() - schedule.digest_weekday) % 7)
    at = local_moment(day, zone, schedule.digest_at)
    if at > now:
        day -= timedelta(days=7)
        at = local_moment(day, zone, schedule.digest_at)
    year, week, _ = day.isocalendar()
    slot = Slot(f"{year}-W{week:02d}", at)
    if at <= created_at:
        return None
    return due_slot([slot], now, since=created_at, window=schedule.digest_window)


def schedule_from(settings: Settings) -> Schedule:
    return Schedule(
        channel_days=parse_days(settings.reminder_days),
        dm_days=parse_days(settings.reminder_dm_days),
        send_at=time(settings.reminder_hour, 0),
        digest_weekday=WEEKDAYS.index(settings.digest_day),
        digest_at=time(settings.digest_hour, 0),
        reminder_window=timedelta(hours=settings.reminder_catch_up_hours),
        digest_window=timedelta(hours=settings.digest_catch_up_hours),
    )
