"""Issue 9's "Done means", end to end against the fakes: a linked developer gets one DM when a
campaign starts, claims an alert with one click, GitHub shows them as its assignee, *Start fix*
makes the branch and the campaign counts it in progress, and a fixed alert tells them once. A
person without write access is refused with GitHub's reason.

The bot runs as `campaignbot run` would (HTTP mode, GitHub connected, webhooks on); `sync` and
`create` run as CLI processes on the same database, as a security team would use them.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.campaigns.service import CampaignService
from bot.github.webhooks import Outcome
from commands.shared import ids
from store.engine import create_engine
from tests.fakes.fixtures import ADMIN_ID, BOT_TOKEN, RunningApp, StartApp
from tests.fakes.github import FakeGitHub
from tests.fakes.signing import SlackSigner, button, github_headers
from tests.fakes.slack import FakeSlack

ROOT = Path(__file__).resolve().parents[2]
SECRET = "webhook-secret-0123456789"
CHANNEL = "C0SECURITY"
DEV, READER = "U00000DEV", "U000READER"


@dataclass
class World:
    app: RunningApp
    fake: FakeGitHub
    slack: FakeSlack
    signer: SlackSigner
    http: aiohttp.ClientSession
    env: dict[str, str]
    outcomes: asyncio.Queue[Outcome]
    workdir: Path

    async def cli(self, *args: str) -> Any:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            *args,
            "--json",
            cwd=self.workdir,  # no stray .env
            env=self.env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await process.communicate()
        assert process.returncode == 0, err.decode()
        return json.loads(out)

    async def click(self, action_id: str, value: str, user: str, channel: str) -> str:
        """Press a button in `channel` (a DM or a channel); the text the person reads back."""
        url = self.slack.response_url()
        request = self.signer.block_actions(
            button(action_id, value), user_id=user, response_url=url, channel_id=channel
        )
        async with self.http.post(
            f"{self.app.url}/slack/events", data=request.body, headers=request.headers
        ) as response:
            assert response.status == 200
        hook = url.rsplit("/", 1)[-1]
        await self.slack.wait_until(lambda: bool(self.slack.hook_calls(hook)))
        reply = self.slack.hook_calls(hook)[0].args
        return json.dumps(reply.get("blocks") or []) + str(reply.get("text") or "")

    async def webhook(self, event: str, payload: dict[str, Any]) -> Outcome:
        body = json.dumps(payload)
        async with self.http.post(
            f"{self.app.url}/github/webhooks",
            data=body,
            headers=github_headers(SECRET, body, event=event),
        ) as response:
            assert response.status == 202
        return await asyncio.wait_for(self.outcomes.get(), 10)

    def dms_to(self, user: str) -> list[Any]:
        channel = self.slack.dm_channel(user)
        return [
            c for c in self.slack.calls("chat.postMessage", ok=True) if c.args["channel"] == channel
        ]


@pytest.fixture
async def world(
    start_app: StartApp, fake_slack: FakeSlack, slack_signer: SlackSigner, tmp_path: Path
) -> AsyncIterator[World]:
    async with FakeGitHub() as fake, aiohttp.ClientSession() as http:
        fake.add_repo("web")
        fake.add_code_alert("web", rule_id="js/xss")
        fake.add_code_alert("web", rule_id="js/xss")
        fake.add_collaborator("web", "dev-login", "write")
        fake.add_collaborator("web", "reader-login", "read")
        fake.add_collaborator("web", "ghost-login", "maintain")  # no Slack identity anywhere
        fake.set_public_email("dev-login", "dev@acme.example")
        fake.set_public_email("reader-login", "reader@acme.example")
        fake_slack.add_user(DEV, email="dev@acme.example")
        fake_slack.add_user(READER, email="reader@acme.example")
        fake_slack.add_user(ADMIN_ID)
        fake_slack.add_channel(CHANNEL, name="security")
        (tmp_path / "people.csv").write_text(f"github_login,slack_user_id\nreader-login,{READER}\n")
        github = {
            "github_org": "acme",
            "github_token": fake.token,
            "github_api_url": fake.url,
        }
        outcomes: asyncio.Queue[Outcome] = asyncio.Queue()
        app = await start_app(
            github_webhook_secret=SECRET, on_webhook=outcomes.put_nowait, **github
        )
        env = {
            **os.environ,
            "DATABASE_URL": app.settings.database_url,
            "CAMPAIGN_ADMINS": ADMIN_ID,
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_API_URL": fake_slack.api_url,
            "GITHUB_ORG": "acme",
            "GITHUB_TOKEN": fake.token,
            "GITHUB_API_URL": fake.url,
            "PYTHONPATH": str(ROOT),
        }
        yield World(app, fake, fake_slack, slack_signer, http, env, outcomes, tmp_path)


async def test_a_developer_is_told_claims_starts_a_fix_and_hears_it_was_fixed(
    world: World,
) -> None:
    synced = await world.cli("sync")
    # Only writers are matched: the reader cannot push, so nobody looked them up.
    assert synced["linked_by_email"] == [f"dev-login → {DEV}"]
    assert synced["writers"]["items"] == 2  # dev-login and ghost-login
    await world.cli("identities", "import", str(world.workdir / "people.csv"))

    await world.cli(
        "create", "is:open rule:js/xss", "--name", "XSS <!channel>", "--due", "2099-01-31",
        "--manager", ADMIN_ID, "--channel", CHANNEL,
    )  # fmt: skip

    # One launch DM for the writer, one DM for the manager naming the writer nobody could tell.
    await world.slack.wait_until(lambda: len(world.dms_to(DEV)) == 1)
    await world.slack.wait_until(lambda: len(world.dms_to(ADMIN_ID)) == 1)
    [launch] = world.dms_to(DEV)
    assert "2 open alerts" in launch.args["text"] and "<!channel>" not in launch.args["text"]
    assert "acme/web" in json.dumps(launch.args["blocks"])
    [unlinked] = world.dms_to(ADMIN_ID)
    assert "ghost-login" in json.dumps(unlinked.args["blocks"])
    assert world.dms_to(READER) == []

    dm = world.slack.dm_channel(DEV)
    mine = await world.click(ids.MY_ALERTS, "1", DEV, dm)
    assert "Assign to me" in mine and "acme/web#code-1" in mine

    claimed = await world.click(ids.ASSIGN_TO_ME, "1:acme/web#code-1", DEV, dm)
    assert "is yours now" in claimed
    assert [u["login"] for u in world.fake.code_alert("web", 1)["assignees"]] == ["dev-login"]
    permission = "/repos/acme/web/collaborators/dev-login/permission"
    assert world.fake.requests_to(permission) == []  # the synced writers answered

    started = await world.click(ids.START_FIX, "1:acme/web#code-1", DEV, dm)
    assert "fix/code-scanning-1" in started
    refs = world.fake.refs["acme/web"]
    assert refs["refs/heads/fix/code-scanning-1"] == refs["refs/heads/main"]
    engine = create_engine(world.app.settings.database_url)
    service = CampaignService(engine, world.app.settings)
    [campaign] = await service.list_campaigns()
    assert (await service.progress(campaign)).counts.in_progress == 1

    refused = await world.click(ids.ASSIGN_TO_ME, "1:acme/web#code-2", READER, CHANNEL)
    assert "no write access to acme/web" in refused
    assert world.fake.code_alert("web", 2)["assignees"] == []

    before = len(world.dms_to(DEV))
    world.fake.set_code_alert_state("web", 1, "fixed")
    payload = world.fake.webhook_code_scanning_alert("fixed", "web", 1)
    await world.webhook("code_scanning_alert", payload)
    await world.slack.wait_until(lambda: len(world.dms_to(DEV)) == before + 1)
    again = await world.webhook("code_scanning_alert", payload)  # GitHub redelivers it
    assert again.result.status in ("processed", "ignored")
    await world.cli("jobs", "run", "deliver")  # whatever is due is sent now: nothing more
    told = world.dms_to(DEV)[before:]
    assert len(told) == 1 and "was fixed" in told[0].args["text"]
    # Their App Home was published again: the fixed alert left "Your alerts".
    await world.slack.wait_until(lambda: DEV in world.slack.home_views)
    home = json.dumps(world.slack.home_views[DEV])
    assert "acme/web#code-1" not in home and "Security campaigns" in home
    assert (await service.progress(campaign)).counts.closed == 1
    await engine.dispose()
