"""Exceptions asked for alerts: pending, approved until an expiry, rejected, expired."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import RowMapping, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.core.models import AlertKind
from bot.core.playbooks import AlertException, ExceptionState
from store.schema import alert_exceptions as x
from store.schema import alerts as a
from store.schema import repositories as r
from store.times import utc

OPEN_STATES = (ExceptionState.PENDING.value, ExceptionState.APPROVED.value)
"""An alert has at most one exception in these states."""


def _select() -> Any:
    return (
        select(x, r.c.full_name, a.c.kind, a.c.number)
        .join(a, a.c.id == x.c.alert_id)
        .join(r, r.c.id == a.c.repository_id)
    )


def _model(row: RowMapping) -> AlertException:
    kind = AlertKind(row["kind"]).value
    return AlertException(
        id=row["id"],
        campaign_id=row["campaign_id"],
        alert_id=row["alert_id"],
        alert_reference=f"{row['full_name']}#{kind}-{row['number']}",
        requested_by=row["requested_by"],
        reason=row["reason"],
        comment=row["comment"],
        expires_on=row["expires_on"],
        state=row["state"],
        requested_at=utc(row["requested_at"]),
        decided_by=row["decided_by"],
        decided_at=utc(row["decided_at"]),
        decision_note=row["decision_note"],
        warned_at=utc(row["warned_at"]),
        ended_at=utc(row["ended_at"]),
    )


async def add(conn: AsyncConnection, exception: AlertException) -> int:
    values = exception.model_dump(exclude={"id", "alert_reference"})
    values["reason"] = exception.reason.value
    values["state"] = exception.state.value
    result = await conn.execute(insert(x).values(**values).returning(x.c.id))
    return int(result.scalar_one())


async def get(conn: AsyncConnection, exception_id: int) -> AlertException | None:
    row = (await conn.execute(_select().where(x.c.id == exception_id))).mappings().first()
    return _model(row) if row else None


async def open_for_alert(conn: AsyncConnection, alert_id: int) -> AlertException | None:
    stmt = _select().where(x.c.alert_id == alert_id, x.c.state.in_(OPEN_STATES))
    row = (await conn.execute(stmt.order_by(x.c.id.desc()))).mappings().first()
    return _model(row) if row else None


async def open_for_alerts(
    conn: AsyncConnection, alert_ids: Sequence[int]
) -> dict[int, AlertException]:
    """The pending or approved exception of each alert of a page, in one query."""
    if not alert_ids:
        return {}
    stmt = _select().where(x.c.alert_id.in_(list(alert_ids)), x.c.state.in_(OPEN_STATES))
    rows = (await conn.execute(stmt.order_by(x.c.id))).mappings().all()
    return {row["alert_id"]: _model(row) for row in rows}


async def pending_for_campaign(conn: AsyncConnection, campaign_id: int) -> list[AlertException]:
    stmt = _select().where(
        x.c.campaign_id == campaign_id, x.c.state == ExceptionState.PENDING.value
    )
    rows = (await conn.execute(stmt.order_by(x.c.requested_at))).mappings().all()
    return [_model(row) for row in rows]


async def approved_ending_by(conn: AsyncConnection, day: date) -> list[AlertException]:
    """Approved exceptions whose expiry is on or before `day` (to warn, or to end)."""
    stmt = _select().where(x.c.state == ExceptionState.APPROVED.value, x.c.expires_on <= day)
    rows = (await conn.execute(stmt.order_by(x.c.expires_on, x.c.id))).mappings().all()
    return [_model(row) for row in rows]


async def set_state(
    conn: AsyncConnection,
    exception_id: int,
    state: ExceptionState,
    *,
    expected: ExceptionState,
    **values: Any,
) -> bool:
    """Move one exception from `expected` to `state`; False when someone moved it first."""
    result = await conn.execute(
        update(x)
        .where(x.c.id == exception_id, x.c.state == expected.value)
        .values(state=state.value, **values)
    )
    return bool(result.rowcount)


async def mark_warned(conn: AsyncConnection, exception_ids: Sequence[int], at: datetime) -> None:
    if exception_ids:
        await conn.execute(update(x).where(x.c.id.in_(list(exception_ids))).values(warned_at=at))
