"""What the exception tests (tests/playbooks/test_exceptions_*.py) share: the limits they run
with, the request they make unless told otherwise, and how they read what was stored and told.
Their fixtures are in tests/playbooks/conftest.py.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.core.notices import Notice, NoticeKind
from bot.core.playbooks import AlertException
from bot.playbooks.exceptions import ExceptionService
from store import exceptions as exception_store
from tests.playbooks.world_support import (
    CODE1,
    DEV,
    NOW,
    WEB1,
    World,
    history,
    notices,
    stored_alert,
)

MAX_DAYS = 30
WARN_DAYS = 7
TODAY = NOW.date()
"""2026-11-02: the campaigns are in UTC."""
LATEST = TODAY + timedelta(days=MAX_DAYS)
ENDS = date(2026, 11, 20)
WHY = "The key is a fixture of the integration tests; it was never valid."


async def ask(
    world: World,
    exceptions: ExceptionService,
    reference: str = WEB1,
    *,
    actor: str = DEV,
    reason: str | None = "false_positive",
    comment: str | None = WHY,
    expires_on: date | None = ENDS,
) -> AlertException:
    campaign = world.code if reference == CODE1 else world.secrets
    return await exceptions.request(
        actor,
        str(campaign.number),
        reference,
        reason=reason,
        comment=comment,
        expires_on=expires_on,
    )


async def stored(engine: AsyncEngine, exception_id: int | None) -> AlertException:
    async with engine.connect() as conn:
        found = await exception_store.get(conn, exception_id or 0)
    assert found is not None
    return found


async def told(engine: AsyncEngine, event: str | None = None) -> list[Notice]:
    """The EXCEPTION notices in the outbox (of one `payload["event"]`), oldest first."""
    return [
        n
        for n in await notices(engine, NoticeKind.EXCEPTION)
        if event is None or n.payload["event"] == event
    ]


async def nothing_asked(world: World, reference: str = WEB1) -> None:
    """No exception, no event and no notice about one."""
    alert = await stored_alert(world.engine, reference)
    async with world.engine.connect() as conn:
        assert await exception_store.open_for_alert(conn, alert.id or 0) is None
    for campaign in (world.secrets, world.code):
        assert await history(world.svc, campaign, "exception_") == []
    assert await told(world.engine) == []
