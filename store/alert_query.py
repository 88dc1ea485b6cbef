"""Previews and selections on the compiled filter: counts, the breakdown, the campaign's alerts.

Each is one statement over the WHERE clause that `store.alert_filter` compiles from a `Query`.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import ColumnElement, CompoundSelect, Select, bindparam, func, select, true
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.core.models import AlertKind
from bot.core.query.ast import Query
from bot.core.query.qualifiers import SECURITY_SEVERITY_VALUES, SEVERITY_LEVEL_VALUES
from store import schema
from store.alert_filter import compile_query, covered, scan
from store.alert_summary import summary_statement, summed_on_server
from store.engine import is_sqlite
from store.statements import query_key, reused
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
    held: dict[int, int] = {}
    """With `breakdown(held=True)`: how many of the selected alerts each active campaign holds
    (campaign → alerts), as `in_active_campaigns` says."""


# --- previews and selection -----------------------------------------------------------------

_GROUPS = (a.c.is_open, a.c.kind, a.c.repository_id, a.c.secret_type)
"""What a selection is grouped by: `ix_alerts_preview`'s leading columns, in its order, so the
groups come straight out of the index (no sort) whenever the filter reads it."""


async def _groups(
    conn: AsyncConnection, query: Query, now: datetime, *levels: ColumnElement[Any]
) -> list[Any]:
    """The selection counted per group of `_GROUPS` (and `levels`): one pass over the index.
    Rows are (kind, repository id, secret type, *levels, count)."""

    def build() -> Select[Any]:
        columns = (*_GROUPS, *levels)
        if not covered(query):
            # The table is scanned: grouping by plain columns would make SQLite walk it in the
            # index's order, looking each row up, to spare itself a sort.
            columns = tuple(scan(column) for column in columns)
        return (
            select(*columns[1:], func.count())
            .where(compile_query(query, now=now, ranges=True))
            .group_by(*columns)
        )

    key = ("groups", query_key(query, now), tuple(column.key for column in levels))
    return list(await conn.execute(reused(key, build)))


class _Tally:
    """Per repository, per kind, per severity level and per secret type, from the groups."""

    def __init__(self, rows: Iterable[Any], *, levels: bool) -> None:
        per_repository: dict[int, int] = {}
        severity: dict[str, int] = {}
        secret_type: dict[str, int] = {}
        code = secret = 0
        code_kind, secret_kind = AlertKind.CODE.value, AlertKind.SECRET.value
        for row in rows:
            kind, repository_id, count = row[0], row[1], row[-1]
            per_repository[repository_id] = per_repository.get(repository_id, 0) + count
            if kind == code_kind:
                code += count
                if levels:
                    level = _level(row[3], row[4])
                    severity[level] = severity.get(level, 0) + count
            elif kind == secret_kind:
                secret += count
                name = UNKNOWN if row[2] is None else row[2]
                secret_type[name] = secret_type.get(name, 0) + count
        self.per_repository, self.severity, self.secret_type = per_repository, severity, secret_type
        self.code, self.secret = code, secret

    def counts(self, notes: tuple[str, ...]) -> SelectionCounts:
        return SelectionCounts(
            alerts=sum(self.per_repository.values()),
            repositories=len(self.per_repository),
            code=self.code,
            secret=self.secret,
            notes=notes,
        )


def _level(security_severity: str | None, severity: str | None) -> str:
    """A code alert's breakdown group: its security severity, else its severity (both stored
    lower-cased), else "none"."""
    if security_severity is not None:
        return security_severity
    return UNKNOWN if severity is None else severity


async def count_selection(conn: AsyncConnection, query: Query, *, now: datetime) -> SelectionCounts:
    """Alerts and repositories a query selects, by kind: one grouped pass."""
    return _Tally(await _groups(conn, query, now), levels=False).counts(query.notes)


async def breakdown(
    conn: AsyncConnection, query: Query, *, now: datetime, top: int = 5, held: bool = False
) -> Breakdown:
    """What the preview shows, from one grouped pass over the selection: counts by repository,
    by severity of code alerts and by secret type; the totals follow from the groups. On
    PostgreSQL the server sums the groups itself (`store.alert_summary`), in the same statement
    as the alerts active campaigns hold (`held`): one round trip for the whole preview."""
    if not is_sqlite(conn):
        return await _summed_breakdown(conn, query, now=now, top=top, held=held)
    tally = _Tally(
        await _groups(conn, query, now, a.c.security_severity, a.c.severity), levels=True
    )
    return Breakdown(
        counts=tally.counts(query.notes),
        by_severity=_by_severity(tally.severity),
        by_secret_type=dict(_most(tally.secret_type.items(), top)),
        top_repositories=await _top_repositories(conn, tally.per_repository, top),
        held=await in_active_campaigns(
            conn, query, now=now, repositories=tally.per_repository.keys()
        )
        if held
        else {},
    )


async def _summed_breakdown(
    conn: AsyncConnection, query: Query, *, now: datetime, top: int, held: bool
) -> Breakdown:
    def build() -> CompoundSelect:
        where = compile_query(query, now=now, ranges=True)
        held_in = (lambda within: held_by_campaign(where, within)) if held else None
        return summary_statement(where, top=top, held=held_in)

    key = ("summary", query_key(query, now), top, held)
    summary = await summed_on_server(conn, reused(key, build))
    severity: dict[str, int] = {}
    secret_type: dict[str, int] = {}
    for (kind, detail), count in summary.detail.items():
        if kind == AlertKind.CODE.value:
            severity[UNKNOWN if detail is None else detail] = count
        elif kind == AlertKind.SECRET.value:
            secret_type[UNKNOWN if detail is None else detail] = count
    counts = SelectionCounts(
        alerts=summary.alerts,
        repositories=summary.repositories,
        code=summary.by_kind.get(AlertKind.CODE.value, 0),
        secret=summary.by_kind.get(AlertKind.SECRET.value, 0),
        notes=query.notes,
    )
    return Breakdown(
        counts=counts,
        by_severity=_by_severity(severity),
        by_secret_type=dict(_most(secret_type.items(), top)),
        top_repositories=_most(summary.top_repositories, top),
        held=dict(sorted(summary.held.items())),
    )


def _most(counts: Iterable[tuple[str, int]], top: int) -> list[tuple[str, int]]:
    return sorted(counts, key=lambda item: (-item[1], item[0]))[:top]


def _by_severity(counts: dict[str, int]) -> dict[str, int]:
    rank = {name: index for index, name in enumerate(SEVERITY_ORDER)}
    return dict(sorted(counts.items(), key=lambda item: (rank.get(item[0], len(rank)), item[0])))


async def _top_repositories(
    conn: AsyncConnection, per_repository: dict[int, int], top: int
) -> list[tuple[str, int]]:
    """The `top` repositories by alerts (ties by name): name the few candidates, then rank."""
    if not per_repository:
        return []
    cutoff = sorted(per_repository.values(), reverse=True)[:top][-1]
    candidates = [rid for rid, count in per_repository.items() if count >= cutoff]
    named: list[tuple[str, int]] = []
    for part in chunks(candidates):
        rows = await conn.execute(select(r.c.id, r.c.full_name).where(r.c.id.in_(part)))
        named.extend((name, per_repository[rid]) for rid, name in rows)
    return _most(named, top)


async def select_for_campaign(
    conn: AsyncConnection, query: Query, *, now: datetime, limit: int
) -> list[tuple[int, int]]:
    """(alert id, repository id) of at most `limit` selected alerts, those in the most recently
    pushed repositories first (never-pushed last): the big-campaign rule of ARCHITECTURE §4."""
    selection = await selection_for_campaign(conn, query, now=now)
    return await choose(conn, selection, limit=limit)


class Selection:
    """A query's selection counted per repository: what creating a campaign checks, and what
    `choose` needs to read only the repositories whose alerts it keeps."""

    def __init__(self, query: Query, now: datetime, tally: _Tally) -> None:
        self.query = query
        self.now = now
        self.per_repository = tally.per_repository
        self.counts = tally.counts(query.notes)


async def selection_for_campaign(
    conn: AsyncConnection, query: Query, *, now: datetime
) -> Selection:
    return Selection(query, now, _Tally(await _groups(conn, query, now), levels=False))


async def choose(
    conn: AsyncConnection, selection: Selection, *, limit: int
) -> list[tuple[int, int]]:
    """The alerts `select_for_campaign` keeps, reading only the repositories they come from.

    Repositories are ranked (most recently pushed first, never-pushed last, then by id) and
    taken until their counts reach `limit`, every repository tied with the last one included;
    the final order and cut are SQL's, over those repositories only. So the result is the
    ordered, limited selection of the whole inventory, without sorting all of it.
    """
    counts = selection.per_repository
    if not counts or limit <= 0:
        return []
    pushed: dict[int, Any] = {}
    for part in chunks(list(counts)):
        rows = await conn.execute(select(r.c.id, r.c.pushed_at).where(r.c.id.in_(part)))
        pushed.update({rid: moment for rid, moment in rows})
    by_id = sorted(counts)
    # Latest first; the sort is stable, so ties keep their ascending ids.
    ranked = sorted(
        (rid for rid in by_id if pushed[rid] is not None), key=pushed.__getitem__, reverse=True
    )
    ranked += [rid for rid in by_id if pushed[rid] is None]
    wanted: list[int] = []
    total = 0
    for rid in ranked:
        if total >= limit and pushed[rid] != pushed[wanted[-1]]:
            break
        wanted.append(rid)
        total += counts[rid]
    statement = (
        select(a.c.id, a.c.repository_id)
        .join(r, r.c.id == a.c.repository_id)
        .where(compile_query(selection.query, now=selection.now), a.c.repository_id.in_(wanted))
        .order_by(r.c.pushed_at.desc().nulls_last(), r.c.id, a.c.number, a.c.kind)
        .limit(limit)
    )
    return [(alert_id, repository_id) for alert_id, repository_id in await conn.execute(statement)]


async def in_active_campaigns(
    conn: AsyncConnection, query: Query, *, now: datetime, repositories: Collection[int]
) -> dict[int, int]:
    """How many of the selected alerts each active campaign already holds (campaign → count);
    `repositories`: those the selection spans. Up to `HELD_WITHIN_AT_MOST` of them, they are
    named so that the campaigns' alerts elsewhere are never looked up; past that, binding and
    probing the list costs SQLite more than it saves."""
    if not repositories:
        return {}
    if len(repositories) > HELD_WITHIN_AT_MOST:
        statement = reused(
            ("held", query_key(query, now)),
            lambda: held_by_campaign(compile_query(query, now=now)),
        )
        rows = await conn.execute(statement)
    else:
        statement = reused(
            ("held within", query_key(query, now)),
            lambda: held_by_campaign(
                compile_query(query, now=now), bindparam("within", expanding=True)
            ),
        )
        rows = await conn.execute(statement, {"within": sorted(repositories)})
    return {int(campaign_id): int(count) for campaign_id, count in rows}


HELD_WITHIN_AT_MOST = 300
"""Repositories of a selection named to `held_by_campaign` on SQLite (measured at 100,000 alerts
with ten campaigns: `team:` over 198 repositories 16 → 13 ms, a topic over 8: 9 → 3 ms; naming
1,600 made wide selections 5 ms slower)."""


def held_by_campaign(where: ColumnElement[bool], within: Any = None) -> Select[Any]:
    """(campaign id, alerts) of the active campaigns holding alerts that `where` selects.

    Driven by the campaigns' alerts (at most a few thousand), each looked up by id and tested
    against the filter, rather than by the filter's whole selection: a correlated count, which
    neither database turns into a join over the selection. With `within`, the selection's
    repositories (a subquery or an expanding parameter), a campaign's alert elsewhere is never
    looked up: testing a `team:` or `topic:` term is a join of its own, and testing all ten
    thousand alerts of ten campaigns cost 40 ms for `team:platform` on PostgreSQL. This relies
    on `campaign_alerts.repository_id` being its alert's: `store.campaigns.add_alerts` copies it
    from the alert, and an alert never changes repository (it is part of the alert's key; a
    renamed or transferred repository keeps its row).
    """
    held = schema.campaign_alerts
    campaigns = schema.campaigns
    matches = select(func.count()).where(a.c.id == held.c.alert_id, where).scalar_subquery()
    conditions = [campaigns.c.state == "active", matches > 0]
    if within is not None:
        # `IS TRUE` keeps PostgreSQL from pulling the IN up into a join it would plan from its
        # guess of the repositories (a CTE's rows it cannot count): it stays one hashed set,
        # probed before the costlier test.
        conditions.insert(1, held.c.repository_id.in_(within).is_(true()))
    return (
        select(held.c.campaign_id.label("campaign_id"), func.count().label("n"))
        .join(campaigns, campaigns.c.id == held.c.campaign_id)
        .where(*conditions)
        .group_by(held.c.campaign_id)
        .order_by(held.c.campaign_id)
    )
