"""Fixtures of the campaign service tests: a small inventory and a service on it."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.assignments.service import AssignmentService
from bot.campaigns.requests import CreateRequest
from bot.campaigns.service import CampaignService
from bot.core.errors import CampaignError
from bot.core.models import Alert
from bot.core.settings import Settings
from store import alerts, repositories
from tests.builders import code_alert, repo, secret_alert

ADMIN = "UADMIN"
MANAGER = "UMANAGER"
DEV = "UDEV"
DUE = date(2026, 12, 15)


class StrictGate:
    """Stands in for GitHub's write-access check: only listed users may be assigned."""

    def __init__(self, writers: set[str]) -> None:
        self.writers = writers
        self.written: list[tuple[str, str | None]] = []

    async def vet(self, alert: Alert, assignee: str) -> str | None:
        if assignee not in self.writers:
            raise CampaignError(f"<@{assignee}> has no write access to {alert.repository}.")
        return assignee

    async def write_back(self, alert: Alert, login: str | None) -> None:
        self.written.append((alert.reference, login))

    async def login_exists(self, login: str) -> bool:
        return not login.startswith("ghost")

    async def create_fix_branch(self, alert: Alert) -> tuple[str, str] | None:
        del alert
        return None


@pytest.fixture
def settings() -> Settings:
    return Settings(campaign_admins=f"{ADMIN},{MANAGER}", max_active_campaigns=3)


@pytest.fixture
async def inventory(engine: AsyncEngine) -> AsyncEngine:
    """Three repositories: web (pushed last), api, legacy (pushed long ago)."""
    async with engine.begin() as conn:
        await repositories.upsert_many(
            conn,
            [
                repo("acme/web", pushed_at=datetime(2026, 10, 30, tzinfo=UTC)),
                repo("acme/api", pushed_at=datetime(2026, 9, 1, tzinfo=UTC)),
                repo("acme/legacy", pushed_at=datetime(2025, 1, 1, tzinfo=UTC)),
            ],
        )
        await alerts.upsert_many(
            conn,
            [
                code_alert("acme/web", 1, security_severity="critical"),
                code_alert("acme/web", 2, security_severity="critical"),
                code_alert("acme/api", 1, security_severity="critical"),
                code_alert("acme/legacy", 1, security_severity="critical"),
                code_alert("acme/web", 3, security_severity="low"),
                code_alert("acme/web", 4, security_severity="critical", state="fixed"),
                secret_alert("acme/web", 1),
            ],
        )
    return engine


@pytest.fixture
def svc(inventory: AsyncEngine, settings: Settings, now: datetime) -> CampaignService:
    return CampaignService(inventory, settings, clock=lambda: now)


@pytest.fixture
def assign(svc: CampaignService) -> AssignmentService:
    return AssignmentService(svc, StrictGate({DEV, MANAGER}))


def request(**fields: object) -> CreateRequest:
    values: dict[str, object] = {
        "name": "Critical alerts",
        "description": "Fix every critical alert before the audit.",
        "due_date": DUE,
        "manager": MANAGER,
        "query": "is:open severity:critical",
    }
    values.update(fields)
    return CreateRequest(**values)  # type: ignore[arg-type]
