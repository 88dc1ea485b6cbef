"""Shared fixtures: a migrated database on SQLite (always) and PostgreSQL (when configured)."""

from __future__ import annotations

import os
import uuid
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


async def _fresh_postgres() -> tuple[AsyncEngine, str]:
    """An engine whose connections live in a new schema of their own, so runs never collide."""
    assert POSTGRES_URL is not None
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL)
    async with admin.begin() as conn:
        await conn.execute(text(f"CREATE SCHEMA {schema}"))
    await admin.dispose()
    engine = create_engine(POSTGRES_URL, connect_args={"server_settings": {"search_path": schema}})
    return engine, schema


async def _drop_schema(schema: str) -> None:
    assert POSTGRES_URL is not None
    admin = create_engine(POSTGRES_URL)
    async with admin.begin() as conn:
        await conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
    await admin.dispose()


@pytest.fixture(params=_database_params())
async def engine(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    """A migrated, empty database: a SQLite file, or a clean PostgreSQL schema."""
    schema = None
    if request.param == "postgres":
        eng, schema = await _fresh_postgres()
    else:
        eng = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'test.db'}")
    await upgrade(eng)
    yield eng
    await eng.dispose()
    if schema is not None:
        await _drop_schema(schema)


@pytest.fixture
async def sqlite_engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    """A migrated SQLite database, for tests about the app rather than about SQL."""
    eng = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'app.db'}")
    await upgrade(eng)
    yield eng
    await eng.dispose()
