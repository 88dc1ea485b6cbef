"""`/campaign guide TYPE` and the alert cards' **Guide** button, through the running app."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aiohttp

from commands.shared import ids
from tests.commands.conftest import (
    ADMIN,
    CHANNEL,
    DEV,
    MANAGER,
    SlackDriver,
    seed,
    text_of,
)
from tests.commands.test_campaign_command import create_campaign
from tests.conftest import NOW
from tests.fakes.fixtures import StartApp
from tests.fakes.signing import SlackSigner, button
from tests.fakes.slack import FakeSlack, SlackCall

SECRET = "1:acme/web#secret-1"  # an AWS access key id (tests/builders.secret_alert)
CODE = "1:acme/web#code-1"  # CWE-79


async def press(slack: SlackDriver, value: str, user: str, **fields: Any) -> str:
    """Click **Guide**; returns the response_url hook id its answer (if any) goes to."""
    url = slack.fake.response_url()
    request = slack.signer.block_actions(
        button(ids.GUIDE, value), user_id=user, response_url=url, channel_id=CHANNEL, **fields
    )
    assert (await slack.post(request.body, request.headers)).status == 200
    return url.rsplit("/", 1)[-1]


async def press_opening_modal(slack: SlackDriver, value: str, user: str) -> SlackCall:
    before = len(slack.fake.calls("views.open"))
    await press(slack, value, user)
    return (await slack.fake.wait_for("views.open", before + 1))[-1]


async def answer(slack: SlackDriver, hook_id: str) -> dict[str, Any]:
    await slack.wait(lambda: bool(slack.fake.hook_calls(hook_id)))
    return slack.fake.hook_calls(hook_id)[0].args


async def secret_campaign(slack: SlackDriver) -> None:
    await create_campaign(slack, name="Leaked secrets", query="is:open kind:secret")


# -- /campaign guide ----------------------------------------------------------------------------


async def test_guide_by_name_secret_type_or_cwe_answers_privately(slack: SlackDriver) -> None:
    aws = await slack.command("guide aws", user=DEV)
    by_type = await slack.command("guide GITHUB_PERSONAL_ACCESS_TOKEN", user=DEV)
    by_cwe = await slack.command("guide CWE-89", user=DEV)

    assert aws["response_type"] == "ephemeral"
    assert "AWS credentials" in text_of(aws) and "Revoke or rotate" in text_of(aws)
    assert "https://docs.aws.amazon.com/" in text_of(aws)
    assert "GitHub tokens" in text_of(by_type)
    assert "SQL injection" in text_of(by_cwe) and "*Fix*" in text_of(by_cwe)


async def test_an_unknown_guide_lists_the_guides_and_escapes_what_was_asked(
    slack: SlackDriver,
) -> None:
    reply = await slack.command("guide <!channel> awz")

    shown = text_of(reply)
    assert "No remediation guide matches" in shown
    assert "&lt;!channel&gt; awz" in shown and "<!channel>" not in shown
    assert "`aws`" in shown and "`sql-injection`" in shown and "`private-keys`" in shown
    assert "/campaign help" in shown


# -- the Guide button ---------------------------------------------------------------------------


async def test_the_guide_button_opens_the_alerts_guide_in_a_modal(slack: SlackDriver) -> None:
    await create_campaign(slack)

    opened = await press_opening_modal(slack, CODE, DEV)

    view = opened.args["view"]
    assert view["type"] == "modal" and view["title"]["text"] == "Remediation guide"
    assert "acme/web#code-1" in text_of(view) and "Cross-site scripting" in text_of(view)


async def test_a_secret_alerts_guide_is_for_managers_and_its_assignee(
    slack: SlackDriver,
) -> None:
    await secret_campaign(slack)

    for_manager = await press_opening_modal(slack, SECRET, MANAGER)
    refused = await answer(slack, await press(slack, SECRET, DEV))

    assert "AWS credentials" in text_of(for_manager.args["view"])
    assert "acme/web#secret-1" in text_of(for_manager.args["view"])
    assert "shown to the campaign's managers" in text_of(refused)
    assert "AWS" not in text_of(refused)

    assigned = await slack.command("assign 1 web#secret-1 <@U00000DEV|dev>", user=MANAGER)
    assert "now has" in text_of(assigned) or "acme/web#secret-1" in text_of(assigned)
    for_dev = await press_opening_modal(slack, SECRET, DEV)
    assert "AWS credentials" in text_of(for_dev.args["view"])


async def test_without_a_trigger_the_guide_is_an_ephemeral_answer(slack: SlackDriver) -> None:
    await create_campaign(slack)
    modals = len(slack.fake.calls("views.open"))

    reply = await answer(slack, await press(slack, CODE, DEV, trigger_id=""))

    assert "Cross-site scripting" in text_of(reply) and reply["response_type"] == "ephemeral"
    assert len(slack.fake.calls("views.open")) == modals


async def test_a_damaged_or_unknown_guide_button_gets_a_clear_answer(slack: SlackDriver) -> None:
    await create_campaign(slack)

    damaged = await answer(slack, await press(slack, "not-a-value", DEV))
    unknown = await answer(slack, await press(slack, "1:acme/web#code-99", DEV))

    assert "out of date or damaged" in text_of(damaged)
    assert "There is no alert" in text_of(unknown)


# -- an organization's guides -------------------------------------------------------------------

ACME_AWS = """
kind = "secret"
title = "AWS at Acme"
summary = "Page the cloud team before anything else."
revoke = ["Page the cloud on-call."]
update = ["Vault path secret/aws."]
verify = ["The cloud team confirms."]

[applies_to]
secret_types = ["aws_access_key_id"]
"""


async def test_an_organizations_folder_replaces_a_built_in_guide_and_a_bad_file_is_skipped(
    start_app: StartApp,
    fake_slack: FakeSlack,
    slack_signer: SlackSigner,
    tmp_path: Path,
) -> None:
    folder = tmp_path / "guides"
    folder.mkdir()
    (folder / "aws.toml").write_text(ACME_AWS, encoding="utf-8")
    (folder / "github.toml").write_text('title = "broken\n', encoding="utf-8")
    await seed(f"sqlite+aiosqlite:///{tmp_path}/t.db")
    fake_slack.add_channel(CHANNEL, name="security")
    app = await start_app(
        campaign_admins=f"{ADMIN},{MANAGER}", clock=lambda: NOW, playbook_guides_dir=folder
    )
    async with aiohttp.ClientSession() as http:
        slack = SlackDriver(app, fake_slack, slack_signer, http)

        aws = await slack.command("guide aws_access_key_id", user=DEV)
        github = await slack.command("guide github", user=DEV)

    assert "AWS at Acme" in text_of(aws) and "Page the cloud on-call." in text_of(aws)
    assert "GitHub tokens" in text_of(github)  # the broken file left the built-in guide
    assert fake_slack.violations == []
