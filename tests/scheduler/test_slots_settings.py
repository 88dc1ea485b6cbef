"""Settings → `Schedule` (bot/scheduler/slots.py `schedule_from`) and the day lists people type
(bot/core/days.py `parse_days`): every timing can be changed, and bad values are refused when the
settings are read, at start.
"""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest
from pydantic import ValidationError

from bot.core.days import parse_days
from bot.core.settings import Settings
from bot.scheduler.slots import DEFAULT, Schedule, channel_reminder, schedule_from
from tests.scheduler.slot_support import LONG_AGO, utc


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
