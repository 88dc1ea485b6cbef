"""Progress and `mine` from their set-based queries equal the rules applied alert by alert.

The world: 48 critical code alerts over five repositories in two campaigns (one in a time zone
whose date is a day behind UTC's), then closes spread over three weeks (some with only
`updated_at`, some on the edges of the burn window and the week), fix links on open and on
closed alerts, and assignments of open, in-progress and closed alerts to two people.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import exists, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.assignments.service import MINE_PER_CAMPAIGN, AssignmentService
from bot.campaigns.service import CampaignService
from bot.core import progress as progress_math
from bot.core.models import (
    AlertStatus,
    Assignment,
    Campaign,
    FixLink,
    Progress,
    RepositoryProgress,
    StatusCounts,
)
from bot.core.settings import Settings
from commands.alerts.views import MINE_CARDS, mine_blocks
from store import alert_pages, alerts, fix_links, repositories, schema
from store import campaigns as campaign_store
from store.times import utc
from tests.builders import code_alert, repo
from tests.campaigns.conftest import ADMIN, DEV, MANAGER, StrictGate, request

REPOSITORIES = ("acme/web", "acme/api", "Acme/Billing", "acme/docs", "acme/zeta")
OTHER = "UOTHER"


@pytest.fixture
async def world(engine: AsyncEngine, now: datetime) -> tuple[CampaignService, list[Campaign]]:
    async with engine.begin() as conn:
        await repositories.upsert_many(conn, [repo(name) for name in REPOSITORIES])
        await alerts.upsert_many(
            conn,
            [
                code_alert(name, number, security_severity="critical")
                for index, name in enumerate(REPOSITORIES)
                for number in range(1, 4 + 2 * index)
            ],
        )
    settings = Settings(campaign_admins=f"{ADMIN},{MANAGER}", max_active_campaigns=3)
    svc = CampaignService(engine, settings, clock=lambda: now)
    first = (await svc.create(ADMIN, request(query="is:open repo:acme/web,acme/api"))).campaign
    second = (
        await svc.create(
            ADMIN,
            request(name="Behind", query="is:open -repo:acme/web", timezone="Pacific/Honolulu"),
        )
    ).campaign
    async with engine.begin() as conn:
        a = schema.alerts
        closes, quiet, linked = [], [], []
        for campaign in (first, second):
            ids = [
                alert_id for alert_id, _ in await campaign_store.alert_ids(conn, campaign.number)
            ]
            # The first and last moments (UTC) of the days on each side of the week's and the
            # burn window's first day, in the campaign's own calendar; then older closes.
            today = now.astimezone(ZoneInfo(campaign.timezone)).date()
            edges = [
                datetime.combine(today - timedelta(days=back), clock, UTC)
                for back in (6, 7, 13, 14)
                for clock in (time(0, 0), time(23, 59, 59))
            ]
            for index, alert_id in enumerate(ids):
                if index % 3 == 0:  # closes on the edges, then back over three weeks
                    when = edges.pop() if edges else now - timedelta(days=index, hours=index % 11)
                    closes.append((alert_id, "fixed", when))
                elif index % 7 == 2:  # closed without a closed_at: updated_at counts
                    quiet.append(alert_id)
                if index % 4 == 1 or index % 6 == 0:  # open ones in progress, closed with a fix
                    linked.append(alert_id)
        await alerts.set_states(conn, closes)
        await conn.execute(
            update(a)
            .where(a.c.id.in_(quiet))
            .values(is_open=False, state="dismissed", closed_at=None, updated_at=now)
        )
        await fix_links.add_many(
            conn,
            [
                FixLink(alert_id=alert_id, kind="branch", ref=f"fix-{alert_id}", created_at=now)
                for alert_id in linked
            ]
            + [FixLink(alert_id=linked[0], kind="pull_request", ref="7", created_at=now)],
        )
        for campaign in (first, second):
            members = await campaign_store.alert_ids(conn, campaign.number)
            for position, (alert_id, _) in enumerate(members):
                await campaign_store.set_assignment(
                    conn,
                    Assignment(
                        campaign_id=campaign.number,
                        alert_id=alert_id,
                        assignee=DEV if position % 3 else OTHER,
                        assigned_by=ADMIN,
                        assigned_at=now,
                    ),
                )
    return svc, [first, second]


async def expected_progress(
    svc: CampaignService, campaign: Campaign, *, with_repositories: bool
) -> Progress:
    """The rule alert by alert (ARCHITECTURE §4), then the pure progress math on close dates."""
    a, ca, r, fl = schema.alerts, schema.campaign_alerts, schema.repositories, schema.fix_links
    stmt = (
        select(
            r.c.full_name,
            a.c.is_open,
            exists().where(fl.c.alert_id == a.c.id).label("has_fix"),
            a.c.closed_at,
            a.c.updated_at,
        )
        .select_from(ca.join(a, a.c.id == ca.c.alert_id).join(r, r.c.id == ca.c.repository_id))
        .where(ca.c.campaign_id == campaign.number)
    )
    async with svc.engine.connect() as conn:
        rows = (await conn.execute(stmt)).all()
    counts = StatusCounts()
    per_repository: dict[str, StatusCounts] = {}
    closed_dates: list[date] = []
    for name, is_open, has_fix, closed_at, updated_at in rows:
        status = (
            AlertStatus.CLOSED
            if not is_open
            else AlertStatus.IN_PROGRESS
            if has_fix
            else AlertStatus.OPEN
        )
        for tally in (counts, per_repository.setdefault(name, StatusCounts())):
            setattr(tally, status.value, getattr(tally, status.value) + 1)
        moment = utc(closed_at or updated_at)
        if not is_open and moment is not None:
            closed_dates.append(moment.date())
    zone = ZoneInfo(campaign.timezone)
    return progress_math.compute(
        campaign_id=campaign.number,
        counts=counts,
        repositories=[
            RepositoryProgress(name=name, **tally.model_dump())
            for name, tally in per_repository.items()
        ]
        if with_repositories
        else [],
        closed_dates=closed_dates,
        due=campaign.due_date,
        today=svc.clock().astimezone(zone).date(),
        started=campaign.created_at.astimezone(zone).date(),
    )


async def test_progress_equals_the_rule_alert_by_alert(
    world: tuple[CampaignService, list[Campaign]],
) -> None:
    svc, campaigns = world
    for with_repositories in (True, False):
        found = await svc.progress_many(campaigns, repositories=with_repositories)
        wanted = [
            await expected_progress(svc, campaign, with_repositories=with_repositories)
            for campaign in campaigns
        ]
        assert found == wanted
    # The world is what it says: every status, closes inside and outside the windows.
    for each in wanted:
        assert each.counts.open and each.counts.in_progress and each.counts.closed
    behind = wanted[1]
    assert 0 < behind.closed_in_period < behind.burn_rate * progress_math.BURN_WINDOW_DAYS
    assert behind.burn_rate * progress_math.BURN_WINDOW_DAYS < behind.counts.closed
    assert await svc.progress(campaigns[1]) == await expected_progress(
        svc, campaigns[1], with_repositories=True
    )


async def test_progress_of_no_campaign_and_of_an_empty_one(
    world: tuple[CampaignService, list[Campaign]],
) -> None:
    svc, campaigns = world
    assert await svc.progress_many([]) == []
    async with svc.engine.begin() as conn:
        await conn.execute(
            schema.campaign_alerts.delete().where(
                schema.campaign_alerts.c.campaign_id == campaigns[0].number
            )
        )
    [empty] = await svc.progress_many(campaigns[:1])
    assert empty.counts == StatusCounts() and empty.repositories == []


async def test_mine_equals_each_campaigns_page_of_the_persons_alerts(
    world: tuple[CampaignService, list[Campaign]],
) -> None:
    svc, campaigns = world
    people = AssignmentService(svc, StrictGate({DEV}))
    for person in (DEV, OTHER, "UNOBODY"):
        wanted = []
        for campaign in campaigns:
            items, _ = await svc.alerts(campaign, assignee=person, limit=MINE_PER_CAMPAIGN)
            still_open = [item for item in items if item.status is not AlertStatus.CLOSED]
            if still_open:
                wanted.append((campaign, still_open))
        assert await people.mine(person) == wanted
    mine = await people.mine(DEV)
    assert sum(len(items) for _, items in mine) > 4
    assert any(item.status is AlertStatus.IN_PROGRESS for _, items in mine for item in items)
    capped = await people.mine(DEV, limit=4)
    assert [item for _, items in capped for item in items] == [
        item for _, items in mine for item in items
    ][:4]


async def test_open_assigned_keeps_at_most_per_campaign_of_each(
    world: tuple[CampaignService, list[Campaign]],
) -> None:
    svc, campaigns = world
    everything = await AssignmentService(svc, StrictGate({DEV})).mine(DEV)
    async with svc.engine.connect() as conn:
        numbers = [campaign.number for campaign in campaigns]
        held = await alert_pages.open_assigned(conn, DEV, numbers, per_campaign=2)
        assert await alert_pages.open_assigned(conn, DEV, [], per_campaign=2) == {}
        assert await alert_pages.open_assigned(conn, DEV, numbers, per_campaign=2, limit=0) == {}
    assert held == {campaign.number: items[:2] for campaign, items in everything}


async def test_mine_message_shows_the_same_with_only_the_cards_that_fit(
    world: tuple[CampaignService, list[Campaign]], now: datetime
) -> None:
    svc, _ = world
    people = AssignmentService(svc, StrictGate({DEV}))
    everything = await people.mine(DEV)
    many = [(campaign, items * 3) for campaign, items in everything]  # more than a message holds
    capped, left = [], MINE_CARDS
    for campaign, items in many:
        if left:
            capped.append((campaign, items[:left]))
            left -= len(items[:left])
    shown = mine_blocks(many, viewer=DEV, now=now)
    assert len(shown) == 49
    assert mine_blocks(capped, viewer=DEV, now=now) == shown


def test_progress_windows_count_closes_by_their_utc_day() -> None:
    today = date(2026, 11, 2)
    days = [today - timedelta(days=n) for n in range(20)]
    counted = progress_math.compute(
        campaign_id=1,
        counts=StatusCounts(open=5, closed=20),
        repositories=[],
        closed_dates=days,
        due=date(2026, 12, 1),
        today=today,
    )
    direct = progress_math.compute_counted(
        campaign_id=1,
        counts=StatusCounts(open=5, closed=20),
        repositories=[],
        closed_recently=progress_math.BURN_WINDOW_DAYS,
        closed_in_period=7,
        due=date(2026, 12, 1),
        today=today,
    )
    assert counted == direct
    assert counted.burn_rate == 1.0 and counted.closed_in_period == 7


def test_utc_midnight_bounds() -> None:
    from bot.campaigns.queries import _utc_midnight

    assert _utc_midnight(date(2026, 11, 2), 1) == datetime(2026, 11, 3, tzinfo=UTC)
    assert _utc_midnight(date(2026, 11, 2), -13) == datetime(2026, 10, 20, tzinfo=UTC)
