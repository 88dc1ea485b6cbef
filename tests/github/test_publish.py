"""Publishing campaigns to GitHub's campaigns API: create, edit, close, reopen, delete."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.campaigns.requests import CreateRequest, EditRequest
from bot.campaigns.service import CampaignService
from bot.core.models import Campaign, Identity
from bot.core.settings import Settings
from bot.github.auth import TokenAuth
from bot.github.client import GitHubClient
from bot.github.publish import GitHubPublisher
from bot.github.sync import sync
from store import identities
from store.engine import create_engine
from store.migrate import upgrade
from tests.commands.conftest import CHANNEL, SlackDriver, input_values
from tests.fakes.fixtures import StartApp
from tests.fakes.github import FakeGitHub
from tests.fakes.signing import SlackSigner
from tests.fakes.slack import FakeSlack
from tests.github.support import FakeTime

ADMIN = "UADMIN"
MANAGER = "UMANAGER"
CAMPAIGNS = "/orgs/acme/campaigns"


@pytest.fixture(autouse=True)
def organization(fake: FakeGitHub) -> None:
    """Two repositories, each with two code alerts and a secret."""
    for name in ("web", "api"):
        fake.add_repo(name)
        fake.add_code_alert(name, rule_id="js/xss")
        fake.add_code_alert(name, rule_id="js/xss")
        fake.add_secret_alert(name)


@pytest.fixture
async def service(
    engine: AsyncEngine, fake: FakeGitHub, time: FakeTime
) -> AsyncIterator[CampaignService]:
    async with aiohttp.ClientSession() as session:
        client = GitHubClient(
            session, TokenAuth(fake.token), base_url=fake.url, sleep=time.sleep, clock=time.clock
        )
        await sync(engine, client, "acme", clock=time.clock)
        async with engine.begin() as conn:
            await identities.save(conn, Identity(slack_user_id=MANAGER, github_login="sec-lead"))
        settings = Settings(
            _env_file=None, campaign_admins=f"{ADMIN},{MANAGER}", github_publish_campaigns=True
        )
        svc = CampaignService(engine, settings, clock=time.clock)
        svc.observers.append(GitHubPublisher(engine, client, "acme"))
        yield svc


async def create(service: CampaignService, query: str, manager: str = MANAGER) -> Campaign:
    created = await service.create(
        ADMIN,
        CreateRequest(
            name="XSS sweep",
            description="Fix every cross-site scripting alert",
            due_date=date(2025, 4, 30),
            manager=manager,
            query=query,
            contact_link="https://wiki.example.com/xss",
        ),
    )
    return await service.resolve(str(created.campaign.number))


async def test_a_code_campaign_is_published_and_follows_edits_close_reopen_delete(
    service: CampaignService, fake: FakeGitHub
) -> None:
    campaign = await create(service, "is:open rule:js/xss")

    assert campaign.github_number == 1
    [sent] = [r.json for r in fake.requests_to(CAMPAIGNS, "POST")]
    ids = {name: fake.repos[f"acme/{name}"]["id"] for name in ("web", "api")}
    assert sent == {
        "name": "XSS sweep",
        "description": "Fix every cross-site scripting alert",
        "ends_at": "2025-04-30T23:59:59Z",
        "contact_link": "https://wiki.example.com/xss",
        "managers": ["sec-lead"],
        "code_scanning_alerts": sorted(
            [
                {"repository_id": ids["web"], "alert_numbers": [1, 2]},
                {"repository_id": ids["api"], "alert_numbers": [1, 2]},
            ],
            key=lambda group: group["repository_id"],
        ),
    }
    published = fake.campaigns["acme"][1]
    assert published["state"] == "open" and published["managers"][0]["login"] == "sec-lead"

    await service.edit(ADMIN, "1", EditRequest(name="XSS sweep (Q2)", due_date=date(2025, 5, 31)))
    assert (published["name"], published["ends_at"]) == ("XSS sweep (Q2)", "2025-05-31T23:59:59Z")

    await service.close(ADMIN, "1")
    assert published["state"] == "closed" and published["closed_at"] is not None
    await service.reopen(ADMIN, "1")
    assert published["state"] == "open" and published["closed_at"] is None

    await service.delete(ADMIN, "1", confirm_name="XSS sweep (Q2)")
    assert fake.campaigns["acme"] == {}


async def test_a_manager_without_a_github_login_is_left_out(
    service: CampaignService, fake: FakeGitHub
) -> None:
    await create(service, "is:open rule:js/xss", manager=ADMIN)

    [sent] = [r.json for r in fake.requests_to(CAMPAIGNS, "POST")]
    assert "managers" not in sent and fake.campaigns["acme"][1]["managers"] == []


async def test_a_secret_campaign_is_not_published(
    service: CampaignService, fake: FakeGitHub, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.github.publish")

    campaign = await create(service, "is:open kind:secret")

    assert campaign.github_number is None and fake.requests_to(CAMPAIGNS) == []
    assert "documents no schema for secret-scanning alerts" in caplog.text


async def test_a_refused_publication_leaves_the_campaign_here(
    service: CampaignService, fake: FakeGitHub, caplog: pytest.LogCaptureFixture
) -> None:
    fake.revoke_token()

    campaign = await create(service, "is:open rule:js/xss")

    assert campaign.github_number is None
    assert "publishing created of campaign" in caplog.text
    assert fake.token not in caplog.text


async def test_the_running_app_publishes_a_campaign_created_in_slack(
    start_app: StartApp,
    fake_slack: FakeSlack,
    slack_signer: SlackSigner,
    fake: FakeGitHub,
    tmp_path: Path,
) -> None:
    """`campaignbot run` with GitHub connected wires the publisher (and the gate) itself."""
    fake.clock = lambda: datetime.now(UTC)
    database = f"sqlite+aiosqlite:///{tmp_path}/app.db"
    engine = create_engine(database)
    await upgrade(engine)
    async with aiohttp.ClientSession() as session:
        await sync(engine, GitHubClient(session, TokenAuth(fake.token), base_url=fake.url), "acme")
    await engine.dispose()
    fake_slack.add_channel(CHANNEL, name="security")
    app = await start_app(
        database_url=database,
        campaign_admins=ADMIN,
        github_org="acme",
        github_token=fake.token,
        github_api_url=fake.url,
        github_publish_campaigns=True,
    )
    async with aiohttp.ClientSession() as http:
        slack = SlackDriver(app, fake_slack, slack_signer, http)
        opened = await slack.command_opening_modal("new", user=ADMIN)
        fields = {
            "name": "XSS sweep",
            "description": "Fix every cross-site scripting alert",
            "due_date": (date.today() + timedelta(days=30)).isoformat(),
            "manager": ADMIN,
            "channel": CHANNEL,
            "query": "is:open rule:js/xss",
        }
        view = opened.args["view"] | {"id": "V1"}
        answer = await slack.submit(view, input_values(**fields), user=ADMIN)
        assert answer == {}
        await fake_slack.wait_for("chat.postMessage")

    [published] = fake.campaigns["acme"].values()
    assert published["name"] == "XSS sweep" and len(published["_alerts"]) == 2
