"""Repositories, their topics, custom properties and teams."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.core.models import Repository
from store import schema
from store.times import utc
from store.upsert import chunks, insert_ignore, upsert

r = schema.repositories


def _row(repo: Repository) -> dict[str, object]:
    return {
        "github_id": repo.github_id,
        "full_name": repo.full_name,
        "full_name_lower": repo.full_name.lower(),
        "name_lower": repo.name.lower(),
        "visibility": repo.visibility,
        "archived": repo.archived,
        "pushed_at": repo.pushed_at,
        "default_branch": repo.default_branch,
    }


async def ids_by_name(conn: AsyncConnection, full_names: Iterable[str]) -> dict[str, int]:
    """Map lower-cased full names to repository ids, for the names that exist."""
    names = sorted({name.lower() for name in full_names})
    found: dict[str, int] = {}
    for part in chunks(names):
        rows = await conn.execute(
            select(r.c.full_name_lower, r.c.id).where(r.c.full_name_lower.in_(part))
        )
        found.update({name: rid for name, rid in rows})
    return found


async def ensure(conn: AsyncConnection, stubs: Mapping[str, int | None]) -> dict[str, int]:
    """Make sure each repository named (full name → GitHub id or None) exists; return name → id.

    Alert files name their repository; this creates a stub for one we have not seen, and records
    a GitHub id we learn, without touching what a repository list import already filled in.
    """
    rows = [
        {
            "full_name": name,
            "full_name_lower": name.lower(),
            "name_lower": name.split("/", 1)[-1].lower(),
            "github_id": gid,
        }
        for name, gid in stubs.items()
    ]
    known = await ids_by_name(conn, stubs)
    new = [row for row in rows if row["full_name_lower"] not in known]
    github_ids = {row["github_id"] for row in new if row["github_id"] is not None}
    if github_ids:
        # A repository renamed since we saw it: same GitHub id, new name.
        taken = await conn.execute(select(r.c.github_id).where(r.c.github_id.in_(github_ids)))
        renamed = {gid for (gid,) in taken}
        for row in new:
            if row["github_id"] in renamed:
                await conn.execute(
                    update(r)
                    .where(r.c.github_id == row["github_id"])
                    .values(
                        full_name=row["full_name"],
                        full_name_lower=row["full_name_lower"],
                        name_lower=row["name_lower"],
                    )
                )
    await insert_ignore(conn, r, new, ["full_name_lower"])
    missing_ids = [
        row for row in rows if row["github_id"] is not None and row["full_name_lower"] in known
    ]
    for row in missing_ids:
        await conn.execute(
            update(r)
            .where(r.c.full_name_lower == row["full_name_lower"], r.c.github_id.is_(None))
            .values(github_id=row["github_id"])
        )
    return await ids_by_name(conn, stubs)


async def upsert_many(conn: AsyncConnection, repos: Sequence[Repository]) -> dict[str, int]:
    """Insert or update repositories (a rename keeps the row by GitHub id); replace their topics."""
    if not repos:
        return {}
    ids = await ensure(conn, {repo.full_name: repo.github_id for repo in repos})
    rows = [{"id": ids[repo.full_name.lower()], **_row(repo)} for repo in repos]
    await upsert(conn, r, rows, ["id"])
    repo_ids = [ids[repo.full_name.lower()] for repo in repos]
    for part in chunks(repo_ids):
        await conn.execute(
            delete(schema.repository_topics).where(
                schema.repository_topics.c.repository_id.in_(part)
            )
        )
    topic_rows = [
        {"repository_id": ids[repo.full_name.lower()], "topic": topic.lower()}
        for repo in repos
        for topic in set(repo.topics)
    ]
    await insert_ignore(conn, schema.repository_topics, topic_rows, ["repository_id", "topic"])
    return ids


async def set_properties(
    conn: AsyncConnection, values: Mapping[str, Mapping[str, Sequence[str]]]
) -> int:
    """Replace the custom property values of each named repository (full name → name → values)."""
    ids = await ensure(conn, {name: None for name in values})
    repo_ids = list({ids[name.lower()] for name in values})
    for part in chunks(repo_ids):
        await conn.execute(
            delete(schema.repository_properties).where(
                schema.repository_properties.c.repository_id.in_(part)
            )
        )
    rows = [
        {
            "repository_id": ids[repo.lower()],
            "name": prop.lower(),
            "value": value.lower(),
            "display_value": value,
        }
        for repo, props in values.items()
        for prop, prop_values in props.items()
        for value in set(prop_values)
    ]
    await insert_ignore(
        conn, schema.repository_properties, rows, ["repository_id", "name", "value"]
    )
    return len(rows)


async def set_team_repositories(
    conn: AsyncConnection, team_slug: str, team_name: str, repos: Mapping[str, str]
) -> None:
    """Replace a team's repositories (full name → permission)."""
    await insert_ignore(
        conn, schema.teams, [{"slug": team_slug.lower(), "name": team_name}], ["slug"]
    )
    team_id = await conn.scalar(
        select(schema.teams.c.id).where(schema.teams.c.slug == team_slug.lower())
    )
    ids = await ensure(conn, {name: None for name in repos})
    await conn.execute(
        delete(schema.team_repositories).where(schema.team_repositories.c.team_id == team_id)
    )
    await insert_ignore(
        conn,
        schema.team_repositories,
        [
            {"team_id": team_id, "repository_id": ids[name.lower()], "permission": perm}
            for name, perm in repos.items()
        ],
        ["team_id", "repository_id"],
    )


async def count(conn: AsyncConnection) -> int:
    return int(await conn.scalar(select(func.count()).select_from(r)) or 0)


async def get(conn: AsyncConnection, full_name: str) -> Repository | None:
    row = (
        (await conn.execute(select(r).where(r.c.full_name_lower == full_name.lower())))
        .mappings()
        .first()
    )
    if row is None:
        return None
    topics = await conn.scalars(
        select(schema.repository_topics.c.topic).where(
            schema.repository_topics.c.repository_id == row["id"]
        )
    )
    props: dict[str, list[str]] = {}
    for name, value in await conn.execute(
        select(
            schema.repository_properties.c.name, schema.repository_properties.c.display_value
        ).where(schema.repository_properties.c.repository_id == row["id"])
    ):
        props.setdefault(name, []).append(value)
    return Repository(
        id=row["id"],
        github_id=row["github_id"],
        full_name=row["full_name"],
        visibility=row["visibility"],
        archived=row["archived"],
        pushed_at=utc(row["pushed_at"]),
        default_branch=row["default_branch"],
        topics=sorted(topics),
        properties=props,
    )


async def resolve_short_name(conn: AsyncConnection, name: str) -> list[str]:
    """Full names matching `name`: exact full name, or the repository's short name."""
    if "/" in name:
        found = await conn.scalars(select(r.c.full_name).where(r.c.full_name_lower == name.lower()))
    else:
        found = await conn.scalars(select(r.c.full_name).where(r.c.name_lower == name.lower()))
    return sorted(found)
