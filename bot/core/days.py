"""Day lists and weekday names typed by people (settings, the edit modal)."""

from __future__ import annotations

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def parse_days(text: str) -> tuple[int, ...]:
    """`7,1,0` → (7, 1, 0): days before the due date; a clear error for anything else."""
    parts = [part.strip() for part in text.split(",") if part.strip()]
    if not parts or not all(part.isascii() and part.isdigit() for part in parts):
        raise ValueError(f"“{text}” is not a list of days before the due date, like 7,1,0")
    days = tuple(sorted({int(part) for part in parts}, reverse=True))
    if days[0] > 365:
        raise ValueError("reminders can start at most 365 days before the due date")
    return days
