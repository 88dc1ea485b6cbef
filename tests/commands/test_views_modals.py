"""Every modal and the Home tab render into views Slack accepts, whatever the user typed. Pure
and fast: no server. The checks are those of tests/commands/view_support.py.
"""

from __future__ import annotations

import json
from datetime import date

import pytest

from bot.core.models import Campaign, CampaignAlert, Progress
from commands.campaigns.modal_views import (
    CampaignMeta,
    CreateModalMeta,
    content_modal,
    create_modal,
    delete_modal,
    edit_modal,
    loading_modal,
    message_modal,
    template_select,
)
from commands.campaigns.views import campaign_view
from commands.home.views import home_view
from commands.shared import ids
from tests.commands.view_support import (
    HOSTILE,
    LONG_NAME,
    check_view,
    make_campaign,
    make_preview,
    make_progress,
)

# -- modals and the Home tab --------------------------------------------------------------------


def test_create_modal_in_every_state() -> None:
    meta = CreateModalMeta(channel="C0SECURITY")
    due = date(2026, 12, 2)
    variants = [
        create_modal(meta),
        create_modal(CreateModalMeta(), manager="U1", due_default=due),
        create_modal(meta, template="critical", manager="U1", due_default=due),
        create_modal(meta, template="no-such-template"),
        create_modal(meta, query="is:open", preview=make_preview()),
        create_modal(meta, query="is:open", preview=make_preview(big=True)),
        create_modal(meta, query=HOSTILE, preview_error=f"“{HOSTILE}” is not a filter"),
        create_modal(meta, query="q" * 3000, preview=make_preview("q" * 3000, notes=[HOSTILE])),
    ]
    for view in variants:
        check_view(view)
        assert view["callback_id"] == ids.CREATE_MODAL
        assert CreateModalMeta.model_validate_json(view["private_metadata"]) in (
            meta,
            CreateModalMeta(),
        )
        block_ids = [block.get("block_id") for block in view["blocks"]]
        assert ids.PREVIEW_RESULT in block_ids and ids.NAME in block_ids
    big = variants[5]
    assert any(block.get("block_id") == ids.BIG_CHOICE for block in big["blocks"])
    # `/campaign new` reads the query back from the second block before it previews.
    templated = variants[2]
    assert templated["blocks"][1]["element"]["initial_value"].startswith("is:open")
    assert templated["blocks"][0]["element"]["initial_option"]["value"] == "critical"
    for block in templated["blocks"]:
        if block["type"] == "input":
            assert block["element"]["action_id"] == block["block_id"]


def test_template_select_offers_every_template_once() -> None:
    element = template_select("critical")
    values = [o["value"] for group in element["option_groups"] for o in group["options"]]
    assert len(values) == len(set(values)) and "critical" in values
    assert element["initial_option"]["value"] == "critical"
    assert "initial_option" not in template_select(None)


def test_campaign_modals(scenario: tuple[Campaign, Progress, list[CampaignAlert]]) -> None:
    campaign, progress, _ = scenario
    edit = edit_modal(campaign)
    check_view(edit)
    assert CampaignMeta.model_validate_json(edit["private_metadata"]).campaign == 3
    delete = delete_modal(campaign, "C0SECURITY")
    check_view(delete)
    assert CampaignMeta.model_validate_json(delete["private_metadata"]) == CampaignMeta(
        campaign=3, channel="C0SECURITY"
    )
    check_view(content_modal(f"Campaign #{campaign.id}", campaign_view(campaign, progress)))


def test_loading_and_message_modals() -> None:
    for view in (
        loading_modal(),
        loading_modal("Edit campaign"),
        message_modal("Delete campaign", "You can't delete campaigns."),
    ):
        check_view(view)
        assert view["callback_id"] == ids.LOADING_MODAL
        assert len(view["title"]["text"]) <= 24
    # A domain message may quote user text: its markup is shown literally, but the mentions the
    # service itself writes (`<@U…>`) stay live.
    refusal = message_modal("A title far longer than Slack's twenty-four", HOSTILE * 100)
    shown = json.dumps(refusal)
    assert len(refusal["title"]["text"]) <= 24
    assert (
        "<!channel>" not in shown and "<https://evil" not in shown and "&lt;!channel&gt;" in shown
    )


@pytest.mark.parametrize("manager", [True, False])
@pytest.mark.parametrize("count", [0, 1, 40, 200])
def test_home_view_fits_any_number(manager: bool, count: int) -> None:
    campaigns = [
        make_campaign(id=n, name=HOSTILE[:50] if n % 2 else LONG_NAME) for n in range(1, count + 1)
    ]
    view = home_view(campaigns, [make_progress() for _ in campaigns], manager=manager)
    assert view["type"] == "home"
    check_view(view)
    text = json.dumps(view)
    assert (ids.OPEN_CREATE in text) is manager
    assert (ids.CONFIRM_CLOSE in text) is (manager and count > 0)
