"""What the slot tests (tests/scheduler/test_slots_*.py) share: a creation time before every slot,
instants written in UTC, and an hourly sweep of the clock.

The slots (bot/scheduler/slots.py) are pure functions of a due date, a zone and a clock. Every
expectation is an instant written in UTC, so a slot that drifts by an hour across a DST change, or
lands on the wrong day in a far zone, fails.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

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
