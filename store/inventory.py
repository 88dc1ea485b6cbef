"""What the GitHub source needs beyond the generic upserts: which alerts a page changes,
repositories gone from the organization, teams that no longer exist, and a campaign's alerts
grouped the way GitHub's campaigns API wants them. Every statement is set-based.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from sqlalchemy import delete, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.selectable import TextualSelect

from store import schema
from store.times import utc
from store.upsert import chunks

a = schema.alerts
r = schema.repositories

REMOVED_STATE = "removed"
"""The state of an alert whose repository is gone from GitHub: not open, so campaigns count it
closed, yet not mistaken for fixed or dismissed."""

AlertKey = tuple[str, str, int]
"""(lower-cased repository full name, kind, number)."""


@dataclass(frozen=True)
class AlertVersion:
    id: int
    state: str
    updated_at: datetime | None


@dataclass(frozen=True)
class OrgRepository:
    id: int
    github_id: int | None
    full_name: str


async def has_alerts(conn: AsyncConnection, kind: str) -> bool:
    """Whether any alert of this kind is stored (a first sync has nothing to compare with)."""
    return await conn.scalar(select(a.c.id).where(a.c.kind == kind).limit(1)) is not None


async def alert_versions(
    conn: AsyncConnection, keys: Iterable[AlertKey]
) -> dict[AlertKey, AlertVersion]:
    """What we hold of these alerts (id, state, updated_at), to tell which a page changes.

    The keys go in as a VALUES list joined to the repositories' and the alerts' unique indexes:
    one cheap statement per page. (A row-value IN over the same columns makes SQLite scan the
    alerts, and one ORed term per key costs more to build than to run.)
    """
    wanted = sorted(set(keys))
    found: dict[AlertKey, AlertVersion] = {}
    for part in chunks(wanted, 300):
        params: dict[str, object] = {}
        for i, (name, kind, number) in enumerate(part):
            params |= {f"r{i}": name, f"k{i}": kind, f"n{i}": number}
        result = await conn.execute(_versions_statement(len(part)), params)
        for name, kind, number, alert_id, state, updated_at in result:
            found[(name, kind, number)] = AlertVersion(alert_id, state, utc(updated_at))
    return found


@lru_cache(maxsize=32)
def _versions_statement(count: int) -> TextualSelect:
    """The lookup for `count` keys, built once per size (building it costs more than running)."""
    keys = ", ".join(
        f"(CAST(:r{i} AS VARCHAR(200)), CAST(:k{i} AS VARCHAR(8)), CAST(:n{i} AS INTEGER))"
        for i in range(count)
    )
    return text(
        f"WITH k(name, kind, num) AS (VALUES {keys}) "  # noqa: S608 - placeholders only
        "SELECT r.full_name_lower, a.kind, a.number, a.id, a.state, a.updated_at FROM k "
        "JOIN repositories r ON r.full_name_lower = k.name "
        "JOIN alerts a ON a.repository_id = r.id AND a.kind = k.kind AND a.number = k.num"
    ).columns(r.c.full_name_lower, a.c.kind, a.c.number, a.c.id, a.c.state, a.c.updated_at)


async def org_repositories(conn: AsyncConnection, org: str) -> list[OrgRepository]:
    """The organization's repositories that are not marked gone."""
    rows = await conn.execute(
        select(r.c.id, r.c.github_id, r.c.full_name).where(
            r.c.full_name_lower.startswith(org.lower() + "/", autoescape=True),
            r.c.deleted_at.is_(None),
        )
    )
    return [OrgRepository(rid, gid, name) for rid, gid, name in rows]


async def repository_ids(
    conn: AsyncConnection, *, github_id: int | None = None, full_name: str | None = None
) -> list[int]:
    """Our ids of a repository known by GitHub id or full name (GitHub id first: it survives
    renames and transfers)."""
    if github_id is not None:
        found = list(await conn.scalars(select(r.c.id).where(r.c.github_id == github_id)))
        if found:
            return found
    if full_name is not None:
        return list(
            await conn.scalars(select(r.c.id).where(r.c.full_name_lower == full_name.lower()))
        )
    return []


async def mark_gone(conn: AsyncConnection, repo_ids: Sequence[int], now: datetime) -> list[int]:
    """Mark repositories gone (archived, `deleted_at`) and close their open alerts with the
    state `removed`; returns the ids of the alerts that closed."""
    closed: list[int] = []
    for part in chunks(sorted(set(repo_ids))):
        await conn.execute(
            update(r)
            .where(r.c.id.in_(part), r.c.deleted_at.is_(None))
            .values(archived=True, deleted_at=now)
        )
        ids = list(
            await conn.scalars(
                select(a.c.id).where(a.c.repository_id.in_(part), a.c.is_open.is_(True))
            )
        )
        for ids_part in chunks(ids):
            await conn.execute(
                update(a)
                .where(a.c.id.in_(ids_part))
                .values(state=REMOVED_STATE, is_open=False, closed_at=now, updated_at=now)
            )
        closed.extend(ids)
    return closed


async def restore(conn: AsyncConnection, repo_ids: Iterable[int]) -> list[str]:
    """Repositories seen again on GitHub: clear `deleted_at`; returns the names restored."""
    restored: list[str] = []
    for part in chunks(sorted(set(repo_ids))):
        names = list(
            await conn.scalars(
                select(r.c.full_name).where(r.c.id.in_(part), r.c.deleted_at.is_not(None))
            )
        )
        if names:
            await conn.execute(
                update(r)
                .where(r.c.id.in_(part), r.c.deleted_at.is_not(None))
                .values(deleted_at=None)
            )
        restored.extend(names)
    return restored


async def delete_teams_except(conn: AsyncConnection, slugs: Iterable[str]) -> int:
    """Forget teams GitHub no longer lists (their repository links go with them)."""
    keep = {slug.lower() for slug in slugs}
    t = schema.teams
    gone = [slug for slug in await conn.scalars(select(t.c.slug)) if slug not in keep]
    for part in chunks(gone):
        await conn.execute(delete(t).where(t.c.slug.in_(part)))
    return len(gone)


async def campaign_alert_numbers(
    conn: AsyncConnection, campaign_id: int
) -> dict[int | None, list[int]]:
    """A campaign's alert numbers by the repository's GitHub id (None: id unknown)."""
    ca = schema.campaign_alerts
    rows = await conn.execute(
        select(r.c.github_id, a.c.number)
        .select_from(ca.join(a, a.c.id == ca.c.alert_id).join(r, r.c.id == a.c.repository_id))
        .where(ca.c.campaign_id == campaign_id)
        .order_by(r.c.github_id, a.c.number)
    )
    grouped: dict[int | None, list[int]] = {}
    for github_id, number in rows:
        grouped.setdefault(github_id, []).append(number)
    return grouped
