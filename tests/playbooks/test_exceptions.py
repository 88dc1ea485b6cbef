"""Exceptions over a real database (SQLite and PostgreSQL): a request and its field checks, the
manager's decision (GitHub asked first through a recording fake of the `AlertStates` port; two
managers at once make one approval), and the `exceptions` job that warns before the expiry and
reopens the alert at it."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.core.errors import CampaignError, Conflict, FieldErrors, PermissionDenied
from bot.core.notices import Notice, NoticeKind
from bot.core.playbooks import AlertException, ExceptionReason, ExceptionState
from bot.core.settings import Settings
from bot.playbooks.exceptions import ExceptionService
from bot.reports.digest import digest_facts
from store import exceptions as exception_store
from tests.playbooks.test_checklist import (
    ADMIN,
    API1,
    CODE1,
    DEV,
    MANAGER,
    NOW,
    OTHER,
    WEB1,
    WEB2,
    World,
    build_world,
    card_item,
    history,
    notices,
    stored_alert,
    synced,
)

MAX_DAYS = 30
WARN_DAYS = 7
TODAY = NOW.date()
"""2026-11-02: the campaigns are in UTC."""
LATEST = TODAY + timedelta(days=MAX_DAYS)
ENDS = date(2026, 11, 20)
WHY = "The key is a fixture of the integration tests; it was never valid."


@pytest.fixture
def settings() -> Settings:
    return Settings(
        _env_file=None,
        campaign_admins=f"{ADMIN},{MANAGER}",
        exception_max_days=MAX_DAYS,
        exception_warn_days=WARN_DAYS,
    )


@pytest.fixture
async def world(engine: AsyncEngine, settings: Settings) -> World:
    return await build_world(engine, settings)


@pytest.fixture
def exceptions(world: World) -> ExceptionService:
    return ExceptionService(world.assignments, world.states)


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


# ---- asking ----------------------------------------------------------------------------------


async def test_a_request_waits_for_the_manager_who_is_told(
    world: World, exceptions: ExceptionService
) -> None:
    campaign, alert = await exceptions.requestable(DEV, str(world.secrets.number), WEB1)
    assert (campaign.number, alert.reference) == (world.secrets.number, WEB1)

    asked = await ask(world, exceptions, comment=f"  {WHY}\n")

    assert asked.id is not None and asked.state is ExceptionState.PENDING
    kept = await stored(world.engine, asked.id)
    assert (kept.state, kept.requested_by, kept.reason, kept.comment, kept.expires_on) == (
        ExceptionState.PENDING,
        DEV,
        ExceptionReason.FALSE_POSITIVE,
        WHY,
        ENDS,
    )
    assert (kept.alert_reference, kept.campaign_id) == (WEB1, world.secrets.number)
    assert kept.decided_by is None
    [event] = await history(world.svc, world.secrets, "exception_")
    assert (event.action, event.actor, event.subject) == ("exception_requested", DEV, WEB1)
    assert event.after == {
        "exception": asked.id,
        "reason": "false_positive",
        "expires_on": "2026-11-20",
    }
    [notice] = await told(world.engine)
    assert (notice.target, notice.campaign_id) == (MANAGER, world.secrets.number)
    assert notice.payload["event"] == "requested"
    assert notice.payload["exception"] == asked.id
    assert notice.payload["alert"] == WEB1 and notice.payload["requested_by"] == DEV
    assert notice.payload["comment"] == WHY and notice.payload["expires_on"] == "2026-11-20"
    assert notice.payload["url"] == "https://github.test/web/1"
    assert world.states.closed == []
    assert (await stored_alert(world.engine, WEB1)).is_open

    item = await card_item(world.svc, world.secrets, WEB1)
    assert (item.exception, item.exception_until) == ("pending", ENDS)
    assert (await card_item(world.svc, world.secrets, WEB2)).exception is None
    assert [x.id for x in await exceptions.pending(world.secrets)] == [asked.id]
    progress = await world.svc.progress(world.secrets)
    facts = await digest_facts(world.engine, world.secrets, progress, NOW)
    assert facts.pending_exceptions == [WEB1]


async def test_the_longest_expiry_and_the_shortest_reason_are_accepted(
    world: World, exceptions: ExceptionService
) -> None:
    asked = await ask(
        world, exceptions, reason="accepted_risk", comment="  0123456789  ", expires_on=LATEST
    )

    kept = await stored(world.engine, asked.id)
    assert (kept.reason, kept.comment, kept.expires_on) == (
        ExceptionReason.ACCEPTED_RISK,
        "0123456789",
        LATEST,
    )


BAD_FIELDS = [
    pytest.param({"reason": None}, "reason", "Choose a reason: false positive", id="no-reason"),
    pytest.param({"reason": "wont_fix"}, "reason", "Choose a reason", id="unknown-reason"),
    pytest.param({"comment": "012345678"}, "comment", "Say why", id="comment-too-short"),
    pytest.param({"comment": "   \n  "}, "comment", "Say why", id="comment-blank"),
    pytest.param({"comment": "x" * 1001}, "comment", "(1001 now)", id="comment-too-long"),
    pytest.param({"expires_on": None}, "expires_on", "Choose when", id="no-expiry"),
    pytest.param({"expires_on": TODAY}, "expires_on", "after today (2026-11-02)", id="today"),
    pytest.param({"expires_on": TODAY - timedelta(days=3)}, "expires_on", "after today", id="past"),
    pytest.param(
        {"expires_on": LATEST + timedelta(days=1)},
        "expires_on",
        f"at most {MAX_DAYS} days: choose 2026-12-02 or earlier",
        id="too-far",
    ),
]


@pytest.mark.parametrize(("fields", "field", "said"), BAD_FIELDS)
async def test_a_bad_field_is_refused_on_that_field_and_nothing_is_stored(
    world: World,
    exceptions: ExceptionService,
    fields: dict[str, object],
    field: str,
    said: str,
) -> None:
    values: dict[str, object] = {"reason": "used_in_tests", "comment": WHY, "expires_on": ENDS}
    values.update(fields)

    with pytest.raises(CampaignError) as refused:
        await exceptions.request(DEV, str(world.secrets.number), WEB1, **values)  # type: ignore[arg-type]

    assert not isinstance(refused.value, FieldErrors)
    assert refused.value.field == field
    assert said in refused.value.message
    await nothing_asked(world)


async def test_several_bad_fields_are_refused_together_each_on_its_own(
    world: World, exceptions: ExceptionService
) -> None:
    with pytest.raises(FieldErrors) as refused:
        await ask(world, exceptions, reason="", comment="short", expires_on=TODAY)

    assert set(refused.value.errors) == {"reason", "comment", "expires_on"}
    assert "Choose a reason" in refused.value.errors["reason"]
    assert "Say why" in refused.value.errors["comment"]
    assert "after today" in refused.value.errors["expires_on"]
    await nothing_asked(world)


async def test_one_open_exception_per_alert(world: World, exceptions: ExceptionService) -> None:
    asked = await ask(world, exceptions)

    with pytest.raises(Conflict, match="already has an exception request from <@UDEV>"):
        await ask(world, exceptions, actor=MANAGER, reason="accepted_risk")
    with pytest.raises(Conflict):
        await exceptions.requestable(DEV, str(world.secrets.number), WEB1)

    await exceptions.decide(MANAGER, asked.id or 0, approve=True)
    with pytest.raises(Conflict):  # approved: the alert is closed until the expiry
        await ask(world, exceptions)
    # GitHub reopened it by hand while the exception runs: still one at a time.
    await synced(world.engine, WEB1, "open")
    with pytest.raises(Conflict, match="already has an exception until 2026-11-20"):
        await ask(world, exceptions)

    assert len(await history(world.svc, world.secrets, "exception_requested")) == 1
    assert len(await told(world.engine, "requested")) == 1


async def test_someone_elses_alert_is_refused_unless_a_manager_asks(
    world: World, exceptions: ExceptionService
) -> None:
    with pytest.raises(Conflict, match="<@UDEV>'s"):
        await exceptions.requestable(OTHER, str(world.secrets.number), WEB1)
    with pytest.raises(Conflict, match="<@UDEV>'s"):
        await ask(world, exceptions, actor=OTHER)
    await nothing_asked(world)

    asked = await ask(world, exceptions, actor=MANAGER)

    assert (await stored(world.engine, asked.id)).requested_by == MANAGER
    [notice] = await told(world.engine, "requested")
    assert (notice.target, notice.payload["requested_by"]) == (MANAGER, MANAGER)


async def test_no_exception_for_a_closed_alert_or_in_a_closed_campaign(
    world: World, exceptions: ExceptionService
) -> None:
    await synced(world.engine, WEB1, "resolved")
    with pytest.raises(Conflict, match="already resolved"):
        await ask(world, exceptions)

    await world.svc.close(MANAGER, str(world.secrets.number))
    with pytest.raises(Conflict, match="is closed"):
        await ask(world, exceptions, API1, actor=MANAGER)
    await nothing_asked(world)


# ---- deciding --------------------------------------------------------------------------------

APPROVALS = [
    pytest.param(CODE1, "false_positive", "false positive", "dismissed", id="code-fp"),
    pytest.param(CODE1, "accepted_risk", "won't fix", "dismissed", id="code-risk"),
    pytest.param(CODE1, "used_in_tests", "used in tests", "dismissed", id="code-tests"),
    pytest.param(WEB1, "false_positive", "false_positive", "resolved", id="secret-fp"),
    pytest.param(WEB1, "accepted_risk", "wont_fix", "resolved", id="secret-risk"),
    pytest.param(WEB1, "used_in_tests", "used_in_tests", "resolved", id="secret-tests"),
]


@pytest.mark.parametrize(("reference", "reason", "github_reason", "state"), APPROVALS)
async def test_approval_closes_the_alert_on_github_with_its_reason(
    world: World,
    exceptions: ExceptionService,
    reference: str,
    reason: str,
    github_reason: str,
    state: str,
) -> None:
    campaign = world.code if reference == CODE1 else world.secrets
    asked = await ask(world, exceptions, reference, reason=reason)
    world.clock.now = decided_at = NOW + timedelta(hours=5)
    world.states.updated_at = github_at = decided_at - timedelta(seconds=2)

    decided = await exceptions.decide(MANAGER, asked.id or 0, approve=True, note=" Fine. ")

    [(closed, told_reason, comment)] = world.states.closed
    assert (closed, told_reason) == (reference, github_reason)
    assert "2026-11-20" in comment and WHY in comment
    assert decided.state is ExceptionState.APPROVED and decided.decided_by == MANAGER
    kept = await stored(world.engine, asked.id)
    assert (kept.state, kept.decided_by, kept.decision_note) == (
        ExceptionState.APPROVED,
        MANAGER,
        "Fine.",
    )
    alert = await stored_alert(world.engine, reference)
    closed_as = alert.dismissed_reason if state == "dismissed" else alert.resolution
    assert (alert.state, closed_as, alert.is_open) == (state, github_reason, False)
    assert alert.closed_at == github_at
    events = await history(world.svc, campaign, "exception_")
    assert [(e.action, e.actor, e.subject) for e in events] == [
        ("exception_requested", DEV, reference),
        ("exception_approved", MANAGER, reference),
    ]
    assert events[1].before == {"exception": asked.id, "state": "pending"}
    assert events[1].after == {"exception": asked.id, "state": "approved"}
    [notice] = await told(world.engine, "approved")
    assert (notice.target, notice.payload["decided_by"]) == (DEV, MANAGER)
    assert notice.payload["alert"] == reference
    item = await card_item(world.svc, campaign, reference)
    assert (item.exception, item.exception_until) == ("approved", ENDS)
    assert (await world.svc.progress(campaign)).counts.closed == 1
    facts = await digest_facts(
        world.engine, campaign, await world.svc.progress(campaign), decided_at
    )
    assert facts.pending_exceptions == []
    statuses = await notices(world.engine, NoticeKind.STATUS)
    assert [(n.target, n.payload["state"]) for n in statuses] == [(DEV, state)]


async def test_only_the_campaigns_manager_or_a_security_manager_decides(
    world: World, exceptions: ExceptionService
) -> None:
    asked = await ask(world, exceptions)

    for someone in (DEV, OTHER):
        with pytest.raises(PermissionDenied, match="decide exceptions in"):
            await exceptions.decide(someone, asked.id or 0, approve=True)

    assert (await stored(world.engine, asked.id)).state is ExceptionState.PENDING
    assert world.states.closed == []
    assert (await stored_alert(world.engine, WEB1)).is_open
    assert await told(world.engine, "approved") == []

    decided = await exceptions.decide(ADMIN, asked.id or 0, approve=True)  # a security manager
    assert decided.decided_by == ADMIN and len(world.states.closed) == 1


async def test_rejection_closes_nothing_and_tells_the_requester(
    world: World, exceptions: ExceptionService
) -> None:
    asked = await ask(world, exceptions)

    decided = await exceptions.decide(
        ADMIN, asked.id or 0, approve=False, note="Rotate it instead."
    )

    assert decided.state is ExceptionState.REJECTED
    kept = await stored(world.engine, asked.id)
    assert (kept.state, kept.decided_by, kept.decision_note) == (
        ExceptionState.REJECTED,
        ADMIN,
        "Rotate it instead.",
    )
    assert world.states.closed == []
    assert (await stored_alert(world.engine, WEB1)).is_open
    [event] = await history(world.svc, world.secrets, "exception_rejected")
    assert (event.actor, event.after) == (ADMIN, {"exception": asked.id, "state": "rejected"})
    [notice] = await told(world.engine, "rejected")
    assert (notice.target, notice.payload["decided_by"]) == (DEV, ADMIN)
    assert await told(world.engine, "approved") == []
    assert (await card_item(world.svc, world.secrets, WEB1)).exception is None
    assert await exceptions.pending(world.secrets) == []
    # Rejected is over: the alert may be asked for again.
    again = await ask(world, exceptions, reason="accepted_risk")
    assert again.id != asked.id


async def test_deciding_twice_is_a_conflict_naming_the_first_decision(
    world: World, exceptions: ExceptionService
) -> None:
    asked = await ask(world, exceptions)
    await exceptions.decide(MANAGER, asked.id or 0, approve=True)

    with pytest.raises(Conflict, match=r"already approved by <@UMANAGER>"):
        await exceptions.decide(ADMIN, asked.id or 0, approve=False)
    with pytest.raises(Conflict, match=r"already approved by <@UMANAGER>"):
        await exceptions.decide(MANAGER, asked.id or 0, approve=True)

    assert len(world.states.closed) == 1
    kept = await stored(world.engine, asked.id)
    assert (kept.state, kept.decided_by) == (ExceptionState.APPROVED, MANAGER)
    assert len(await history(world.svc, world.secrets, "exception_approved")) == 1
    assert await history(world.svc, world.secrets, "exception_rejected") == []


async def test_a_github_refusal_on_approval_keeps_it_pending(
    world: World, exceptions: ExceptionService
) -> None:
    asked = await ask(world, exceptions)
    world.states.refuse = f"GitHub refused to resolve {WEB1}: resolution is invalid"

    with pytest.raises(CampaignError, match="resolution is invalid"):
        await exceptions.decide(MANAGER, asked.id or 0, approve=True)

    kept = await stored(world.engine, asked.id)
    assert (kept.state, kept.decided_by) == (ExceptionState.PENDING, None)
    alert = await stored_alert(world.engine, WEB1)
    assert (alert.state, alert.resolution, alert.is_open) == ("open", None, True)
    assert await history(world.svc, world.secrets, "exception_approved") == []
    assert await told(world.engine, "approved") == []
    assert (await card_item(world.svc, world.secrets, WEB1)).exception == "pending"

    world.states.refuse = None
    await exceptions.decide(MANAGER, asked.id or 0, approve=True)
    assert (await stored(world.engine, asked.id)).state is ExceptionState.APPROVED


async def test_a_request_whose_alert_closed_meanwhile_is_withdrawn(
    world: World, exceptions: ExceptionService
) -> None:
    asked = await ask(world, exceptions)
    await synced(world.engine, WEB1, "resolved")  # fixed on GitHub while the manager waited

    with pytest.raises(Conflict, match="the request was withdrawn"):
        await exceptions.decide(MANAGER, asked.id or 0, approve=True)

    assert world.states.closed == []
    kept = await stored(world.engine, asked.id)
    assert kept.state is ExceptionState.WITHDRAWN
    assert await exceptions.pending(world.secrets) == []


async def test_two_managers_approving_at_once_make_one_approval(
    world: World, exceptions: ExceptionService
) -> None:
    asked = await ask(world, exceptions)

    results = await asyncio.gather(
        exceptions.decide(MANAGER, asked.id or 0, approve=True),
        exceptions.decide(ADMIN, asked.id or 0, approve=True),
        return_exceptions=True,
    )

    approved = [r for r in results if isinstance(r, AlertException)]
    refused = [r for r in results if isinstance(r, BaseException)]
    assert len(approved) == 1 and len(refused) == 1, results
    [winner], [loser] = approved, refused
    assert isinstance(loser, Conflict), loser
    assert f"already approved by <@{winner.decided_by}>" in loser.message
    assert len(world.states.closed) == 1
    kept = await stored(world.engine, asked.id)
    assert (kept.state, kept.decided_by) == (ExceptionState.APPROVED, winner.decided_by)
    assert len(await history(world.svc, world.secrets, "exception_approved")) == 1
    assert len(await told(world.engine, "approved")) == 1


# ---- the job ---------------------------------------------------------------------------------


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


async def test_exception_times_come_back_in_utc(world: World, exceptions: ExceptionService) -> None:
    """Every store returns aware UTC datetimes (store.times.utc), on SQLite as on PostgreSQL."""
    asked = await ask(world, exceptions)
    world.clock.now = NOW + timedelta(hours=1)
    await exceptions.decide(MANAGER, asked.id or 0, approve=True)

    kept = await stored(world.engine, asked.id)

    assert kept.requested_at.tzinfo is not None and kept.requested_at == NOW
    assert kept.decided_at is not None and kept.decided_at.tzinfo is not None
    assert kept.decided_at == NOW + timedelta(hours=1)
