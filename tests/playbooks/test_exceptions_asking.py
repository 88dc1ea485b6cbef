"""Asking for an exception, over a real database (SQLite and PostgreSQL): a request and its field
checks, who may ask, and one open exception per alert. The manager is told; nothing is closed
until they decide (tests/playbooks/test_exceptions_deciding.py).
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.core.errors import CampaignError, Conflict, FieldErrors
from bot.core.playbooks import ExceptionReason, ExceptionState
from bot.playbooks.exceptions import ExceptionService
from bot.reports.digest import digest_facts
from tests.playbooks.exception_support import (
    ENDS,
    LATEST,
    MAX_DAYS,
    TODAY,
    WHY,
    ask,
    nothing_asked,
    stored,
    told,
)
from tests.playbooks.world_support import (
    API1,
    DEV,
    MANAGER,
    NOW,
    OTHER,
    WEB1,
    WEB2,
    World,
    card_item,
    history,
    stored_alert,
    synced,
)


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
