"""What the webhook tests (tests/github/test_webhook_*.py) share: the app's webhook secret and
path, the `Hooks` that deliver to it, the organization they deliver events about (`webhook_org`),
how they find a stored alert, and an XSS campaign. The `hooks` fixture is in
tests/github/conftest.py.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import aiohttp
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.campaigns.requests import CreateRequest
from bot.campaigns.service import CampaignService
from bot.core.models import AlertKind, AlertRef, Campaign
from bot.github.webhooks import Outcome
from store import alerts
from tests.fakes.fixtures import ADMIN_ID, RunningApp
from tests.fakes.github import FakeGitHub
from tests.fakes.signing import github_headers

SECRET = "webhook-secret-0123456789"
HOOK = "/github/webhooks"
CHANNEL = "C0000SEC"


@dataclass
class Hooks:
    """The running app with webhooks on, its database, and a way to deliver and wait."""

    app: RunningApp
    http: aiohttp.ClientSession
    engine: AsyncEngine
    outcomes: asyncio.Queue[Outcome]

    async def deliver(
        self,
        event: str,
        payload: Any,
        *,
        delivery: str | None = None,
        secret: str = SECRET,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, dict[str, Any]]:
        body = json.dumps(payload)
        sent = (
            headers
            if headers is not None
            else github_headers(secret, body, event=event, delivery=delivery)
        )
        async with self.http.post(self.app.url + HOOK, data=body, headers=sent) as response:
            return response.status, await response.json()

    async def processed(self) -> Outcome:
        return await asyncio.wait_for(self.outcomes.get(), 10)

    async def apply(self, event: str, payload: Any) -> Outcome:
        status, _ = await self.deliver(event, payload)
        assert status == 202
        return await self.processed()


@pytest.fixture
async def webhook_org() -> AsyncIterator[FakeGitHub]:
    """web with three XSS code alerts and a secret, api with one XSS code alert. The webhook test
    modules take it as their `fake` (`fake = webhook_org`), in place of the empty one of
    tests/github/conftest.py, so that `hooks` syncs it."""
    async with FakeGitHub() as gh:
        gh.add_repo("web")
        gh.add_repo("api")
        for _ in range(3):
            gh.add_code_alert("web", rule_id="js/xss")
        gh.add_code_alert("api", rule_id="js/xss")
        gh.add_secret_alert("web")
        yield gh


async def find(engine: AsyncEngine, repository: str, kind: AlertKind, number: int) -> Any:
    async with engine.connect() as conn:
        found = await alerts.find(conn, AlertRef(repository=repository, kind=kind, number=number))
    return found[0] if found else None


async def xss_campaign(hooks: Hooks) -> tuple[CampaignService, Campaign]:
    service = CampaignService(hooks.engine, hooks.app.settings)
    created = await service.create(
        ADMIN_ID,
        CreateRequest(
            name="XSS",
            description="Fix cross-site scripting",
            due_date=date.today() + timedelta(days=30),
            manager=ADMIN_ID,
            query="is:open rule:js/xss",
            channel=CHANNEL,
        ),
    )
    return service, created.campaign
