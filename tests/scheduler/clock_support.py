"""What the clock-job tests (tests/scheduler/test_clock_*.py) share: the people, the due date
and the reminder channel of their campaign (the `campaign` fixture of tests/scheduler/conftest.py),
and how they write and pick the moments notices were due.

Unless a test says otherwise the campaign runs in UTC, is launched on Monday 5 October 2026 and is
due on Wednesday 18 November, so (at 09:00 UTC):
- channel reminders: due-7 Wednesday 11 Nov, due-1 Tuesday 17, due-0 Wednesday 18;
- DMs: due-3 falls on Sunday 15, so Friday 13 Nov; due-0 Wednesday 18; overdue-7 Wednesday 25.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

ALICE = "UALICE"
BOB = "UBOB"
DUE = date(2026, 11, 18)


def utc(month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


def only(seen: dict[str, datetime], prefix: str) -> dict[str, datetime]:
    return {key: at for key, at in seen.items() if key.startswith(prefix)}
