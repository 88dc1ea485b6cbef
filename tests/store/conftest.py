"""Fixtures of the store tests: the small organization the filter tests
(tests/store/test_alert_query_*.py) select from."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.core.models import AlertKind, AlertRef
from store import alerts, fix_links, repositories
from tests.builders import repo
from tests.store.alert_query_support import CODE_ALERTS, SECRET_ALERTS, days_ago


@pytest.fixture
async def org(engine: AsyncEngine) -> AsyncEngine:
    """acme: web (public), api (private, most recently pushed), legacy (archived, never pushed),
    tools (private); two teams; a fix branch on api#code-1 and tools#secret-1."""
    async with engine.begin() as conn:
        await repositories.upsert_many(
            conn,
            [
                repo(
                    "acme/web",
                    visibility="public",
                    topics=["frontend", "Payments"],
                    pushed_at=days_ago(13),
                ),
                repo("acme/api", topics=["backend", "payments"], pushed_at=days_ago(3)),
                repo(
                    "acme/legacy",
                    visibility="internal",
                    archived=True,
                    topics=["legacy"],
                    pushed_at=None,
                ),
                repo("acme/tools", pushed_at=days_ago(60)),
            ],
        )
        await repositories.set_properties(
            conn,
            {
                "acme/web": {"Team": ["Web Team"]},
                "acme/api": {"BusinessPriority": ["Urgent"], "Team": ["API"]},
            },
        )
        await repositories.set_team_repositories(
            conn, "web-devs", "Web Devs", {"acme/web": "push", "acme/tools": "pull"}
        )
        await repositories.set_team_repositories(
            conn,
            "platform",
            "Platform",
            {"acme/api": "admin", "acme/legacy": "maintain", "acme/tools": "triage"},
        )
        await alerts.upsert_many(conn, CODE_ALERTS + SECRET_ALERTS)
        for repository, kind in (("acme/api", AlertKind.CODE), ("acme/tools", AlertKind.SECRET)):
            [alert] = await alerts.find(conn, AlertRef(repository=repository, kind=kind, number=1))
            assert alert.id is not None
            await fix_links.add(conn, alert.id, "branch", "fix-it", None, days_ago(1))
    return engine
