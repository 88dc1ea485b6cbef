"""Per-person preferences: whether the bot may DM them on its own."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from store import schema
from store.upsert import upsert

pref = schema.preferences


async def set_notify(conn: AsyncConnection, user: str, notify: bool, now: datetime) -> None:
    await upsert(
        conn,
        pref,
        [{"slack_user_id": user, "notify": notify, "updated_at": now}],
        ["slack_user_id"],
    )


async def muted(conn: AsyncConnection, users: Sequence[str]) -> set[str]:
    """Which of these people turned notices off."""
    if not users:
        return set()
    rows = await conn.execute(
        select(pref.c.slack_user_id).where(
            pref.c.slack_user_id.in_(list(users)), pref.c.notify.is_(False)
        )
    )
    return {user for (user,) in rows}


async def snooze(conn: AsyncConnection, user: str, until: datetime, now: datetime) -> None:
    """No reminder DM for this person before `until` (the DM's Snooze buttons)."""
    await upsert(
        conn,
        pref,
        [{"slack_user_id": user, "snoozed_until": until, "updated_at": now}],
        ["slack_user_id"],
        update=["snoozed_until", "updated_at"],
    )


async def snoozed(conn: AsyncConnection, users: Sequence[str], now: datetime) -> set[str]:
    """Which of these people asked not to be reminded before some moment after `now`."""
    if not users:
        return set()
    rows = await conn.execute(
        select(pref.c.slack_user_id).where(
            pref.c.slack_user_id.in_(list(users)), pref.c.snoozed_until > now
        )
    )
    return {user for (user,) in rows}
