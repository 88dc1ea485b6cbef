"""Campaign alerts as people read them: a page of one campaign's alerts, and a person's open
alerts across campaigns, each with its status, assignee, fix, checklist and exception."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from sqlalchemy import RowMapping, and_, bindparam, case, func, select
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement

from bot.core.models import AlertStatus, CampaignAlert
from bot.core.playbooks import AlertException
from store import checklists, exceptions, fix_links, schema
from store.alerts import select_alerts, with_children
from store.campaigns import campaign_status

ca = schema.campaign_alerts
a = schema.alerts
r = schema.repositories
asg = schema.assignments


def _order() -> ColumnElement[int]:
    """In progress first, then open, then closed (then by repository, kind and number)."""
    status_expr = campaign_status()
    return case(
        (status_expr == AlertStatus.IN_PROGRESS.value, 0),
        (status_expr == AlertStatus.OPEN.value, 1),
        else_=2,
    )


async def campaign_alerts(
    conn: AsyncConnection,
    campaign_id: int,
    *,
    repository: str | None = None,
    status: AlertStatus | None = None,
    assignee: str | None = None,
    claimable_by: tuple[str, str] | None = None,
    offset: int = 0,
    limit: int = 20,
) -> tuple[list[CampaignAlert], int]:
    """One page of a campaign's alerts, in progress first, and the total matching.

    `claimable_by` (Slack user, GitHub login): the person's own alerts and the unassigned open
    ones in repositories their login may write to: what they can work on."""
    status_expr = campaign_status()
    conditions: list[ColumnElement[bool]] = [ca.c.campaign_id == campaign_id]
    if repository is not None:
        name = repository.lower()
        conditions.append((r.c.full_name_lower == name) | (r.c.name_lower == name))
    if status is not None:
        conditions.append(status_expr == status.value)
    if assignee is not None:
        conditions.append(asg.c.assignee == assignee)
    if claimable_by is not None:
        user, login = claimable_by
        writable = select(schema.repository_writers.c.repository_id).where(
            schema.repository_writers.c.login == login.lower()
        )
        unassigned_open = and_(
            asg.c.assignee.is_(None), a.c.is_open.is_(True), ca.c.repository_id.in_(writable)
        )
        conditions.append((asg.c.assignee == user) | unassigned_open)
    base = (
        ca.join(a, a.c.id == ca.c.alert_id)
        .join(r, r.c.id == ca.c.repository_id)
        .outerjoin(asg, and_(asg.c.campaign_id == ca.c.campaign_id, asg.c.alert_id == a.c.id))
    )
    total = await conn.scalar(select(func.count()).select_from(base).where(*conditions))
    stmt = (
        select_alerts()
        .add_columns(status_expr.label("campaign_status"), asg.c.assignee.label("assignee"))
        .join(ca, ca.c.alert_id == a.c.id)
        .outerjoin(asg, and_(asg.c.campaign_id == ca.c.campaign_id, asg.c.alert_id == a.c.id))
        .where(*conditions)
        .order_by(_order(), r.c.full_name_lower, a.c.kind, a.c.number)
        .offset(offset)
        .limit(limit)
    )
    rows = (await conn.execute(stmt)).mappings().all()
    return await _models(conn, rows, [campaign_id] * len(rows)), int(total or 0)


def _open_assigned() -> Any:
    ranked = (
        select(
            asg.c.campaign_id,
            asg.c.alert_id,
            func.row_number()
            .over(
                partition_by=asg.c.campaign_id,
                order_by=(_order(), r.c.full_name_lower, a.c.kind, a.c.number),
            )
            .label("place"),
        )
        .select_from(
            asg.join(
                ca, and_(ca.c.campaign_id == asg.c.campaign_id, ca.c.alert_id == asg.c.alert_id)
            )
            .join(a, a.c.id == asg.c.alert_id)
            .join(r, r.c.id == a.c.repository_id)
        )
        .where(
            asg.c.assignee == bindparam("assignee"),
            asg.c.campaign_id.in_(bindparam("campaign_ids", expanding=True)),
            a.c.is_open.is_(True),
        )
        .subquery()
    )
    return (
        select_alerts()
        .add_columns(campaign_status().label("campaign_status"), ranked.c.campaign_id)
        .join(ranked, ranked.c.alert_id == a.c.id)
        .where(ranked.c.place <= bindparam("per_campaign"))
        .order_by(ranked.c.campaign_id, ranked.c.place)
        .limit(bindparam("limit"))
    )


_OPEN_ASSIGNED = _open_assigned()
"""Read by every `/campaign mine` and App Home: built once, executed with parameters."""


async def open_assigned(
    conn: AsyncConnection,
    assignee: str,
    campaign_ids: Sequence[int],
    *,
    per_campaign: int,
    limit: int | None = None,
) -> dict[int, list[CampaignAlert]]:
    """A person's open and in-progress alerts in these campaigns, at most `per_campaign` of each
    (in progress first, as a campaign's pages order them) and, with `limit`, at most that many
    in all (the first campaigns by number first), in one ranked query for all of them.
    Campaigns where they hold none are left out."""
    if not campaign_ids or limit == 0:
        return {}
    params = {
        "assignee": assignee,
        "campaign_ids": list(campaign_ids),
        "per_campaign": per_campaign,
        "limit": limit if limit is not None else len(campaign_ids) * per_campaign,
    }
    rows = (await conn.execute(_OPEN_ASSIGNED, params)).mappings().all()
    items = await _models(conn, rows, [row["campaign_id"] for row in rows], assignee=assignee)
    found: dict[int, list[CampaignAlert]] = {}
    for item in items:
        found.setdefault(item.campaign_id, []).append(item)
    return found


async def _models(
    conn: AsyncConnection,
    rows: Sequence[RowMapping],
    campaign_ids: Sequence[int],
    *,
    assignee: str | None = None,
) -> list[CampaignAlert]:
    """The rows (alert columns, `campaign_status`, and `assignee` unless given) as campaign
    alerts, with their children, fixes, checklists and exceptions read in one query each."""
    alerts = await with_children(conn, rows)
    alert_ids = [alert.id for alert in alerts if alert.id]
    fixes = await fix_links.latest_for(conn, alert_ids)
    ticks = await checklists.ticked_for(conn, alert_ids)
    excepted = await exceptions.open_for_alerts(conn, alert_ids)
    return [
        CampaignAlert(
            campaign_id=campaign_id,
            alert=alert,
            status=AlertStatus(row["campaign_status"]),
            assignee=assignee if assignee is not None else row["assignee"],
            fix=fixes.get(alert.id or 0),
            checklist=ticks.get(alert.id or 0, []),
            exception=_exception_state(excepted, alert.id or 0),
            exception_until=_exception_until(excepted, alert.id or 0),
        )
        for alert, row, campaign_id in zip(alerts, rows, campaign_ids, strict=True)
    ]


def _exception_state(found: Mapping[int, AlertException], alert_id: int) -> str | None:
    return found[alert_id].state.value if alert_id in found else None


def _exception_until(found: Mapping[int, AlertException], alert_id: int) -> date | None:
    return found[alert_id].expires_on if alert_id in found else None
