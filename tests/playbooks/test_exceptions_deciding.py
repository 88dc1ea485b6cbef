"""The manager's decision on an exception, over a real database (SQLite and PostgreSQL): GitHub
is asked first, through a recording fake of the `AlertStates` port (an approval closes the alert
there with its reason, a refusal keeps the request pending); two managers at once make one
approval; and the times stored come back in UTC.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from bot.core.errors import CampaignError, Conflict, PermissionDenied
from bot.core.notices import NoticeKind
from bot.core.playbooks import AlertException, ExceptionState
from bot.playbooks.exceptions import ExceptionService
from bot.reports.digest import digest_facts
from tests.playbooks.exception_support import ENDS, WHY, ask, stored, told
from tests.playbooks.world_support import (
    ADMIN,
    CODE1,
    DEV,
    MANAGER,
    NOW,
    OTHER,
    WEB1,
    World,
    card_item,
    history,
    notices,
    stored_alert,
    synced,
)

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


async def test_exception_times_come_back_in_utc(world: World, exceptions: ExceptionService) -> None:
    """Every store returns aware UTC datetimes (store.times.utc), on SQLite as on PostgreSQL."""
    asked = await ask(world, exceptions)
    world.clock.now = NOW + timedelta(hours=1)
    await exceptions.decide(MANAGER, asked.id or 0, approve=True)

    kept = await stored(world.engine, asked.id)

    assert kept.requested_at.tzinfo is not None and kept.requested_at == NOW
    assert kept.decided_at is not None and kept.decided_at.tzinfo is not None
    assert kept.decided_at == NOW + timedelta(hours=1)
