"""Facts for the weekly digest: what moved in a week, who fixed it, where nothing moves."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from store import schema
from store.times import utc

a = schema.alerts
ca = schema.campaign_alerts
r = schema.repositories
asg = schema.assignments
fl = schema.fix_links

closed_moment = func.coalesce(a.c.closed_at, a.c.updated_at)


async def close_days(conn: AsyncConnection, campaign_id: int) -> list[date]:
    """The day each closed alert of the campaign closed (for the burndown), oldest first."""
    rows = await conn.scalars(
        select(closed_moment)
        .select_from(ca.join(a, a.c.id == ca.c.alert_id))
        .where(ca.c.campaign_id == campaign_id, a.c.is_open.is_(False))
    )
    days = [moment.date() for moment in (utc(row) for row in rows) if moment is not None]
    return sorted(days)


async def top_fixers(
    conn: AsyncConnection, campaign_id: int, since: datetime, limit: int = 5
) -> list[tuple[str, int]]:
    """Assignees of the campaign's alerts closed since `since`, most first."""
    stmt = (
        select(asg.c.assignee, func.count())
        .join(a, a.c.id == asg.c.alert_id)
        .where(asg.c.campaign_id == campaign_id, a.c.is_open.is_(False), closed_moment >= since)
        .group_by(asg.c.assignee)
        .order_by(func.count().desc(), asg.c.assignee)
        .limit(limit)
    )
    return [(user, int(count)) for user, count in await conn.execute(stmt)]


async def repository_activity(
    conn: AsyncConnection, campaign_id: int
) -> list[tuple[str, int, datetime | None, datetime | None]]:
    """Per repository of the campaign: open alerts, the last close, the last fix link."""
    last_fix = (
        select(fl.c.alert_id, func.max(fl.c.created_at).label("at"))
        .group_by(fl.c.alert_id)
        .subquery()
    )
    stmt = (
        select(
            r.c.full_name,
            func.sum(case((a.c.is_open.is_(True), 1), else_=0)),
            func.max(case((a.c.is_open.is_(False), closed_moment), else_=None)),
            func.max(last_fix.c.at),
        )
        .select_from(
            ca.join(a, a.c.id == ca.c.alert_id)
            .join(r, r.c.id == ca.c.repository_id)
            .outerjoin(last_fix, last_fix.c.alert_id == a.c.id)
        )
        .where(ca.c.campaign_id == campaign_id)
        .group_by(r.c.full_name)
    )
    return [
        (name, int(opened or 0), utc(closed), utc(fixed))
        for name, opened, closed, fixed in await conn.execute(stmt)
    ]


async def repositories_without_linked_writer(conn: AsyncConnection, campaign_id: int) -> list[str]:
    """Repositories of the campaign with open alerts whose writers have no Slack identity (or
    that have no known writer): nobody there can be told or assign themselves."""
    w, ident = schema.repository_writers, schema.identities
    linked_writer = (
        select(w.c.login)
        .join(ident, func.lower(ident.c.github_login) == w.c.login)
        .where(w.c.repository_id == r.c.id)
        .exists()
    )
    stmt = (
        select(r.c.full_name)
        .select_from(ca.join(a, a.c.id == ca.c.alert_id).join(r, r.c.id == ca.c.repository_id))
        .where(ca.c.campaign_id == campaign_id, a.c.is_open.is_(True), ~linked_writer)
        .distinct()
        .order_by(r.c.full_name)
    )
    return list(await conn.scalars(stmt))
