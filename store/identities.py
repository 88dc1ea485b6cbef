"""Slack user ↔ GitHub login links."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.core.models import Identity
from store import schema
from store.upsert import upsert

i = schema.identities


async def get(conn: AsyncConnection, slack_user_id: str) -> Identity | None:
    row = (await conn.execute(select(i).where(i.c.slack_user_id == slack_user_id))).mappings()
    found = row.first()
    return Identity(**found) if found else None


async def save(conn: AsyncConnection, identity: Identity) -> None:
    await upsert(conn, i, [identity.model_dump()], ["slack_user_id"])


async def by_login(conn: AsyncConnection, login: str) -> Identity | None:
    row = (
        await conn.execute(select(i).where(func.lower(i.c.github_login) == login.lower()))
    ).mappings()
    found = row.first()
    return Identity(**found) if found else None


async def save_many(conn: AsyncConnection, found: list[Identity]) -> None:
    await upsert(conn, i, [identity.model_dump() for identity in found], ["slack_user_id"])


async def all_identities(conn: AsyncConnection) -> list[Identity]:
    rows = (await conn.execute(select(i).order_by(i.c.slack_user_id))).mappings().all()
    return [Identity(**row) for row in rows]
