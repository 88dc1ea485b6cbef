"""The pieces views are made of: button values that stay valid for any repository name GitHub
allows, escaping and shortening, dates, and paging through repositories. Pure and fast: no server.
"""

from __future__ import annotations

import json
from datetime import date

from bot.core.models import AlertStatus, RepositoryProgress
from commands.alerts.views import ALERTS_PER_PAGE, AlertPage, alert_list
from commands.campaigns.views import campaign_view
from commands.shared import ids
from commands.shared.blocks import ELLIPSIS, escape, join_lines, link, shorten, user_text
from tests.commands.view_support import (
    GITHUB_LONGEST,
    LONG_REPOSITORY,
    check_blocks,
    make_campaign,
    make_items,
    make_progress,
)

# -- a very long repository name never makes a button Slack refuses -----------------------------


def test_very_long_repository_name_keeps_buttons_valid() -> None:
    campaign = make_campaign()
    progress = make_progress(
        [
            RepositoryProgress(name=LONG_REPOSITORY, open=9),
            RepositoryProgress(name=GITHUB_LONGEST, open=2),
            RepositoryProgress(name='acme/"quoted"\\back\u0001slash', open=1),
        ]
    )
    blocks = campaign_view(campaign, progress)
    check_blocks(blocks)
    texts = [b.get("text", {}).get("text", "") for b in blocks]
    start = texts.index("*Repositories* (3)") + 1
    rows = blocks[start : start + 3]
    # The impossible name is shown shortened and has no Alerts button...
    assert ELLIPSIS in rows[0]["text"]["text"] and "accessory" not in rows[0]
    assert len(rows[0]["text"]["text"]) < 400
    # ...every name GitHub allows round-trips through its button value.
    for row, name in zip(rows[1:], [GITHUB_LONGEST, 'acme/"quoted"\\back\u0001slash'], strict=True):
        page = AlertPage.model_validate_json(row["accessory"]["value"])
        assert page == AlertPage(campaign=3, repository=name)
    # A page typed with that name (`show 3 repo:…`) pages without an oversized value.
    page = AlertPage(campaign=3, repository=LONG_REPOSITORY, offset=ALERTS_PER_PAGE)
    assert page.button_value() is None
    blocks = alert_list(campaign, make_items(10, LONG_REPOSITORY), 30, page)
    check_blocks(blocks)
    assert [e["action_id"] for e in blocks[-1]["elements"]] == [ids.VIEW_CAMPAIGN]


def test_alert_page_value_is_small_and_round_trips() -> None:
    page = AlertPage(campaign=12, repository="acme/web", status=AlertStatus.IN_PROGRESS, offset=20)
    value = page.button_value()
    assert value is not None and AlertPage.model_validate_json(value) == page
    assert AlertPage(campaign=12).button_value() == '{"campaign":12}'
    longest = AlertPage(campaign=10**12, repository="\u0001" * 140, status=AlertStatus.OPEN)
    assert longest.button_value() is not None  # even fully \u-escaped, GitHub's names fit


# -- primitives ---------------------------------------------------------------------------------


def test_escape_and_shorten() -> None:
    assert escape("<!channel> & <@U1>") == "&lt;!channel&gt; &amp; &lt;@U1&gt;"
    assert shorten("abc", 3) == "abc"
    assert shorten("abcdef", 4) == "abc" + ELLIPSIS
    assert shorten("ab   cdef", 5) == "ab" + ELLIPSIS
    assert user_text("a&b", 10) == "a&amp;b"
    cut = user_text("&" * 100, 12)
    assert cut == "&amp;&amp;" + ELLIPSIS and len(cut) <= 12
    assert user_text("<" * 10, 8) == "&lt;" + ELLIPSIS
    assert join_lines(["a", "b"], 10) == "a\nb"
    assert join_lines(["a" * 6, "b" * 6, "c"], 10) == "a" * 6 + "\n" + ELLIPSIS
    assert (
        link("https://a.example/?x=1&y=2", "A & B") == "<https://a.example/?x=1&amp;y=2|A &amp; B>"
    )
    assert link("https://a.example/a|b", "x") == "<https://a.example/a%7Cb|x>"
    assert link(None, "<x>") == "&lt;x&gt;"
    assert link("https://a.example/" + "a" * 2000, "x") == "x"


def test_dates_read_naturally() -> None:
    campaign = make_campaign(due_date=date(2026, 12, 15))
    texts = {
        days: json.dumps(campaign_view(campaign, make_progress(days_left=days)))
        for days in (2, 1, 0, -4)
    }
    assert "2 days left" in texts[2] and "1 day left" in texts[1]
    assert "due today" in texts[0] and "4 days overdue" in texts[-4]
    assert "2026-12-15" in texts[2]


def test_the_campaign_view_pages_through_many_repositories() -> None:
    from bot.core.models import RepositoryProgress
    from commands.campaigns.views import campaign_view

    repos = [RepositoryProgress(name=f"acme/r{n:02d}", open=30 - n) for n in range(25)]
    progress = make_progress().model_copy(update={"repositories": repos})
    first = json.dumps(campaign_view(make_campaign(), progress))
    last = json.dumps(campaign_view(make_campaign(), progress, repo_offset=20))

    assert "Repositories 1\\u201310 of 25" in first and "acme/r09" in first
    assert "acme/r10" not in first and '"value": "3:10"' in first
    assert "Repositories 21\\u201325 of 25" in last and "acme/r24" in last
    assert "More repositories" not in last and "Previous repositories" in last
