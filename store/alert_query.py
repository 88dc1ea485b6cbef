"""Previews and selections on the compiled filter: counts, the breakdown, the campaign's alerts.

Each is one statement over the WHERE clause that `store.alert_filter` compiles from a `Query`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from pydantic import BaseModel, ConfigDict
from sqlalchemy import ColumnElement, String, case, cast, distinct, func, literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.core.models import AlertKind
from bot.core.query.ast import Query
from bot.core.query.qualifiers import SECURITY_SEVERITY_VALUES, SEVERITY_LEVEL_VALUES
from store import schema
from store.alert_filter import compile_query, scan
from store.upsert import chunks

a = schema.alerts
r = schema.repositories

SEVERITY_ORDER = (*SECURITY_SEVERITY_VALUES, *SEVERITY_LEVEL_VALUES)
UNKNOWN = "none"
"""The breakdown group of alerts without a severity or a secret type."""


class SelectionCounts(BaseModel):
    """How much a query selects; `notes` carries what the preview must tell (unapplied terms)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    alerts: int
    repositories: int
    code: int
    secret: int
    notes: tuple[str, ...] = ()


class Breakdown(BaseModel):
    """The preview's detail: code by severity, secrets by type, the repositories with most."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    counts: SelectionCounts
    by_severity: dict[str, int]
    """Code alerts by security severity (else severity, else "none"), most severe first."""
    by_secret_type: dict[str, int]
    """The `top` most frequent secret types, most first; the rest is `counts.secret` minus these."""
    top_repositories: list[tuple[str, int]]
    """The `top` repositories (full name, alerts) with most selected alerts, most first."""


# --- previews and selection -----------------------------------------------------------------


def _of_kind(kind: AlertKind) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((a.c.kind == kind.value, 1), else_=0)), 0)


async def count_selection(conn: AsyncConnection, query: Query, *, now: datetime) -> SelectionCounts:
    """Alerts and repositories a query selects, by kind: one aggregate query."""
    row = (
        await conn.execute(
            select(
                func.count(),
                func.count(distinct(scan(a.c.repository_id))),
                _of_kind(AlertKind.CODE),
                _of_kind(AlertKind.SECRET),
            ).where(compile_query(query, now=now))
        )
    ).one()
    return SelectionCounts(
        alerts=row[0], repositories=row[1], code=row[2], secret=row[3], notes=query.notes
    )


async def breakdown(
    conn: AsyncConnection, query: Query, *, now: datetime, top: int = 5
) -> Breakdown:
    """What the preview shows, in one statement: the selection is read once (a CTE used three
    times, which SQLite and PostgreSQL materialize) and grouped by repository, by severity of
    code alerts and by secret type; the counts follow from the groups."""
    selected = (
        select(
            scan(a.c.repository_id).label("repository_id"),
            scan(a.c.kind).label("kind"),
            func.coalesce(
                func.lower(a.c.security_severity), func.lower(a.c.severity), UNKNOWN
            ).label("level"),
            func.coalesce(a.c.secret_type, UNKNOWN).label("secret_type"),
        )
        .where(compile_query(query, now=now))
        .cte("selected")
    )
    c = selected.c
    statement = union_all(
        select(literal("repository"), cast(c.repository_id, String), func.count()).group_by(
            c.repository_id
        ),
        select(literal("severity"), c.level, func.count())
        .where(c.kind == AlertKind.CODE.value)
        .group_by(c.level),
        select(literal("secret_type"), c.secret_type, func.count())
        .where(c.kind == AlertKind.SECRET.value)
        .group_by(c.secret_type),
    )
    groups: dict[str, dict[str, int]] = {"repository": {}, "severity": {}, "secret_type": {}}
    for part, name, count in await conn.execute(statement):
        groups[part][name] = count
    per_repository = groups["repository"]
    counts = SelectionCounts(
        alerts=sum(per_repository.values()),
        repositories=len(per_repository),
        code=sum(groups["severity"].values()),
        secret=sum(groups["secret_type"].values()),
        notes=query.notes,
    )
    return Breakdown(
        counts=counts,
        by_severity=_by_severity(groups["severity"]),
        by_secret_type=dict(_most(groups["secret_type"].items(), top)),
        top_repositories=await _top_repositories(conn, per_repository, top),
    )


def _most(counts: Iterable[tuple[str, int]], top: int) -> list[tuple[str, int]]:
    return sorted(counts, key=lambda item: (-item[1], item[0]))[:top]


def _by_severity(counts: dict[str, int]) -> dict[str, int]:
    rank = {name: index for index, name in enumerate(SEVERITY_ORDER)}
    return dict(sorted(counts.items(), key=lambda item: (rank.get(item[0], len(rank)), item[0])))


async def _top_repositories(
    conn: AsyncConnection, per_repository: dict[str, int], top: int
) -> list[tuple[str, int]]:
    """The `top` repositories by alerts (ties by name): name the few candidates, then rank."""
    if not per_repository:
        return []
    cutoff = sorted(per_repository.values(), reverse=True)[:top][-1]
    candidates = [int(rid) for rid, count in per_repository.items() if count >= cutoff]
    named: list[tuple[str, int]] = []
    for part in chunks(candidates):
        rows = await conn.execute(select(r.c.id, r.c.full_name).where(r.c.id.in_(part)))
        named.extend((name, per_repository[str(rid)]) for rid, name in rows)
    return _most(named, top)


async def select_for_campaign(
    conn: AsyncConnection, query: Query, *, now: datetime, limit: int
) -> list[tuple[int, int]]:
    """(alert id, repository id) of at most `limit` selected alerts, those in the most recently
    pushed repositories first (never-pushed last): the big-campaign rule of ARCHITECTURE §4."""
    rows = await conn.execute(
        select(a.c.id, a.c.repository_id)
        .join(r, r.c.id == a.c.repository_id)
        .where(compile_query(query, now=now))
        .order_by(r.c.pushed_at.desc().nulls_last(), r.c.id, a.c.number, a.c.kind)
        .limit(limit)
    )
    return [(alert_id, repository_id) for alert_id, repository_id in rows]


async def in_active_campaigns(
    conn: AsyncConnection, query: Query, *, now: datetime
) -> dict[int, int]:
    """How many of the selected alerts each active campaign already holds (campaign → count)."""
    held = schema.campaign_alerts
    campaigns = schema.campaigns
    rows = await conn.execute(
        select(held.c.campaign_id, func.count())
        .join(campaigns, campaigns.c.id == held.c.campaign_id)
        .where(
            campaigns.c.state == "active",
            held.c.alert_id.in_(select(a.c.id).where(compile_query(query, now=now))),
        )
        .group_by(held.c.campaign_id)
        .order_by(held.c.campaign_id)
    )
    return {int(campaign_id): int(count) for campaign_id, count in rows}
