"""A security manager runs campaigns from Slack: every subcommand, good and bad input."""

from __future__ import annotations

from typing import Any

import pytest

from commands.shared import ids
from tests.commands.conftest import ADMIN, CHANNEL, DEV, MANAGER, SlackDriver, input_values, text_of

CREATE = {
    "name": "Critical alerts",
    "description": "Fix every critical alert before the audit.",
    "due_date": "2026-12-15",
    "manager": MANAGER,
    "channel": CHANNEL,
    "query": "is:open severity:critical",
}


async def create_campaign(slack: SlackDriver, **fields: Any) -> dict[str, Any]:
    opened = await slack.command_opening_modal("new")
    view = opened.args["view"] | {"id": f"V{len(slack.fake.calls('views.open'))}"}
    return await slack.submit(view, input_values(**(CREATE | fields)))


async def test_help_lists_subcommands_also_for_empty_and_unknown(slack: SlackDriver) -> None:
    for text in ("help", ""):
        reply = await slack.command(text)
        assert "/campaign new" in text_of(reply) and reply["response_type"] == "ephemeral"
    reply = await slack.command("frobnicate")
    assert "Unknown subcommand “frobnicate”" in text_of(reply)
    assert "/campaign new" in text_of(reply) and "/campaign report" in text_of(reply)


async def test_manager_creates_campaign_through_the_modal(slack: SlackDriver) -> None:
    opened = await slack.command_opening_modal("new is:open severity:critical")
    assert opened.args["view"]["callback_id"] == ids.CREATE_MODAL
    # The modal opens first, then the preview fills in (views.update).
    [update] = await slack.fake.wait_for("views.update")
    assert "9 alerts in 3 repositories" in text_of(update.args["view"])

    answer = await slack.submit(opened.args["view"] | {"id": "V1"}, input_values(**CREATE))
    assert answer == {}
    [launch] = await slack.fake.wait_for("chat.postMessage")
    assert launch.args["channel"] == CHANNEL
    assert "#1 Critical alerts" in text_of(launch.args)
    listed = await slack.command("list")
    assert "Critical alerts" in text_of(listed) and "9 open" not in text_of(listed)
    assert "*9* open" in text_of(listed)
    assert slack.fake.violations == []


async def test_create_modal_field_errors_come_back_on_the_field(slack: SlackDriver) -> None:
    cases = {
        "name": {"name": "x" * 51},
        "due_date": {"due_date": "2026-10-01"},
        "manager": {"manager": DEV},
        "query": {"query": "sevrity:high"},
    }
    for field, change in cases.items():
        answer = await create_campaign(slack, **change)
        assert answer["response_action"] == "errors", field
        assert list(answer["errors"]) == [field]
    assert "No active campaigns" in text_of(await slack.command("list"))


async def test_double_submission_of_create_modal_makes_one_campaign(slack: SlackDriver) -> None:
    opened = await slack.command_opening_modal("new")
    view = opened.args["view"] | {"id": "VSAME"}
    assert await slack.submit(view, input_values(**CREATE)) == {}
    assert await slack.submit(view, input_values(**CREATE)) == {}
    listed = text_of(await slack.command("list all"))
    assert listed.count("Critical alerts") == 1


async def test_developer_cannot_open_create_modal(slack: SlackDriver) -> None:
    reply = await slack.command("new is:open", user=DEV)
    assert "Only security managers can create campaigns" in text_of(reply)
    assert slack.fake.calls("views.open") == []


async def test_show_has_progress_and_repository_breakdown(slack: SlackDriver) -> None:
    await create_campaign(slack)
    reply = await slack.command("show 1")
    shown = text_of(reply)
    assert "#1 Critical alerts" in shown and "acme/web" in shown and "On track" not in shown
    assert "43 days left" in shown  # due 2026-12-15, today 2026-11-02

    listing = await slack.command("show #1 group:none status:open repo:web")
    assert "acme/web#code-1" in text_of(listing)
    assert "acme/api" not in text_of(listing)


async def test_expanding_a_repository_pages_its_alerts(slack: SlackDriver) -> None:
    await create_campaign(slack)
    value = '{"campaign":1,"repository":"acme/web"}'
    reply = await slack.click(ids.EXPAND_REPOSITORY, value)
    assert reply is not None and reply["replace_original"] is True
    assert "1–5 of 5" in text_of(reply)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("show", "Name a campaign"),
        ("show 99", "There is no campaign #99"),
        ("show nothing-like-it", "No campaign's name starts with"),
        ("close 1 2", "Too many arguments"),
        ("list sideways", "Unknown list"),
        ("show 1 colour:red", "Unknown filter"),
        ("show 1 status:doing", "not a status"),
        ("templates please", "takes no arguments"),
        ('show "unbalanced', "Unbalanced quotes"),
        ("preview sevrity:high", "sevrity"),
    ],
)
async def test_bad_input_gets_a_clear_ephemeral_answer(
    slack: SlackDriver, text: str, expected: str
) -> None:
    await create_campaign(slack)
    reply = await slack.command(text)
    assert expected in text_of(reply)
    assert reply["response_type"] == "ephemeral"


async def test_ambiguous_name_prefix_asks_for_the_number(slack: SlackDriver) -> None:
    await create_campaign(slack, name="Critical web")
    await create_campaign(slack, name="Critical api")
    reply = await slack.command("show crit")
    assert "matches several campaigns" in text_of(reply)


async def test_close_and_reopen_need_confirmation_and_the_right_person(
    slack: SlackDriver,
) -> None:
    await create_campaign(slack)
    refused = await slack.command("close 1", user=DEV)
    assert "Only the campaign's manager" in text_of(refused)

    confirm = await slack.command("close 1", user=MANAGER)
    assert ids.CONFIRM_CLOSE in text_of(confirm)
    done = await slack.click(ids.CONFIRM_CLOSE, "1", user=MANAGER)
    assert done is not None and "Closed campaign #1" in done["text"]
    assert "No active campaigns" in text_of(await slack.command("list"))
    assert "already closed" in text_of(await slack.command("close 1"))
    await slack.command_opening_modal("edit 1")  # the refusal is said once, in the modal
    [*_, refusal] = await slack.fake.wait_for("views.update")
    assert "closed; reopen it" in text_of(refusal.args["view"])

    await slack.command("reopen 1", user=MANAGER)
    reopened = await slack.click(ids.CONFIRM_REOPEN, "1", user=MANAGER)
    assert reopened is not None and "Reopened campaign #1" in reopened["text"]

    def announced(words: str) -> bool:
        return any(words in call.args["text"] for call in slack.fake.calls("chat.postMessage"))

    # The channel hears of it after the user's reply; wait for the fake to record it.
    await slack.wait(lambda: announced("closed campaign") and announced("reopened campaign"))


async def test_edit_modal_saves_and_announces_in_channel(slack: SlackDriver) -> None:
    await create_campaign(slack)
    await slack.command_opening_modal("edit 1", user=MANAGER)
    [update] = await slack.fake.wait_for("views.update")
    view = update.args["view"] | {"id": "VEDIT"}
    assert view["callback_id"] == ids.EDIT_MODAL
    values = input_values(**(CREATE | {"name": "Critical, before the audit"}))
    values.pop("query")
    assert await slack.submit(view, values, user=MANAGER) == {}
    await slack.wait(
        lambda: any(
            "updated campaign" in call.args.get("text", "")
            for call in slack.fake.calls("chat.postMessage")
        )
    )
    [refresh] = await slack.fake.wait_for("chat.update")
    assert "Critical, before the audit" in text_of(refresh.args)


async def test_delete_confirms_with_the_campaign_name(slack: SlackDriver) -> None:
    await create_campaign(slack)
    await slack.command_opening_modal("delete 1")
    [update] = await slack.fake.wait_for("views.update")
    view = update.args["view"] | {"id": "VDEL"}
    wrong = await slack.submit(view, {"confirm_name": {"confirm_name": {"value": "critical"}}})
    assert wrong["response_action"] == "errors" and "confirm_name" in wrong["errors"]
    assert "Critical alerts" in text_of(await slack.command("list"))
    right = await slack.submit(
        view, {"confirm_name": {"confirm_name": {"value": "Critical alerts"}}}
    )
    assert right == {}
    assert "Campaign #1 was deleted" in text_of(await slack.command("show 1"))


async def test_stale_button_on_deleted_campaign_gets_a_clear_answer(slack: SlackDriver) -> None:
    reply = await slack.click(ids.VIEW_CAMPAIGN, "7")
    assert reply is not None and "There is no campaign #7" in reply["text"]


async def test_preview_and_templates(slack: SlackDriver) -> None:
    preview = await slack.command("preview is:open autofix:supported severity:critical")
    shown = text_of(preview)
    assert "9 alerts in 3 repositories" in shown and "autofix" in shown
    templates = text_of(await slack.command("templates"))
    assert "Cross-site scripting (CWE-79)" in templates and "Active secrets" in templates


async def test_report_posts_progress_in_the_campaign_channel(slack: SlackDriver) -> None:
    await create_campaign(slack)
    reply = await slack.command("report 1")
    assert f"<#{CHANNEL}>" in reply["text"]
    posts = await slack.fake.wait_for("chat.postMessage", 2)
    assert "Progress of campaign #1" in posts[-1].args["text"]


async def test_app_home_shows_controls_to_managers_and_nothing_to_strangers(
    slack: SlackDriver,
) -> None:
    await create_campaign(slack)
    for user in (ADMIN, DEV):
        request = slack.signer.app_home_opened(user)
        assert (await slack.post(request.body, request.headers)).status == 200
    # The creator's Home is also refreshed after the create: wait for a view for each person.
    await slack.wait(
        lambda: {c.args["user_id"] for c in slack.fake.calls("views.publish")} >= {ADMIN, DEV}
    )
    published = slack.fake.calls("views.publish")
    by_user = {call.args["user_id"]: text_of(call.args["view"]) for call in published}
    assert ids.OPEN_CREATE in by_user[ADMIN] and "#1 Critical alerts" in by_user[ADMIN]
    assert ids.OPEN_CREATE not in by_user[DEV] and "No active campaign" in by_user[DEV]


async def test_shutdown_lets_acknowledged_work_finish(slack: SlackDriver) -> None:
    await create_campaign(slack)
    url = slack.fake.response_url()
    request = slack.signer.command("report 1", user_id=ADMIN, channel_id=CHANNEL, response_url=url)
    assert (await slack.post(request.body, request.headers)).status == 200
    await slack.app.shutdown()  # right after the ack, while the report is still being built
    posts = [call.args["text"] for call in slack.fake.calls("chat.postMessage")]
    assert any("Progress of campaign #1" in text for text in posts)
    assert slack.fake.hook_calls(url.rsplit("/", 1)[-1])


async def test_edit_modal_changes_reminder_settings_and_refuses_bad_ones(
    slack: SlackDriver,
) -> None:
    await create_campaign(slack)
    await slack.command_opening_modal("edit 1", user=MANAGER)
    [update] = await slack.fake.wait_for("views.update")
    view = update.args["view"] | {"id": "VEDIT"}
    blocks = {block.get("block_id") for block in view["blocks"]}
    assert {ids.REMINDERS, ids.REMINDER_DAYS, ids.REMINDER_CHANNEL, ids.NUDGE_MIN_AGE} <= blocks
    base = input_values(**CREATE)
    base.pop("query")

    def submitted(days: str, severities: str, age: str | None) -> dict[str, Any]:
        return base | {
            ids.REMINDERS: {ids.REMINDERS: {"type": "checkboxes", "selected_options": []}},
            ids.REMINDER_DAYS: {ids.REMINDER_DAYS: {"type": "plain_text_input", "value": days}},
            ids.NUDGE_SEVERITIES: {
                ids.NUDGE_SEVERITIES: {"type": "plain_text_input", "value": severities}
            },
            ids.NUDGE_MIN_AGE: {ids.NUDGE_MIN_AGE: {"type": "number_input", "value": age}},
        }

    bad_days = await slack.submit(view, submitted("soon", "", None), user=MANAGER)
    bad_level = await slack.submit(view, submitted("7,1", "urgent", None), user=MANAGER)
    good = await slack.submit(view, submitted("5, 1", "critical", "30"), user=MANAGER)

    assert "not a list of days" in bad_days["errors"][ids.REMINDER_DAYS]
    assert "Unknown severity" in bad_level["errors"][ids.NUDGE_SEVERITIES]
    assert good == {}
    await slack.wait(
        lambda: any(
            "reminder days" in call.args.get("text", "")
            for call in slack.fake.calls("chat.postMessage")
        )
    )
    [said] = [
        c.args["text"]
        for c in slack.fake.calls("chat.postMessage")
        if "reminder days" in c.args.get("text", "")
    ]
    assert "→ 5,1" in said and "reminders: on → off" in said and "→ critical" in said
