"""The clock jobs inside `campaignbot run` (issue 10): the scheduler asks what is due on its own,
and the deliverer sends it; `/metrics` tells Prometheus what happened."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import aiohttp

from bot.campaigns.requests import CreateRequest
from bot.campaigns.service import CampaignService
from bot.core.settings import Settings
from bot.metrics import REGISTRY
from store.engine import create_engine
from store.migrate import upgrade
from tests.commands.conftest import seed
from tests.fakes.fixtures import ADMIN_ID, SettingsFactory, StartApp
from tests.fakes.slack import FakeSlack

CHANNEL = "C0SECURITY"
CREATED = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
DUE = date(2026, 12, 21)
SEVEN_DAYS_BEFORE = datetime(2026, 12, 14, 9, 20, tzinfo=UTC)


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def campaign_created_earlier(settings: Settings) -> None:
    """A campaign made on 1 December, as it would have been by a security manager."""
    engine = create_engine(settings.database_url)
    await upgrade(engine)
    service = CampaignService(engine, settings, clock=lambda: CREATED)
    await service.create(
        ADMIN_ID,
        CreateRequest(
            name="Critical",
            description="Fix the critical alerts.",
            due_date=DUE,
            manager=ADMIN_ID,
            query="is:open severity:critical",
            channel=CHANNEL,
        ),
    )
    await engine.dispose()


async def test_the_running_bot_posts_the_reminder_that_is_due_once_and_counts_it(
    start_app: StartApp, app_settings: SettingsFactory, fake_slack: FakeSlack
) -> None:
    settings = app_settings()
    await seed(settings.database_url)
    await campaign_created_earlier(settings)
    fake_slack.add_channel(CHANNEL, name="security")
    now = [SEVEN_DAYS_BEFORE]
    sent_before = sample("campaignbot_notices_total", kind="reminder", outcome="sent")

    app = await start_app(database_url=settings.database_url, clock=lambda: now[0])

    def reminders() -> list[object]:
        return [
            call
            for call in fake_slack.calls("chat.postMessage", ok=True)
            if "due in 7 days" in str(call.args.get("text"))
        ]

    await fake_slack.wait_until(lambda: len(reminders()) == 1)
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{app.url}/metrics") as response:
            assert response.status == 200
            assert response.headers["Content-Type"].startswith("text/plain")
            metrics = await response.text()
        async with http.get(f"{app.url}/healthz") as response:
            health = await response.json()
    # The registry is the process's: compare with before this app started.
    assert sample("campaignbot_notices_total", kind="reminder", outcome="sent") == sent_before + 1
    assert 'campaignbot_job_runs_total{job="reminders",outcome="ok"}' in metrics
    assert "campaignbot_outbox_failed 0.0" in metrics
    assert "campaignbot_outbox_pending " in metrics
    assert "campaignbot_slack_ack_seconds_bucket" in metrics
    assert health["checks"]["scheduler"] == "ok"

    # A restart later the same day finds the reminder sent: nothing twice.
    await app.shutdown()
    now[0] = SEVEN_DAYS_BEFORE + timedelta(hours=3)
    await start_app(database_url=settings.database_url, clock=lambda: now[0])
    await fake_slack.wait_for("auth.test", 2)
    assert len(reminders()) == 1
