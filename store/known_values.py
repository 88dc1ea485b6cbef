"""The values the data holds for the data-driven qualifiers, so a filter that names a value that
matches nothing can say which ones exist (`provider:aws` → `Amazon AWS`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from store import schema

DATA_DRIVEN = ("provider", "secret-type", "tag", "rule", "tool", "team", "topic", "repo")
LIMIT = 5000
PROVIDER_SLUG = "provider-slug"
"""Not a qualifier: the slugs `provider:` also compares, to tell whether a value matched."""


def _column(qualifier: str) -> Any:
    a = schema.alerts
    return {
        "provider": a.c.provider,
        PROVIDER_SLUG: a.c.provider_slug,
        "secret-type": a.c.secret_type,
        "tag": schema.alert_tags.c.tag,
        "rule": a.c.rule_id,
        "tool": a.c.tool,
        "team": schema.teams.c.slug,
        "topic": schema.repository_topics.c.topic,
        "repo": schema.repositories.c.full_name,
    }[qualifier]


_INDEXED = ("provider", "secret-type", "tag", "rule", "team", "topic", "repo")
"""Qualifiers whose column leads an index: their values are read by skipping through it."""


def is_data_driven(qualifier: str) -> bool:
    return qualifier in DATA_DRIVEN or qualifier.startswith("props.")


async def known_values(conn: AsyncConnection, qualifier: str) -> list[str]:
    """Distinct values of a data-driven qualifier, sorted (at most a few thousand)."""
    statement: Any
    if qualifier.startswith("props."):
        props = schema.repository_properties
        statement = (
            select(props.c.value)
            .where(props.c.name == qualifier.removeprefix("props.").lower())
            .distinct()
        )
    elif qualifier in _INDEXED:
        statement = _SKIPPING.get(qualifier)
        if statement is None:
            statement = _SKIPPING[qualifier] = _skipping(_column(qualifier))
    else:
        column = _column(qualifier)
        statement = select(column).where(column.is_not(None)).distinct()
    rows = await conn.execute(statement.limit(LIMIT))
    return sorted(str(value) for (value,) in rows)


_SKIPPING: dict[str, Any] = {}
"""The skipping statement of each indexed qualifier, built once."""


def _skipping(column: Any) -> Any:
    """The distinct values of an indexed column, one index seek each (a recursive CTE), rather
    than reading every entry: the tags of a million alerts are millions of rows, and a hundred
    distinct values."""
    first = select(func.min(column).label("value")).where(column.is_not(None))
    known = first.cte("known", recursive=True)
    following = select(func.min(column)).where(column > known.c.value).scalar_subquery()
    known = known.union_all(select(following).where(known.c.value.is_not(None)))
    return select(known.c.value).where(known.c.value.is_not(None))
