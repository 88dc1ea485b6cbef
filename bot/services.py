"""The service container handed to every surface (Slack listeners, CLI, scheduler, webhooks)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.clock import Clock, system_clock
from bot.settings import Settings


@dataclass
class Services:
    settings: Settings
    engine: AsyncEngine
    clock: Clock = field(default=system_clock)
