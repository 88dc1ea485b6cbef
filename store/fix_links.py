"""Fix links: a branch or pull request that works on an alert (makes it `in_progress`, §4)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.core.models import FixLink
from store import schema
from store.times import utc
from store.upsert import insert_ignore

f = schema.fix_links


async def add(
    conn: AsyncConnection,
    alert_id: int,
    kind: str,
    ref: str,
    url: str | None,
    created_at: datetime,
) -> None:
    """Link a branch or pull request to an alert; linking the same one again changes nothing."""
    await insert_ignore(
        conn,
        f,
        [{"alert_id": alert_id, "kind": kind, "ref": ref, "url": url, "created_at": created_at}],
        ["alert_id", "kind", "ref"],
    )


async def add_many(conn: AsyncConnection, links: Sequence[FixLink]) -> None:
    """Link many branches or pull requests at once (one statement)."""
    await insert_ignore(
        conn, f, [link.model_dump(exclude={"id"}) for link in links], ["alert_id", "kind", "ref"]
    )


async def remove(conn: AsyncConnection, alert_ids: list[int], kind: str, ref: str) -> None:
    """Unlink a branch or pull request that no longer works on the alerts (closed unmerged)."""
    if alert_ids:
        await conn.execute(
            delete(f).where(f.c.alert_id.in_(alert_ids), f.c.kind == kind, f.c.ref == ref)
        )


async def latest_for(conn: AsyncConnection, alert_ids: Sequence[int]) -> dict[int, FixLink]:
    """Per alert, the newest branch or pull request working on it (pull requests first)."""
    if not alert_ids:
        return {}
    rows = (await conn.execute(select(f).where(f.c.alert_id.in_(list(alert_ids))))).mappings().all()
    found: dict[int, FixLink] = {}
    for row in sorted(rows, key=lambda row: (row["kind"] == "pull_request", row["created_at"])):
        found[row["alert_id"]] = FixLink(**{**row, "created_at": utc(row["created_at"])})
    return found
