"""Issue 11's "Done means" for the checklist and exceptions, end to end against the fakes: a
secret alert's card carries its guide and checklist, ticking the last step resolves it on GitHub,
and an approved exception dismisses a code alert until its expiry reopens it.

The bot runs as `campaignbot run` would (HTTP mode, GitHub connected); `sync`, `create` and the
`exceptions` job run as CLI processes on the same database.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest

from commands.shared import ids
from tests.fakes.fixtures import ADMIN_ID, StartApp
from tests.fakes.github import FakeGitHub
from tests.fakes.signing import SlackSigner, button
from tests.fakes.slack import FakeSlack
from tests.runtime.test_developer_flow import CHANNEL, DEV, ROOT, SECRET, World

SECRET_CARD = "1:acme/web#secret-1"
CODE_CARD = "1:acme/web#code-1"


@pytest.fixture
async def world(
    start_app: StartApp, fake_slack: FakeSlack, slack_signer: SlackSigner, tmp_path: Any
) -> AsyncIterator[World]:
    import asyncio
    import os

    from bot.github.webhooks import Outcome
    from tests.fakes.fixtures import BOT_TOKEN

    async with FakeGitHub() as fake, aiohttp.ClientSession() as http:
        fake.add_repo("web")
        fake.add_secret_alert("web", secret_type="aws_access_key_id", provider="AWS")
        fake.add_code_alert("web", rule_id="js/xss")
        fake.add_collaborator("web", "dev-login", "write")
        fake.set_public_email("dev-login", "dev@acme.example")
        fake_slack.add_user(DEV, email="dev@acme.example")
        fake_slack.add_user(ADMIN_ID)
        fake_slack.add_channel(CHANNEL, name="security")
        github = {"github_org": "acme", "github_token": fake.token, "github_api_url": fake.url}
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


async def act(world: World, action: dict[str, Any], user: str) -> str:
    """Any block action (a button, the checkboxes) in the person's DM; the reply they read."""
    url = world.slack.response_url()
    request = world.signer.block_actions(
        action, user_id=user, response_url=url, channel_id=world.slack.dm_channel(user)
    )
    async with world.http.post(
        f"{world.app.url}/slack/events", data=request.body, headers=request.headers
    ) as response:
        assert response.status == 200
    hook = url.rsplit("/", 1)[-1]
    await world.slack.wait_until(
        lambda: bool(world.slack.hook_calls(hook)) or bool(world.slack.calls("views.open"))
    )
    calls = world.slack.hook_calls(hook)
    return json.dumps(calls[0].args) if calls else ""


async def opened_modal(world: World, before: int) -> dict[str, Any]:
    await world.slack.wait_for("views.open", before + 1)
    return world.slack.views[max(world.slack.views)]


async def submit(world: World, view: dict[str, Any], values: dict[str, Any], user: str) -> Any:
    request = world.signer.view_submission(view, values, user_id=user, view_id=view["id"])
    async with world.http.post(
        f"{world.app.url}/slack/events", data=request.body, headers=request.headers
    ) as response:
        assert response.status == 200
        text = await response.text()
    return json.loads(text) if text else {}


def checkboxes(steps: list[str]) -> dict[str, Any]:
    return {
        "type": "checkboxes",
        "action_id": ids.CHECKLIST,
        "block_id": f"{ids.CHECKLIST}:{SECRET_CARD}",
        "selected_options": [{"value": step} for step in steps],
    }


async def test_a_secret_is_worked_through_its_checklist_and_resolved_on_github(
    world: World,
) -> None:
    await world.cli("sync")
    await world.cli(
        "create", "kind:secret is:open", "--name", "Leaked keys", "--due", "2099-01-31",
        "--manager", ADMIN_ID, "--channel", CHANNEL,
    )  # fmt: skip
    # The launch DM links the guide the campaign's secrets need.
    await world.slack.wait_until(lambda: len(world.dms_to(DEV)) == 1)
    [launch] = world.dms_to(DEV)
    assert "Guides: *AWS credentials* (`/campaign guide aws`)" in json.dumps(launch.args["blocks"])
    await act(world, button(ids.ASSIGN_TO_ME, SECRET_CARD), DEV)

    card = await act(world, button(ids.MY_ALERTS, "1"), DEV)
    assert '"Guide"' in card and ids.CHECKLIST in card and "checklist 0/7" in card

    ticked = await act(world, checkboxes(["verify", "active", "revoke"]), DEV)
    assert "Revoke or rotate the secret" in ticked
    card = await act(world, button(ids.MY_ALERTS, "1"), DEV)
    assert "checklist 3/7" in card

    before = len(world.slack.calls("views.open"))
    await act(world, checkboxes(["verify", "active", "revoke", "resolve"]), DEV)
    modal = await opened_modal(world, before)
    assert modal["callback_id"] == ids.RESOLVE_MODAL
    assert "Update the systems that use it" in json.dumps(modal)  # the steps not ticked yet
    values = {
        ids.RESOLUTION: {
            ids.RESOLUTION: {"type": "static_select", "selected_option": {"value": "revoked"}}
        },
        ids.RESOLUTION_COMMENT: {
            ids.RESOLUTION_COMMENT: {"type": "plain_text_input", "value": "Rotated in IAM"}
        },
    }
    assert await submit(world, modal, values, DEV) == {}

    alert = world.fake.secret_alert("web", 1)
    assert alert["state"] == "resolved" and alert["resolution"] == "revoked"
    assert alert["resolution_comment"] == "Rotated in IAM"
    shown = await world.cli("show", "1")
    assert shown["closed"] == 1 and shown["open"] == 0
    assert world.slack.violations == []  # every message, modal and checkbox fit Slack's models


async def test_an_approved_exception_dismisses_the_alert_until_it_expires(world: World) -> None:
    await world.cli("sync")
    await world.cli(
        "create", "kind:code is:open", "--name", "XSS", "--due", "2099-01-31",
        "--manager", ADMIN_ID, "--channel", CHANNEL,
    )  # fmt: skip
    today = datetime.now(UTC).date()
    until = today + timedelta(days=30)

    before = len(world.slack.calls("views.open"))
    await act(world, button(ids.REQUEST_EXCEPTION, CODE_CARD), DEV)
    modal = await opened_modal(world, before)
    assert modal["callback_id"] == ids.EXCEPTION_MODAL
    values = {
        ids.EXCEPTION_REASON: {
            ids.EXCEPTION_REASON: {
                "type": "static_select",
                "selected_option": {"value": "false_positive"},
            }
        },
        ids.EXCEPTION_COMMENT: {
            ids.EXCEPTION_COMMENT: {
                "type": "plain_text_input",
                "value": "The input is a constant, never user data.",
            }
        },
        ids.EXCEPTION_EXPIRES: {
            ids.EXCEPTION_EXPIRES: {"type": "datepicker", "selected_date": until.isoformat()}
        },
    }
    assert await submit(world, modal, values, DEV) == {}

    # The manager is asked in a DM with Approve / Reject.
    await world.slack.wait_until(
        lambda: any(ids.APPROVE_EXCEPTION in json.dumps(c.args) for c in world.dms_to(ADMIN_ID))
    )
    [asked] = [c for c in world.dms_to(ADMIN_ID) if ids.APPROVE_EXCEPTION in json.dumps(c.args)]
    assert "The input is a constant" in json.dumps(asked.args["blocks"])
    approve = next(
        element
        for block in asked.args["blocks"]
        for element in block.get("elements") or []
        if element.get("action_id") == ids.APPROVE_EXCEPTION
    )
    await act(world, button(ids.APPROVE_EXCEPTION, approve["value"]), ADMIN_ID)
    await world.slack.wait_until(lambda: bool(world.slack.calls("chat.update", ok=True)))

    alert = world.fake.code_alert("web", 1)
    assert alert["state"] == "dismissed" and alert["dismissed_reason"] == "false positive"
    await world.slack.wait_until(
        lambda: any("was approved" in (c.args.get("text") or "") for c in world.dms_to(DEV))
    )
    assert (await world.cli("show", "1"))["closed"] == 1

    # The day it ends, the job opens the alert again on GitHub and tells both people.
    ends = f"{until.isoformat()}T09:00:00+00:00"
    ran = await world.cli("jobs", "run", "exceptions", "--at", ends)
    told = [item for item in ran["sent"] if item["kind"] == "exception"]
    assert sorted(item["key"].split(":")[2] for item in told) == sorted([DEV, ADMIN_ID])
    assert world.fake.code_alert("web", 1)["state"] == "open"
    assert (await world.cli("show", "1"))["open"] == 1
    again = await world.cli("jobs", "run", "exceptions", "--at", ends)
    assert again["sent"] == [] and world.fake.code_alert("web", 1)["state"] == "open"
    assert world.slack.violations == []
