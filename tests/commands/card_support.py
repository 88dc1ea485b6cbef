"""What the alert-card tests (tests/commands/test_alert_card_*.py) share: the alerts and the pull
request they use, and how they press a card's buttons and fill and read its modals."""

from __future__ import annotations

from typing import Any

from commands.shared import ids
from tests.commands.conftest import CHANNEL, SlackDriver
from tests.fakes.signing import button

WEB1 = "1:acme/web#code-1"
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
