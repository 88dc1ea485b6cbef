"""`campaignbot demo`: the demo organization plus campaigns at different stages of their life.

Campaigns are created as if on past days (the service takes a clock), then developer work is
simulated: some alerts fixed on days since the launch, some with a fix branch (in progress).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.campaigns.ports import CLI_ACTOR, AdminList
from bot.campaigns.requests import CreateRequest
from bot.campaigns.service import CampaignService
from bot.core.clock import system_clock
from bot.core.models import FixLink
from bot.core.settings import Settings
from bot.demo import organization as demo
from store import alerts as alert_store
from store import campaigns as campaign_store
from store import fix_links

DEMO_MANAGER = "U0DEMOMGR"


@dataclass(frozen=True)
class Stage:
    name: str
    template: str
    description: str
    started_days_ago: int
    due_in_days: int
    fixed_share: float
    in_progress_share: float
    closed: bool = False


STAGES = (
    Stage(
        "Critical code alerts",
        "critical",
        "Every critical alert in application code, fixed before the Q4 audit.",
        35,
        25,
        0.75,
        0.1,
    ),
    Stage(
        "Stop SQL injection",
        "sql-injection",
        "Parameterize every query built from user input. Guide: https://cheatsheetseries.owasp.org",
        20,
        25,
        0.12,
        0.2,
    ),
    Stage(
        "Revoke active AWS keys",
        "aws",
        "Rotate and revoke every AWS key still accepted.",
        50,
        -5,
        0.7,
        0.1,
    ),
    Stage(
        "Publicly leaked secrets",
        "publicly-leaked",
        "Secrets found in public places: revoke first, then clean history.",
        60,
        -20,
        1.0,
        0.0,
        closed=True,
    ),
)


async def build_demo(engine: AsyncEngine, settings: Settings, *, seed: int = 7) -> str:
    now = system_clock().replace(microsecond=0)
    data = demo.generate_org(seed=seed, now=now)
    report = await demo.load(engine, data)
    manager = next(iter(sorted(settings.admin_ids)), DEMO_MANAGER)
    existing = await CampaignService(engine, settings).list_campaigns(include_closed=True)
    lines = [report.summary()]
    if existing:
        lines.append(f"{len(existing)} campaigns already exist; no demo campaigns added")
        return "\n".join(lines)
    rng = random.Random(seed)
    for stage in STAGES:
        number = await _stage(engine, settings, stage, now, manager, rng)
        lines.append(f"campaign #{number}: {stage.name}")
    lines.append("try: campaignbot campaigns, campaignbot show 1")
    return "\n".join(lines)


async def _stage(
    engine: AsyncEngine,
    settings: Settings,
    stage: Stage,
    now: datetime,
    manager: str,
    rng: random.Random,
) -> int:
    started = now - timedelta(days=stage.started_days_ago)
    service = CampaignService(
        engine,
        settings,
        directory=AdminList(settings.admin_ids | {manager, CLI_ACTOR}),
        clock=lambda: started,
    )
    due: date = (now + timedelta(days=stage.due_in_days)).date()
    created = await service.create(
        CLI_ACTOR,
        CreateRequest(
            name=stage.name,
            description=stage.description,
            due_date=due,
            manager=manager,
            template=stage.template,
            continue_big=True,
        ),
    )
    number = created.campaign.number
    await _simulate_work(engine, number, stage, started, now, rng)
    if stage.closed:
        closing = CampaignService(engine, settings, clock=lambda: now - timedelta(days=3))
        await closing.close(CLI_ACTOR, str(number))
    return number


async def _simulate_work(
    engine: AsyncEngine,
    campaign_id: int,
    stage: Stage,
    started: datetime,
    now: datetime,
    rng: random.Random,
) -> None:
    """Fix a share of the campaign's alerts on days since its start; branch a few more."""
    async with engine.begin() as conn:
        members = await campaign_store.alert_ids(conn, campaign_id)
        rng.shuffle(members)
        fixed = round(len(members) * stage.fixed_share)
        branched = round(len(members) * stage.in_progress_share)
        span = max(1, (now - started).days)
        changes = [
            (
                alert_id,
                "fixed" if kind == "code" else "resolved",
                started + timedelta(days=rng.uniform(0.5, span), hours=rng.randint(0, 8)),
            )
            for alert_id, kind in members[:fixed]
        ]
        await alert_store.set_states(conn, changes)
        await fix_links.add_many(
            conn,
            [
                FixLink(
                    alert_id=alert_id,
                    kind="branch",
                    ref=f"demo-fix-{alert_id}",
                    created_at=started + timedelta(days=rng.uniform(0, span)),
                )
                for alert_id, _ in members[fixed : fixed + branched]
            ],
        )
