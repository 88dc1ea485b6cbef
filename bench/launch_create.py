"""`CampaignService.create` as the launch bench measures it: the request, timed as a whole and in
its parts (`launch_notices`, `outbox.enqueue`), with the launch feature switched off for the
floor; and what a launch should leave behind: its delivery keys, and outbox rows whose payloads
match the generated organization (bench/launch_world.py).
"""

from __future__ import annotations

import contextlib
import time
import uuid
from collections.abc import Iterator, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

import bot.campaigns.service as campaign_module
from bench.delivery_world import ADMIN
from bench.launch_world import CHANNEL, ORG, QUERY, Org
from bot.campaigns.requests import CreateRequest
from bot.campaigns.service import CampaignService
from bot.core import notices
from bot.core.models import Campaign
from bot.core.notices import LISTED_LOGINS, LISTED_REPOSITORIES, Notice, NoticeKind
from store import outbox, schema


def request(name: str, channel: str | None) -> CreateRequest:
    return CreateRequest(
        name=name,
        description="launch bench",
        due_date=date.today() + timedelta(days=60),
        manager=ADMIN,
        query=QUERY,
        channel=channel,
        continue_big=True,
    )


@contextlib.contextmanager
def launch_off() -> Iterator[None]:
    """`create` as it was before launch DMs: nobody's audience is looked up."""
    original = campaign_module.launch_notices

    async def nobody(
        conn: AsyncConnection, campaign: Campaign, now: datetime
    ) -> list[notices.Notice]:
        return []

    campaign_module.launch_notices = nobody
    try:
        yield
    finally:
        campaign_module.launch_notices = original


@contextlib.contextmanager
def parts_timed(spent: dict[str, float]) -> Iterator[None]:
    """Time what `create` spends in `launch_notices` and in `outbox.enqueue` (into `spent`)."""
    plan, enqueue = campaign_module.launch_notices, outbox.enqueue

    async def timed_plan(
        conn: AsyncConnection, campaign: Campaign, now: datetime
    ) -> list[notices.Notice]:
        start = time.perf_counter()
        try:
            return await plan(conn, campaign, now)
        finally:
            spent["launch_notices"] = time.perf_counter() - start

    async def timed_enqueue(conn: AsyncConnection, notices: Sequence[Notice]) -> int:
        start = time.perf_counter()
        try:
            return await enqueue(conn, notices)
        finally:
            spent["enqueue"] = time.perf_counter() - start

    campaign_module.launch_notices = timed_plan
    outbox.enqueue = timed_enqueue
    try:
        yield
    finally:
        campaign_module.launch_notices = plan
        outbox.enqueue = enqueue


async def timed_create(
    service: CampaignService, channel: str | None, spent: dict[str, float] | None = None
) -> tuple[Campaign, float]:
    start = time.perf_counter()
    with parts_timed(spent if spent is not None else {}):
        created = await service.create(ADMIN, request(f"Launch {uuid.uuid4().hex[:6]}", channel))
    return created.campaign, time.perf_counter() - start


def expected_keys(org: Org, number: int) -> list[str]:
    keys = [notices.delivery_key(NoticeKind.LAUNCH, number, CHANNEL, "-")]
    keys += [
        notices.delivery_key(NoticeKind.LAUNCH_DM, number, user, "-") for user in org.slack.values()
    ]
    if org.unlinked:
        keys.append(notices.delivery_key(NoticeKind.UNLINKED, number, ADMIN, "-"))
    return keys


async def content_problems(engine: AsyncEngine, org: Org, number: int) -> tuple[int, int, int]:
    """(rows written, launch DMs or manager DM whose payload is not what the organization says,
    unlinked writers the manager's DM accounts for)."""
    o = schema.outbox
    async with engine.connect() as conn:
        found = (
            await conn.execute(
                select(o.c.kind, o.c.target, o.c.payload).where(o.c.campaign_id == number)
            )
        ).all()
    login_of, wrong, named = org.login_of, 0, 0
    for kind, target, payload in found:
        if kind == NoticeKind.LAUNCH_DM.value:
            mine = sorted(
                ((f"{ORG}/{repo}", org.alerts[repo]) for repo in org.writes[login_of[target]]),
                key=lambda item: (-item[1], item[0].lower()),
            )
            wanted: dict[str, Any] = {
                "repositories": [[name, count] for name, count in mine[:LISTED_REPOSITORIES]],
                "more_repositories": max(len(mine) - LISTED_REPOSITORIES, 0),
                "alerts": sum(count for _, count in mine),
            }
            # The guides it links (`topics`) depend on the alerts' types, not on the organization.
            topics = payload.get("topics")
            rest = {key: value for key, value in payload.items() if key != "topics"}
            wrong += rest != wanted or not isinstance(topics, list)
        elif kind == NoticeKind.UNLINKED.value:
            logins = org.unlinked
            wanted = {"logins": logins[:LISTED_LOGINS], "more": max(len(logins) - LISTED_LOGINS, 0)}
            wrong += payload != wanted or target != ADMIN
            named = len(payload.get("logins") or []) + int(payload.get("more") or 0)
    return len(found), wrong, named
