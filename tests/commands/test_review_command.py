"""`/campaign review [secrets | code]` through the running app against the fake Slack: the
slices with their counts and queries, **Start a campaign** for managers only (it opens the
create modal exactly as `/campaign new QUERY` does), and clear answers to bad input."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import aiohttp
import pytest

from bot.core.models import AlertKind
from bot.playbooks.review import Group, Review, Section, Slice
from commands.playbooks.review_views import START_LABEL, StartValue, review_blocks
from commands.shared import ids
from commands.shared.blocks import MESSAGE_BLOCKS
from commands.shared.context import DAMAGED
from store import alerts, repositories
from store.engine import create_engine
from tests.builders import repo, secret_alert
from tests.commands.conftest import ADMIN, CHANNEL, DEV, SlackDriver, buttons_of, text_of
from tests.conftest import NOW
from tests.fakes.fixtures import StartApp
from tests.fakes.signing import SlackSigner, button
from tests.fakes.slack import FakeSlack

ODD_TYPE = "team db, password"
ODD_NAME = "Team <b>DB</b> & co"


async def add_secrets(database_url: str) -> None:
    """On top of the shared seed: a leaked AWS key, an odd secret type, a bypass."""
    engine = create_engine(database_url)
    async with engine.begin() as conn:
        await repositories.upsert_many(
            conn, [repo("acme/web", pushed_at=datetime(2026, 10, 30, tzinfo=UTC))]
        )
        await alerts.upsert_many(
            conn,
            [
                secret_alert("acme/web", 2, publicly_leaked=True),
                secret_alert(
                    "acme/web",
                    3,
                    secret_type=ODD_TYPE,
                    secret_type_display_name=ODD_NAME,
                    provider=None,
                    provider_slug=None,
                    bypassed=True,
                ),
            ],
        )
    await engine.dispose()


@pytest.fixture
async def review_slack(slack: SlackDriver) -> SlackDriver:
    await add_secrets(slack.app.settings.database_url)
    return slack


def starts(reply: dict[str, Any]) -> dict[str, str]:
    """The Start buttons of a reply: query → the section text it sits on."""
    found = {}
    for block in reply.get("blocks") or []:
        accessory = block.get("accessory") or {}
        if accessory.get("action_id") == ids.REVIEW_START:
            assert accessory["text"]["text"] == START_LABEL
            found[StartValue.model_validate_json(accessory["value"]).query] = block["text"]["text"]
    return found


async def press(slack: SlackDriver, value: str, user: str) -> str:
    """Press **Start a campaign** with `value`; returns the hook id its answer would go to."""
    url = slack.fake.response_url()
    request = slack.signer.block_actions(
        button(ids.REVIEW_START, value), user_id=user, response_url=url, channel_id=CHANNEL
    )
    assert (await slack.post(request.body, request.headers)).status == 200
    return url.rsplit("/", 1)[-1]


async def refusal(slack: SlackDriver, value: str, user: str) -> str:
    hook = await press(slack, value, user)
    await slack.wait(lambda: bool(slack.fake.hook_calls(hook)))
    [answer] = slack.fake.hook_calls(hook)
    assert answer.args["response_type"] == "ephemeral"
    return text_of(answer.args)


async def test_review_shows_slices_with_counts_queries_and_start_buttons(
    review_slack: SlackDriver,
) -> None:
    reply = await review_slack.command("review")

    assert reply["response_type"] == "ephemeral"
    assert len(reply["blocks"]) <= MESSAGE_BLOCKS
    shown = text_of(reply)
    assert "Review of the open alerts" in shown
    assert "14 open alerts in 3 repositories" in reply["text"]
    assert "Secret scanning" in shown and "Code scanning" in shown
    buttons = starts(reply)
    leaked = buttons["kind:secret is:open is:publicly-leaked"]
    assert "*Publicly leaked* — 1 alert" in leaked
    assert "Still valid" in buttons["kind:secret is:open validity:active"]
    assert "*Critical* — 9 alerts" in buttons["kind:code is:open autofilter:true severity:critical"]
    # Nothing multi-repository: the slice says so, with no button to start an empty campaign.
    assert "*In more than one repository* — none" in shown
    assert "kind:secret is:open is:multi-repository" not in buttons
    assert "/campaign review secrets" in shown


async def test_a_slice_count_is_what_its_query_previews(review_slack: SlackDriver) -> None:
    reply = await review_slack.command("review secrets")
    buttons = starts(reply)

    assert len(buttons) >= 8
    for query, text in buttons.items():
        count = re.search(r"\* — (\d+) alerts?\n", text)
        assert count is not None, text
        preview = text_of(await review_slack.command(f"preview {query}"))
        said = re.search(r"\*(\d+) alerts? in ", preview)
        assert said is not None and said.group(1) == count.group(1), (query, preview)
        assert "matches nothing" not in preview


async def test_odd_secret_types_are_escaped_and_quoted(review_slack: SlackDriver) -> None:
    reply = await review_slack.command("review secrets")

    shown = text_of(reply)
    assert "Code scanning" not in shown
    assert "Team &lt;b&gt;DB&lt;/b&gt; &amp; co" in shown
    assert "<b>" not in shown
    assert f'kind:secret is:open secret-type:"{ODD_TYPE}"' in starts(reply)
    assert f'kind:secret is:open bypassed:true secret-type:"{ODD_TYPE}"' in starts(reply)


async def test_start_opens_the_create_modal_on_the_slice_query(
    review_slack: SlackDriver,
) -> None:
    reply = await review_slack.command("review secrets")
    query = f'kind:secret is:open secret-type:"{ODD_TYPE}"'
    [value] = [
        b["value"]
        for b in buttons_of(reply, ids.REVIEW_START)
        if StartValue.model_validate_json(b["value"]).query == query
    ]

    await press(review_slack, value, ADMIN)

    [opened] = await review_slack.fake.wait_for("views.open")
    view = opened.args["view"]
    assert view["callback_id"] == ids.CREATE_MODAL
    assert view["blocks"][1]["element"]["initial_value"] == query
    [update] = await review_slack.fake.wait_for("views.update")
    assert "1 alert in 1 repository" in text_of(update.args["view"])


async def test_developers_see_the_slices_without_buttons(review_slack: SlackDriver) -> None:
    reply = await review_slack.command("review", user=DEV)

    assert "Publicly leaked" in text_of(reply)
    assert buttons_of(reply, ids.REVIEW_START) == []
    assert "Only security managers can create campaigns" in text_of(reply)


async def test_a_developer_pressing_start_is_refused(review_slack: SlackDriver) -> None:
    value = StartValue(query="kind:secret is:open validity:active").model_dump_json()

    said = await refusal(review_slack, value, DEV)

    assert "Only security managers can create campaigns" in said
    assert review_slack.fake.calls("views.open") == []


@pytest.mark.parametrize(
    "value",
    [
        "kind:secret is:open",
        "{not json",
        json.dumps({"query": ""}),
        json.dumps({"query": "sevrity:high"}),
        json.dumps({"query": "is:open", "campaign": 3}),
        json.dumps({"query": "x" * 3000}),
    ],
)
async def test_a_tampered_start_value_is_refused(review_slack: SlackDriver, value: str) -> None:
    said = await refusal(review_slack, value, ADMIN)

    assert DAMAGED.split(";")[0] in said
    assert review_slack.fake.calls("views.open") == []


async def test_an_unknown_review_answers_with_its_usage(review_slack: SlackDriver) -> None:
    reply = await review_slack.command("review nonsense")

    assert "Unknown review “nonsense”" in text_of(reply)
    assert "/campaign review [secrets | code]" in text_of(reply)


@pytest.fixture
async def empty_slack(
    start_app: StartApp, fake_slack: FakeSlack, slack_signer: SlackSigner
) -> AsyncIterator[SlackDriver]:
    fake_slack.add_channel(CHANNEL, name="security")
    app = await start_app(campaign_admins=ADMIN, clock=lambda: NOW)
    async with aiohttp.ClientSession() as http:
        yield SlackDriver(app, fake_slack, slack_signer, http)
    assert fake_slack.violations == []


@pytest.mark.parametrize(
    ("text", "said"), [("review", "No open alerts"), ("review code", "No open code alerts")]
)
async def test_an_empty_inventory_says_there_is_nothing_to_review(
    empty_slack: SlackDriver, text: str, said: str
) -> None:
    reply = await empty_slack.command(text)

    assert said in text_of(reply) and "nothing to review" in text_of(reply)
    assert buttons_of(reply, ids.REVIEW_START) == []


def test_a_huge_review_fits_one_message_and_escapes_what_the_data_says() -> None:
    hostile = "<!channel> <@U123> & " + "x" * 300
    many = [
        Group(
            title=f"Group {n}",
            ranked=ranked,
            slices=[
                Slice(
                    title=hostile,
                    query=f'kind:secret is:open secret-type:"{"y" * 190} {i}"',
                    count=i + 1,
                )
                for i in range(10)
            ],
        )
        for n, ranked in enumerate([False, True, True, True, True, True])
    ]
    review = Review(
        kind=None,
        query="is:open",
        open_alerts=100,
        repositories=10,
        sections=[
            Section(kind=kind, query="q", open_alerts=50, repositories=5, groups=many)
            for kind in (AlertKind.SECRET, AlertKind.CODE)
        ],
    )

    blocks = review_blocks(review)

    assert len(blocks) <= MESSAGE_BLOCKS
    shown = json.dumps(blocks)
    assert "<!channel>" not in shown and "<@U123>" not in shown
    assert "&lt;!channel&gt;" in shown
    assert "more than fits" in shown
    for block in blocks:
        accessory = block.get("accessory")
        if accessory:
            assert StartValue.model_validate_json(accessory["value"]).query.startswith("kind:")
