"""The preview's breakdown summed by PostgreSQL itself, in one statement that returns a few rows.

`alert_query.breakdown` groups the selection by the index's leading columns and sums the groups
in Python: on SQLite the groups come straight out of the index and cost nothing to hand over.
From PostgreSQL every group is a row on the wire and through asyncpg and SQLAlchemy: 13,000 of
them for `is:open age:>90d` at 100,000 alerts, most of the preview's time (profiled). Here the
groups stay on the server (a materialized CTE of GROUPING SETS) and only the sums come back: the
totals, the code alerts by level, the secret alerts by type, and the repositories tied for the top
places.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Select,
    String,
    cast,
    func,
    literal,
    null,
    select,
    tuple_,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from store import schema

a = schema.alerts
r = schema.repositories


@dataclass
class Summary:
    """The selection's sums. `detail` is (kind, level or secret type or None) → alerts."""

    alerts: int = 0
    repositories: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)
    detail: dict[tuple[str, str | None], int] = field(default_factory=dict)
    top_repositories: list[tuple[str, int]] = field(default_factory=list)
    held: dict[int, int] = field(default_factory=dict)


DETAIL, REPOSITORIES, TOP, HELD = 0, 1, 2, 3
"""What a row of the statement holds: a (kind, detail) group, the number of repositories, one
of the top repositories, or the alerts an active campaign holds."""


async def summed_on_server(conn: AsyncConnection, statement: CompoundSelect) -> Summary:
    """Runs a `summary_statement` and reads its rows into a `Summary`."""
    summary = Summary()
    # `name`: a (kind, detail) group's detail, or the full name of a top repository.
    for row, kind, name, count in await conn.execute(statement):
        count = int(count)
        if row == DETAIL:
            summary.detail[(kind, name)] = count
            summary.by_kind[kind] = summary.by_kind.get(kind, 0) + count
            summary.alerts += count
        elif row == REPOSITORIES:
            summary.repositories = count
        elif row == HELD:
            summary.held[int(name)] = count
        else:
            summary.top_repositories.append((name, count))
    return summary


def summary_statement(
    where: ColumnElement[bool],
    *,
    top: int,
    held: Callable[[Select[Any]], Select[Any]] | None = None,
) -> CompoundSelect:
    """The sums of the alerts `where` selects, by kind, by detail and for the `top` repositories
    (every repository tied with the last place included; the caller breaks ties by name).

    One pass over the selection with two GROUPING SETS, each a small hash table filled in the
    same scan: (kind, detail) and (repository). The totals are sums of the first. A code alert's
    detail is its security severity, else its severity; a secret alert's, its type: a code alert
    has no secret type and a secret alert no severity, so one COALESCE says both. (Grouping by
    repository and level first, then summing those groups four times, cost twice the scan.)
    `held`, given the selection's repositories, makes (campaign id, alerts) rows, which come back
    in the same statement (`Summary.held`).
    """
    detail = func.coalesce(a.c.security_severity, a.c.severity, a.c.secret_type)
    groups = (
        select(
            func.grouping(a.c.repository_id).label("per_repository"),
            # Labels: a table's own column would be copied into the CTE with its foreign key,
            # an event listener registered per statement (a millisecond a preview, profiled).
            a.c.kind.label("kind"),
            detail.label("detail"),
            a.c.repository_id.label("repository_id"),
            func.count().label("n"),
        )
        .where(where)
        .group_by(func.grouping_sets(tuple_(a.c.kind, detail), tuple_(a.c.repository_id)))
        .cte("groups")
        .prefix_with("MATERIALIZED")
    )
    by_repository = groups.c.per_repository == 0
    ranked = (
        select(
            groups.c.repository_id,
            groups.c.n,
            func.rank().over(order_by=groups.c.n.desc()).label("place"),
        )
        .where(by_repository)
        .subquery()
    )
    text = String()
    branches = [
        select(literal(DETAIL), groups.c.kind, groups.c.detail, groups.c.n).where(~by_repository),
        select(literal(REPOSITORIES), null().cast(text), null().cast(text), func.count()).where(
            by_repository
        ),
        select(literal(TOP), null().cast(text), r.c.full_name, ranked.c.n)
        .join(r, r.c.id == ranked.c.repository_id)
        .where(ranked.c.place <= top),
    ]
    if held is not None:
        counted = held(select(groups.c.repository_id).where(by_repository)).subquery()
        branches.append(
            select(literal(HELD), null().cast(text), cast(counted.c.campaign_id, text), counted.c.n)
        )
    return union_all(*branches)
