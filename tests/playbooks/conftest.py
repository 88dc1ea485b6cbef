"""Fixtures of the exception tests (tests/playbooks/test_exceptions_*.py): settings with their
limits, the playbooks world of tests/playbooks/test_checklist.py, and the exception service on it.
test_checklist.py and test_escalation.py define their own `settings` (and `world`), which take
precedence there.
"""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.core.settings import Settings
from bot.playbooks.exceptions import ExceptionService
from tests.playbooks.exception_support import MAX_DAYS, WARN_DAYS
from tests.playbooks.test_checklist import ADMIN, MANAGER, World, build_world


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
