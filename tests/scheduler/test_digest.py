"""The weekly digest's facts and how they read: what moved, who fixed it, what blocks."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.assignments.service import AssignmentService
from bot.campaigns.service import CampaignService
from bot.core.models import Identity
from bot.reports.chart import burndown_png
from bot.reports.digest import digest_facts
from commands.delivery.clock_views import digest
from store import identities, repositories, schema
from store import writers as writer_store
from tests.scheduler.conftest import FakeClock, assign, create

LAUNCH = datetime(2026, 10, 5, 18, 0, tzinfo=UTC)
MONDAY = datetime(2026, 10, 26, 16, 0, tzinfo=UTC)  # 09:00 in Los Angeles


async def close(engine: AsyncEngine, repo: str, number: int, at: datetime) -> None:
    a, r = schema.alerts, schema.repositories
    async with engine.begin() as conn:
        repo_id = (await repositories.ids_by_name(conn, [repo]))[repo]
        await conn.execute(
            update(a)
            .where(a.c.repository_id == repo_id, a.c.number == number)
            .values(is_open=False, state="fixed", closed_at=at, updated_at=at)
        )
        del r


async def test_a_week_of_work_reads_as_resolved_fixers_milestones_cleared_and_blockers(
    svc: CampaignService, assignments: AssignmentService, clock: FakeClock, inventory: AsyncEngine
) -> None:
    campaign = await create(svc, clock, LAUNCH, name="Critical <!channel>")
    await assign(assignments, campaign, {"UALICE": ["acme/api#code-1", "acme/api#code-2"]})
    async with inventory.begin() as conn:  # web's writers are linked, api's are not
        ids = await repositories.ids_by_name(conn, ["acme/web", "acme/api"])
        await writer_store.replace(conn, ids["acme/web"], {"alice": "push"})
        await writer_store.replace(conn, ids["acme/api"], {"ghost": "push"})
        await identities.save(conn, Identity(slack_user_id="UALICE", github_login="alice"))
    await close(inventory, "acme/web", 1, LAUNCH + timedelta(days=2))  # long ago
    await close(inventory, "acme/api", 1, MONDAY - timedelta(days=2))  # this week
    await close(inventory, "acme/api", 2, MONDAY - timedelta(days=1))  # clears api
    clock.now = MONDAY

    progress = await svc.progress(campaign)
    facts = await digest_facts(inventory, campaign, progress, MONDAY)

    assert facts.closed_this_week == 2 and not facts.quiet
    assert facts.top_fixers == [("UALICE", 2)]
    assert facts.cleared == ["acme/api"]
    assert facts.milestones == [25, 50]  # 1 of 6 (16%) → 3 of 6 (50%) closed
    assert facts.stalled == ["acme/web"]  # its last close was 19 days ago (over 14)
    assert facts.unreachable == []  # api is cleared; web has alice
    assert facts.burndown.remaining[0] == 6 and facts.burndown.remaining[-1] == 3
    text, blocks = digest(campaign, progress, facts)
    mrkdwn = [b["text"]["text"] for b in blocks if b.get("text", {}).get("type") == "mrkdwn"]
    shown = "\n".join([text, *mrkdwn])  # (a header is plain text: shown literally by Slack)
    assert "<!channel>" not in shown and "&lt;!channel&gt;" in shown
    assert "2 resolved" in shown and "<@UALICE> (2)" in shown
    assert burndown_png(facts.burndown, "t").startswith(b"\x89PNG")


async def test_a_quiet_week_says_so_in_one_line_and_names_what_blocks(
    svc: CampaignService, clock: FakeClock, inventory: AsyncEngine
) -> None:
    campaign = await create(svc, clock, LAUNCH)
    async with inventory.begin() as conn:
        ids = await repositories.ids_by_name(conn, ["acme/api"])
        await writer_store.replace(conn, ids["acme/api"], {"ghost": "push"})
    clock.now = MONDAY

    progress = await svc.progress(campaign)
    facts = await digest_facts(inventory, campaign, progress, MONDAY)

    assert facts.quiet and facts.closed_this_week == 0
    assert facts.stalled == ["acme/api", "acme/web"]  # 21 days without a close or a fix
    assert facts.unreachable == ["acme/api", "acme/web"]  # ghost is not linked; web has nobody
    text, blocks = digest(campaign, progress, facts)
    assert "No change this week: still 6 open" in text
    assert "no writer linked to Slack" in json.dumps(blocks)
