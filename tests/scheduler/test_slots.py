"""What is due at `now` (bot/scheduler/slots.py): pure functions of a due date, a zone and a clock.

Every expectation is an instant written in UTC, so a slot that drifts by an hour across a DST
change, or lands on the wrong day in a far zone, fails here.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from bot.core.days import parse_days
from bot.core.settings import Settings
from bot.scheduler.slots import (
    DEFAULT,
    Schedule,
    Slot,
    channel_reminder,
    digest_week,
    dm_reminder,
    reminder_slots,
    schedule_from,
)

LONG_AGO = datetime(2026, 1, 1, tzinfo=UTC)
"""A creation time before every slot in these tests (nothing is held back by it)."""
HOUR = timedelta(hours=1)
MINUTE = timedelta(minutes=1)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def hours(start: datetime, end: datetime, step: timedelta = HOUR) -> list[datetime]:
    """Every `step` from `start` up to and including `end`."""
    moments = []
    while start <= end:
        moments.append(start)
        start += step
    return moments


def slot_times(slots: list[Slot]) -> dict[str, datetime]:
    return {slot.name: slot.at.astimezone(UTC) for slot in slots}


# ---- channel reminders: 09:00 local, 7 and 1 days before, on the day, weekly overdue -----------

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


# ---- reminder DMs: 3 days before and on the day, weekdays only, 4 weeks overdue --------------


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


# ---- the weekly digest: Monday 09:00 in the campaign's zone, named by ISO week ----------------


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (utc(2026, 11, 2, 9), ("2026-W45", utc(2026, 11, 2, 9))),
        (utc(2026, 11, 2, 8, 59), None),
        (utc(2026, 11, 3, 20), ("2026-W45", utc(2026, 11, 2, 9))),
        (utc(2026, 11, 4, 9), ("2026-W45", utc(2026, 11, 2, 9))),
        (utc(2026, 11, 4, 9, 1), None),
        (utc(2026, 11, 8, 23), None),
        (utc(2026, 12, 28, 9), ("2026-W53", utc(2026, 12, 28, 9))),
        (utc(2026, 12, 31, 12), None),
        (utc(2027, 1, 1, 9), None),
        (utc(2027, 1, 4, 9), ("2027-W01", utc(2027, 1, 4, 9))),
        (utc(2025, 12, 29, 9), ("2026-W01", utc(2025, 12, 29, 9))),
        (utc(2025, 12, 30, 12), ("2026-W01", utc(2025, 12, 29, 9))),
        (utc(2027, 12, 27, 9), ("2027-W52", utc(2027, 12, 27, 9))),
        (utc(2028, 1, 3, 9), ("2028-W01", utc(2028, 1, 3, 9))),
    ],
)
def test_digest_week_names_and_its_48_hour_catch_up(
    now: datetime, expected: tuple[str, datetime] | None
) -> None:
    slot = digest_week(now, "UTC", created_at=utc(2025, 1, 1))
    assert ((slot.name, slot.at) if slot else None) == expected


@pytest.mark.parametrize(
    ("zone", "monday", "expected_utc"),
    [
        ("Asia/Tokyo", date(2026, 11, 2), utc(2026, 11, 2, 0)),
        ("America/Los_Angeles", date(2026, 10, 26), utc(2026, 10, 26, 16)),
        ("America/Los_Angeles", date(2026, 11, 2), utc(2026, 11, 2, 17)),
        ("Europe/Paris", date(2026, 10, 19), utc(2026, 10, 19, 7)),
        ("Europe/Paris", date(2026, 10, 26), utc(2026, 10, 26, 8)),
    ],
)
def test_digest_is_monday_nine_in_the_campaigns_zone(
    zone: str, monday: date, expected_utc: datetime
) -> None:
    assert digest_week(expected_utc - MINUTE, zone, created_at=LONG_AGO) is None
    slot = digest_week(expected_utc, zone, created_at=LONG_AGO)
    year, week, _ = monday.isocalendar()
    assert slot == Slot(f"{year}-W{week:02d}", expected_utc)


def test_tokyo_monday_digest_is_still_sunday_in_utc() -> None:
    """Monday 08:30 in Tokyo is Sunday 23:30 UTC: the Monday's week is not due yet."""
    assert digest_week(utc(2026, 11, 1, 23, 30), "Asia/Tokyo", created_at=LONG_AGO) is None
    slot = digest_week(utc(2026, 11, 2, 0, 30), "Asia/Tokyo", created_at=LONG_AGO)
    assert slot is not None and slot.name == "2026-W45"


def digests(created: datetime, until: datetime, zone: str = "UTC") -> dict[str, datetime]:
    seen: dict[str, datetime] = {}
    for now in hours(created, until):
        if slot := digest_week(now, zone, created_at=created):
            seen.setdefault(slot.name, now)
    return seen


def test_the_first_monday_after_launch_gets_a_digest() -> None:
    # Launched Wednesday 4 November: first digest Monday 9 November.
    seen = digests(utc(2026, 11, 4, 12), utc(2026, 11, 24))
    assert seen == {
        "2026-W46": utc(2026, 11, 9, 9),
        "2026-W47": utc(2026, 11, 16, 9),
        "2026-W48": utc(2026, 11, 23, 9),
    }


def test_no_digest_for_the_monday_of_launch_when_launched_after_nine() -> None:
    seen = digests(utc(2026, 11, 2, 10), utc(2026, 11, 10))
    assert seen == {"2026-W46": utc(2026, 11, 9, 9)}


def test_a_monday_launch_before_nine_gets_that_mondays_digest() -> None:
    seen = digests(utc(2026, 11, 2, 8), utc(2026, 11, 10))
    assert seen == {"2026-W45": utc(2026, 11, 2, 9), "2026-W46": utc(2026, 11, 9, 9)}


def test_a_wednesday_14_00_digest_schedule() -> None:
    schedule = Schedule(digest_weekday=2, digest_at=time(14, 0))
    created = utc(2026, 12, 20)
    seen: dict[str, datetime] = {}
    for now in hours(created, utc(2027, 1, 14)):
        if slot := digest_week(now, "UTC", created_at=created, schedule=schedule):
            assert slot.at.weekday() == 2 and slot.at.time() == time(14, 0)
            seen.setdefault(slot.name, now)
    assert seen == {
        "2026-W52": utc(2026, 12, 23, 14),
        "2026-W53": utc(2026, 12, 30, 14),
        "2027-W01": utc(2027, 1, 6, 14),
        "2027-W02": utc(2027, 1, 13, 14),
    }
    assert digest_week(utc(2026, 12, 30, 13, 59), "UTC", created_at=created, schedule=schedule) is (
        None
    )
    assert digest_week(utc(2027, 1, 1, 14), "UTC", created_at=created, schedule=schedule) == Slot(
        "2026-W53", utc(2026, 12, 30, 14)
    )


# ---- settings → Schedule, and the day lists people type -------------------------------------


def test_default_settings_give_the_default_schedule() -> None:
    assert schedule_from(Settings()) == DEFAULT == Schedule()


def test_settings_change_every_timing() -> None:
    settings = Settings(
        reminder_days="14, 3,0",
        reminder_dm_days="1",
        reminder_hour=8,
        digest_day="Wednesday",
        digest_hour=14,
        reminder_catch_up_hours=2,
        digest_catch_up_hours=6,
    )
    assert schedule_from(settings) == Schedule(
        channel_days=(14, 3, 0),
        dm_days=(1,),
        send_at=time(8, 0),
        digest_weekday=2,
        digest_at=time(14, 0),
        reminder_window=timedelta(hours=2),
        digest_window=timedelta(hours=6),
    )


def test_a_short_catch_up_window_drops_a_slot_sooner() -> None:
    schedule = schedule_from(Settings(reminder_hour=8, reminder_catch_up_hours=2))
    due = date(2026, 12, 15)
    at = channel_reminder(due, "UTC", utc(2026, 12, 8, 8), created_at=LONG_AGO, schedule=schedule)
    assert at is not None and at.name == "due-7"
    late = utc(2026, 12, 8, 10, 1)
    assert channel_reminder(due, "UTC", late, created_at=LONG_AGO, schedule=schedule) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("7,1,0", (7, 1, 0)),
        ("0,1,7", (7, 1, 0)),
        (" 7 , 1 ,1, ", (7, 1)),
        ("0", (0,)),
        ("365", (365,)),
    ],
)
def test_parse_days(text: str, expected: tuple[int, ...]) -> None:
    assert parse_days(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "is not a list of days"),
        (" , ", "is not a list of days"),
        ("7,a", "is not a list of days"),
        ("-1", "is not a list of days"),
        ("1.5", "is not a list of days"),
        ("7;1", "is not a list of days"),
        ("\uff17", "is not a list of days"),  # a full-width 7: a digit, but not ASCII
        ("²", "is not a list of days"),
        ("366", "at most 365 days"),
        ("1,1000", "at most 365 days"),
    ],
)
def test_parse_days_errors(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_days(text)


@pytest.mark.parametrize(
    "fields",
    [
        {"reminder_days": "soon"},
        {"reminder_dm_days": "400"},
        {"digest_day": "someday"},
        {"reminder_hour": 24},
        {"digest_hour": -1},
        {"reminder_catch_up_hours": 0},
        {"digest_catch_up_hours": 24 * 7 + 1},
        {"scheduler_interval_seconds": 1},
    ],
)
def test_bad_timing_settings_are_refused_at_start(fields: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        Settings(**fields)  # type: ignore[arg-type]


def test_settings_store_day_lists_normalized() -> None:
    settings = Settings(reminder_days=" 0, 7 ,1", digest_day=" FRIDAY ")
    assert settings.reminder_days == "7,1,0"
    assert settings.digest_day == "friday"


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
