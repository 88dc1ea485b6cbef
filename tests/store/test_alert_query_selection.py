"""Selections over a small organization: a negated term is the complement within its kinds,
previews count and break down what a filter selects, and a big campaign keeps the alerts of the
most recently pushed repositories."""

from __future__ import annotations

from datetime import UTC

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.core.query.parser import parse
from store import alerts, repositories
from store.alert_query import breakdown, count_selection, select_for_campaign
from tests.conftest import NOW
from tests.store.alert_query_support import EVERY_ALERT, selected

# --- negation is the complement within the kinds --------------------------------------------


@pytest.mark.parametrize(
    "term",
    [
        "is:open",
        "severity:high,note",
        "rule:js/xss",
        "tag:security",
        "tool:codeql",
        "autofilter:true",
        "validity:active",
        "resolution:revoked",
        "provider:amazon_aws",
        "secret-type:password",
        "repo:web",
        "topic:payments",
        "team:platform",
        "props.team:api",
        "visibility:private",
        "archived:true",
        "assignee:none",
        "status:in-progress",
        "age:>30d",
        "created:>2026-01-01",
        "xss",
        "token",
        "is:publicly-leaked",
    ],
)
async def test_a_term_and_its_negation_split_their_kinds_alerts(
    org: AsyncEngine, term: str
) -> None:
    kinds = parse(term).kinds()
    universe = {ref for ref in EVERY_ALERT if any(f"#{kind.value}-" in ref for kind in kinds)}
    chosen, rest = await selected(org, term), await selected(org, f"-{term}")
    assert chosen | rest == universe
    assert not chosen & rest


# --- previews ---------------------------------------------------------------------------------


async def test_count_selection_counts_alerts_repositories_and_kinds(org: AsyncEngine) -> None:
    async with org.connect() as conn:
        counts = await count_selection(conn, parse("is:open"), now=NOW)
        nothing = await count_selection(conn, parse("repo:acme/nowhere"), now=NOW)
    assert (counts.alerts, counts.repositories, counts.code, counts.secret) == (7, 4, 4, 3)
    assert (nothing.alerts, nothing.repositories, nothing.code, nothing.secret) == (0, 0, 0, 0)


async def test_breakdown_shows_severities_secret_types_and_top_repositories(
    org: AsyncEngine,
) -> None:
    async with org.connect() as conn:
        everything = await breakdown(conn, parse("created:*..2100-01-01"), now=NOW, top=2)
        counts = await count_selection(conn, parse("created:*..2100-01-01"), now=NOW)
    assert everything.counts == counts
    assert (counts.alerts, counts.repositories, counts.code, counts.secret) == (11, 4, 6, 5)
    assert list(everything.by_severity.items()) == [
        ("critical", 1),
        ("high", 2),
        ("medium", 1),
        ("low", 1),
        ("note", 1),
    ]
    assert list(everything.by_secret_type.items()) == [
        ("aws_access_key_id", 2),
        ("github_personal_access_token", 1),
    ]
    assert everything.top_repositories == [("acme/web", 4), ("acme/api", 3)]


async def test_breakdown_of_an_empty_selection_is_empty(org: AsyncEngine) -> None:
    async with org.connect() as conn:
        empty = await breakdown(conn, parse("repo:nowhere"), now=NOW)
    assert empty.counts.alerts == 0
    assert (empty.by_severity, empty.by_secret_type, empty.top_repositories) == ({}, {}, [])


# --- the big-campaign rule ------------------------------------------------------------------


async def test_select_for_campaign_keeps_alerts_of_the_most_recently_pushed_repositories(
    org: AsyncEngine,
) -> None:
    async with org.connect() as conn:
        chosen = await select_for_campaign(conn, parse("is:open"), now=NOW, limit=5)
        ordered = await select_for_campaign(conn, parse("is:open"), now=NOW, limit=100)
        found = {alert.id: alert for alert in await alerts.get_many(conn, [i for i, _ in ordered])}
        repository_ids = await repositories.ids_by_name(conn, ["acme/api", "acme/web"])
    names = [found[alert_id].reference.removeprefix("acme/") for alert_id, _ in ordered]
    # api (pushed 3 days ago), web (13), tools (60), legacy (never pushed) last.
    assert names == [
        "api#code-1",
        "web#code-1",
        "web#secret-1",
        "web#code-3",
        "tools#code-1",
        "tools#secret-1",
        "legacy#secret-1",
    ]
    assert chosen == ordered[:5]
    assert ordered[0][1] == repository_ids["acme/api"]
    assert ordered[1][1] == repository_ids["acme/web"]


async def test_query_for_a_naive_now_is_read_as_utc(org: AsyncEngine) -> None:
    naive = NOW.replace(tzinfo=None)
    assert await selected(org, "age:<1w", now=naive) == await selected(org, "age:<1w")
    assert NOW.tzinfo is UTC
