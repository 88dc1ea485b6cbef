"""The leaked-secret checklist's last step over a real database (SQLite and PostgreSQL): it
resolves the alert on GitHub (a recording fake of the `AlertStates` port) before anything is kept
locally, and a refusal, here or by GitHub, keeps nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.core.errors import CampaignError, Conflict, PermissionDenied
from bot.core.notices import NoticeKind
from bot.playbooks.checklist import MAX_COMMENT, ChecklistService
from bot.reports.digest import digest_facts
from store import campaigns as campaign_store
from tests.playbooks.world_support import (
    CHANNEL,
    DEV,
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
    notices,
    stored_alert,
)

settings = checklist_settings
"""The admins, and no exception limits (the conftest's `settings` has them)."""

# ---- resolving -------------------------------------------------------------------------------


async def test_resolving_closes_on_github_then_locally_ticks_and_tells(
    world: World, checklist: ChecklistService
) -> None:
    number = str(world.secrets.number)
    async with world.engine.begin() as conn:  # the live card was posted
        await campaign_store.update_fields(
            conn,
            world.secrets.number,
            {"announce_channel": CHANNEL, "announce_ts": "1762074000.000100"},
        )
    await checklist.set_steps(DEV, number, WEB1, ["verify", "revoke"])
    cards_before = len(await notices(world.engine, NoticeKind.CARD))
    world.clock.now = resolved_at = NOW + timedelta(hours=3)
    world.states.updated_at = github_at = resolved_at - timedelta(seconds=5)

    returned = await checklist.resolve(
        DEV, number, WEB1, "revoked", "  Rotated the key; the old one is revoked.  "
    )

    assert returned.reference == WEB1
    assert world.states.closed == [(WEB1, "revoked", "Rotated the key; the old one is revoked.")]
    assert world.states.reopened == []
    stored = await stored_alert(world.engine, WEB1)
    assert (stored.state, stored.resolution, stored.is_open) == ("resolved", "revoked", False)
    assert stored.closed_at == github_at
    _, _, ticked = await checklist.steps(number, WEB1)
    assert as_utc(ticked)["resolve"] == (DEV, resolved_at)
    assert set(ticked) == {"verify", "revoke", "resolve"}
    [event] = await history(world.svc, world.secrets, "checklist_resolved")
    assert (event.actor, event.subject, event.at) == (DEV, WEB1, resolved_at)
    assert event.after == {
        "resolution": "revoked",
        "comment": "Rotated the key; the old one is revoked.",
    }
    # As alerts_changed does: the campaign counts it closed, its card is refreshed, the
    # assignee is told.
    progress = await world.svc.progress(world.secrets)
    assert (progress.counts.closed, progress.counts.total) == (1, 3)
    assert len(await notices(world.engine, NoticeKind.CARD)) == cards_before + 1
    statuses = await notices(world.engine, NoticeKind.STATUS)
    assert [(n.target, n.payload) for n in statuses] == [
        (DEV, {"alert": WEB1, "state": "resolved"})
    ]
    item = await card_item(world.svc, world.secrets, WEB1)
    assert item.alert.is_open is False and "resolve" in item.checklist
    facts = await digest_facts(world.engine, world.secrets, progress, resolved_at)
    assert facts.checklist == {}  # the digest counts steps of open alerts only
    # Done: the checklist of a resolved alert is closed.
    with pytest.raises(Conflict, match="already resolved"):
        await checklist.set_steps(DEV, number, WEB1, ["verify"])
    with pytest.raises(Conflict, match="already resolved"):
        await checklist.resolve(DEV, number, WEB1, "revoked", "again")
    assert len(world.states.closed) == 1


async def test_resolving_without_a_github_time_uses_the_clock(
    world: World, checklist: ChecklistService
) -> None:
    world.clock.now = NOW + timedelta(minutes=7)

    await checklist.resolve(DEV, str(world.secrets.number), WEB1, "used_in_tests", "")

    assert world.states.closed == [(WEB1, "used_in_tests", "")]
    stored = await stored_alert(world.engine, WEB1)
    assert (stored.resolution, stored.closed_at) == ("used_in_tests", NOW + timedelta(minutes=7))


@pytest.mark.parametrize(
    ("resolution", "comment", "field", "said"),
    [
        ("fixed", "Rotated.", "resolution", "Choose a resolution: revoked (rotated), false"),
        ("", "Rotated.", "resolution", "Choose a resolution"),
        ("revoked", "x" * (MAX_COMMENT + 1), "comment", f"({MAX_COMMENT + 1} now)"),
    ],
)
async def test_a_bad_resolution_or_comment_is_refused_on_its_field(
    world: World,
    checklist: ChecklistService,
    resolution: str,
    comment: str,
    field: str,
    said: str,
) -> None:
    number = str(world.secrets.number)

    with pytest.raises(CampaignError) as refused:
        await checklist.resolve(DEV, number, WEB1, resolution, comment)

    assert refused.value.field == field
    assert said in refused.value.message
    assert world.states.closed == []
    assert (await stored_alert(world.engine, WEB1)).is_open
    assert await all_ticks(world.engine) == []
    assert await history(world.svc, world.secrets, "checklist_") == []


async def test_a_comment_of_exactly_the_limit_is_kept_whole(
    world: World, checklist: ChecklistService
) -> None:
    comment = "y" * MAX_COMMENT

    await checklist.resolve(DEV, str(world.secrets.number), WEB1, "wont_fix", f"  {comment}\n")

    assert world.states.closed == [(WEB1, "wont_fix", comment)]


async def test_only_the_assignee_resolves_and_github_is_not_asked_otherwise(
    world: World, checklist: ChecklistService
) -> None:
    number = str(world.secrets.number)

    with pytest.raises(PermissionDenied, match="only they tick"):
        await checklist.resolve(OTHER, number, WEB1, "revoked", "Rotated.")
    with pytest.raises(PermissionDenied, match="Nobody has"):
        await checklist.resolve(DEV, number, WEB2, "revoked", "Rotated.")

    assert world.states.closed == []
    assert (await stored_alert(world.engine, WEB1)).is_open


async def test_a_github_refusal_keeps_nothing(world: World, checklist: ChecklistService) -> None:
    number = str(world.secrets.number)
    await checklist.set_steps(DEV, number, WEB1, ["verify"])
    world.states.refuse = f"GitHub refused to resolve {WEB1}: the alert is locked"

    with pytest.raises(CampaignError, match="the alert is locked"):
        await checklist.resolve(DEV, number, WEB1, "revoked", "Rotated.")

    stored = await stored_alert(world.engine, WEB1)
    assert (stored.state, stored.resolution, stored.is_open) == ("open", None, True)
    _, _, ticked = await checklist.steps(number, WEB1)
    assert set(ticked) == {"verify"}
    assert await history(world.svc, world.secrets, "checklist_resolved") == []
    assert (await world.svc.progress(world.secrets)).counts.closed == 0
    assert await notices(world.engine, NoticeKind.STATUS) == []

    # GitHub answers again: the same request goes through.
    world.states.refuse = None
    await checklist.resolve(DEV, number, WEB1, "revoked", "Rotated.")
    assert (await stored_alert(world.engine, WEB1)).state == "resolved"
