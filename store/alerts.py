"""Alerts: set-based upsert on (repository, kind, number); tags and assignees in own tables."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import RowMapping, and_, bindparam, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.core.models import Alert, AlertKind, AlertRef
from store import bulk, schema
from store.alert_rows import UpsertResult
from store.times import utc
from store.upsert import chunks

a = schema.alerts
r = schema.repositories


async def upsert_many(
    conn: AsyncConnection,
    alerts: Sequence[Alert],
    repository_ids: Mapping[str, int | None] | None = None,
) -> UpsertResult:
    """Insert or update alerts with their tags and assignees; never duplicates.

    `repository_ids` gives GitHub ids for repositories named only by alerts. The work is staged
    and set-based (see store.bulk), whether it is one webhook's alert or a 100,000-alert import.
    """
    return await bulk.upsert_alerts(conn, alerts, repository_ids)


def writer(conn: AsyncConnection) -> bulk.AlertWriter:
    """An upsert for many batches on one connection, each committed on its own (the sync's
    pages): `async with writer(conn) as w: await w.write_alerts(alerts, repository_ids)`. Its
    stage tables are made and its statements built once, and each repository is looked up once,
    instead of once per batch as `upsert_many` must. Same result as `upsert_many` per batch.

    Its stage tables live on the connection between batches: if a batch fails, drop the
    connection (`store.engine.long_writes` does) rather than hand it back to the pool.
    """
    return bulk.AlertWriter(conn, large=False)


def select_alerts() -> Any:
    return select(a, r.c.full_name.label("repository")).join(r, r.c.id == a.c.repository_id)


async def with_children(conn: AsyncConnection, rows: Sequence[RowMapping]) -> list[Alert]:
    ids = [row["id"] for row in rows]
    tags: dict[int, list[str]] = {}
    assignees: dict[int, list[str]] = {}
    for part in chunks(ids):
        for alert_id, tag in await conn.execute(
            select(schema.alert_tags.c.alert_id, schema.alert_tags.c.tag).where(
                schema.alert_tags.c.alert_id.in_(part)
            )
        ):
            tags.setdefault(alert_id, []).append(tag)
        for alert_id, login in await conn.execute(
            select(schema.alert_assignees.c.alert_id, schema.alert_assignees.c.login).where(
                schema.alert_assignees.c.alert_id.in_(part)
            )
        ):
            assignees.setdefault(alert_id, []).append(login)
    return [
        to_model(row, sorted(tags.get(row["id"], [])), sorted(assignees.get(row["id"], [])))
        for row in rows
    ]


def to_model(row: RowMapping, tags: list[str], assignees: list[str]) -> Alert:
    return Alert(
        id=row["id"],
        repository=row["repository"],
        kind=AlertKind(row["kind"]),
        number=row["number"],
        state=row["state"],
        created_at=utc(row["created_at"]),
        updated_at=utc(row["updated_at"]),
        closed_at=utc(row["closed_at"]),
        html_url=row["html_url"],
        assignees=assignees,
        rule_id=row["rule_id"],
        rule_name=row["rule_name"],
        rule_description=row["rule_description"],
        severity=row["severity"],
        security_severity=row["security_severity"],
        tool=row["tool"],
        tags=tags,
        path=row["path"],
        start_line=row["start_line"],
        classifications=row["classifications"] or [],
        dismissed_reason=row["dismissed_reason"],
        fingerprint=row["fingerprint"],
        secret_type=row["secret_type"],
        secret_type_display_name=row["secret_type_display_name"],
        provider=row["provider"],
        provider_slug=row["provider_slug"],
        validity=row["validity"],
        resolution=row["resolution"],
        publicly_leaked=row["publicly_leaked"],
        multi_repo=row["multi_repo"],
        bypassed=row["bypassed"],
        generic=row["generic"],
    )


async def get_many(conn: AsyncConnection, alert_ids: Iterable[int]) -> list[Alert]:
    """Alerts by id, in id order."""
    rows: list[RowMapping] = []
    for part in chunks(sorted(set(alert_ids))):
        rows.extend((await conn.execute(select_alerts().where(a.c.id.in_(part)))).mappings())
    return await with_children(conn, sorted(rows, key=lambda row: row["id"]))


async def find(conn: AsyncConnection, ref: AlertRef) -> list[Alert]:
    """Alerts matching a reference; the repository may be a full name or a unique short name."""
    repo_match = (
        r.c.full_name_lower == ref.repository.lower()
        if "/" in ref.repository
        else r.c.name_lower == ref.repository.lower()
    )
    rows = (
        (
            await conn.execute(
                select_alerts().where(
                    repo_match, a.c.kind == ref.kind.value, a.c.number == ref.number
                )
            )
        )
        .mappings()
        .all()
    )
    return await with_children(conn, rows)


async def count(conn: AsyncConnection) -> int:
    return int(await conn.scalar(select(func.count()).select_from(a)) or 0)


async def next_number(conn: AsyncConnection, repository_id: int, kind: AlertKind) -> int:
    """The next free alert number in a repository, for alerts that come without one (SARIF)."""
    current = await conn.scalar(
        select(func.max(a.c.number)).where(
            and_(a.c.repository_id == repository_id, a.c.kind == kind.value)
        )
    )
    return int(current or 0) + 1


async def numbers_by_fingerprint(
    conn: AsyncConnection, repository_id: int, fingerprints: Sequence[str]
) -> dict[str, int]:
    """Alert numbers already given to these fingerprints, so a re-imported SARIF updates."""
    found: dict[str, int] = {}
    for part in chunks(list(set(fingerprints))):
        rows = await conn.execute(
            select(a.c.fingerprint, a.c.number).where(
                a.c.repository_id == repository_id,
                a.c.kind == AlertKind.CODE.value,
                or_(a.c.fingerprint.in_(part)),
            )
        )
        found.update({fp: num for fp, num in rows})
    return found


async def set_states(
    conn: AsyncConnection, changes: Sequence[tuple[int, str, datetime | None]]
) -> None:
    """Set (alert id, state, closed_at) for many alerts in one executemany statement."""
    if not changes:
        return
    stmt = (
        update(a)
        .where(a.c.id == bindparam("alert_id"))
        .values(
            state=bindparam("new_state"),
            is_open=bindparam("new_open"),
            closed_at=bindparam("new_closed_at"),
            updated_at=bindparam("new_updated_at"),
        )
    )
    rows = [
        {
            "alert_id": alert_id,
            "new_state": state,
            "new_open": state == "open",
            "new_closed_at": closed_at,
            "new_updated_at": closed_at,
        }
        for alert_id, state, closed_at in changes
    ]
    for part in chunks(rows):
        await conn.execute(stmt, list(part))


async def set_closure(
    conn: AsyncConnection,
    alert: Alert,
    state: str,
    reason: str | None,
    at: datetime,
) -> None:
    """Close (`dismissed` with a code alert's reason, `resolved` with a secret's resolution) or
    reopen (`open`) one alert, as GitHub did at `at`."""
    closing = state != "open"
    reason_column = "dismissed_reason" if alert.kind is AlertKind.CODE else "resolution"
    await conn.execute(
        update(a)
        .where(a.c.id == alert.id)
        .values(
            state=state,
            is_open=not closing,
            closed_at=at if closing else None,
            updated_at=at,
            **{reason_column: reason if closing else None},
        )
    )
