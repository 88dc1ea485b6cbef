"""What an attacker and a confused user meet in Slack: escaped answers, refused posts, forged
buttons and odd numbers that still get an answer a person understands."""

from __future__ import annotations

import asyncio

import pytest

from commands.shared import ids
from tests.commands.conftest import (
    ADMIN,
    CHANNEL,
    DEV,
    MANAGER,
    SlackDriver,
    input_values,
    text_of,
)
from tests.commands.test_campaign_command import CREATE, create_campaign

EVIL = "<!channel> <https://evil.example|Click for prize>"


async def test_names_with_slack_markup_are_shown_literally_in_error_answers(
    slack: SlackDriver,
) -> None:
    await create_campaign(slack, name="<!channel> alarm")
    await create_campaign(slack, name="<https://evil.example|Click for prize>")
    await slack.click(ids.CONFIRM_CLOSE, "1", user=MANAGER)

    closed = text_of(await slack.command("close 1"))
    several = text_of(await slack.command("show <"))

    assert "already closed" in closed and "&lt;!channel&gt; alarm" in closed
    assert "<!channel>" not in closed
    assert "matches several campaigns" in several
    assert "<https://evil.example" not in several and "&lt;https://evil.example" in several


async def test_a_campaign_named_like_a_mention_pings_nobody_in_its_launch(
    slack: SlackDriver,
) -> None:
    await create_campaign(slack, name="<!here> now")
    [launch] = await slack.fake.wait_for("chat.postMessage")
    assert "<!here>" not in launch.args["text"]
    # Plain-text fields (the header) show it literally; no mrkdwn field carries it live.
    assert not any("<!here>" in text for text in mrkdwn_texts(launch.args["blocks"]))


def mrkdwn_texts(value: object) -> list[str]:
    if isinstance(value, dict):
        found = [str(value["text"])] if value.get("type") == "mrkdwn" else []
        return found + [t for item in value.values() for t in mrkdwn_texts(item)]
    if isinstance(value, list):
        return [t for item in value for t in mrkdwn_texts(item)]
    return []


async def test_only_managers_post_a_report_in_a_channel_others_see_it_privately(
    slack: SlackDriver,
) -> None:
    await create_campaign(slack)
    await slack.fake.wait_for("chat.postMessage")  # the launch card

    private = await slack.command(f"report 1 <#{CHANNEL}|security>", user=DEV)
    posted = await slack.command("report 1", user=MANAGER)
    [_, report] = await slack.fake.wait_for("chat.postMessage", 2)

    assert private["response_type"] == "ephemeral" and "Progress" in text_of(private)
    assert "Posting the progress of #1" in text_of(posted)
    assert "Progress of campaign #1" in report.args["text"]
    assert len(slack.fake.calls("chat.postMessage")) == 2


async def test_the_post_report_button_refuses_a_developer(slack: SlackDriver) -> None:
    await create_campaign(slack)
    await slack.fake.wait_for("chat.postMessage")

    reply = await slack.click(ids.POST_REPORT, "1", user=DEV)

    assert reply is not None and "manager" in reply["text"]
    assert len(slack.fake.calls("chat.postMessage")) == 1


@pytest.mark.parametrize(
    ("action", "value"),
    [
        (ids.EXPAND_REPOSITORY, '{"campaign": "one"}'),
        (ids.EXPAND_REPOSITORY, "not json at all"),
        (ids.ALERT_PAGE, '{"campaign": 1, "offset": -5, "status": "exploded"}'),
    ],
)
async def test_forged_button_values_get_a_clear_answer(
    slack: SlackDriver, action: str, value: str
) -> None:
    await create_campaign(slack)
    reply = await slack.click(action, value)
    assert reply is not None and "out of date or damaged" in reply["text"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("show ²", "No campaign's name starts with"),
        ("show 99999999999999999999", "There is no campaign #99999999999999999999"),
        ("show #0", "There is no campaign #0"),
    ],
)
async def test_odd_campaign_numbers_get_an_answer(
    slack: SlackDriver, text: str, expected: str
) -> None:
    reply = await slack.command(text, user=ADMIN)
    assert expected in text_of(reply)


async def test_secret_alerts_are_listed_only_to_managers_and_their_assignees(
    slack: SlackDriver,
) -> None:
    await create_campaign(slack, name="Leaked secrets", query="is:open kind:secret")

    refused = await slack.command("show 1 group:none", user=DEV)
    allowed = await slack.command("show 1 group:none", user=MANAGER)
    counts = await slack.command("show 1", user=DEV)

    assert "Secret alerts are listed to security managers" in text_of(refused)
    assert "acme/web" in text_of(allowed)
    assert "2 secret alerts" in text_of(counts) or "open" in text_of(counts)


async def test_a_double_submitted_create_form_makes_one_campaign_and_two_clean_answers(
    slack: SlackDriver,
) -> None:
    opened = await slack.command_opening_modal("new")
    view = opened.args["view"] | {"id": "VDOUBLE"}
    values = input_values(**CREATE)

    first, second = await asyncio.gather(slack.submit(view, values), slack.submit(view, values))

    assert first == {} and second == {}
    listed = text_of(await slack.command("list"))
    assert listed.count("Critical alerts") == 1
