"""Every message view renders into blocks Slack accepts, whatever the user typed. Pure and fast:
no server. The checks are those of tests/commands/view_support.py.
"""

from __future__ import annotations

from datetime import date

import pytest

from bot.core.models import AlertStatus, Campaign, CampaignAlert, Progress
from commands.alerts.views import ALERTS_PER_PAGE, AlertPage, alert_line, alert_list
from commands.campaigns.views import (
    campaign_header_blocks,
    campaign_list,
    campaign_view,
    confirm_state_change,
    edit_announcement,
    help_blocks,
    preview_blocks,
    preview_text,
    report_blocks,
    templates_blocks,
)
from commands.shared.blocks import HEADER_TEXT, MESSAGE_BLOCKS
from tests.commands.view_support import (
    HOSTILE,
    assert_escaped,
    check_blocks,
    make_campaign,
    make_items,
    make_preview,
    make_progress,
)

# -- message views ------------------------------------------------------------------------------


def test_campaign_views_fit_and_escape(
    scenario: tuple[Campaign, Progress, list[CampaignAlert]],
) -> None:
    campaign, progress, _ = scenario
    for blocks in (
        campaign_view(campaign, progress),
        campaign_view(campaign, progress, manage=False),
        campaign_header_blocks(campaign, progress),
        report_blocks(campaign, progress),
        confirm_state_change(campaign, closing=True),
        confirm_state_change(campaign, closing=False),
    ):
        check_blocks(blocks)
    header = campaign_view(campaign, progress)[0]
    assert header["type"] == "header" and len(header["text"]["text"]) <= HEADER_TEXT


@pytest.mark.parametrize("count", [0, 1, 7, 200])
@pytest.mark.parametrize("scope", ["active", "all", "closed"])
def test_campaign_list_fits_any_number(scope: str, count: int) -> None:
    campaigns = [
        make_campaign(id=n, name=f"{HOSTILE[:40]} {n}") if n % 2 else make_campaign(id=n)
        for n in range(1, count + 1)
    ]
    progresses = [make_progress() for _ in campaigns]
    blocks = campaign_list(campaigns, progresses, scope)
    check_blocks(blocks)
    if count > MESSAGE_BLOCKS:
        assert "more" in blocks[-1]["elements"][0]["text"]


def test_alert_pages_fit_and_escape(
    scenario: tuple[Campaign, Progress, list[CampaignAlert]],
) -> None:
    campaign, progress, items = scenario
    total = len(items)
    repository = progress.repositories[0].name if progress.repositories else None
    pages = [
        AlertPage(campaign=campaign.number),
        AlertPage(campaign=campaign.number, offset=ALERTS_PER_PAGE),
        AlertPage(campaign=campaign.number, repository=repository, status=AlertStatus.OPEN),
        AlertPage(campaign=campaign.number, repository=HOSTILE, offset=ALERTS_PER_PAGE),
    ]
    for page in pages:
        shown = items[page.offset : page.offset + ALERTS_PER_PAGE]
        blocks = alert_list(campaign, shown, total, page)
        check_blocks(blocks)
        assert len(blocks) <= 2 + 3 * ALERTS_PER_PAGE + 1
    for item in items[:20]:
        assert_escaped(alert_line(item))


def test_alert_list_never_shows_more_than_a_page() -> None:
    items = make_items(1000)
    blocks = alert_list(make_campaign(), items, 1000, AlertPage(campaign=3))
    check_blocks(blocks)
    sections = [b for b in blocks if b["type"] == "section"]
    assert len(sections) == 1 + ALERTS_PER_PAGE
    nav = blocks[-1]["elements"]
    following = AlertPage.model_validate_json(nav[0]["value"])
    assert following == AlertPage(campaign=3, offset=ALERTS_PER_PAGE)


def test_help_templates_and_previews() -> None:
    check_blocks(help_blocks())
    noted = help_blocks(f"Unknown subcommand “{HOSTILE}”. Here is what I know:")
    check_blocks(noted)
    assert "&lt;!channel&gt;" in noted[0]["text"]["text"]
    check_blocks(templates_blocks())
    for preview in (
        make_preview(),
        make_preview(big=True),
        make_preview(HOSTILE, names=[HOSTILE], notes=[HOSTILE]),
        make_preview("q" * 5000, names=[f"acme/{'r' * 300}-{n}" for n in range(200)]),
        make_preview(names=[], notes=["x" * 4000] * 30),
    ):
        check_blocks(preview_blocks(preview))
        text = preview_text(preview)
        assert len(text) <= 3000
        assert_escaped(text)


def test_edit_announcement_escapes_every_value() -> None:
    campaign = make_campaign(name=HOSTILE[:50])
    changes = {
        "name": ("Old", HOSTILE),
        "description": (None, HOSTILE * 10),
        "manager": ("U1", "U2"),
        "channel": (None, "C9"),
        "contact_link": ("https://a.example", "https://b.example/<!channel>"),
        "due_date": (date(2026, 12, 1), date(2026, 12, 15)),
    }
    text = edit_announcement(campaign, changes, "U0ACTOR")
    assert text.startswith("<@U0ACTOR> updated campaign *#3 ")
    assert "<@U2>" in text and "<#C9>" in text and "2026-12-15" in text
    assert_escaped(text.replace("<@U0ACTOR>", "").replace("<@U1>", "").replace("<@U2>", ""))
