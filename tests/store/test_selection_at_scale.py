"""The preview and the campaign's alerts, computed the fast way (one grouped pass over the
preview index, then only the repositories the campaign keeps), give exactly what the plain SQL
gives: the same counts and the same 1,000 alerts, ties in push dates included."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from sqlalchemy import case, distinct, func, inspect, literal, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.core.models import Alert
from bot.core.query.parser import parse
from store import alert_query, alerts, repositories, schema
from store.alert_filter import compile_query
from tests.builders import code_alert, repo, secret_alert
from tests.conftest import NOW

a = schema.alerts
r = schema.repositories

QUERIES = (
    "is:open",
    "is:open kind:code",
    "is:open severity:critical,high",
    "kind:secret validity:active",
    "-is:open",
    "is:open repo:acme/r3,acme/r7,acme/r11",
    "is:open topic:edge",
    "tag:external/cwe/cwe-079",
    "is:open age:>30d",
    "r1",
    "created:*..2100-01-01",
)
LEVELS = ("critical", "high", "medium", "low", None)
RANK = (*alert_query.SEVERITY_ORDER, "none")
SECRETS = ("aws_access_key_id", "github_personal_access_token", "slack_api_token", None)


def inventory(seed: int = 11) -> tuple[list, list[Alert]]:
    """40 repositories whose push dates tie in threes (some never pushed), 1,500 alerts."""
    rng = random.Random(seed)
    pushes = [NOW - timedelta(days=d) for d in (1, 2, 2, 5, 9, 9, 9)] + [None]
    repos = [
        repo(
            f"acme/r{i}",
            pushed_at=rng.choice(pushes),
            topics=["edge"] if i % 4 == 0 else [],
        )
        for i in range(40)
    ]
    found: list[Alert] = []
    for i in range(1500):
        name = f"acme/r{rng.randrange(40)}"
        created = NOW - timedelta(days=rng.randrange(1, 90))
        state = rng.choice(("open", "open", "fixed", "dismissed"))
        if rng.random() < 0.7:
            found.append(
                code_alert(
                    name,
                    i + 1,
                    state=state,
                    created_at=created,
                    security_severity=rng.choice(LEVELS),
                    severity=rng.choice(("error", "warning", "note", None)),
                    tags=rng.choice((["external/cwe/cwe-079"], ["security"], [])),
                )
            )
        else:
            found.append(
                secret_alert(
                    name,
                    i + 1,
                    state="open" if state == "open" else "resolved",
                    created_at=created,
                    secret_type=rng.choice(SECRETS) or "generic_private_key",
                    validity=rng.choice(("active", "inactive", "unknown")),
                )
            )
    return repos, found


@pytest.fixture
async def stocked(engine: AsyncEngine) -> AsyncEngine:
    repos, found = inventory()
    async with engine.begin() as conn:
        await repositories.upsert_many(conn, repos)
        await alerts.upsert_many(conn, found)
    return engine


async def plain_selection(engine: AsyncEngine, text: str, limit: int) -> list[tuple[int, int]]:
    """The rule as one statement: every selected alert sorted, the first `limit` kept."""
    async with engine.connect() as conn:
        rows = await conn.execute(
            select(a.c.id, a.c.repository_id)
            .join(r, r.c.id == a.c.repository_id)
            .where(compile_query(parse(text), now=NOW))
            .order_by(r.c.pushed_at.desc().nulls_last(), r.c.id, a.c.number, a.c.kind)
            .limit(limit)
        )
        return [(alert_id, repository_id) for alert_id, repository_id in rows]


async def plain_counts(engine: AsyncEngine, text: str) -> tuple[int, int, int, int]:
    async with engine.connect() as conn:
        row = (
            await conn.execute(
                select(
                    func.count(),
                    func.count(distinct(a.c.repository_id)),
                    func.coalesce(func.sum(case((a.c.kind == "code", 1), else_=0)), 0),
                    func.coalesce(func.sum(case((a.c.kind == "secret", 1), else_=0)), 0),
                ).where(compile_query(parse(text), now=NOW))
            )
        ).one()
    return int(row[0]), int(row[1]), int(row[2]), int(row[3])


async def plain_levels(engine: AsyncEngine, text: str) -> dict[str, int]:
    level = func.coalesce(func.lower(a.c.security_severity), func.lower(a.c.severity), "none")
    async with engine.connect() as conn:
        rows = await conn.execute(
            select(level, func.count())
            .where(compile_query(parse(text), now=NOW), a.c.kind == literal("code"))
            .group_by(level)
        )
        return {name: count for name, count in rows}


@pytest.mark.parametrize("limit", [1, 37, 200, 1000])
async def test_the_campaign_keeps_the_same_alerts_as_sorting_the_whole_selection(
    stocked: AsyncEngine, limit: int
) -> None:
    for text in QUERIES:
        expected = await plain_selection(stocked, text, limit)
        async with stocked.connect() as conn:
            chosen = await alert_query.select_for_campaign(conn, parse(text), now=NOW, limit=limit)
        assert chosen == expected, text


async def test_counts_and_breakdown_match_the_plain_aggregates(stocked: AsyncEngine) -> None:
    for text in QUERIES:
        async with stocked.connect() as conn:
            counts = await alert_query.count_selection(conn, parse(text), now=NOW)
            detail = await alert_query.breakdown(conn, parse(text), now=NOW, top=40)
        expected = await plain_counts(stocked, text)
        assert (counts.alerts, counts.repositories, counts.code, counts.secret) == expected, text
        assert detail.counts == counts, text
        assert detail.by_severity == {
            name: count
            for name, count in sorted(
                (await plain_levels(stocked, text)).items(),
                key=lambda item: RANK.index(item[0]),
            )
        }, text
        assert sum(count for _, count in detail.top_repositories) == counts.alerts, text


async def test_the_migrations_make_the_indexes_the_schema_declares(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        found = await conn.run_sync(lambda sync: inspect(sync).get_indexes("alerts"))
    made = {index["name"]: tuple(index["column_names"]) for index in found}
    declared = {index.name: tuple(column.name for column in index.columns) for index in a.indexes}
    assert {name: made.get(name) for name in declared} == declared
    assert made["ix_alerts_preview"] == schema.PREVIEW_COLUMNS


async def plain_per_repository(engine: AsyncEngine, text: str) -> list[tuple[str, int]]:
    """Every selected repository with its alerts, most first, ties by name."""
    async with engine.connect() as conn:
        rows = await conn.execute(
            select(r.c.full_name, func.count())
            .join(r, r.c.id == a.c.repository_id)
            .where(compile_query(parse(text), now=NOW))
            .group_by(r.c.full_name)
        )
        return sorted(((name, int(count)) for name, count in rows), key=lambda x: (-x[1], x[0]))


async def plain_secret_types(engine: AsyncEngine, text: str) -> list[tuple[str, int]]:
    kind = func.coalesce(a.c.secret_type, "none")
    async with engine.connect() as conn:
        rows = await conn.execute(
            select(kind, func.count())
            .where(compile_query(parse(text), now=NOW), a.c.kind == literal("secret"))
            .group_by(kind)
        )
        return sorted(((name, int(count)) for name, count in rows), key=lambda x: (-x[1], x[0]))


@pytest.mark.parametrize("top", [1, 3, 5, 12])
async def test_the_breakdown_names_the_top_repositories_and_secret_types_ties_by_name(
    stocked: AsyncEngine, top: int
) -> None:
    """On PostgreSQL the server sums the groups (store.alert_summary), on SQLite Python does:
    both must keep exactly the `top` first of the plain ranking, ties at the cut broken by name."""
    tied = 0
    for text in QUERIES:
        async with stocked.connect() as conn:
            detail = await alert_query.breakdown(conn, parse(text), now=NOW, top=top)
        ranked = await plain_per_repository(stocked, text)
        tied += len(ranked) > top and ranked[top - 1][1] == ranked[top][1]
        assert detail.top_repositories == ranked[:top], text
        expected_types = await plain_secret_types(stocked, text)
        assert list(detail.by_secret_type.items()) == expected_types[:top], text
    assert tied, "the inventory must hold a tie at the cut for this test to mean anything"
