"""The weekly digest's slot (bot/scheduler/slots.py): Monday 09:00 in the campaign's zone (or the
configured day and hour), named by ISO week, caught up within 48 hours, the first one after the
launch (strictly after it) included.

Every expectation is an instant written in UTC (see tests/scheduler/slot_support.py).
"""

from __future__ import annotations

from datetime import date, datetime, time

import pytest

from bot.scheduler.slots import Schedule, Slot, digest_week
from tests.scheduler.slot_support import LONG_AGO, MINUTE, hours, utc


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


def test_a_launch_at_the_digest_moment_itself_waits_for_the_next_week() -> None:
    # The launch card was posted that very minute: a "no change this week" digest beside it
    # says nothing (and, with the scheduler asking at start, raced every Monday-09:00 launch).
    seen = digests(utc(2026, 11, 2, 9), utc(2026, 11, 10))
    assert seen == {"2026-W46": utc(2026, 11, 9, 9)}
    assert digest_week(utc(2026, 11, 2, 9), "UTC", created_at=utc(2026, 11, 2, 9)) is None


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
