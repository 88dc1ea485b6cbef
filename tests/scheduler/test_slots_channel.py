"""Channel reminders (bot/scheduler/slots.py): 09:00 in the campaign's zone, 7 and 1 days before,
on the day, then weekly overdue for a year; only the latest passed slot, within its 24 h window,
and never one from before the campaign was created.

Every expectation is an instant written in UTC, so a slot that drifts by an hour across a DST
change, or lands on the wrong day in a far zone, fails here.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.scheduler.slots import Slot, channel_reminder, reminder_slots
from tests.scheduler.slot_support import LONG_AGO, MINUTE, hours, utc


def slot_times(slots: list[Slot]) -> dict[str, datetime]:
    return {slot.name: slot.at.astimezone(UTC) for slot in slots}


CHANNEL_CASES = [
    pytest.param(
        "UTC",
        date(2026, 12, 15),
        {
            "due-7": utc(2026, 12, 8, 9),
            "due-1": utc(2026, 12, 14, 9),
            "due-0": utc(2026, 12, 15, 9),
            "overdue-7": utc(2026, 12, 22, 9),
            "overdue-14": utc(2026, 12, 29, 9),
        },
        id="utc",
    ),
    pytest.param(
        # DST ends in Los Angeles on Sunday 1 November 2026: due-7 is PDT (UTC-7), the rest PST.
        "America/Los_Angeles",
        date(2026, 11, 5),
        {
            "due-7": utc(2026, 10, 29, 16),
            "due-1": utc(2026, 11, 4, 17),
            "due-0": utc(2026, 11, 5, 17),
            "overdue-7": utc(2026, 11, 12, 17),
            "overdue-14": utc(2026, 11, 19, 17),
        },
        id="los-angeles-across-dst",
    ),
    pytest.param(
        # 09:00 in Tokyo is midnight UTC of the same day.
        "Asia/Tokyo",
        date(2026, 12, 15),
        {
            "due-7": utc(2026, 12, 8, 0),
            "due-1": utc(2026, 12, 14, 0),
            "due-0": utc(2026, 12, 15, 0),
            "overdue-7": utc(2026, 12, 22, 0),
            "overdue-14": utc(2026, 12, 29, 0),
        },
        id="tokyo",
    ),
    pytest.param(
        # DST ends in Paris on Sunday 25 October 2026: CEST (UTC+2) then CET (UTC+1).
        "Europe/Paris",
        date(2026, 10, 27),
        {
            "due-7": utc(2026, 10, 20, 7),
            "due-1": utc(2026, 10, 26, 8),
            "due-0": utc(2026, 10, 27, 8),
            "overdue-7": utc(2026, 11, 3, 8),
            "overdue-14": utc(2026, 11, 10, 8),
        },
        id="paris-across-dst",
    ),
    pytest.param(
        # DST starts in New York on Sunday 8 March 2026: EST (UTC-5) then EDT (UTC-4).
        "America/New_York",
        date(2026, 3, 10),
        {
            "due-7": utc(2026, 3, 3, 14),
            "due-1": utc(2026, 3, 9, 13),
            "due-0": utc(2026, 3, 10, 13),
            "overdue-7": utc(2026, 3, 17, 13),
            "overdue-14": utc(2026, 3, 24, 13),
        },
        id="new-york-dst-starts",
    ),
]


@pytest.mark.parametrize(("zone", "due", "expected"), CHANNEL_CASES)
def test_channel_slots_are_at_nine_local_on_each_day(
    zone: str, due: date, expected: dict[str, datetime]
) -> None:
    slots = reminder_slots(due, zone)
    assert [slot.name for slot in slots[:5]] == list(expected)
    assert slot_times(slots[:5]) == expected
    assert all(slot.at.astimezone(ZoneInfo(zone)).time() == time(9, 0) for slot in slots)


@pytest.mark.parametrize(("zone", "due", "expected"), CHANNEL_CASES)
def test_each_channel_slot_is_due_at_nine_exactly_and_not_a_minute_before(
    zone: str, due: date, expected: dict[str, datetime]
) -> None:
    names = list(expected)
    for before, (name, at) in zip([None, *names], expected.items(), strict=False):
        assert channel_reminder(due, zone, at, created_at=LONG_AGO) == Slot(name, at)
        # A minute before, only the previous slot, and only if still in its 24 h window: the
        # day before the due date (due-1 → due-0); the others are 6 or 7 days apart.
        earlier = channel_reminder(due, zone, at - MINUTE, created_at=LONG_AGO)
        assert (earlier.name if earlier else None) == ("due-1" if before == "due-1" else None)


def test_channel_slot_instants_compare_equal_to_utc_instants() -> None:
    """The returned slot carries the campaign's zone; as an instant it is the UTC one."""
    slot = channel_reminder(
        date(2026, 11, 5), "America/Los_Angeles", utc(2026, 11, 5, 17), created_at=LONG_AGO
    )
    assert slot is not None
    assert slot.at == utc(2026, 11, 5, 17)
    assert slot.at.tzinfo == ZoneInfo("America/Los_Angeles")
    assert slot.at.utcoffset() == timedelta(hours=-8)


@pytest.mark.parametrize(
    ("zone", "local_hour", "expected"),
    [
        ("UTC", 0, None),
        ("UTC", 8, None),
        ("UTC", 9, "due-7"),
        ("Asia/Tokyo", 8, None),
        ("Asia/Tokyo", 9, "due-7"),
        ("America/Los_Angeles", 8, None),
        ("America/Los_Angeles", 9, "due-7"),
    ],
)
def test_nothing_is_due_before_nine_on_the_first_slot_day(
    zone: str, local_hour: int, expected: str | None
) -> None:
    due = date(2026, 12, 15)
    now = datetime(2026, 12, 8, local_hour, 59 if local_hour < 9 else 0, tzinfo=ZoneInfo(zone))
    slot = channel_reminder(due, zone, now.astimezone(UTC), created_at=LONG_AGO)
    assert (slot.name if slot else None) == expected


def test_before_nine_on_the_due_date_only_yesterdays_slot_is_still_due() -> None:
    due = date(2026, 12, 15)
    before = channel_reminder(due, "UTC", utc(2026, 12, 15, 8, 59), created_at=LONG_AGO)
    assert before is not None and before.name == "due-1"
    at_nine = channel_reminder(due, "UTC", utc(2026, 12, 15, 9), created_at=LONG_AGO)
    assert at_nine is not None and at_nine.name == "due-0"


@pytest.mark.parametrize("zone", ["UTC", "America/Los_Angeles", "Asia/Tokyo"])
def test_hour_by_hour_the_answer_is_the_latest_passed_slot_within_24_hours(zone: str) -> None:
    """Swept over two months: never a slot older than 24 h, never a superseded one."""
    due = date(2026, 11, 5)
    slots = reminder_slots(due, zone)
    for now in hours(utc(2026, 10, 25), utc(2026, 12, 25)):
        got = channel_reminder(due, zone, now, created_at=LONG_AGO)
        passed = [slot for slot in slots if slot.at <= now]
        if passed and now - passed[-1].at <= timedelta(hours=24):
            assert got == passed[-1], now
        else:
            assert got is None, now


def test_a_job_down_for_two_days_catches_up_only_the_latest_slot() -> None:
    """Last ran just before due-7 … the job comes back 2 days later, after due-1: only due-1."""
    due = date(2026, 12, 15)
    came_back = utc(2026, 12, 14, 9) + timedelta(hours=5)
    slot = channel_reminder(due, "UTC", came_back, created_at=LONG_AGO)
    assert slot is not None and slot.name == "due-1"
    # Down across due-1 and due-0: only due-0, never the stale "1 day left".
    slot = channel_reminder(due, "UTC", utc(2026, 12, 15, 20), created_at=LONG_AGO)
    assert slot is not None and slot.name == "due-0"


def test_no_due_7_once_due_1_has_passed() -> None:
    due = date(2026, 12, 15)
    names = {
        slot.name
        for now in hours(utc(2026, 12, 14, 9), utc(2026, 12, 15, 8))
        if (slot := channel_reminder(due, "UTC", now, created_at=LONG_AGO))
    }
    assert names == {"due-1"}


@pytest.mark.parametrize(
    ("offset", "expected"),
    [
        (timedelta(0), "due-7"),
        (timedelta(hours=23, minutes=59), "due-7"),
        (timedelta(hours=24), "due-7"),
        (timedelta(hours=24, minutes=1), None),
        (timedelta(days=3), None),
        (timedelta(days=5, hours=23), None),
        (timedelta(days=6), "due-1"),
    ],
)
def test_the_catch_up_window_is_24_hours(offset: timedelta, expected: str | None) -> None:
    due_7 = utc(2026, 12, 8, 9)
    slot = channel_reminder(date(2026, 12, 15), "UTC", due_7 + offset, created_at=LONG_AGO)
    assert (slot.name if slot else None) == expected


def test_a_campaign_created_three_days_before_its_due_date_gets_no_due_7() -> None:
    due = date(2026, 12, 15)
    created = utc(2026, 12, 12, 15)
    seen = [
        (now, slot.name)
        for now in hours(created, utc(2026, 12, 17, 9))
        if (slot := channel_reminder(due, "UTC", now, created_at=created))
    ]
    assert {name for _, name in seen} == {"due-1", "due-0"}
    assert seen[0] == (utc(2026, 12, 14, 9), "due-1")


@pytest.mark.parametrize(
    ("created", "expected"),
    [
        # Created two hours after due-7's slot, still inside its window: not sent.
        (utc(2026, 12, 8, 11), None),
        # Created a minute after it: not sent either.
        (utc(2026, 12, 8, 9, 1), None),
        # Created at 09:00 exactly, or earlier that morning: sent.
        (utc(2026, 12, 8, 9), "due-7"),
        (utc(2026, 12, 8, 8), "due-7"),
    ],
)
def test_a_slot_before_creation_is_not_sent_even_within_its_window(
    created: datetime, expected: str | None
) -> None:
    slot = channel_reminder(date(2026, 12, 15), "UTC", utc(2026, 12, 8, 12), created_at=created)
    assert (slot.name if slot else None) == expected


def test_overdue_reminders_come_weekly_at_nine() -> None:
    due = date(2026, 12, 15)
    seen: dict[str, datetime] = {}
    for now in hours(utc(2026, 12, 15, 10), utc(2027, 2, 1)):
        slot = channel_reminder(due, "UTC", now, created_at=LONG_AGO)
        if slot is not None and slot.name.startswith("overdue"):
            seen.setdefault(slot.name, now)
    assert seen == {
        "overdue-7": utc(2026, 12, 22, 9),
        "overdue-14": utc(2026, 12, 29, 9),
        "overdue-21": utc(2027, 1, 5, 9),
        "overdue-28": utc(2027, 1, 12, 9),
        "overdue-35": utc(2027, 1, 19, 9),
        "overdue-42": utc(2027, 1, 26, 9),
    }


def test_channel_overdue_reminders_go_on_for_a_year_then_stop() -> None:
    due = date(2026, 12, 15)
    last = datetime.combine(due + timedelta(days=364), time(9), tzinfo=UTC)
    slot = channel_reminder(due, "UTC", last, created_at=LONG_AGO)
    assert slot is not None and slot.name == "overdue-364"
    assert channel_reminder(due, "UTC", last + timedelta(days=7), created_at=LONG_AGO) is None


def test_a_campaigns_own_days_replace_the_installations() -> None:
    due = date(2026, 12, 15)
    names = {
        slot.name
        for now in hours(utc(2026, 11, 20), utc(2026, 12, 16))
        if (slot := channel_reminder(due, "UTC", now, created_at=LONG_AGO, days_before=(14, 2)))
    }
    assert names == {"due-14", "due-2"}


# ---- found while testing ----------------------------------------------------------------------


def test_the_same_instant_in_any_zone_gives_the_same_slot() -> None:
    """Sunday 1 November 2026 08:30 PST is 24.5 h after Saturday's due-1 slot (09:00 PDT)."""
    zone = ZoneInfo("America/Los_Angeles")
    due = date(2026, 11, 1)
    in_utc = utc(2026, 11, 1, 16, 30)
    in_zone = in_utc.astimezone(zone)
    assert in_zone == in_utc
    assert channel_reminder(due, zone.key, in_utc, created_at=LONG_AGO) is None
    assert channel_reminder(due, zone.key, in_zone, created_at=LONG_AGO) is None
