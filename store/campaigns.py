"""Campaigns, their alerts, assignments and progress facts. Every query here is set-based."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import (
    RowMapping,
    and_,
    bindparam,
    case,
    delete,
    exists,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement

from bot.core.models import (
    AlertStatus,
    Assignment,
    Campaign,
    CampaignState,
)
from store import schema
from store.times import utc
from store.upsert import chunks, insert_ignore

c = schema.campaigns
ca = schema.campaign_alerts
a = schema.alerts
r = schema.repositories
asg = schema.assignments
fl = schema.fix_links


def campaign_status() -> ColumnElement[str]:
    """An alert's campaign status (ARCHITECTURE §4), as SQL."""
    has_fix = exists().where(fl.c.alert_id == a.c.id)
    return case(
        (a.c.is_open.is_(False), AlertStatus.CLOSED.value),
        (has_fix, AlertStatus.IN_PROGRESS.value),
        else_=AlertStatus.OPEN.value,
    )


def _campaign(row: RowMapping, alert_count: int = 0) -> Campaign:
    return Campaign(
        id=row["id"],
        name=row["name"],
        description=row["description"],
        kind=row["kind"],
        query=row["query"],
        template=row["template"],
        state=CampaignState(row["state"]),
        due_date=row["due_date"],
        manager=row["manager"],
        channel=row["channel"],
        contact_link=row["contact_link"],
        timezone=row["timezone"],
        created_by=row["created_by"],
        created_at=utc(row["created_at"]),
        updated_at=utc(row["updated_at"]),
        closed_at=utc(row["closed_at"]),
        left_out=row["left_out"],
        alert_count=alert_count,
        announce_channel=row["announce_channel"],
        announce_ts=row["announce_ts"],
        github_number=row["github_number"],
        reminders=bool(row["reminders"]),
        reminder_days=row["reminder_days"],
        reminder_channel=row["reminder_channel"],
        nudge_severities=row["nudge_severities"],
        nudge_min_age_days=row["nudge_min_age_days"],
    )


def _with_counts() -> Any:
    """Campaigns with their alert counts: each count read from the campaign's own range of the
    primary key, so finding one campaign never counts every campaign's alerts."""
    count = select(func.count()).select_from(ca).where(ca.c.campaign_id == c.c.id).scalar_subquery()
    return select(c, count.label("alert_count"))


async def insert_campaign(
    conn: AsyncConnection, campaign: Campaign, request_key: str | None = None
) -> int:
    """Insert with a number never used before, even by a deleted campaign (its audit trail keeps
    the number), so a stale button or a script cannot reach a newer campaign by an old number.
    The caller holds the campaign write lock (`store.engine.write_transaction`)."""
    values = campaign.model_dump(exclude={"id", "alert_count"})
    values["kind"] = campaign.kind.value
    values["state"] = campaign.state.value
    number = await next_number(conn)
    await conn.execute(insert(c).values(id=number, **values, request_key=request_key))
    return number


async def next_number(conn: AsyncConnection) -> int:
    """One past the highest number any campaign, live or deleted, ever had."""
    highest_live = await conn.scalar(select(func.max(c.c.id)))
    highest_ever = await conn.scalar(select(func.max(schema.events.c.campaign_id)))
    return max(highest_live or 0, highest_ever or 0) + 1


async def was_deleted(conn: AsyncConnection, campaign_id: int) -> bool:
    """Whether a campaign with this number existed and was deleted (its audit trail says so)."""
    found = await conn.scalar(
        select(schema.events.c.id)
        .where(schema.events.c.campaign_id == campaign_id, schema.events.c.action == "deleted")
        .limit(1)
    )
    return found is not None


async def by_request_key(conn: AsyncConnection, request_key: str) -> Campaign | None:
    row = (await conn.execute(_with_counts().where(c.c.request_key == request_key))).mappings()
    found = row.first()
    return _campaign(found, found["alert_count"]) if found else None


async def add_alerts(
    conn: AsyncConnection, campaign_id: int, alerts: Sequence[tuple[int, int]]
) -> None:
    """Put (alert id, repository id) pairs into a campaign."""
    rows = [
        {"campaign_id": campaign_id, "alert_id": alert_id, "repository_id": repository_id}
        for alert_id, repository_id in alerts
    ]
    await insert_ignore(conn, ca, rows, ["campaign_id", "alert_id"])


_GET = _with_counts().where(c.c.id == bindparam("campaign_id"))
_LIST = _with_counts().order_by(c.c.id)
_LIST_IN_STATES = _LIST.where(c.c.state.in_(bindparam("states", expanding=True)))
"""Read on every `/campaign`, button and App Home: built once, executed with parameters."""


async def get(conn: AsyncConnection, campaign_id: int) -> Campaign | None:
    found = (await conn.execute(_GET, {"campaign_id": campaign_id})).mappings().first()
    return _campaign(found, found["alert_count"]) if found else None


async def list_campaigns(
    conn: AsyncConnection, states: Sequence[CampaignState] | None = None
) -> list[Campaign]:
    if states:
        chosen = {"states": [state.value for state in states]}
        rows = (await conn.execute(_LIST_IN_STATES, chosen)).mappings()
    else:
        rows = (await conn.execute(_LIST)).mappings()
    return [_campaign(row, row["alert_count"]) for row in rows]


async def by_name_prefix(conn: AsyncConnection, prefix: str) -> list[Campaign]:
    """Campaigns whose name starts with `prefix`, case-insensitively (LIKE wildcards escaped)."""
    escaped = prefix.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    stmt = _with_counts().where(func.lower(c.c.name).like(f"{escaped}%", escape="\\"))
    rows = (await conn.execute(stmt.order_by(c.c.id))).mappings()
    return [_campaign(row, row["alert_count"]) for row in rows]


async def count_active(conn: AsyncConnection) -> int:
    stmt = select(func.count()).select_from(c).where(c.c.state == CampaignState.ACTIVE.value)
    return int(await conn.scalar(stmt) or 0)


async def update_fields(conn: AsyncConnection, campaign_id: int, values: Mapping[str, Any]) -> None:
    stored = {
        key: (value.value if isinstance(value, CampaignState) else value)
        for key, value in values.items()
    }
    await conn.execute(update(c).where(c.c.id == campaign_id).values(**stored))


async def delete_campaign(conn: AsyncConnection, campaign_id: int) -> None:
    """Delete a campaign and everything that hangs off it (the event log stays)."""
    await conn.execute(delete(asg).where(asg.c.campaign_id == campaign_id))
    await conn.execute(delete(ca).where(ca.c.campaign_id == campaign_id))
    await conn.execute(delete(c).where(c.c.id == campaign_id))


async def contains(conn: AsyncConnection, campaign_id: int, alert_id: int) -> bool:
    stmt = select(ca.c.alert_id).where(ca.c.campaign_id == campaign_id, ca.c.alert_id == alert_id)
    return (await conn.scalar(stmt)) is not None


async def get_assignment(
    conn: AsyncConnection, campaign_id: int, alert_id: int
) -> Assignment | None:
    row = (
        (
            await conn.execute(
                select(asg).where(asg.c.campaign_id == campaign_id, asg.c.alert_id == alert_id)
            )
        )
        .mappings()
        .first()
    )
    if row is None:
        return None
    return Assignment(**{**row, "assigned_at": utc(row["assigned_at"])})


async def set_assignment(conn: AsyncConnection, assignment: Assignment) -> None:
    await conn.execute(
        delete(asg).where(
            asg.c.campaign_id == assignment.campaign_id, asg.c.alert_id == assignment.alert_id
        )
    )
    await conn.execute(insert(asg).values(**assignment.model_dump()))


async def remove_assignment(conn: AsyncConnection, campaign_id: int, alert_id: int) -> None:
    await conn.execute(
        delete(asg).where(asg.c.campaign_id == campaign_id, asg.c.alert_id == alert_id)
    )


async def campaigns_touching_repositories(
    conn: AsyncConnection, repository_ids: Sequence[int]
) -> list[int]:
    ids: set[int] = set()
    for part in chunks(list(repository_ids)):
        found = await conn.scalars(
            select(ca.c.campaign_id).where(ca.c.repository_id.in_(part)).distinct()
        )
        ids.update(found)
    return sorted(ids)


async def active_campaigns_for_user(
    conn: AsyncConnection, slack_user: str, github_login: str | None
) -> list[int]:
    """Active campaigns touching the user's repositories: those their GitHub login may write to,
    those where they have an assignment in any campaign, or are a GitHub assignee of an alert."""
    assigned = (
        select(ca.c.repository_id)
        .join(asg, and_(asg.c.campaign_id == ca.c.campaign_id, asg.c.alert_id == ca.c.alert_id))
        .where(asg.c.assignee == slack_user)
    )
    on_github = (
        select(a.c.repository_id)
        .join(schema.alert_assignees, schema.alert_assignees.c.alert_id == a.c.id)
        .where(schema.alert_assignees.c.login == (github_login or "").lower())
    )
    writable = select(schema.repository_writers.c.repository_id).where(
        schema.repository_writers.c.login == (github_login or "").lower()
    )
    repos = (assigned.union(on_github, writable) if github_login else assigned).subquery()
    stmt = (
        select(ca.c.campaign_id)
        .join(c, c.c.id == ca.c.campaign_id)
        .where(c.c.state == CampaignState.ACTIVE.value, ca.c.repository_id.in_(select(repos)))
        .distinct()
    )
    return sorted(await conn.scalars(stmt))


async def alert_ids(conn: AsyncConnection, campaign_id: int) -> list[tuple[int, str]]:
    """(alert id, kind) of every alert in a campaign, in a stable order."""
    stmt = (
        select(a.c.id, a.c.kind)
        .join(ca, ca.c.alert_id == a.c.id)
        .where(ca.c.campaign_id == campaign_id)
        .order_by(a.c.id)
    )
    return [(alert_id, kind) for alert_id, kind in await conn.execute(stmt)]


async def active_with_alerts(conn: AsyncConnection, alert_ids: Sequence[int]) -> list[int]:
    """Active campaigns that contain any of these alerts."""
    found: set[int] = set()
    for part in chunks(sorted(set(alert_ids))):
        ids = await conn.scalars(
            select(ca.c.campaign_id)
            .join(c, c.c.id == ca.c.campaign_id)
            .where(ca.c.alert_id.in_(part), c.c.state == CampaignState.ACTIVE.value)
            .distinct()
        )
        found.update(ids)
    return sorted(found)


async def has_assignment(conn: AsyncConnection, campaign_id: int, assignee: str) -> bool:
    found = await conn.scalar(
        select(schema.assignments.c.alert_id)
        .where(
            schema.assignments.c.campaign_id == campaign_id,
            schema.assignments.c.assignee == assignee,
        )
        .limit(1)
    )
    return found is not None
