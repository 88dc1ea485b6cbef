"""Fixtures of the checklist and exception tests (tests/playbooks/test_checklist_*.py,
test_exceptions_*.py): settings with the exception limits, the playbooks world of
tests/playbooks/world_support.py, and the checklist and exception services on it.
The checklist and escalation test modules (test_checklist_*.py, test_escalation_*.py) take their
own `settings` (`settings = checklist_settings`, `settings = escalation_settings`), which take
precedence there.
"""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.core.settings import Settings
from bot.playbooks.checklist import ChecklistService
from bot.playbooks.exceptions import ExceptionService
from tests.playbooks.exception_support import MAX_DAYS, WARN_DAYS
from tests.playbooks.world_support import ADMIN, MANAGER, World, build_world


@pytest.fixture
def settings() -> Settings:
    return Settings(
        _env_file=None,
        campaign_admins=f"{ADMIN},{MANAGER}",
        exception_max_days=MAX_DAYS,
        exception_warn_days=WARN_DAYS,
    )


@pytest.fixture
async def world(engine: AsyncEngine, settings: Settings) -> World:
    return await build_world(engine, settings)


@pytest.fixture
def exceptions(world: World) -> ExceptionService:
    return ExceptionService(world.assignments, world.states)


@pytest.fixture
def checklist(world: World) -> ChecklistService:
    return ChecklistService(world.assignments, world.states)
