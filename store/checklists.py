"""The leaked-secret checklist: which steps are ticked on which alerts."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from store.schema import alerts as a
from store.schema import campaign_alerts as ca
from store.schema import checklist_ticks as t
from store.times import utc
from store.upsert import insert_for


async def ticked(conn: AsyncConnection, alert_id: int) -> dict[str, tuple[str, datetime]]:
    """The steps ticked on one alert: step → (who, when)."""
    rows = await conn.execute(
        select(t.c.step, t.c.ticked_by, t.c.ticked_at).where(t.c.alert_id == alert_id)
    )
    return {step: (who, utc(when) or when) for step, who, when in rows}


async def ticked_for(conn: AsyncConnection, alert_ids: Sequence[int]) -> dict[int, list[str]]:
    """The steps ticked on a page of alerts, in one query."""
    if not alert_ids:
        return {}
    rows = await conn.execute(
        select(t.c.alert_id, t.c.step).where(t.c.alert_id.in_(list(alert_ids)))
    )
    found: dict[int, list[str]] = {}
    for alert_id, step in rows:
        found.setdefault(alert_id, []).append(step)
    return found


async def tick(
    conn: AsyncConnection, alert_id: int, steps: Iterable[str], actor: str, at: datetime
) -> None:
    rows = [
        {"alert_id": alert_id, "step": step, "ticked_by": actor, "ticked_at": at} for step in steps
    ]
    if rows:
        stmt = insert_for(conn, t).on_conflict_do_nothing(index_elements=["alert_id", "step"])
        await conn.execute(stmt, rows)


async def untick(conn: AsyncConnection, alert_id: int, steps: Iterable[str]) -> None:
    wanted = list(steps)
    if wanted:
        await conn.execute(delete(t).where(t.c.alert_id == alert_id, t.c.step.in_(wanted)))


async def step_counts(conn: AsyncConnection, campaign_id: int) -> dict[str, int]:
    """How many of a campaign's open alerts have each step ticked (the digest's checklist line)."""
    stmt = (
        select(t.c.step, func.count())
        .select_from(t.join(ca, ca.c.alert_id == t.c.alert_id).join(a, a.c.id == t.c.alert_id))
        .where(ca.c.campaign_id == campaign_id, a.c.is_open.is_(True))
        .group_by(t.c.step)
    )
    return {step: int(count) for step, count in await conn.execute(stmt)}
