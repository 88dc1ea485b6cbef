"""Alert cards that cannot do what was pressed: a closed campaign, a damaged or forged button or
modal, an alert that does not exist. Each says so and changes nothing; hostile names are shown
literally and ping nobody."""

from __future__ import annotations

from typing import Any

import pytest

from commands.shared import ids
from tests.commands.card_support import GOOD_PR, WEB1, assignee, press_opening_modal, pull_request
from tests.commands.conftest import ADMIN, DEV, MANAGER, SlackDriver, text_of
from tests.commands.test_campaign_command import create_campaign


@pytest.mark.parametrize("action", [ids.ASSIGN_TO_ME, ids.START_FIX, ids.UNASSIGN])
async def test_card_buttons_of_a_closed_campaign_say_it_is_closed(
    slack: SlackDriver, action: str
) -> None:
    await create_campaign(slack)
    modals = len(slack.fake.calls("views.open"))
    await slack.click(ids.ASSIGN_TO_ME, WEB1, user=DEV)
    await slack.click(ids.CONFIRM_CLOSE, "1", user=MANAGER)

    reply = await slack.click(action, WEB1, user=DEV)

    assert reply is not None and "is closed; reopen it" in reply["text"]
    assert len(slack.fake.calls("views.open")) == modals


@pytest.mark.parametrize(
    ("modal_button", "values", "user"),
    [(ids.LINK_PR, pull_request(GOOD_PR), DEV), (ids.ASSIGN_OTHER, assignee(DEV), ADMIN)],
)
async def test_a_modal_of_a_campaign_closed_meanwhile_says_it_is_closed(
    slack: SlackDriver, modal_button: str, values: dict[str, dict[str, Any]], user: str
) -> None:
    await create_campaign(slack)
    modal = await press_opening_modal(slack, modal_button, WEB1, user)
    await slack.click(ids.CONFIRM_CLOSE, "1", user=MANAGER)

    answer = await slack.submit(modal, values, user=user)

    assert answer["response_action"] == "errors"
    [said] = answer["errors"].values()
    assert "is closed; reopen it" in said
    await slack.click(ids.CONFIRM_REOPEN, "1", user=MANAGER)
    assert "*0* in progress" in text_of(await slack.command("show 1"))
    assert "no open alerts" in text_of(await slack.command("mine", user=DEV))


@pytest.mark.parametrize(
    "action", [ids.ASSIGN_TO_ME, ids.ASSIGN_OTHER, ids.START_FIX, ids.LINK_PR, ids.UNASSIGN]
)
@pytest.mark.parametrize("value", ["x:y", "1:", ":acme/web#code-1", "1acme/web#code-1", "²:a#b"])
async def test_a_damaged_card_button_says_so(slack: SlackDriver, action: str, value: str) -> None:
    await create_campaign(slack)
    modals = len(slack.fake.calls("views.open"))

    reply = await slack.click(action, value, user=ADMIN)

    assert reply is not None and "out of date or damaged" in reply["text"]
    assert len(slack.fake.calls("views.open")) == modals


@pytest.mark.parametrize("action", [ids.ASSIGN_TO_ME, ids.START_FIX, ids.UNASSIGN])
async def test_a_card_button_for_an_alert_that_does_not_exist_says_so(
    slack: SlackDriver, action: str
) -> None:
    await create_campaign(slack)
    modals = len(slack.fake.calls("views.open"))

    missing = await slack.click(action, "1:acme/nope#code-99", user=ADMIN)
    no_campaign = await slack.click(action, "7:acme/web#code-1", user=ADMIN)

    assert missing is not None and "There is no alert acme/nope#code-99" in missing["text"]
    assert no_campaign is not None and "There is no campaign #7" in no_campaign["text"]
    assert len(slack.fake.calls("views.open")) == modals


async def test_link_pr_and_assign_for_an_alert_that_does_not_exist_say_so_at_once(
    slack: SlackDriver,
) -> None:
    """Checked on the click, before any modal opens (and again when a modal is submitted)."""
    await create_campaign(slack)
    modals = len(slack.fake.calls("views.open"))

    link = await slack.click(ids.LINK_PR, "1:acme/nope#code-99", user=DEV)
    assign = await slack.click(ids.ASSIGN_OTHER, "1:acme/nope#code-99", user=ADMIN)

    assert link is not None and "There is no alert acme/nope#code-99" in link["text"]
    assert assign is not None and "There is no alert acme/nope#code-99" in assign["text"]
    assert len(slack.fake.calls("views.open")) == modals


async def test_a_modal_with_damaged_metadata_says_so(slack: SlackDriver) -> None:
    await create_campaign(slack)
    modal = await press_opening_modal(slack, ids.LINK_PR, WEB1, DEV)

    answer = await slack.submit(
        modal | {"private_metadata": '{"campaign": "one"}'}, pull_request(GOOD_PR), DEV
    )

    assert answer["response_action"] == "errors"
    assert "out of date or damaged" in answer["errors"][ids.PULL_REQUEST]
    assert "*0* in progress" in text_of(await slack.command("show 1"))


async def test_a_campaign_named_like_a_mention_pings_nobody_from_its_cards(
    slack: SlackDriver,
) -> None:
    slack.fake.add_user(DEV, name="dev")
    await create_campaign(slack, name="<!channel> x")
    claimed = await slack.click(ids.ASSIGN_TO_ME, WEB1, user=DEV)
    request = slack.signer.app_home_opened(DEV)
    assert (await slack.post(request.body, request.headers)).status == 200
    await slack.wait(
        lambda: any(c.args["user_id"] == DEV for c in slack.fake.calls("views.publish", ok=True))
    )

    cards = {
        "show dev": await slack.command("show 1 group:none", user=DEV),
        "show admin": await slack.command("show 1 group:none", user=ADMIN),
        "mine": await slack.command("mine", user=DEV),
        "my alerts": await slack.click(ids.MY_ALERTS, "1", user=DEV),
        "home": slack.fake.home_views[DEV],
    }
    for where, reply in cards.items():
        assert reply is not None, where
        assert "<!channel>" not in text_of(reply), where
        assert "#1 &lt;!channel&gt; x" in text_of(reply), where
    assert claimed is not None and "<!channel>" not in text_of(claimed)

    await slack.click(ids.CONFIRM_CLOSE, "1", user=MANAGER)
    refused = await slack.click(ids.START_FIX, WEB1, user=DEV)
    assert refused is not None and "is closed" in refused["text"]
    assert "<!channel>" not in text_of(refused)


async def test_a_forged_alert_in_a_modal_button_is_shown_literally(slack: SlackDriver) -> None:
    await create_campaign(slack)
    for action, user in ((ids.LINK_PR, DEV), (ids.ASSIGN_OTHER, ADMIN)):
        reply = await slack.click(action, "1:<!channel>#code-1", user=user)
        assert reply is not None
        assert "<!channel>" not in text_of(reply) and "&lt;!channel&gt;" in text_of(reply)
