"""Reminder DMs (bot/scheduler/slots.py): 09:00 in the person's zone, 3 days before and on the
day, on weekdays only (a weekend slot moves to the Friday before), weekly overdue for 4 weeks.

Every expectation is an instant written in UTC (see tests/scheduler/slot_support.py).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.scheduler.slots import DEFAULT, channel_reminder, dm_reminder, reminder_slots
from tests.scheduler.slot_support import LONG_AGO, hours, utc


def dm_slots(due: date, zone: str = "UTC") -> dict[str, datetime]:
    """Each DM slot and the first moment (hourly) it is due."""
    seen: dict[str, datetime] = {}
    start = datetime.combine(due - timedelta(days=10), time(0), tzinfo=UTC)
    for now in hours(start, start + timedelta(days=60)):
        slot = dm_reminder(due, zone, now, created_at=LONG_AGO)
        if slot is not None:
            seen.setdefault(slot.name, now)
            assert now - slot.at <= timedelta(hours=24)
    return seen


@pytest.mark.parametrize(
    ("due", "expected"),
    [
        pytest.param(
            date(2026, 11, 15),  # a Sunday: the due-0 DM goes out on Friday the 13th
            {
                "due-3": utc(2026, 11, 12, 9),
                "due-0": utc(2026, 11, 13, 9),
                "overdue-7": utc(2026, 11, 20, 9),
                "overdue-14": utc(2026, 11, 27, 9),
                "overdue-21": utc(2026, 12, 4, 9),
                "overdue-28": utc(2026, 12, 11, 9),
            },
            id="due-sunday",
        ),
        pytest.param(
            date(2026, 11, 16),  # a Monday: due-3 is Friday the 13th
            {
                "due-3": utc(2026, 11, 13, 9),
                "due-0": utc(2026, 11, 16, 9),
                "overdue-7": utc(2026, 11, 23, 9),
                "overdue-14": utc(2026, 11, 30, 9),
                "overdue-21": utc(2026, 12, 7, 9),
                "overdue-28": utc(2026, 12, 14, 9),
            },
            id="due-monday",
        ),
        pytest.param(
            date(2026, 11, 17),  # a Tuesday: due-3 falls on Saturday, so Friday the 13th
            {
                "due-3": utc(2026, 11, 13, 9),
                "due-0": utc(2026, 11, 17, 9),
                "overdue-7": utc(2026, 11, 24, 9),
                "overdue-14": utc(2026, 12, 1, 9),
                "overdue-21": utc(2026, 12, 8, 9),
                "overdue-28": utc(2026, 12, 15, 9),
            },
            id="due-tuesday",
        ),
        pytest.param(
            date(2026, 11, 14),  # a Saturday: due-3 Wednesday, due-0 Friday
            {
                "due-3": utc(2026, 11, 11, 9),
                "due-0": utc(2026, 11, 13, 9),
                "overdue-7": utc(2026, 11, 20, 9),
                "overdue-14": utc(2026, 11, 27, 9),
                "overdue-21": utc(2026, 12, 4, 9),
                "overdue-28": utc(2026, 12, 11, 9),
            },
            id="due-saturday",
        ),
        pytest.param(
            date(2026, 11, 18),  # a Wednesday: due-3 falls on Sunday, so Friday the 13th
            {
                "due-3": utc(2026, 11, 13, 9),
                "due-0": utc(2026, 11, 18, 9),
                "overdue-7": utc(2026, 11, 25, 9),
                "overdue-14": utc(2026, 12, 2, 9),
                "overdue-21": utc(2026, 12, 9, 9),
                "overdue-28": utc(2026, 12, 16, 9),
            },
            id="due-wednesday",
        ),
    ],
)
def test_dm_slots_are_on_weekdays_and_stop_after_four_overdue_weeks(
    due: date, expected: dict[str, datetime]
) -> None:
    assert dm_slots(due) == expected
    assert all(at.weekday() < 5 for at in expected.values())


@pytest.mark.parametrize("weekday", range(7))
@pytest.mark.parametrize("zone", ["UTC", "America/New_York", "Europe/Paris", "Asia/Tokyo"])
def test_no_dm_slot_is_ever_on_a_weekend_in_the_persons_zone(weekday: int, zone: str) -> None:
    due = date(2026, 11, 16) + timedelta(days=weekday)
    slots = reminder_slots(
        due, zone, days_before=DEFAULT.dm_days, overdue_weeks=4, weekdays_only=True
    )
    assert len(slots) == 6
    for slot in slots:
        local = slot.at.astimezone(ZoneInfo(zone))
        assert local.weekday() < 5, slot
        assert local.time() == time(9, 0)


def test_dm_slots_follow_the_persons_zone() -> None:
    """The same campaign: 09:00 in Tokyo is midnight UTC, 09:00 in New York is 14:00 UTC."""
    due = date(2026, 11, 18)
    tokyo = dm_slots(due, "Asia/Tokyo")
    new_york = dm_slots(due, "America/New_York")
    assert tokyo["due-0"] == utc(2026, 11, 18, 0)
    assert new_york["due-0"] == utc(2026, 11, 18, 14)
    assert tokyo["due-3"] == utc(2026, 11, 13, 0)
    assert new_york["due-3"] == utc(2026, 11, 13, 14)


def test_the_weekend_dm_is_not_sent_on_the_weekend_itself() -> None:
    """Due on a Sunday: on Sunday at 09:00 nothing is due (Friday's slot is 48 h old)."""
    due = date(2026, 11, 15)
    assert dm_reminder(due, "UTC", utc(2026, 11, 15, 9), created_at=LONG_AGO) is None
    assert dm_reminder(due, "UTC", utc(2026, 11, 14, 9), created_at=LONG_AGO) is not None


def test_dm_overdue_stops_after_four_weeks() -> None:
    due = date(2026, 11, 18)
    last = dm_reminder(due, "UTC", utc(2026, 12, 16, 9), created_at=LONG_AGO)
    assert last is not None and last.name == "overdue-28"
    assert dm_reminder(due, "UTC", utc(2026, 12, 23, 9), created_at=LONG_AGO) is None
    assert all(
        dm_reminder(due, "UTC", now, created_at=LONG_AGO) is None
        for now in hours(utc(2026, 12, 17, 9, 1), utc(2027, 3, 1))
    )
    # …while the channel keeps reminding.
    channel = channel_reminder(due, "UTC", utc(2026, 12, 23, 9), created_at=LONG_AGO)
    assert channel is not None and channel.name == "overdue-35"


def test_dm_slots_before_creation_are_not_sent() -> None:
    due = date(2026, 11, 18)
    created = utc(2026, 11, 16, 12)  # after the due-3 slot (Friday the 13th)
    names = {
        slot.name
        for now in hours(created, utc(2026, 11, 20))
        if (slot := dm_reminder(due, "UTC", now, created_at=created))
    }
    assert names == {"due-0"}
