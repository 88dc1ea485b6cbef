"""A running bot over a seeded inventory, driven by signed requests like Slack's own; and the
representative scenarios the view tests (tests/commands/test_views_*.py) render."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.core.models import Campaign, CampaignAlert, Progress
from store import alerts, repositories
from store.engine import create_engine
from store.migrate import upgrade
from tests.builders import code_alert, repo, secret_alert
from tests.commands.view_support import SCENARIO_NAMES, SCENARIOS
from tests.conftest import NOW
from tests.fakes.fixtures import RunningApp, StartApp
from tests.fakes.signing import SlackSigner, button
from tests.fakes.slack import FakeSlack, SlackCall

ADMIN = "U0000ADMIN"
MANAGER = "U0MANAGER"
DEV = "U00000DEV"
CHANNEL = "C0SECURITY"


async def seed(database_url: str) -> None:
    """Four repositories and a dozen alerts of both kinds."""
    engine = create_engine(database_url)
    await upgrade(engine)
    async with engine.begin() as conn:
        await repositories.upsert_many(
            conn,
            [
                repo("acme/web", pushed_at=datetime(2026, 10, 30, tzinfo=UTC), topics=["frontend"]),
                repo("acme/api", pushed_at=datetime(2026, 9, 1, tzinfo=UTC)),
                repo("acme/legacy", pushed_at=datetime(2025, 1, 1, tzinfo=UTC)),
            ],
        )
        await alerts.upsert_many(
            conn,
            [
                *(code_alert("acme/web", n, security_severity="critical") for n in range(1, 6)),
                *(code_alert("acme/api", n, security_severity="critical") for n in range(1, 4)),
                code_alert("acme/legacy", 1, security_severity="critical"),
                code_alert("acme/web", 9, security_severity="low"),
                secret_alert("acme/web", 1),
                secret_alert("acme/api", 1, validity="inactive"),
            ],
        )
    await engine.dispose()


@dataclass
class SlackDriver:
    """Sends what Slack would send and returns what the user would see."""

    app: RunningApp
    fake: FakeSlack
    signer: SlackSigner
    http: aiohttp.ClientSession

    async def post(self, body: str, headers: dict[str, str]) -> aiohttp.ClientResponse:
        response = await self.http.post(f"{self.app.url}/slack/events", data=body, headers=headers)
        await response.read()
        return response

    async def command(self, text: str, user: str = ADMIN) -> dict[str, Any]:
        """`/campaign TEXT`; returns the reply posted to the response_url."""
        url = self.fake.response_url()
        request = self.signer.command(text, user_id=user, channel_id=CHANNEL, response_url=url)
        response = await self.post(request.body, request.headers)
        assert response.status == 200
        hook_id = url.rsplit("/", 1)[-1]
        await self.wait(lambda: bool(self.fake.hook_calls(hook_id)))
        return self.fake.hook_calls(hook_id)[0].args

    async def command_opening_modal(self, text: str, user: str = ADMIN) -> SlackCall:
        before = len(self.fake.calls("views.open"))
        request = self.signer.command(
            text, user_id=user, channel_id=CHANNEL, response_url=self.fake.response_url()
        )
        assert (await self.post(request.body, request.headers)).status == 200
        return (await self.fake.wait_for("views.open", before + 1))[-1]

    async def click(
        self, action_id: str, value: str, user: str = ADMIN, **fields: Any
    ) -> dict[str, Any] | None:
        """Press a button on a message; returns the reply to the response_url, if any."""
        url = self.fake.response_url()
        request = self.signer.block_actions(
            button(action_id, value), user_id=user, response_url=url, channel_id=CHANNEL, **fields
        )
        assert (await self.post(request.body, request.headers)).status == 200
        hook_id = url.rsplit("/", 1)[-1]
        if fields.get("view") is not None:
            return None
        await self.wait(lambda: bool(self.fake.hook_calls(hook_id)))
        return self.fake.hook_calls(hook_id)[0].args

    async def submit(
        self, view: dict[str, Any], values: dict[str, dict[str, Any]], user: str = ADMIN
    ) -> dict[str, Any]:
        """Submit a modal; returns Slack's response body (`{}` when the modal just closes)."""
        request = self.signer.view_submission(view, values, user_id=user, view_id=view["id"])
        response = await self.post(request.body, request.headers)
        assert response.status == 200
        text = await response.text()
        return json.loads(text) if text else {}

    async def wait(self, condition: Callable[[], bool]) -> None:
        await self.fake.wait_until(condition)


@pytest.fixture
async def slack(
    start_app: StartApp,
    fake_slack: FakeSlack,
    slack_signer: SlackSigner,
    tmp_path: Path,
) -> Any:
    url = f"sqlite+aiosqlite:///{tmp_path}/t.db"
    await seed(url)
    fake_slack.add_channel(CHANNEL, name="security")
    app = await start_app(campaign_admins=f"{ADMIN},{MANAGER}", clock=lambda: NOW)
    async with aiohttp.ClientSession() as http:
        yield SlackDriver(app, fake_slack, slack_signer, http)
    # Every payload the bot sent must fit Slack's models and limits.
    assert fake_slack.violations == []


def text_of(reply: dict[str, Any]) -> str:
    """Everything a person would read in a reply: its text and every block's text."""
    return json.dumps(reply.get("blocks") or [], ensure_ascii=False) + (reply.get("text") or "")


def buttons_of(reply: dict[str, Any], action_id: str) -> list[dict[str, Any]]:
    """The buttons with this action id, in section accessories and actions blocks alike."""
    found = []
    for block in reply.get("blocks") or []:
        elements = [block.get("accessory") or {}, *(block.get("elements") or [])]
        found += [e for e in elements if isinstance(e, dict) and e.get("action_id") == action_id]
    return found


def input_values(**fields: Any) -> dict[str, dict[str, Any]]:
    """`view.state.values` for the create and edit modals, keyed block id == action id."""
    kinds = {
        "due_date": ("datepicker", "selected_date"),
        "manager": ("users_select", "selected_user"),
        "channel": ("conversations_select", "selected_conversation"),
        "template": ("static_select", "selected_option"),
        "contact_link": ("url_text_input", "value"),
        "continue_big": ("checkboxes", "selected_options"),
    }
    values: dict[str, dict[str, Any]] = {}
    for name, value in fields.items():
        kind, key = kinds.get(name, ("plain_text_input", "value"))
        if name == "template" and value is not None:
            value = {"value": value}
        if name == "continue_big":
            value = [{"value": "continue"}] if value else []
        values[name] = {name: {"type": kind, key: value}}
    return values


@pytest.fixture(params=SCENARIO_NAMES)
def scenario(request: pytest.FixtureRequest) -> tuple[Campaign, Progress, list[CampaignAlert]]:
    """Each of tests/commands/view_support.py's SCENARIOS: a campaign, its progress, its alerts."""
    return SCENARIOS[request.param]
