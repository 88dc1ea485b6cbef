"""Who may write to which repository (GitHub collaborators with push or more), and what the e-mail
match learned about each login. The launch audience of a campaign is one set-based query."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from store import schema
from store.upsert import chunks, insert_ignore, upsert

w = schema.repository_writers
gu = schema.github_users
ident = schema.identities
ca = schema.campaign_alerts
a = schema.alerts
r = schema.repositories


@dataclass(frozen=True)
class Writer:
    """One writer of one repository of a campaign, with the campaign's open alerts there."""

    login: str
    slack_user_id: str | None
    repository: str
    open_alerts: int


async def replace(conn: AsyncConnection, repository_id: int, writers: Mapping[str, str]) -> None:
    """Make `writers` (login → permission) the repository's whole list of writers."""
    await replace_lists(conn, {repository_id: writers})


async def replace_lists(conn: AsyncConnection, lists: Mapping[int, Mapping[str, str]]) -> None:
    """Make each list (repository id → login → permission) its repository's whole list of
    writers: one DELETE and one INSERT per 500 repositories or rows, not two per repository
    (the sync stores a couple of thousand lists, most of them unchanged or empty)."""
    ids = list(lists)
    for part in chunks(ids, 500):
        await conn.execute(delete(w).where(w.c.repository_id.in_(part)))
    rows = [
        {"repository_id": repository_id, "login": login.lower(), "permission": permission}
        for repository_id, writers in lists.items()
        for login, permission in writers.items()
    ]
    await insert_ignore(conn, w, rows, ["repository_id", "login"])


async def set_writer(
    conn: AsyncConnection, repository_id: int, login: str, permission: str | None
) -> None:
    """Add, change or (with `permission=None`) remove one writer."""
    await conn.execute(
        delete(w).where(w.c.repository_id == repository_id, w.c.login == login.lower())
    )
    if permission is not None:
        await insert_ignore(
            conn,
            w,
            [{"repository_id": repository_id, "login": login.lower(), "permission": permission}],
            ["repository_id", "login"],
        )


async def is_writer(conn: AsyncConnection, repository: str, login: str) -> bool:
    """Whether `login` may write to the repository (by full name), as last synced."""
    found = await conn.scalar(
        select(w.c.login)
        .join(r, r.c.id == w.c.repository_id)
        .where(r.c.full_name_lower == repository.lower(), w.c.login == login.lower())
    )
    return found is not None


async def add_or_remove(
    conn: AsyncConnection, repository: str, login: str, permission: str | None
) -> None:
    """Record a writer GitHub confirmed, or (None) one who lost access; repository by name."""
    repository_id = await conn.scalar(
        select(r.c.id).where(r.c.full_name_lower == repository.lower())
    )
    if repository_id is not None:
        await set_writer(conn, repository_id, login, permission)


async def launch_audience(conn: AsyncConnection, campaign_id: int) -> list[Writer]:
    """Every writer of every repository in the campaign, with the Slack user linked to the login
    (None when there is none) and the campaign's open alerts in that repository."""
    per_repo = (
        select(ca.c.repository_id, func.count().label("open_alerts"))
        .join(a, a.c.id == ca.c.alert_id)
        .where(ca.c.campaign_id == campaign_id, a.c.is_open.is_(True))
        .group_by(ca.c.repository_id)
        .subquery()
    )
    stmt = (
        select(w.c.login, ident.c.slack_user_id, r.c.full_name, per_repo.c.open_alerts)
        .join(per_repo, per_repo.c.repository_id == w.c.repository_id)
        .join(r, r.c.id == w.c.repository_id)
        .outerjoin(ident, func.lower(ident.c.github_login) == w.c.login)
        .order_by(w.c.login, per_repo.c.open_alerts.desc(), r.c.full_name)
    )
    return [Writer(*row) for row in await conn.execute(stmt)]


async def logins_to_match(conn: AsyncConnection, checked_before: datetime) -> list[str]:
    """Writers with no Slack identity whose e-mail was not looked up since `checked_before`."""
    stmt = (
        select(w.c.login)
        .outerjoin(ident, func.lower(ident.c.github_login) == w.c.login)
        .outerjoin(gu, gu.c.login == w.c.login)
        .where(
            ident.c.slack_user_id.is_(None),
            (gu.c.checked_at.is_(None)) | (gu.c.checked_at < checked_before),
        )
        .distinct()
        .order_by(w.c.login)
    )
    return list(await conn.scalars(stmt))


async def record_checks(
    conn: AsyncConnection, checks: Sequence[tuple[str, str | None, str | None]], at: datetime
) -> None:
    """Remember (login, public e-mail, Slack user) for each login looked up."""
    rows = [
        {"login": login.lower(), "email": email, "slack_user_id": slack, "checked_at": at}
        for login, email, slack in checks
    ]
    for part in chunks(rows, 500):
        await upsert(conn, gu, part, ["login"])


async def writers_of(conn: AsyncConnection, repository_ids: Sequence[int]) -> dict[int, set[str]]:
    found: dict[int, set[str]] = {}
    for part in chunks(sorted(set(repository_ids))):
        rows = await conn.execute(
            select(w.c.repository_id, w.c.login).where(w.c.repository_id.in_(part))
        )
        for repository_id, login in rows:
            found.setdefault(repository_id, set()).add(login)
    return found


async def repositories_with_open_alerts(conn: AsyncConnection, org: str) -> list[tuple[int, str]]:
    """(id, full name) of the organization's present repositories holding an open alert: the
    only ones whose writers anyone needs.

    The open alerts' repositories are read once, as a set (one range of an index leading with
    `is_open`); a correlated EXISTS per repository let SQLite walk that same range for each
    repository instead, 10 s at 100,000 alerts.
    """
    with_open = select(a.c.repository_id).where(a.c.is_open.is_(True)).distinct()
    rows = await conn.execute(
        select(r.c.id, r.c.full_name)
        .where(
            r.c.full_name_lower.startswith(org.lower() + "/", autoescape=True),
            r.c.deleted_at.is_(None),
            r.c.id.in_(with_open),
        )
        .order_by(r.c.full_name_lower)
    )
    return [(rid, name) for rid, name in rows]


async def team_repositories(conn: AsyncConnection, slug: str) -> list[str]:
    """Full names of the repositories a team (by slug) can reach."""
    t, tr = schema.teams, schema.team_repositories
    rows = await conn.scalars(
        select(r.c.full_name)
        .join(tr, tr.c.repository_id == r.c.id)
        .join(t, t.c.id == tr.c.team_id)
        .where(func.lower(t.c.slug) == slug.lower(), r.c.deleted_at.is_(None))
        .order_by(r.c.full_name_lower)
    )
    return list(rows)
