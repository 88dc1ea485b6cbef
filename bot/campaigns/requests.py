"""What surfaces send to the campaign service, and what it answers; pydantic at the edge."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict

from bot.core.models import Campaign


class CreateRequest(BaseModel):
    """What a manager fills in; the modal, the CLI and tests all build this."""

    model_config = ConfigDict(str_strip_whitespace=True)

    name: str
    description: str
    due_date: date
    manager: str
    query: str | None = None
    template: str | None = None
    channel: str | None = None
    contact_link: str | None = None
    timezone: str | None = None
    continue_big: bool = False
    request_key: str | None = None


class EditRequest(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    name: str | None = None
    description: str | None = None
    due_date: date | None = None
    manager: str | None = None
    channel: str | None = None
    contact_link: str | None = None
    reminders: bool | None = None
    reminder_days: str | None = None
    reminder_channel: str | None = None
    nudge_severities: str | None = None
    nudge_min_age_days: int | None = None


EDITABLE = (
    "name",
    "description",
    "due_date",
    "manager",
    "channel",
    "contact_link",
    "reminders",
    "reminder_days",
    "reminder_channel",
    "nudge_severities",
    "nudge_min_age_days",
)


@dataclass(frozen=True)
class Created:
    campaign: Campaign
    left_out: int
    replayed: bool = False
    """True when the same request was submitted twice and the first campaign is returned."""


@dataclass(frozen=True)
class Edited:
    campaign: Campaign
    changes: dict[str, tuple[Any, Any]]
