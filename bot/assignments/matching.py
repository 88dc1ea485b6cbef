"""Identities matched by e-mail (ARCHITECTURE §4): a writer's public GitHub e-mail looked up in
Slack (`users.lookupByEmail`). Only exact answers are kept, never a guess from a name; every
lookup is remembered (store.writers.github_users), so a login is asked about once per
`EMAIL_RECHECK` however often the sync runs. A link set by hand or by a CSV file is never replaced.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Protocol

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.assignments.identities import EmailLookup
from bot.core.clock import Clock, system_clock
from bot.core.models import Identity
from store import identities
from store import writers as writer_store

log = logging.getLogger(__name__)

EMAIL_RECHECK = timedelta(days=7)
"""How long a lookup (found or not) is trusted before the login is looked up again."""
MAX_LOOKUPS = 500
"""Logins looked up per pass: a first sync of a large organization spreads over a few passes."""


class PublicEmails(Protocol):
    """The e-mail a GitHub user shows on their profile (`GET /users/{login}`)."""

    async def public_email(self, login: str) -> str | None: ...


class MatchReport(BaseModel):
    looked_up: int = 0
    linked: list[str] = []
    """`login → U…` for each new link."""
    remaining: int = 0
    """Logins left for the next pass (past `MAX_LOOKUPS`)."""


async def match_by_email(
    engine: AsyncEngine,
    github: PublicEmails,
    slack: EmailLookup,
    *,
    clock: Clock = system_clock,
    limit: int = MAX_LOOKUPS,
) -> MatchReport:
    """Link the writers who have no Slack identity yet and whose public e-mail Slack knows."""
    now = clock()
    async with engine.connect() as conn:
        logins = await writer_store.logins_to_match(conn, now - EMAIL_RECHECK)
    report = MatchReport(remaining=max(0, len(logins) - limit))
    checks: list[tuple[str, str | None, str | None]] = []
    try:
        for login in logins[:limit]:
            email = await github.public_email(login)
            user = await slack.user_for_email(email) if email else None
            checks.append((login, email, user))
    finally:  # what was learned before a failure is kept
        report.looked_up = len(checks)
        await _save(engine, checks, report, now)
    if report.linked:
        log.info("linked %d GitHub logins to Slack users by e-mail", len(report.linked))
    return report


async def _save(
    engine: AsyncEngine,
    checks: list[tuple[str, str | None, str | None]],
    report: MatchReport,
    now: datetime,
) -> None:
    async with engine.begin() as conn:
        await writer_store.record_checks(conn, checks, now)
        for login, email, user in checks:
            if user is None:
                continue
            if await identities.get(conn, user) is not None:
                continue  # this Slack user is linked already (by hand, CSV or another login)
            await identities.save(
                conn, Identity(slack_user_id=user, github_login=login, email=email, source="email")
            )
            report.linked.append(f"{login} → {user}")
