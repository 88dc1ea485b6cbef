"""Alert storage: re-importing updates and never duplicates; children follow the alert."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.core.models import AlertKind, AlertRef
from store import alerts, repositories
from tests.builders import code_alert, repo, secret_alert


async def test_reimport_updates_instead_of_duplicating(engine: AsyncEngine) -> None:
    first = [code_alert("acme/web", 1), code_alert("acme/web", 2), secret_alert("acme/api", 1)]
    async with engine.begin() as conn:
        result = await alerts.upsert_many(conn, first)
    assert (result.inserted, result.updated) == (3, 0)

    changed = [
        code_alert("acme/web", 1, state="fixed", tags=["security"]),
        code_alert("acme/web", 3),
    ]
    async with engine.begin() as conn:
        result = await alerts.upsert_many(conn, changed)
        total = await alerts.count(conn)
        [fixed] = await alerts.find(conn, AlertRef(repository="web", kind=AlertKind.CODE, number=1))
    assert (result.inserted, result.updated) == (1, 1)
    assert total == 4
    assert fixed.state == "fixed" and not fixed.is_open
    assert fixed.tags == ["security"]


async def test_repository_rename_keeps_row_by_github_id(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await repositories.upsert_many(conn, [repo("acme/old", github_id=7, topics=["Payments"])])
        await repositories.upsert_many(conn, [repo("acme/new", github_id=7, topics=["payments"])])
        assert await repositories.count(conn) == 1
        renamed = await repositories.get(conn, "ACME/new")
    assert renamed is not None and renamed.github_id == 7 and renamed.topics == ["payments"]


async def test_alert_stub_repository_does_not_erase_repository_details(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await repositories.upsert_many(conn, [repo("acme/web", github_id=1, archived=True)])
        await repositories.set_properties(conn, {"acme/web": {"BusinessPriority": ["Urgent"]}})
        await alerts.upsert_many(conn, [code_alert("acme/web", 5)], {"acme/web": 1})
        stored = await repositories.get(conn, "acme/web")
    assert stored is not None and stored.archived
    assert stored.properties == {"businesspriority": ["Urgent"]}
