"""The outbox table: enqueue notices with the change, claim them with a lease, record the outcome.

Claiming is one UPDATE over a bounded sub-select (`FOR UPDATE SKIP LOCKED` on PostgreSQL; SQLite
serializes writers), so two deliverers never hold the same row. Every later write names the
lease owner: a deliverer whose lease was taken over cannot overwrite the new holder's outcome.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.core.notices import Notice, NoticeKind, NoticeState, OutboxStats
from store import schema
from store.times import utc
from store.upsert import chunks, insert_for

o = schema.outbox

PER_TARGET = 5


def _row(notice: Notice) -> dict[str, Any]:
    return {
        "key": notice.key,
        "kind": notice.kind.value,
        "campaign_id": notice.campaign_id,
        "target": notice.target,
        "payload": notice.payload,
        "state": NoticeState.PENDING.value,
        "attempts": 0,
        "not_before": notice.not_before or notice.created_at,
        "created_at": notice.created_at,
    }


def _notice(row: Any) -> Notice:
    return Notice(
        id=row["id"],
        key=row["key"],
        kind=NoticeKind(row["kind"]),
        campaign_id=row["campaign_id"],
        target=row["target"],
        payload=row["payload"] or {},
        state=NoticeState(row["state"]),
        attempts=row["attempts"],
        not_before=utc(row["not_before"]),
        uncertain=bool(row["uncertain"]),
        created_at=utc(row["created_at"]),
        sent_at=utc(row["sent_at"]),
        channel=row["channel"],
        ts=row["ts"],
        reason=row["reason"],
    )


ENQUEUE_ROWS = 500
"""Notices per INSERT: 9 values each, well under SQLite's 32,766 bound parameters."""


async def enqueue(conn: AsyncConnection, notices: Sequence[Notice]) -> int:
    """Insert notices whose key is new; a key that exists is left as it is. Set-based: one
    multi-row INSERT … ON CONFLICT DO NOTHING per 500 notices. Returns rows added."""
    rows = list({notice.key: _row(notice) for notice in reversed(notices)}.values())[::-1]
    added = 0
    for part in chunks(rows, ENQUEUE_ROWS):
        stmt = (
            insert_for(conn, o)
            .values(list(part))
            .on_conflict_do_nothing(index_elements=["key"])
            .returning(o.c.id)
        )
        added += len((await conn.execute(stmt)).all())
    return added


async def has_pending(
    conn: AsyncConnection,
    kind: NoticeKind,
    campaign_id: int,
    *,
    states: tuple[NoticeState, ...] = (NoticeState.PENDING,),
) -> bool:
    """Whether a notice of this kind waits (or is being sent) for the campaign: used to coalesce
    card updates, and to hold one until the card it updates is posted."""
    found = await conn.scalar(
        select(o.c.id)
        .where(
            o.c.kind == kind.value,
            o.c.campaign_id == campaign_id,
            o.c.state.in_([state.value for state in states]),
        )
        .limit(1)
    )
    return found is not None


def _claimable(now: datetime) -> Any:
    return or_(
        and_(o.c.state == NoticeState.PENDING.value, o.c.not_before <= now),
        and_(o.c.state == NoticeState.SENDING.value, o.c.lease_until < now),
    )


async def claim(
    conn: AsyncConnection, owner: str, now: datetime, until: datetime, limit: int
) -> list[Notice]:
    """Take up to `limit` due rows (oldest first) under a lease held by `owner` until `until`.

    A row whose earlier lease ran out comes back `uncertain`: it may have been sent already.
    """
    # At most `PER_TARGET` rows per channel in one claim, so a backlog queued channel by channel
    # still sends to many channels at once (each channel is paced to one message a second).
    ranked = (
        select(
            o.c.id,
            func.row_number()
            .over(partition_by=func.coalesce(o.c.target, ""), order_by=o.c.id)
            .label("place"),
        )
        .where(_claimable(now))
        .subquery()
    )
    fair = select(ranked.c.id).where(ranked.c.place <= PER_TARGET)
    pick = select(o.c.id).where(o.c.id.in_(fair)).order_by(o.c.id).limit(limit)
    if conn.dialect.name == "postgresql":
        pick = pick.with_for_update(skip_locked=True)
    await conn.execute(
        update(o)
        .where(o.c.id.in_(pick.scalar_subquery()))
        .values(
            uncertain=case((o.c.state == NoticeState.SENDING.value, True), else_=o.c.uncertain),
            state=NoticeState.SENDING.value,
            lease_owner=owner,
            lease_until=until,
            attempts=o.c.attempts + 1,
        )
        .execution_options(synchronize_session=False)
    )
    rows = (
        (
            await conn.execute(
                select(o)
                .where(o.c.lease_owner == owner, o.c.state == NoticeState.SENDING.value)
                .order_by(o.c.id)
            )
        )
        .mappings()
        .all()
    )
    return [_notice(row) for row in rows]


def _held(notice_id: int, owner: str) -> Any:
    return and_(
        o.c.id == notice_id,
        o.c.lease_owner == owner,
        o.c.state == NoticeState.SENDING.value,
    )


async def _write_held(conn: AsyncConnection, notice_id: int, owner: str, **values: Any) -> bool:
    """Only the lease holder writes its row; False when another deliverer took it over."""
    result = await conn.execute(update(o).where(_held(notice_id, owner)).values(**values))
    return bool(result.rowcount)


async def renew(conn: AsyncConnection, notice_id: int, owner: str, until: datetime) -> bool:
    """Extend our lease right before sending."""
    return await _write_held(conn, notice_id, owner, lease_until=until)


_LET_GO = {"lease_owner": None, "lease_until": None}


async def mark_sent(
    conn: AsyncConnection,
    notice_id: int,
    owner: str,
    now: datetime,
    channel: str | None,
    ts: str | None,
) -> bool:
    return await _write_held(
        conn,
        notice_id,
        owner,
        state=NoticeState.SENT.value,
        sent_at=now,
        channel=channel,
        ts=ts,
        reason=None,
        **_LET_GO,
    )


async def settle(
    conn: AsyncConnection, notice_id: int, owner: str, state: NoticeState, reason: str
) -> bool:
    """End a row without sending it: `failed` (retries ran out) or `dropped` (on purpose)."""
    return await _write_held(
        conn, notice_id, owner, state=state.value, reason=reason[:2000], **_LET_GO
    )


async def retry_later(
    conn: AsyncConnection, notice_id: int, owner: str, not_before: datetime, reason: str
) -> bool:
    return await _write_held(
        conn,
        notice_id,
        owner,
        state=NoticeState.PENDING.value,
        not_before=not_before,
        reason=reason[:2000],
        **_LET_GO,
    )


async def release(conn: AsyncConnection, owner: str) -> None:
    """Give back every row still leased to `owner` (a deliverer stopping or a dry run)."""
    await conn.execute(
        update(o)
        .where(o.c.lease_owner == owner, o.c.state == NoticeState.SENDING.value)
        .values(
            state=NoticeState.PENDING.value,
            lease_owner=None,
            lease_until=None,
            attempts=o.c.attempts - 1,
        )
    )


async def due(conn: AsyncConnection, now: datetime, limit: int) -> list[Notice]:
    """What a deliverer would claim now, without claiming it (for dry runs)."""
    rows = (
        (await conn.execute(select(o).where(_claimable(now)).order_by(o.c.id).limit(limit)))
        .mappings()
        .all()
    )
    return [_notice(row) for row in rows]


async def all_notices(conn: AsyncConnection) -> list[Notice]:
    rows = (await conn.execute(select(o).order_by(o.c.id))).mappings().all()
    return [_notice(row) for row in rows]


async def stats(conn: AsyncConnection) -> OutboxStats:
    waiting = (NoticeState.PENDING.value, NoticeState.SENDING.value)
    pending, oldest = (
        await conn.execute(
            select(func.count(), func.min(o.c.created_at)).where(o.c.state.in_(waiting))
        )
    ).one()
    failed = await conn.scalar(select(func.count()).where(o.c.state == NoticeState.FAILED.value))
    return OutboxStats(pending=pending or 0, failed=failed or 0, oldest_pending=utc(oldest))


async def existing_keys(conn: AsyncConnection, keys: Sequence[str]) -> set[str]:
    """Which of these delivery keys the outbox holds already (a dry run's "sent before")."""
    found: set[str] = set()
    for part in chunks(sorted(set(keys))):
        found.update(await conn.scalars(select(o.c.key).where(o.c.key.in_(part))))
    return found
