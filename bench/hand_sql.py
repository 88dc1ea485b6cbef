"""The preview's floor: for each query of the core bench, the count SQL a person would write by
hand for the same selection (alerts, repositories, code, secret), knowing the data (tags stored as
GitHub spells them, values lower-cased). The bench checks that both give the same counts."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import DateTime, bindparam, text
from sqlalchemy.ext.asyncio import AsyncConnection

COUNTS = (
    "SELECT count(*), count(DISTINCT repository_id), "
    "coalesce(sum(CASE WHEN kind = 'code' THEN 1 ELSE 0 END), 0), "
    "coalesce(sum(CASE WHEN kind = 'secret' THEN 1 ELSE 0 END), 0) FROM alerts WHERE "
)
TEAM = (
    "repository_id IN (SELECT l.repository_id FROM team_repositories l "
    "JOIN teams t ON t.id = l.team_id WHERE t.slug = 'platform' "
    "AND l.permission IN ('push', 'maintain', 'admin'))"
)


def _where(query: str, like: str) -> str:
    """The WHERE clause for one of `bench.core_bench.QUERIES`."""
    return {
        "is:open autofilter:true severity:critical": (
            "kind = 'code' AND is_open AND in_app_code AND security_severity = 'critical'"
        ),
        "is:open severity:critical,high": (
            "kind = 'code' AND is_open AND security_severity IN ('critical', 'high')"
        ),
        "is:open tag:external/cwe/cwe-079 autofilter:true": (
            "kind = 'code' AND is_open AND in_app_code AND id IN "
            "(SELECT alert_id FROM alert_tags WHERE tag = 'external/cwe/cwe-079')"
        ),
        "is:open team:platform -archived:true": (
            f"is_open AND {TEAM} AND repository_id IN (SELECT id FROM repositories "  # noqa: S608
            "WHERE NOT archived)"
        ),
        "is:open topic:payments props.businesspriority:urgent": (
            "is_open AND repository_id IN (SELECT repository_id FROM repository_topics "
            "WHERE topic = 'payments') AND repository_id IN (SELECT repository_id FROM "
            "repository_properties WHERE name = 'businesspriority' AND value = 'urgent')"
        ),
        "is:open provider:amazon_aws validity:active": (
            "kind = 'secret' AND is_open AND provider_slug = 'amazon_aws' AND validity = 'active'"
        ),
        "is:open age:>90d": "is_open AND created_at < :cutoff",
        "xss": (
            f"(rule_id {like} '%xss%' OR rule_name {like} '%xss%' OR secret_type {like} '%xss%' "  # noqa: S608
            f"OR secret_type_display_name {like} '%xss%' OR repository_id IN "
            f"(SELECT id FROM repositories WHERE name_lower {like} '%xss%'))"
        ),
    }[query]


HELD = (
    "SELECT campaign_id, count(*) FROM campaign_alerts WHERE campaign_id IN "
    "(SELECT id FROM campaigns WHERE state = 'active') AND alert_id IN (SELECT id FROM alerts "
    "WHERE {where}) GROUP BY campaign_id"
)


async def count(conn: AsyncConnection, query: str, now: datetime) -> tuple[int, int, int, int]:
    """(alerts, repositories, code, secret) that `query` selects, by the hand-written SQL."""
    row = (await conn.execute(_statement(conn, COUNTS + "{where}", query, now))).one()
    return int(row[0]), int(row[1]), int(row[2]), int(row[3])


async def held(conn: AsyncConnection, query: str, now: datetime) -> dict[int, int]:
    """Campaign → alerts of the selection that active campaigns hold, by the hand-written SQL:
    what the preview also says once campaigns exist."""
    rows = await conn.execute(_statement(conn, HELD, query, now))
    return {int(campaign_id): int(n) for campaign_id, n in rows}


def _statement(conn: AsyncConnection, template: str, query: str, now: datetime) -> Any:
    like = "LIKE" if conn.dialect.name == "sqlite" else "ILIKE"
    statement = text(template.format(where=_where(query, like)))
    if ":cutoff" in statement.text:
        statement = statement.bindparams(
            bindparam("cutoff", now - timedelta(days=90), type_=DateTime(timezone=True))
        )
    return statement
