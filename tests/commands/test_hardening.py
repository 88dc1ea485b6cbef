"""What an attacker and a confused user meet in Slack: escaped answers, refused posts, forged
buttons and odd numbers that still get an answer a person understands."""

from __future__ import annotations

import asyncio

import pytest

from bot.core.models import AlertKind, AlertRef
from commands.shared import ids
from store import alerts, fix_links
from store.engine import create_engine
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
from tests.conftest import NOW

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


@pytest.mark.parametrize(
    ("text", "user", "said"),
    [
        ("edit 99", ADMIN, "There is no campaign #99"),
        ("delete 99", ADMIN, "There is no campaign #99"),
        ("edit 1", DEV, "Only the campaign's manager"),
        ("delete 1", DEV, "Only security managers can delete"),
    ],
)
async def test_a_refused_form_says_why_in_the_modal_once_never_stuck_loading(
    slack: SlackDriver, text: str, user: str, said: str
) -> None:
    await create_campaign(slack)
    before = len(slack.fake.calls("views.update"))

    await slack.command_opening_modal(text, user=user)
    updates = await slack.fake.wait_for("views.update", before + 1)

    shown = text_of(updates[-1].args["view"])
    assert said in shown and "Loading" not in shown
    assert not slack.fake.calls("chat.postEphemeral", ok=True)[1:]  # said once, not twice


async def test_paging_inside_a_modal_replaces_it_instead_of_stacking_views(
    slack: SlackDriver,
) -> None:
    await create_campaign(slack)
    opened_before = len(slack.fake.calls("views.open"))
    await slack.click(ids.VIEW_CAMPAIGN, "1", view={"id": "VHOME", "type": "home"})
    await slack.fake.wait_for("views.open", opened_before + 1)
    modal_id = max(slack.fake.views)  # the fake numbers views in order
    updated_before = len(slack.fake.calls("views.update"))

    for offset in (0, 10, 20):
        value = f'{{"campaign":1,"offset":{offset}}}'
        await slack.click(ids.ALERT_PAGE, value, view={"id": modal_id, "type": "modal"})
    updates = await slack.fake.wait_for("views.update", updated_before + 3)

    assert slack.fake.calls("views.push") == []
    assert all(call.args["view_id"] == modal_id for call in updates[updated_before:])


async def test_a_create_form_with_several_mistakes_marks_each_field(slack: SlackDriver) -> None:
    opened = await slack.command_opening_modal("new")
    view = opened.args["view"] | {"id": "VMISTAKES"}
    values = input_values(**(CREATE | {"name": "n" * 60, "contact_link": "http://x.example"}))

    answer = await slack.submit(view, values)

    assert answer["response_action"] == "errors"
    assert set(answer["errors"]) == {"name", "contact_link"}


async def test_creating_from_the_app_home_without_a_channel_confirms_by_dm_and_refreshes(
    slack: SlackDriver,
) -> None:
    await slack.click(ids.OPEN_CREATE, "", view={"id": "VHOME", "type": "home"})
    [opened] = await slack.fake.wait_for("views.open")
    view = opened.args["view"] | {"id": "VFROMHOME"}

    assert await slack.submit(view, input_values(**(CREATE | {"channel": None}))) == {}

    [confirmation] = await slack.fake.wait_for("chat.postMessage")
    assert confirmation.args["channel"] == ADMIN and "is live" in confirmation.args["text"]
    [home] = await slack.fake.wait_for("views.publish")
    assert home.args["user_id"] == ADMIN and "#1 Critical alerts" in text_of(home.args["view"])


async def test_closing_from_a_button_refreshes_the_app_home(slack: SlackDriver) -> None:
    await create_campaign(slack)

    await slack.click(ids.CONFIRM_CLOSE, "1", user=MANAGER)

    def managers_home() -> list[object]:
        return [c for c in slack.fake.calls("views.publish") if c.args["user_id"] == MANAGER]

    await slack.wait(lambda: bool(managers_home()))
    assert len(managers_home()) == 1


async def test_choosing_another_template_replaces_the_query_in_the_form(
    slack: SlackDriver,
) -> None:
    opened = await slack.command_opening_modal("new template critical")
    view = opened.args["view"] | {"id": max(slack.fake.views)}
    updates = len(await slack.fake.wait_for("views.update"))  # the preview of "critical"
    choose = {
        "type": "static_select",
        "action_id": ids.TEMPLATE,
        "block_id": ids.TEMPLATE,
        "selected_option": {"value": "xss"},
    }
    typed = view | {
        "state": {"values": input_values(query="is:open autofilter:true severity:critical")}
    }

    request = slack.signer.block_actions(choose, user_id=ADMIN, view=typed)
    assert (await slack.post(request.body, request.headers)).status == 200
    [*_, update] = await slack.fake.wait_for("views.update", updates + 1)

    replaced = update.args["view"]
    [query_block] = [b for b in replaced["blocks"] if b.get("block_id", "").startswith("query.")]
    assert (
        query_block["element"]["initial_value"]
        == "is:open autofilter:true tag:external/cwe/cwe-079"
    )
    values = input_values(**{**CREATE, "template": "xss"})
    values[query_block["block_id"]] = {
        query_block["block_id"]: {
            "type": "plain_text_input",
            "value": query_block["element"]["initial_value"],
        }
    }
    del values["query"]
    assert await slack.submit(replaced | {"id": "VTEMPLATE"}, values) == {}
    shown = text_of(await slack.command("show 1"))
    assert "10 code alerts" in shown  # the XSS selection, not the 9 critical ones


async def test_alert_lines_show_the_branch_that_made_them_in_progress_and_the_assignee(
    slack: SlackDriver,
) -> None:
    await create_campaign(slack)
    engine = create_engine(slack.app.settings.database_url)
    try:
        async with engine.begin() as conn:
            [web1] = await alerts.find(
                conn, AlertRef(repository="acme/web", kind=AlertKind.CODE, number=1)
            )
            await fix_links.add(
                conn,
                web1.id or 0,
                "branch",
                "fix/code-scanning-1",
                "https://github.example/acme/web/tree/fix/code-scanning-1",
                NOW,
            )
    finally:
        await engine.dispose()

    shown = text_of(await slack.command("show 1 group:none", user=MANAGER))

    assert (
        "branch <https://github.example/acme/web/tree/fix/code-scanning-1|fix/code-scanning-1>"
        in shown
    )
