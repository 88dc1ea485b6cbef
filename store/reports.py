"""Facts for the weekly digest: what moved in a week, who fixed it, where nothing moves."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from store import schema
from store.times import utc
from store.upsert import chunks

a = schema.alerts
ca = schema.campaign_alerts
r = schema.repositories
asg = schema.assignments
fl = schema.fix_links

closed_moment = func.coalesce(a.c.closed_at, a.c.updated_at)


async def close_moments(conn: AsyncConnection, campaign_id: int) -> list[datetime]:
    """When each closed alert of the campaign closed (UTC), oldest first."""
    rows = await conn.scalars(
        select(closed_moment)
        .select_from(ca.join(a, a.c.id == ca.c.alert_id))
        .where(ca.c.campaign_id == campaign_id, a.c.is_open.is_(False))
    )
    return sorted(moment for moment in (utc(row) for row in rows) if moment is not None)


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
    that have no known writer): nobody there can be told or assign themselves. Three plain
    queries joined here: SQLite plans the single correlated query badly."""
    w, ident = schema.repository_writers, schema.identities
    open_repos = dict(
        (
            await conn.execute(
                select(r.c.id, r.c.full_name)
                .select_from(
                    ca.join(a, a.c.id == ca.c.alert_id).join(r, r.c.id == ca.c.repository_id)
                )
                .where(ca.c.campaign_id == campaign_id, a.c.is_open.is_(True))
                .distinct()
            )
        ).all()
    )
    if not open_repos:
        return []
    linked = set(
        await conn.scalars(
            select(func.lower(ident.c.github_login)).where(ident.c.github_login.is_not(None))
        )
    )
    reachable: set[int] = set()
    for part in chunks(sorted(open_repos)):
        rows = await conn.execute(
            select(w.c.repository_id, w.c.login).where(w.c.repository_id.in_(part))
        )
        reachable.update(repo for repo, login in rows if login in linked)
    return sorted(name for rid, name in open_repos.items() if rid not in reachable)
