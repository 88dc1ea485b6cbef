"""The review's SQL: the biggest groups of a selection, and how many alerts each slice selects.

Set-based on purpose. A ranking is one GROUP BY over the alerts a base query selects, cut to the
top few in SQL (CWE tags aside: their spellings are merged in Python, see `cwe_tags`). The slices
are then counted together in one pass over `alerts`: one conditional sum per slice over the very
WHERE clause a preview compiles (`store.alert_filter`), so a slice's count is what its query
selects, by construction rather than by a second implementation of the filter.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.core.query.ast import Query
from store import schema
from store.alert_filter import compile_query

a = schema.alerts
r = schema.repositories
tags = schema.alert_tags

CWE_TAG_PREFIX = "external/cwe/cwe-"
CWE_TAG_END = "external/cwe/cwe."
"""Just past every tag that starts with the prefix (`.` follows `-`)."""
MAX_SUMS = 100
"""Conditional sums per statement: far above what a review asks, far below any SQL limit."""


class Ranked(BaseModel):
    """One group of a ranking: the value a filter names it by, what people read, its size."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    value: str
    label: str
    alerts: int


async def count_each(
    conn: AsyncConnection, queries: Sequence[Query], *, within: Query, now: datetime
) -> list[int]:
    """How many alerts each query selects, in one pass over the alerts `within` selects.

    Every query must be `within` and more terms (ValueError otherwise). Then, among the alerts
    `within` selects, a query selects exactly what its other terms do: the WHERE clause reads
    the rows once and each conditional sum tests only the terms that tell the slices apart."""
    counts: list[int] = []
    for start in range(0, len(queries), MAX_SUMS):
        part = queries[start : start + MAX_SUMS]
        sums = [
            func.coalesce(
                func.sum(case((compile_query(_rest(query, within), now=now), 1), else_=0)), 0
            )
            for query in part
        ]
        statement = select(*sums).select_from(a).where(compile_query(within, now=now))
        row = (await conn.execute(statement)).one()
        counts.extend(int(value) for value in row)
    return counts


def _rest(query: Query, within: Query) -> Query:
    """The terms of `query` that `within` does not have."""
    if any(term not in query.terms for term in within.terms):
        raise ValueError(f"{query} does not narrow {within}: it would be miscounted")
    return Query(terms=tuple(term for term in query.terms if term not in within.terms))


async def _ranked(
    conn: AsyncConnection,
    base: Query,
    *,
    now: datetime,
    key: ColumnElement[Any],
    label: ColumnElement[Any],
    top: int,
    join_repositories: bool = False,
) -> list[Ranked]:
    """The `top` values of `key` among what `base` selects, most alerts first (ties by value)."""
    count = func.count().label("alerts")
    statement = select(key.label("value"), func.max(label).label("label"), count)
    if join_repositories:
        statement = statement.select_from(a.join(r, r.c.id == a.c.repository_id))
    statement = (
        statement.where(compile_query(base, now=now), key.is_not(None))
        .group_by(key)
        .order_by(count.desc(), key)
        .limit(top)
    )
    rows = await conn.execute(statement)
    return [Ranked(value=str(value), label=str(name or value), alerts=n) for value, name, n in rows]


async def secret_types(
    conn: AsyncConnection, base: Query, *, now: datetime, top: int
) -> list[Ranked]:
    """Secret types (lower-cased, as `secret-type:` compares) with their display names."""
    return await _ranked(
        conn,
        base,
        now=now,
        key=func.lower(a.c.secret_type),
        label=func.coalesce(a.c.secret_type_display_name, a.c.secret_type),
        top=top,
    )


async def providers(conn: AsyncConnection, base: Query, *, now: datetime, top: int) -> list[Ranked]:
    """Providers by name (the slug where there is no name): `provider:` matches either, and the
    preview checks names against the data, so a name reads back without a "matches nothing"."""
    name = func.coalesce(a.c.provider, a.c.provider_slug)
    return await _ranked(conn, base, now=now, key=func.lower(name), label=name, top=top)


async def repositories(
    conn: AsyncConnection, base: Query, *, now: datetime, top: int
) -> list[Ranked]:
    """Repositories by full name (`repo:OWNER/NAME` names exactly one)."""
    return await _ranked(
        conn,
        base,
        now=now,
        key=r.c.full_name_lower,
        label=r.c.full_name,
        top=top,
        join_repositories=True,
    )


async def rules(conn: AsyncConnection, base: Query, *, now: datetime, top: int) -> list[Ranked]:
    """Code scanning rules (lower-cased ids, as `rule:` compares) with their names."""
    return await _ranked(
        conn,
        base,
        now=now,
        key=func.lower(a.c.rule_id),
        label=func.coalesce(a.c.rule_name, a.c.rule_id),
        top=top,
    )


async def cwe_tags(conn: AsyncConnection, base: Query, *, now: datetime) -> list[Ranked]:
    """Every CWE tag (GitHub's spelling, `external/cwe/cwe-079`) among what `base` selects.

    Not cut in SQL: one CWE may be stored under several spellings (`cwe-79`, `cwe-079`), which
    the caller merges before ranking; an organization's code alerts name a few hundred CWEs at
    most. The tags are read as a range of their index (a LIKE would not use it), and an alert
    holds a tag once (the key), so `count(*)` counts alerts."""
    alerts = func.count().label("alerts")
    selected = select(a.c.id).where(compile_query(base, now=now))
    rows = await conn.execute(
        select(tags.c.tag, alerts)
        .where(
            tags.c.tag.like(f"{CWE_TAG_PREFIX}%"),
            tags.c.alert_id.in_(selected),
        )
        .group_by(tags.c.tag)
        .order_by(alerts.desc(), tags.c.tag)
    )
    return [Ranked(value=tag, label=tag, alerts=n) for tag, n in rows]
