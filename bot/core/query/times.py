"""`age:` and `created:` values: their syntax, and the `created_at` range each one means."""

from __future__ import annotations

import calendar
import re
from datetime import UTC, date, datetime, time, timedelta

from bot.core.query.ast import TimeRange

AGE = re.compile(r"(>=|<=|>|<)?([0-9]{1,6})([dwmy])", re.ASCII)
AGE_RANGE = re.compile(r"([0-9]{1,6})([dwmy])\.\.([0-9]{1,6})([dwmy])", re.ASCII)
DATE = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
CREATED = re.compile(rf"(>=|<=|>|<)?({DATE})", re.ASCII)
CREATED_RANGE = re.compile(rf"({DATE}|\*)\.\.({DATE}|\*)", re.ASCII)
UNIT_DAYS = {"d": 1, "w": 7, "m": 31, "y": 366}


def time_range(qualifier: str, value: str, now: datetime) -> TimeRange:
    """What one canonical `age:` or `created:` value means for `created_at`, at `now`."""
    if qualifier == "age":
        return _age_range(value, _as_utc(now))
    if qualifier == "created":
        return _created_range(value)
    raise ValueError(f"{qualifier}: is not a time qualifier")


def _as_utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _ago(now: datetime, amount: int, unit: str) -> datetime:
    """`now` minus an age; months and years are calendar ones (6m before Aug 31 is Feb 28/29)."""
    if unit in ("d", "w"):
        try:
            return now - timedelta(days=amount * UNIT_DAYS[unit])
        except OverflowError:
            return datetime.min.replace(tzinfo=UTC)
    months = amount * (12 if unit == "y" else 1)
    year, month = divmod(now.year * 12 + now.month - 1 - months, 12)
    if year < 1:
        return datetime.min.replace(tzinfo=UTC)
    day = min(now.day, calendar.monthrange(year, month + 1)[1])
    return now.replace(year=year, month=month + 1, day=day)


def _age_range(value: str, now: datetime) -> TimeRange:
    if match := AGE_RANGE.fullmatch(value):
        first = _ago(now, int(match.group(1)), match.group(2))
        second = _ago(now, int(match.group(3)), match.group(4))
        return TimeRange(min(first, second), True, max(first, second), True)
    match = AGE.fullmatch(value)
    assert match is not None, value
    operator, cutoff = match.group(1), _ago(now, int(match.group(2)), match.group(3))
    # Older than the cutoff means created before it.
    if operator in (">", ">="):
        return TimeRange(before=cutoff, before_inclusive=operator == ">=")
    return TimeRange(after=cutoff, after_inclusive=operator == "<=")


def _start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _end(day: date) -> datetime:
    return datetime.combine(day, time.max, tzinfo=UTC)


def _created_range(value: str) -> TimeRange:
    if match := CREATED_RANGE.fullmatch(value):
        low, high = match.group(1), match.group(2)
        return TimeRange(
            after=None if low == "*" else _start(date.fromisoformat(low)),
            after_inclusive=True,
            before=None if high == "*" else _end(date.fromisoformat(high)),
            before_inclusive=True,
        )
    match = CREATED.fullmatch(value)
    assert match is not None, value
    operator, day = match.group(1), date.fromisoformat(match.group(2))
    if operator == ">":
        return TimeRange(after=_end(day))
    if operator == ">=":
        return TimeRange(after=_start(day), after_inclusive=True)
    if operator == "<":
        return TimeRange(before=_start(day))
    if operator == "<=":
        return TimeRange(before=_end(day), before_inclusive=True)
    return TimeRange(_start(day), True, _end(day), True)
