"""What a repository already holds for code alerts identified by fingerprint (SARIF imports)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.core.models import AlertKind
from store import schema
from store.times import utc
from store.upsert import chunks

a = schema.alerts


async def known(
    conn: AsyncConnection, repository_id: int, fingerprints: Sequence[str]
) -> dict[str, tuple[int, datetime]]:
    """Fingerprint → (alert number, created_at) for those already stored in the repository.

    A re-imported SARIF keeps each alert's number and its first-seen date, so it updates the alerts
    instead of adding new ones (`store.alerts.numbers_by_fingerprint` gives the number alone).
    """
    found: dict[str, tuple[int, datetime]] = {}
    for part in chunks(sorted(set(fingerprints))):
        rows = await conn.execute(
            select(a.c.fingerprint, a.c.number, a.c.created_at).where(
                a.c.repository_id == repository_id,
                a.c.kind == AlertKind.CODE.value,
                a.c.fingerprint.in_(part),
            )
        )
        for fingerprint, number, created_at in rows:
            found[fingerprint] = (number, utc(created_at) or created_at)
    return found
