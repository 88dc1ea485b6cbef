"""The `exceptions` job, over a real database (SQLite and PostgreSQL): it warns the requester and
the manager once before an approved exception's expiry, and reopens the alert on GitHub at it;
a dry run says what it would do and does nothing; a GitHub refusal is retried on the next run.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from bot.core.notices import Notice, NoticeKind
from bot.core.playbooks import AlertException, ExceptionState
from bot.playbooks.exceptions import ExceptionService
from tests.playbooks.exception_support import ENDS, WARN_DAYS, ask, stored, told
from tests.playbooks.world_support import (
    DEV,
    MANAGER,
    WEB1,
    World,
    card_item,
    history,
    notices,
    stored_alert,
)


async def approved(world: World, exceptions: ExceptionService) -> AlertException:
    """DEV's exception on web#1, approved by MANAGER at NOW, ending on ENDS."""
    asked = await ask(world, exceptions)
    await exceptions.decide(MANAGER, asked.id or 0, approve=True)
    world.states.closed.clear()
    return asked


async def run(
    world: World, exceptions: ExceptionService, at: datetime, *, write: bool = True
) -> list[Notice]:
    """One run of the job at `at`, the services' clock there too."""
    world.clock.now = at
    return await exceptions.run(at, write=write)


def day(on: date, hour: int = 9) -> datetime:
    return datetime(on.year, on.month, on.day, hour, tzinfo=UTC)


def to_whom(found: list[Notice]) -> list[tuple[str | None, str]]:
    return sorted((n.target, n.payload["event"]) for n in found)


async def test_the_job_warns_both_once_then_reopens_the_alert_at_the_expiry(
    world: World, exceptions: ExceptionService
) -> None:
    asked = await approved(world, exceptions)
    warn_on = ENDS - timedelta(days=WARN_DAYS)

    assert await run(world, exceptions, day(warn_on - timedelta(days=1), 23)) == []
    assert await told(world.engine, "expiring") == []

    warned = await run(world, exceptions, day(warn_on))

    assert to_whom(warned) == [(DEV, "expiring"), (MANAGER, "expiring")]
    assert to_whom(await told(world.engine, "expiring")) == to_whom(warned)
    assert all(n.payload["exception"] == asked.id for n in warned)
    assert (await stored(world.engine, asked.id)).warned_at is not None
    assert await run(world, exceptions, day(warn_on, 18)) == []
    assert await run(world, exceptions, day(warn_on + timedelta(days=1))) == []
    assert len(await told(world.engine, "expiring")) == 2
    assert world.states.reopened == []
    assert not (await stored_alert(world.engine, WEB1)).is_open

    assert await run(world, exceptions, day(ENDS - timedelta(days=1), 23)) == []
    world.states.updated_at = github_at = day(ENDS, 0)
    ended = await run(world, exceptions, day(ENDS, 0))

    assert to_whom(ended) == [(DEV, "expired"), (MANAGER, "expired")]
    assert world.states.reopened == [WEB1]
    assert world.states.closed == []
    alert = await stored_alert(world.engine, WEB1)
    assert (alert.state, alert.resolution, alert.is_open) == ("open", None, True)
    assert alert.updated_at == github_at
    kept = await stored(world.engine, asked.id)
    assert kept.state is ExceptionState.EXPIRED and kept.ended_at is not None
    [event] = await history(world.svc, world.secrets, "exception_expired")
    assert (event.actor, event.subject) == ("campaignbot", WEB1)
    assert event.after == {"exception": asked.id, "state": "expired"}
    assert to_whom(await told(world.engine, "expired")) == to_whom(ended)
    assert (await card_item(world.svc, world.secrets, WEB1)).exception is None
    assert (await world.svc.progress(world.secrets)).counts.closed == 0
    statuses = await notices(world.engine, NoticeKind.STATUS)
    assert (DEV, "open") in [(n.target, n.payload["state"]) for n in statuses]

    outbox_before = await notices(world.engine)
    assert await run(world, exceptions, day(ENDS, 12)) == []
    assert await run(world, exceptions, day(ENDS + timedelta(days=1))) == []
    assert world.states.reopened == [WEB1]
    assert await notices(world.engine) == outbox_before
    # Over: the alert may be asked for again.
    assert (await ask(world, exceptions, expires_on=ENDS + timedelta(days=5))).id != asked.id


async def test_a_dry_run_says_what_it_would_do_and_does_nothing(
    world: World, exceptions: ExceptionService
) -> None:
    asked = await approved(world, exceptions)
    outbox_before = await notices(world.engine)

    warned = await run(world, exceptions, day(ENDS - timedelta(days=WARN_DAYS)), write=False)

    assert to_whom(warned) == [(DEV, "expiring"), (MANAGER, "expiring")]
    assert await notices(world.engine) == outbox_before
    assert (await stored(world.engine, asked.id)).warned_at is None

    ended = await run(world, exceptions, day(ENDS), write=False)

    assert to_whom(ended) == [(DEV, "expired"), (MANAGER, "expired")]
    assert world.states.reopened == [] and world.states.closed == []
    assert await notices(world.engine) == outbox_before
    kept = await stored(world.engine, asked.id)
    assert (kept.state, kept.ended_at) == (ExceptionState.APPROVED, None)
    assert not (await stored_alert(world.engine, WEB1)).is_open
    assert await history(world.svc, world.secrets, "exception_expired") == []

    # What it said is what a real run then does.
    assert to_whom(await run(world, exceptions, day(ENDS))) == to_whom(ended)
    assert world.states.reopened == [WEB1]


async def test_a_github_refusal_at_the_expiry_leaves_it_for_the_next_run(
    world: World, exceptions: ExceptionService
) -> None:
    asked = await approved(world, exceptions)
    world.states.refuse = f"GitHub did not reopen {WEB1} (502); nothing was changed"

    assert await run(world, exceptions, day(ENDS)) == []

    kept = await stored(world.engine, asked.id)
    assert (kept.state, kept.ended_at) == (ExceptionState.APPROVED, None)
    assert not (await stored_alert(world.engine, WEB1)).is_open
    assert await told(world.engine, "expired") == []
    assert await history(world.svc, world.secrets, "exception_expired") == []

    world.states.refuse = None
    ended = await run(world, exceptions, day(ENDS + timedelta(days=1)))

    assert to_whom(ended) == [(DEV, "expired"), (MANAGER, "expired")]
    assert world.states.reopened == [WEB1]
    assert (await stored(world.engine, asked.id)).state is ExceptionState.EXPIRED
    assert (await stored_alert(world.engine, WEB1)).is_open
