"""Developers take part from Slack: assign, unassign, mine; managers link people to GitHub."""

from __future__ import annotations

import pytest

from commands.shared import ids
from tests.commands.conftest import ADMIN, DEV, MANAGER, SlackDriver, buttons_of, text_of
from tests.commands.test_campaign_command import create_campaign

ME = f"<@{DEV}|dev>"


async def test_a_developer_claims_an_alert_sees_it_in_mine_and_gives_it_back(
    slack: SlackDriver,
) -> None:
    await create_campaign(slack)

    claimed = text_of(await slack.command(f"assign 1 web#code-1 {ME}", user=DEV))
    mine = text_of(await slack.command("mine", user=DEV))
    others = text_of(await slack.command("mine", user=MANAGER))
    released = text_of(await slack.command("unassign 1 web#code-1", user=DEV))
    after = text_of(await slack.command("mine", user=DEV))

    assert f"Assigned acme/web#code-1 in #1 to <@{DEV}>" in claimed
    assert "#1 Critical alerts" in mine and "acme/web#code-1" in mine
    assert "no open alerts" in others
    assert f"is no longer <@{DEV}>'s" in released
    assert "no open alerts" in after


async def test_only_managers_assign_others_and_link_people(slack: SlackDriver) -> None:
    await create_campaign(slack)

    refused = text_of(await slack.command(f"assign 1 web#code-2 <@{MANAGER}>", user=DEV))
    given = text_of(await slack.command(f"assign 1 web#code-2 {ME}", user=MANAGER))
    not_linked = text_of(await slack.command(f"link {ME} dev-login", user=DEV))
    linked = text_of(await slack.command(f"link {ME} dev-login", user=ADMIN))

    assert "Only the campaign's manager" in refused
    assert f"to <@{DEV}>" in given
    assert "Only security managers can link" in not_linked
    assert f"Linked <@{DEV}> to GitHub login `dev-login`" in linked


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("assign 1 web#code-1 bob", "is not a person"),
        ("assign 1 web-1 <@U00000DEV|dev>", "is not an alert reference"),
        ("assign 1 web#code-99 <@U00000DEV|dev>", "There is no alert"),
        ("assign 1 web#secret-1 <@U00000DEV|dev>", "is not in campaign #1"),
        ("assign 1", "Usage: `/campaign assign CAMPAIGN ALERT @user`"),
        ("unassign 1 web#code-3", "has no assignee"),
        ("link <@U00000DEV|dev> not/a/login", "is not a GitHub login"),
    ],
)
async def test_bad_assignment_input_gets_a_clear_answer(
    slack: SlackDriver, text: str, said: str
) -> None:
    await create_campaign(slack)
    assert said in text_of(await slack.command(text, user=ADMIN))


async def test_a_login_already_linked_to_someone_else_is_refused(slack: SlackDriver) -> None:
    await slack.command(f"link <@{MANAGER}> shared-login", user=ADMIN)
    again = text_of(await slack.command(f"link {ME} shared-login", user=ADMIN))
    assert f"shared-login is already linked to <@{MANAGER}>" in again


async def test_assign_to_me_and_unassign_are_one_click_each(slack: SlackDriver) -> None:
    await create_campaign(slack)
    listed = await slack.command("show 1 repo:api", user=DEV)
    buttons = buttons_of(listed, ids.ASSIGN_TO_ME)
    assert buttons and all(b["text"]["text"] == "Assign to me" for b in buttons)

    claimed = await slack.click(ids.ASSIGN_TO_ME, buttons[0]["value"], user=DEV)
    mine = await slack.command("mine", user=DEV)
    unassign = buttons_of(mine, ids.UNASSIGN)
    released = await slack.click(ids.UNASSIGN, unassign[0]["value"], user=DEV)

    assert claimed is not None and "is yours now" in claimed["text"]
    assert [b["text"]["text"] for b in unassign] == ["Unassign"]
    assert released is not None and "You gave back" in released["text"]
    assert "no open alerts" in text_of(await slack.command("mine", user=DEV))


async def test_a_forged_claim_button_gets_a_clear_answer(slack: SlackDriver) -> None:
    await create_campaign(slack)
    damaged = await slack.click(ids.ASSIGN_TO_ME, "one:web#code-1", user=DEV)
    foreign = await slack.click(ids.ASSIGN_TO_ME, "1:web#secret-1", user=DEV)
    assert damaged is not None and "out of date or damaged" in damaged["text"]
    assert foreign is not None and "is not in campaign #1" in foreign["text"]


async def test_notify_off_and_on_are_confirmed_and_anything_else_shows_the_usage(
    slack: SlackDriver,
) -> None:
    off = text_of(await slack.command("notify off", user=DEV))
    on = text_of(await slack.command("notify ON", user=DEV))
    odd = text_of(await slack.command("notify maybe", user=DEV))
    assert "won't message you" in off and "message you about your alerts again" in on
    assert "Usage: `/campaign notify on | off`" in odd
