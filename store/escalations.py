"""Escalations: what the rules select (set-based, one statement per rule) and the record of what
was escalated, one row per rule and subject, so each is sent once.

A subject is an alert (its reference) or a repository of a campaign (`3/acme/web`, for the
stalled-repository rule). Recording is insert-if-absent on the primary key: of two runs racing
on one database, only the one whose insert added the row tells anybody.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict
from sqlalchemy import and_, case, exists, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.core.models import Alert
from bot.core.query.ast import Query
from store import schema
from store.alert_filter import WRITE_PERMISSIONS, compile_query
from store.alerts import select_alerts, to_model
from store.times import utc
from store.upsert import chunks, insert_for

e = schema.escalations
a = schema.alerts
ca = schema.campaign_alerts
r = schema.repositories
fl = schema.fix_links


class Escalation(BaseModel):
    """One escalation made: by a rule (actor `campaignbot`) or by a person (rule `manual`)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    rule: str
    subject: str
    campaign_id: int | None = None
    alert_id: int | None = None
    actor: str
    at: datetime


class StalledRepository(BaseModel):
    """A repository of a campaign with open alerts and no close or fix link for a while."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    campaign_id: int
    repository_id: int
    repository: str
    open: int
    last_progress: datetime | None
    """The last close or fix link of the campaign's alerts there; None: never any."""


def stalled_subject(campaign_id: int, repository: str) -> str:
    return f"{campaign_id}/{repository}"


async def matching_alerts(
    conn: AsyncConnection,
    rule: str,
    campaign_ids: Sequence[int],
    query: Query | None,
    now: datetime,
) -> list[tuple[int, int, Alert]]:
    """(campaign, repository id, alert) for the open alerts of these campaigns that `query`
    selects (all of them without one) and that `rule` has not escalated yet: one statement."""
    if not campaign_ids:
        return []
    conditions = [
        ca.c.campaign_id.in_(list(campaign_ids)),
        a.c.is_open.is_(True),
        ~exists().where(e.c.rule == rule, e.c.alert_id == a.c.id),
    ]
    if query is not None:
        conditions.append(compile_query(query, now=now))
    stmt = (
        select_alerts()
        .add_columns(ca.c.campaign_id.label("campaign_id"))
        .join(ca, ca.c.alert_id == a.c.id)
        .where(*conditions)
        .order_by(ca.c.campaign_id, r.c.full_name_lower, a.c.kind, a.c.number)
    )
    rows = (await conn.execute(stmt)).mappings().all()
    return [
        (int(row["campaign_id"]), int(row["repository_id"]), to_model(row, [], [])) for row in rows
    ]


async def stalled_repositories(
    conn: AsyncConnection, rule: str, campaign_ids: Sequence[int], since: datetime
) -> list[StalledRepository]:
    """Repositories of these campaigns with open alerts and neither a close nor a fix link since
    `since` (the digest's "no progress" test), that `rule` has not escalated yet."""
    if not campaign_ids:
        return []
    since = since.astimezone(UTC)
    closed_at = func.coalesce(a.c.closed_at, a.c.updated_at)
    last_fix = (
        select(fl.c.alert_id, func.max(fl.c.created_at).label("at"))
        .group_by(fl.c.alert_id)
        .subquery()
    )
    open_count = func.sum(case((a.c.is_open.is_(True), 1), else_=0))
    last_close = func.max(case((a.c.is_open.is_(False), closed_at), else_=None))
    last_link = func.max(last_fix.c.at)
    stmt = (
        select(ca.c.campaign_id, r.c.id, r.c.full_name, open_count, last_close, last_link)
        .select_from(
            ca.join(a, a.c.id == ca.c.alert_id)
            .join(r, r.c.id == ca.c.repository_id)
            .outerjoin(last_fix, last_fix.c.alert_id == a.c.id)
        )
        .where(ca.c.campaign_id.in_(list(campaign_ids)))
        .group_by(ca.c.campaign_id, r.c.id, r.c.full_name)
        .having(
            and_(
                open_count > 0,
                (last_close.is_(None)) | (last_close < since),
                (last_link.is_(None)) | (last_link < since),
            )
        )
        .order_by(ca.c.campaign_id, r.c.full_name)
    )
    found = [
        StalledRepository(
            campaign_id=campaign_id,
            repository_id=repository_id,
            repository=name,
            open=int(opened or 0),
            last_progress=max(
                (m for m in (utc(closed), utc(fixed)) if m is not None), default=None
            ),
        )
        for campaign_id, repository_id, name, opened, closed, fixed in await conn.execute(stmt)
    ]
    done = await _escalated_subjects(
        conn, rule, [stalled_subject(s.campaign_id, s.repository) for s in found]
    )
    return [s for s in found if stalled_subject(s.campaign_id, s.repository) not in done]


async def _escalated_subjects(conn: AsyncConnection, rule: str, subjects: list[str]) -> set[str]:
    done: set[str] = set()
    for part in chunks(subjects):
        done.update(
            await conn.scalars(select(e.c.subject).where(e.c.rule == rule, e.c.subject.in_(part)))
        )
    return done


async def writing_teams(
    conn: AsyncConnection, repository_ids: Sequence[int]
) -> dict[int, list[str]]:
    """The slugs of the teams that may write to each repository (GitHub's push or more)."""
    teams, links = schema.teams, schema.team_repositories
    found: dict[int, list[str]] = {}
    for part in chunks(sorted(set(repository_ids))):
        rows = await conn.execute(
            select(links.c.repository_id, teams.c.slug)
            .join(teams, teams.c.id == links.c.team_id)
            .where(links.c.repository_id.in_(part), links.c.permission.in_(WRITE_PERMISSIONS))
            .order_by(teams.c.slug)
        )
        for repository_id, slug in rows:
            found.setdefault(repository_id, []).append(slug)
    return found


async def add(conn: AsyncConnection, escalation: Escalation) -> bool:
    """Record an escalation unless its rule and subject already have one; whether it was added."""
    stmt = insert_for(conn, e).on_conflict_do_nothing(index_elements=["rule", "subject"])
    result = await conn.execute(stmt, escalation.model_dump())
    return bool(result.rowcount)


async def get(conn: AsyncConnection, rule: str, subject: str) -> Escalation | None:
    row = (
        (await conn.execute(select(e).where(e.c.rule == rule, e.c.subject == subject)))
        .mappings()
        .first()
    )
    if row is None:
        return None
    return Escalation(**{**row, "at": utc(row["at"])})


async def all_escalations(conn: AsyncConnection) -> list[Escalation]:
    """Every escalation, oldest first (for tests and audits)."""
    rows = (await conn.execute(select(e).order_by(e.c.at, e.c.rule, e.c.subject))).mappings()
    return [Escalation(**{**row, "at": utc(row["at"])}) for row in rows]
