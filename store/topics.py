"""What a campaign's alerts are about, for the guides a launch DM links: secret types and
providers, or CWE tags, most common first. One grouped query."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from store.schema import alert_tags as t
from store.schema import alerts as a
from store.schema import campaign_alerts as ca


async def guide_topics(conn: AsyncConnection, campaign_id: int, limit: int = 12) -> list[str]:
    """The campaign's open alerts' secret types (then providers) or CWE tags, by frequency."""
    in_campaign = ca.join(a, a.c.id == ca.c.alert_id)
    secrets = (
        select(a.c.secret_type, a.c.provider, func.count().label("n"))
        .select_from(in_campaign)
        .where(ca.c.campaign_id == campaign_id, a.c.is_open.is_(True), a.c.secret_type.is_not(None))
        .group_by(a.c.secret_type, a.c.provider)
        .order_by(func.count().desc(), a.c.secret_type)
        .limit(limit)
    )
    found: list[str] = []
    for secret_type, provider, _ in await conn.execute(secrets):
        found += [secret_type, *([provider] if provider else [])]
    cwes = (
        select(t.c.tag, func.count().label("n"))
        .select_from(in_campaign.join(t, t.c.alert_id == a.c.id))
        .where(
            ca.c.campaign_id == campaign_id,
            a.c.is_open.is_(True),
            t.c.tag.like("external/cwe/%"),
        )
        .group_by(t.c.tag)
        .order_by(func.count().desc(), t.c.tag)
        .limit(limit)
    )
    found += [tag for tag, _ in await conn.execute(cwes)]
    return list(dict.fromkeys(found))[: limit * 2]
