"""Launch notices (issue 9): one DM per linked writer, one to the manager about the others."""

from __future__ import annotations

import asyncio
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.campaigns.service import CampaignService
from bot.core.models import Identity
from bot.core.notices import Notice, NoticeKind
from store import identities, outbox, preferences, repositories, schema
from store import writers as writer_store
from tests.campaigns.conftest import ADMIN, MANAGER, request

ALICE, BOB, CAROL = "UALICE", "UBOB", "UCAROL"


async def arrange_writers(engine: AsyncEngine) -> None:
    """alice writes to web and api, bob to web, carol to legacy; dave and erin have no identity
    (erin only writes to a repository the campaign does not touch)."""
    async with engine.begin() as conn:
        ids = await repositories.ids_by_name(conn, ["acme/web", "acme/api", "acme/legacy"])
        await writer_store.replace(conn, ids["acme/web"], {"alice": "push", "bob": "admin"})
        await writer_store.replace(conn, ids["acme/api"], {"Alice": "push", "dave": "push"})
        await writer_store.replace(conn, ids["acme/legacy"], {"carol": "push", "erin": "push"})
        for user, login in ((ALICE, "alice"), (BOB, "bob"), (CAROL, "carol")):
            await identities.save(conn, Identity(slack_user_id=user, github_login=login))


async def launch_notices(engine: AsyncEngine) -> list[Notice]:
    async with engine.connect() as conn:
        found = await outbox.all_notices(conn)
    return [n for n in found if n.kind in (NoticeKind.LAUNCH_DM, NoticeKind.UNLINKED)]


async def test_each_linked_writer_gets_one_dm_listing_their_repositories(
    svc: CampaignService, inventory: AsyncEngine
) -> None:
    await arrange_writers(inventory)
    # web#1, web#2, api#1 (legacy is left out by the query)
    await svc.create(ADMIN, request(query="is:open severity:critical -repo:acme/legacy"))

    told = await launch_notices(inventory)
    dms = {n.target: n for n in told if n.kind is NoticeKind.LAUNCH_DM}
    assert sorted(dms) == [ALICE, BOB]
    assert dms[ALICE].payload["repositories"] == [["acme/web", 2], ["acme/api", 1]]
    assert dms[ALICE].payload["alerts"] == 3
    assert dms[BOB].payload["repositories"] == [["acme/web", 2]]
    assert dms[ALICE].key == "launch_dm:1:UALICE:-"
    [unlinked] = [n for n in told if n.kind is NoticeKind.UNLINKED]
    assert unlinked.target == MANAGER and unlinked.payload["logins"] == ["dave"]


async def test_a_person_who_turned_notices_off_gets_no_launch_dm(
    svc: CampaignService, inventory: AsyncEngine, now: datetime
) -> None:
    await arrange_writers(inventory)
    async with inventory.begin() as conn:
        await preferences.set_notify(conn, BOB, False, now)

    await svc.create(ADMIN, request())

    told = await launch_notices(inventory)
    assert {n.target for n in told if n.kind is NoticeKind.LAUNCH_DM} == {ALICE, CAROL}


async def test_no_writers_known_means_no_dm_and_nothing_to_tell_the_manager(
    svc: CampaignService, inventory: AsyncEngine
) -> None:
    await svc.create(ADMIN, request())
    assert await launch_notices(inventory) == []


async def test_writers_of_repositories_whose_alerts_are_all_closed_are_not_told(
    svc: CampaignService, inventory: AsyncEngine
) -> None:
    await arrange_writers(inventory)
    async with inventory.begin() as conn:  # legacy's only alert closes before the launch
        await conn.execute(
            schema.alerts.update()
            .where(
                schema.alerts.c.number == 1,
                schema.alerts.c.repository_id.in_(
                    select(schema.repositories.c.id).where(
                        schema.repositories.c.full_name == "acme/legacy"
                    )
                ),
            )
            .values(is_open=False, state="fixed")
        )
    await svc.create(ADMIN, request(query="severity:critical"))

    told = await launch_notices(inventory)
    assert CAROL not in {n.target for n in told}
    [unlinked] = [n for n in told if n.kind is NoticeKind.UNLINKED]
    assert "erin" not in unlinked.payload["logins"]


async def test_concurrent_retries_of_one_create_write_each_dm_once(
    svc: CampaignService, inventory: AsyncEngine
) -> None:
    await arrange_writers(inventory)
    same = request(request_key="modal-view-1")

    await asyncio.gather(*(svc.create(ADMIN, same) for _ in range(4)))

    told = await launch_notices(inventory)
    targets = [n.target for n in told]
    assert sorted(targets) == sorted(set(targets))
    assert len(svc_campaigns := await svc.list_campaigns()) == 1, svc_campaigns
