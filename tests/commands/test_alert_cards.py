"""Alert cards: who sees which button, and what each button and its modal does (no GitHub)."""

from __future__ import annotations

from typing import Any

import pytest

from commands.shared import ids
from tests.commands.conftest import (
    ADMIN,
    CHANNEL,
    DEV,
    MANAGER,
    SlackDriver,
    buttons_of,
    text_of,
)
from tests.commands.test_campaign_command import create_campaign
from tests.fakes.signing import button

WEB1 = "1:acme/web#code-1"
WEB2 = "1:acme/web#code-2"
GOOD_PR = "https://github.com/acme/web/pull/42"


async def press(slack: SlackDriver, action_id: str, value: str, user: str, **fields: Any) -> None:
    """Press a button whose answer is not a response_url reply (a modal, a Home refresh)."""
    request = slack.signer.block_actions(
        button(action_id, value),
        user_id=user,
        response_url=slack.fake.response_url(),
        channel_id=CHANNEL,
        **fields,
    )
    assert (await slack.post(request.body, request.headers)).status == 200


async def press_opening_modal(
    slack: SlackDriver, action_id: str, value: str, user: str
) -> dict[str, Any]:
    """Press a button that opens a modal; returns the modal as the fake opened it (with its id)."""
    before = len(slack.fake.calls("views.open"))
    await press(slack, action_id, value, user)
    [*_, opened] = await slack.fake.wait_for("views.open", before + 1)
    view = slack.fake.views[max(slack.fake.views)]  # the fake numbers views in order
    assert view["private_metadata"] == opened.args["view"]["private_metadata"]
    return view


def pull_request(url: str | None) -> dict[str, dict[str, Any]]:
    return {ids.PULL_REQUEST: {ids.PULL_REQUEST: {"type": "url_text_input", "value": url}}}


def assignee(user: str | None) -> dict[str, dict[str, Any]]:
    return {ids.ASSIGNEE: {ids.ASSIGNEE: {"type": "users_select", "selected_user": user}}}


def labels(reply: dict[str, Any]) -> set[str]:
    """The labels of every button of a reply."""
    found = set()
    for block in reply.get("blocks") or []:
        for element in [block.get("accessory") or {}, *(block.get("elements") or [])]:
            if isinstance(element, dict) and element.get("type") == "button":
                found.add(element["text"]["text"])
    return found


async def ephemeral_containing(slack: SlackDriver, user: str, words: str) -> dict[str, Any]:
    def found() -> list[dict[str, Any]]:
        return [
            call.args
            for call in slack.fake.calls("chat.postEphemeral", ok=True)
            if call.args.get("user") == user and words in (call.args.get("text") or "")
        ]

    await slack.wait(lambda: bool(found()))
    return found()[0]


async def test_cards_show_developers_their_buttons_and_managers_also_assign(
    slack: SlackDriver,
) -> None:
    await create_campaign(slack)

    for_dev = await slack.command("show 1 group:none", user=DEV)
    for_admin = await slack.command("show 1 group:none", user=ADMIN)

    assert "acme/web#code-1" in text_of(for_dev)
    assert labels(for_dev) >= {"Assign to me", "Start fix", "Link PR"}
    assert buttons_of(for_dev, ids.ASSIGN_OTHER) == []
    assert "Assign…" not in labels(for_dev)
    assert labels(for_admin) >= {"Assign to me", "Assign…", "Start fix", "Link PR"}
    claim = buttons_of(for_dev, ids.ASSIGN_TO_ME)
    assert len(claim) == len(buttons_of(for_dev, ids.START_FIX)) == 9  # every alert, one card
    assert WEB1 in {b["value"] for b in claim}
    assert {b["value"] for b in buttons_of(for_admin, ids.ASSIGN_OTHER)} == {
        b["value"] for b in claim
    }


async def test_start_fix_without_github_claims_the_alert_and_asks_for_the_pull_request(
    slack: SlackDriver,
) -> None:
    await create_campaign(slack)

    modal = await press_opening_modal(slack, ids.START_FIX, WEB1, DEV)

    assert modal["callback_id"] == ids.LINK_PR_MODAL
    assert "GitHub is not connected" in text_of(modal)
    assert "acme/web#code-1" in text_of(modal)
    mine = await slack.command("mine", user=DEV)
    assert "acme/web#code-1" in text_of(mine)
    assert "acme/web#code-2" not in text_of(mine)


@pytest.mark.parametrize(
    ("url", "said"),
    [
        ("not a link", "not a pull request link"),
        (None, "not a pull request link"),
        ("https://github.com/acme/web/issues/42", "not a pull request link"),
        ("http://github.com/acme/web/pull/42", "not a pull request link"),
        ("https://evil.example/acme/web/pull/42", "not a pull request link"),
        ("https://github.com/acme/api/pull/42", "is in acme/api, but the alert is in acme/web"),
    ],
)
async def test_a_wrong_pull_request_link_is_refused_on_its_field_and_changes_nothing(
    slack: SlackDriver, url: str | None, said: str
) -> None:
    await create_campaign(slack)
    modal = await press_opening_modal(slack, ids.LINK_PR, WEB1, DEV)
    assert modal["callback_id"] == ids.LINK_PR_MODAL
    assert "GitHub is not connected" not in text_of(modal)

    answer = await slack.submit(modal, pull_request(url), user=DEV)

    assert answer["response_action"] == "errors"
    assert list(answer["errors"]) == [ids.PULL_REQUEST]
    assert said in answer["errors"][ids.PULL_REQUEST]
    assert "*0* in progress" in text_of(await slack.command("show 1"))
    assert "no open alerts" in text_of(await slack.command("mine", user=DEV))  # not claimed


async def test_linking_a_pull_request_puts_the_alert_in_progress_and_says_so(
    slack: SlackDriver,
) -> None:
    await create_campaign(slack)
    modal = await press_opening_modal(slack, ids.LINK_PR, WEB1, DEV)

    answer = await slack.submit(modal, pull_request(GOOD_PR), user=DEV)

    assert answer == {}  # the modal closes
    told = await ephemeral_containing(slack, DEV, "in progress")
    assert told["channel"] == CHANNEL and "acme/web#code-1" in told["text"]
    assert "*1* in progress" in text_of(await slack.command("show 1"))
    listed = await slack.command("show 1 group:none status:in-progress", user=DEV)
    shown = text_of(listed)
    assert f"PR <{GOOD_PR}|#42>" in shown and "in progress" in shown
    assert "acme/web#code-1" in shown and "acme/web#code-2" not in shown
    assert "acme/web#code-1" in text_of(await slack.command("mine", user=DEV))  # claimed too
    # A card with a pull request offers neither Start fix nor another Link PR.
    assert buttons_of(listed, ids.START_FIX) == buttons_of(listed, ids.LINK_PR) == []
    assert [b["value"] for b in buttons_of(listed, ids.UNASSIGN)] == [WEB1]


async def test_start_fix_then_link_pr_is_the_whole_no_github_flow(slack: SlackDriver) -> None:
    await create_campaign(slack)
    modal = await press_opening_modal(slack, ids.START_FIX, WEB1, DEV)

    assert await slack.submit(modal, pull_request(GOOD_PR), user=DEV) == {}

    await ephemeral_containing(slack, DEV, "in progress")
    assert "*1* in progress" in text_of(await slack.command("show 1"))


async def test_only_managers_may_assign_someone_else_from_a_card(slack: SlackDriver) -> None:
    await create_campaign(slack)
    modals = len(slack.fake.calls("views.open"))

    refused = await slack.click(ids.ASSIGN_OTHER, WEB1, user=DEV)

    assert refused is not None and refused["response_type"] == "ephemeral"
    assert "Only the campaign's manager" in refused["text"]
    assert len(slack.fake.calls("views.open")) == modals


async def test_a_manager_assigns_a_developer_through_the_modal(slack: SlackDriver) -> None:
    await create_campaign(slack)
    modal = await press_opening_modal(slack, ids.ASSIGN_OTHER, WEB1, ADMIN)
    assert modal["callback_id"] == ids.ASSIGN_MODAL and "acme/web#code-1" in text_of(modal)

    nobody = await slack.submit(modal, assignee(None), user=ADMIN)
    assert nobody["response_action"] == "errors" and list(nobody["errors"]) == [ids.ASSIGNEE]
    assert "no open alerts" in text_of(await slack.command("mine", user=DEV))

    assert await slack.submit(modal, assignee(DEV), user=ADMIN) == {}

    told = await ephemeral_containing(slack, ADMIN, "now has")
    assert f"<@{DEV}> now has acme/web#code-1 in #1" in told["text"]
    mine = text_of(await slack.command("mine", user=DEV))
    assert "acme/web#code-1" in mine and "acme/web#code-2" not in mine


async def test_a_developer_cannot_use_a_forged_assign_modal(slack: SlackDriver) -> None:
    await create_campaign(slack)
    modal = await press_opening_modal(slack, ids.ASSIGN_OTHER, WEB1, ADMIN)

    answer = await slack.submit(modal, assignee(MANAGER), user=DEV)

    assert answer["response_action"] == "errors"
    assert "Only the campaign's manager" in answer["errors"][ids.ASSIGNEE]
    assert "no open alerts" in text_of(await slack.command("mine", user=MANAGER))


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


async def test_my_alerts_shows_nothing_then_the_claimed_alert_as_a_card(
    slack: SlackDriver,
) -> None:
    await create_campaign(slack)

    empty = await slack.click(ids.MY_ALERTS, "1", user=DEV)
    await slack.click(ids.ASSIGN_TO_ME, WEB1, user=DEV)
    listed = await slack.click(ids.MY_ALERTS, "1", user=DEV)
    damaged = await slack.click(ids.MY_ALERTS, "one", user=DEV)

    assert empty is not None and "Nothing waits for you" in text_of(empty)
    assert "acme/web#code-1" not in text_of(empty)
    assert listed is not None and "Nothing waits for you" not in text_of(listed)
    assert "acme/web#code-1" in text_of(listed) and "acme/web#code-2" not in text_of(listed)
    assert [b["value"] for b in buttons_of(listed, ids.UNASSIGN)] == [WEB1]
    assert [b["value"] for b in buttons_of(listed, ids.START_FIX)] == [WEB1]
    assert buttons_of(listed, ids.ASSIGN_TO_ME) == []  # it is already theirs
    assert damaged is not None and "out of date or damaged" in damaged["text"]


async def test_the_app_home_shows_your_alerts_and_refreshes_after_a_click_there(
    slack: SlackDriver,
) -> None:
    slack.fake.add_user(DEV, name="dev")  # a click on the Home is answered by DM
    await create_campaign(slack)
    await slack.click(ids.ASSIGN_TO_ME, WEB1, user=DEV)

    def homes() -> list[dict[str, Any]]:
        return [
            call.args["view"]
            for call in slack.fake.calls("views.publish", ok=True)
            if call.args["user_id"] == DEV
        ]

    request = slack.signer.app_home_opened(DEV)
    assert (await slack.post(request.body, request.headers)).status == 200
    await slack.wait(lambda: len(homes()) == 1)
    home = text_of(homes()[0])
    assert "Your alerts" in home and "acme/web#code-1" in home
    assert "acme/web#code-2" not in home
    assert "My alerts" in home  # the per-campaign button of a developer
    assert [b["value"] for b in buttons_of(homes()[0], ids.UNASSIGN)] == [WEB1]

    shown = slack.fake.home_views[DEV]
    await slack.click(ids.ASSIGN_TO_ME, WEB2, user=DEV, view={"type": "home", "id": shown["id"]})

    await slack.wait(lambda: len(homes()) == 2)
    again = text_of(homes()[1])
    assert "acme/web#code-1" in again and "acme/web#code-2" in again
    dm = slack.fake.dm_channel(DEV)
    await slack.wait(
        lambda: any(
            call.args["channel"] == dm and "is yours now" in call.args["text"]
            for call in slack.fake.calls("chat.postMessage", ok=True)
        )
    )


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


async def test_a_stale_assign_to_me_does_not_take_someone_elses_alert(
    slack: SlackDriver,
) -> None:
    await create_campaign(slack)
    await slack.command(f"assign 1 web#code-1 <@{MANAGER}|manager>", user=MANAGER)

    listed = await slack.command("show 1 group:none repo:web", user=DEV)
    taken = await slack.click(ids.ASSIGN_TO_ME, WEB1, user=DEV)  # a card from before
    over = await slack.click(ids.ASSIGN_TO_ME, WEB1, user=ADMIN)

    assert WEB1 not in {b["value"] for b in buttons_of(listed, ids.ASSIGN_TO_ME)}
    assert WEB1 not in {b["value"] for b in buttons_of(listed, ids.START_FIX)}
    assert taken is not None and f"is already <@{MANAGER}>'s" in taken["text"]
    assert over is not None and "is yours now" in over["text"]  # a manager may take it over
    assert "acme/web#code-1" in text_of(await slack.command("mine", user=ADMIN))


async def test_only_managers_start_work_on_someone_elses_alert(slack: SlackDriver) -> None:
    await create_campaign(slack)
    await slack.click(ids.ASSIGN_TO_ME, WEB1, user=MANAGER)

    refused = await slack.click(ids.START_FIX, WEB1, user=DEV)
    linking = await press_opening_modal(slack, ids.LINK_PR, WEB1, DEV)
    not_linked = await slack.submit(linking, pull_request(GOOD_PR), user=DEV)

    assert refused is not None and "work on others' alerts" in refused["text"]
    assert not_linked["response_action"] == "errors"
    assert "work on others' alerts" in not_linked["errors"][ids.PULL_REQUEST]
    assert "*0* in progress" in text_of(await slack.command("show 1"))

    helping = await press_opening_modal(slack, ids.START_FIX, WEB1, ADMIN)
    assert await slack.submit(helping, pull_request(GOOD_PR), user=ADMIN) == {}
    await ephemeral_containing(slack, ADMIN, "in progress")
    assert "*1* in progress" in text_of(await slack.command("show 1"))
    assert "acme/web#code-1" in text_of(await slack.command("mine", user=MANAGER))  # still theirs
    assert "no open alerts" in text_of(await slack.command("mine", user=ADMIN))


async def test_a_pull_request_linked_from_the_app_home_is_confirmed_by_dm_and_shown_there(
    slack: SlackDriver,
) -> None:
    slack.fake.add_user(DEV, name="dev")
    await create_campaign(slack)
    await slack.click(ids.ASSIGN_TO_ME, WEB1, user=DEV)
    home = {"type": "home", "id": "VHOMEDEV"}

    before = len(slack.fake.calls("views.open"))
    await slack.click(ids.LINK_PR, WEB1, user=DEV, view=home)
    await slack.fake.wait_for("views.open", before + 1)
    modal = slack.fake.views[max(slack.fake.views)]
    assert await slack.submit(modal, pull_request(GOOD_PR), user=DEV) == {}

    dm = slack.fake.dm_channel(DEV)
    await slack.wait(
        lambda: any(
            call.args["channel"] == dm and "in progress" in call.args["text"]
            for call in slack.fake.calls("chat.postMessage", ok=True)
        )
    )
    await slack.wait(lambda: DEV in slack.fake.home_views)
    shown = text_of(slack.fake.home_views[DEV])
    assert "Your alerts" in shown and f"PR <{GOOD_PR}|#42>" in shown
    assert not [c for c in slack.fake.calls("chat.postEphemeral") if c.args["user"] == DEV]


async def test_a_twice_submitted_link_pr_modal_counts_the_alert_once(slack: SlackDriver) -> None:
    await create_campaign(slack)
    modal = await press_opening_modal(slack, ids.LINK_PR, WEB1, DEV)

    assert await slack.submit(modal, pull_request(GOOD_PR), user=DEV) == {}
    assert await slack.submit(modal, pull_request(GOOD_PR), user=DEV) == {}

    assert "*1* in progress" in text_of(await slack.command("show 1"))
    listed = await slack.command("show 1 group:none status:in-progress", user=DEV)
    assert "1–1 of 1" in text_of(listed)
    assert [b["value"] for b in buttons_of(listed, ids.UNASSIGN)] == [WEB1]


async def test_a_forged_alert_in_a_modal_button_is_shown_literally(slack: SlackDriver) -> None:
    await create_campaign(slack)
    for action, user in ((ids.LINK_PR, DEV), (ids.ASSIGN_OTHER, ADMIN)):
        reply = await slack.click(action, "1:<!channel>#code-1", user=user)
        assert reply is not None
        assert "<!channel>" not in text_of(reply) and "&lt;!channel&gt;" in text_of(reply)
