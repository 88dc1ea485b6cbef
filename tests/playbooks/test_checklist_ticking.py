"""The leaked-secret checklist over a real database (SQLite and PostgreSQL): the assignee ticks
steps (each newly ticked or unticked step one event), and everyone else and every closed thing is
refused with nothing stored. Resolving is in tests/playbooks/test_checklist_resolving.py."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta

import pytest

from bot.core.errors import CampaignError, Conflict, PermissionDenied
from bot.core.playbooks import ChecklistStep
from bot.playbooks.checklist import ChecklistService
from bot.reports.digest import digest_facts
from tests.playbooks.world_support import (
    CODE1,
    DEV,
    MANAGER,
    NOW,
    OTHER,
    WEB1,
    WEB2,
    World,
    all_ticks,
    as_utc,
    card_item,
    checklist_settings,
    history,
    synced,
)

settings = checklist_settings
"""The admins, and no exception limits (the conftest's `settings` has them)."""

# ---- ticking ---------------------------------------------------------------------------------


async def test_the_assignee_ticks_steps_each_new_or_removed_one_an_event(
    world: World, checklist: ChecklistService
) -> None:
    number = str(world.secrets.number)

    added, removed = await checklist.set_steps(DEV, number, WEB1, ["active", "verify"])

    assert (added, removed) == ([ChecklistStep.VERIFY, ChecklistStep.ACTIVE], [])
    _, alert, ticked = await checklist.steps(number, WEB1)
    assert alert.reference == WEB1
    assert as_utc(ticked) == {"verify": (DEV, NOW), "active": (DEV, NOW)}

    world.clock.now = NOW + timedelta(hours=2)
    added, removed = await checklist.set_steps(DEV, number, WEB1, ["active", "revoke"])

    assert (added, removed) == ([ChecklistStep.REVOKE], [ChecklistStep.VERIFY])
    _, _, ticked = await checklist.steps(number, WEB1)
    assert as_utc(ticked) == {"active": (DEV, NOW), "revoke": (DEV, NOW + timedelta(hours=2))}
    events = await history(world.svc, world.secrets, "checklist_")
    assert [(e.action, e.actor, e.subject, e.before, e.after) for e in events] == [
        ("checklist_ticked", DEV, WEB1, None, {"step": "verify"}),
        ("checklist_ticked", DEV, WEB1, None, {"step": "active"}),
        ("checklist_ticked", DEV, WEB1, None, {"step": "revoke"}),
        ("checklist_unticked", DEV, WEB1, {"step": "verify"}, None),
    ]

    # The same boxes again (a second click, a re-submitted card): nothing new.
    assert await checklist.set_steps(DEV, number, WEB1, ["revoke", "active"]) == ([], [])
    assert len(await history(world.svc, world.secrets, "checklist_")) == 4
    _, _, again = await checklist.steps(number, WEB1)
    assert again == ticked

    item = await card_item(world.svc, world.secrets, WEB1)
    assert sorted(item.checklist) == ["active", "revoke"]
    assert (await card_item(world.svc, world.secrets, WEB2)).checklist == []
    progress = await world.svc.progress(world.secrets)
    facts = await digest_facts(world.engine, world.secrets, progress, world.clock.now)
    assert facts.checklist == {"active": 1, "revoke": 1}


async def test_tick_times_come_back_in_utc(world: World, checklist: ChecklistService) -> None:
    """Every store returns aware UTC datetimes (store.times.utc), on SQLite as on PostgreSQL."""
    await checklist.set_steps(DEV, str(world.secrets.number), WEB1, ["verify"])

    _, _, ticked = await checklist.steps(str(world.secrets.number), WEB1)

    who, at = ticked["verify"]
    assert who == DEV
    assert at.tzinfo is not None and at == NOW


async def test_unticking_everything_removes_every_step(
    world: World, checklist: ChecklistService
) -> None:
    number = str(world.secrets.number)
    await checklist.set_steps(DEV, number, WEB1, ["verify", "active", "revoke", "document"])

    added, removed = await checklist.set_steps(DEV, number, WEB1, [])

    assert added == []
    assert removed == [
        ChecklistStep.VERIFY,
        ChecklistStep.ACTIVE,
        ChecklistStep.REVOKE,
        ChecklistStep.DOCUMENT,
    ]
    assert await all_ticks(world.engine) == []
    unticked = await history(world.svc, world.secrets, "checklist_unticked")
    assert [e.before for e in unticked] == [
        {"step": "verify"},
        {"step": "active"},
        {"step": "revoke"},
        {"step": "document"},
    ]


# ---- refusals --------------------------------------------------------------------------------

Arrange = Callable[[World], Awaitable[None]]


async def nothing(world: World) -> None:
    del world


async def close_web1(world: World) -> None:
    await synced(world.engine, WEB1, "resolved")


async def close_campaign(world: World) -> None:
    await world.svc.close(MANAGER, str(world.secrets.number))


REFUSALS = [
    pytest.param(OTHER, 1, WEB1, ["verify"], nothing, PermissionDenied, "<@UDEV>'s", id="other"),
    pytest.param(
        MANAGER, 1, WEB1, ["verify"], nothing, PermissionDenied, "only they tick", id="manager"
    ),
    pytest.param(
        DEV, 1, WEB2, ["verify"], nothing, PermissionDenied, "Nobody has", id="unassigned"
    ),
    pytest.param(DEV, 2, CODE1, ["verify"], nothing, CampaignError, "code alerts", id="code-alert"),
    pytest.param(DEV, 1, WEB1, ["verify"], close_web1, Conflict, "already resolved", id="closed"),
    pytest.param(DEV, 1, WEB1, ["verify"], close_campaign, Conflict, "is closed", id="campaign"),
    pytest.param(
        DEV,
        1,
        WEB1,
        ["verify", "finish"],
        nothing,
        CampaignError,
        "“finish” is not a step",
        id="unknown-step",
    ),
    pytest.param(
        DEV,
        1,
        WEB1,
        ["verify", "resolve"],
        nothing,
        CampaignError,
        "with its form",
        id="resolve-step",
    ),
]


@pytest.mark.parametrize(
    ("actor", "campaign", "ref", "steps", "arrange", "error", "said"), REFUSALS
)
async def test_ticking_is_refused_with_a_reason_and_nothing_stored(
    world: World,
    checklist: ChecklistService,
    actor: str,
    campaign: int,
    ref: str,
    steps: list[str],
    arrange: Arrange,
    error: type[CampaignError],
    said: str,
) -> None:
    await arrange(world)
    number = str(world.secrets.number if campaign == 1 else world.code.number)

    with pytest.raises(error) as refused:
        await checklist.set_steps(actor, number, ref, steps)

    assert type(refused.value) is error
    assert said in refused.value.message
    assert await all_ticks(world.engine) == []
    for each in (world.secrets, world.code):
        assert await history(world.svc, each, "checklist_") == []


async def test_the_resolve_form_opens_only_for_the_assignee(
    world: World, checklist: ChecklistService
) -> None:
    number = str(world.secrets.number)

    alert = await checklist.resolvable(DEV, number, WEB1)

    assert alert.reference == WEB1
    with pytest.raises(PermissionDenied, match="UDEV"):
        await checklist.resolvable(OTHER, number, WEB1)
    with pytest.raises(PermissionDenied, match="Nobody has"):
        await checklist.resolvable(DEV, number, WEB2)
