"""Alert cards: who sees which button, and what each button and its modal does (no GitHub).
Refusals are in tests/commands/test_alert_card_refusals.py, My alerts and the App Home in
tests/commands/test_alert_card_home.py."""

from __future__ import annotations

from typing import Any

import pytest

from commands.shared import ids
from tests.commands.card_support import GOOD_PR, WEB1, assignee, press_opening_modal, pull_request
from tests.commands.conftest import ADMIN, CHANNEL, DEV, MANAGER, SlackDriver, buttons_of, text_of
from tests.commands.test_campaign_command import create_campaign


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


async def test_a_twice_submitted_link_pr_modal_counts_the_alert_once(slack: SlackDriver) -> None:
    await create_campaign(slack)
    modal = await press_opening_modal(slack, ids.LINK_PR, WEB1, DEV)

    assert await slack.submit(modal, pull_request(GOOD_PR), user=DEV) == {}
    assert await slack.submit(modal, pull_request(GOOD_PR), user=DEV) == {}

    assert "*1* in progress" in text_of(await slack.command("show 1"))
    listed = await slack.command("show 1 group:none status:in-progress", user=DEV)
    assert "1–1 of 1" in text_of(listed)
    assert [b["value"] for b in buttons_of(listed, ids.UNASSIGN)] == [WEB1]
