"""Alert cards where a developer finds their own alerts: My alerts and the App Home."""

from __future__ import annotations

from typing import Any

from commands.shared import ids
from tests.commands.card_support import GOOD_PR, WEB1, pull_request
from tests.commands.conftest import DEV, SlackDriver, buttons_of, text_of
from tests.commands.test_campaign_command import create_campaign

WEB2 = "1:acme/web#code-2"


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
