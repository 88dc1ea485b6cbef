"""Shared fixtures: a migrated database on SQLite (always) and PostgreSQL (when configured)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from store.engine import create_engine
from store.migrate import upgrade

pytest_plugins = ["tests.fakes.fixtures"]

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
"""The tests' clock: a Monday morning."""

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL")


@pytest.fixture
def now() -> datetime:
    return NOW


def _database_params() -> list[object]:
    return [
        "sqlite",
        pytest.param(
            "postgres",
            marks=pytest.mark.skipif(not POSTGRES_URL, reason="TEST_POSTGRES_URL is not set"),
        ),
    ]


async def _fresh_postgres() -> AsyncEngine:
    assert POSTGRES_URL is not None
    engine = create_engine(POSTGRES_URL)
    async with engine.begin() as conn:
        await conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        await conn.execute(text("CREATE SCHEMA public"))
    return engine


@pytest.fixture(params=_database_params())
async def engine(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    """A migrated, empty database: a SQLite file, or a clean PostgreSQL schema."""
    if request.param == "postgres":
        eng = await _fresh_postgres()
    else:
        eng = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'test.db'}")
    await upgrade(eng)
    yield eng
    await eng.dispose()


@pytest.fixture
async def sqlite_engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    """A migrated SQLite database, for tests about the app rather than about SQL."""
    eng = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'app.db'}")
    await upgrade(eng)
    yield eng
    await eng.dispose()
