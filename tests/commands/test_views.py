"""Every view renders into blocks Slack accepts, whatever the user typed. Pure and fast: no server.

Each rendered block is parsed back through slack_sdk's models and validated; block counts stay
within Slack's 50 (messages) and 100 (views); user text is escaped in every mrkdwn text; and
button values are at most 2000 characters and valid JSON where they hold JSON.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from bot.campaigns.queries import Preview
from bot.core.models import (
    AlertStatus,
    Campaign,
    CampaignAlert,
    CampaignState,
    Progress,
    ProgressStatus,
    RepositoryProgress,
    Selection,
    StatusCounts,
)
from commands.alerts.views import ALERTS_PER_PAGE, AlertPage, alert_line, alert_list
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
from commands.home.views import home_view
from commands.shared import ids
from commands.shared.blocks import (
    BUTTON_VALUE,
    ELLIPSIS,
    HEADER_TEXT,
    MESSAGE_BLOCKS,
    VIEW_BLOCKS,
    escape,
    join_lines,
    link,
    shorten,
    user_text,
)
from store.alert_query import Breakdown, SelectionCounts
from tests.builders import T0, code_alert, secret_alert

HOSTILE = "<!channel> hi <@U123> see <https://evil.example|x> & more"
RAW = ("<!channel>", "<@U123>", "<https://evil.example", "<!here>")
LONG_NAME = "N" * 50
LONG_DESCRIPTION = "D" * 255
LONG_REPOSITORY = "acme/" + "r" * 3000
GITHUB_LONGEST = "o" * 39 + "/" + "r" * 100  # GitHub's limits: owner 39, repository 100


# -- builders -----------------------------------------------------------------------------------


def make_campaign(**fields: Any) -> Campaign:
    values: dict[str, Any] = {
        "id": 3,
        "name": "Critical alerts",
        "description": "Fix every critical alert before the audit.",
        "kind": "code",
        "query": "is:open severity:critical",
        "due_date": date(2026, 12, 15),
        "manager": "U0MANAGER",
        "channel": "C0SECURITY",
        "contact_link": "https://wiki.example/security",
        "created_by": "U0MANAGER",
        "created_at": T0,
        "updated_at": T0,
        "alert_count": 12,
    }
    return Campaign(**(values | fields))


def make_progress(repositories: list[RepositoryProgress] | None = None, **fields: Any) -> Progress:
    repos = (
        repositories
        if repositories is not None
        else [
            RepositoryProgress(name="acme/web", open=5, in_progress=1, closed=2),
            RepositoryProgress(name="acme/api", open=3),
            RepositoryProgress(name="acme/legacy", closed=1),
        ]
    )
    counts = StatusCounts(
        open=sum(r.open for r in repos),
        in_progress=sum(r.in_progress for r in repos),
        closed=sum(r.closed for r in repos),
    )
    values: dict[str, Any] = {
        "campaign_id": 3,
        "counts": counts,
        "repositories": repos,
        "days_left": 43,
        "closed_in_period": 3,
        "period_days": 14,
        "burn_rate": 0.2,
        "projected_completion": date(2027, 1, 20),
        "status": ProgressStatus.AT_RISK,
    }
    return Progress(**(values | fields))


def make_items(count: int, repository: str = "acme/web", **fields: Any) -> list[CampaignAlert]:
    statuses = (AlertStatus.IN_PROGRESS, AlertStatus.OPEN, AlertStatus.CLOSED)
    items = []
    for n in range(1, count + 1):
        alert = (
            secret_alert(repository, n, html_url=f"https://github.example/{repository}/s/{n}")
            if n % 4 == 0
            else code_alert(repository, n, html_url=f"https://github.example/{repository}/c/{n}")
        )
        alert = alert.model_copy(update=fields)
        items.append(
            CampaignAlert(
                campaign_id=3,
                alert=alert,
                status=statuses[n % 3],
                assignee="U0DEV" if n % 2 else None,
            )
        )
    return items


def make_preview(
    query: str = "is:open severity:critical",
    *,
    big: bool = False,
    names: list[str] | None = None,
    notes: list[str] | None = None,
) -> Preview:
    names = names if names is not None else ["acme/web", "acme/api"]
    counts = SelectionCounts(alerts=1200 if big else 9, repositories=len(names), code=8, secret=1)
    return Preview(
        selection=Selection(
            query=query,
            alerts=counts.alerts,
            repositories=counts.repositories,
            code=counts.code,
            secret=counts.secret,
            big=big,
            kept=1000 if big else 9,
            left_out=200 if big else 0,
        ),
        notes=notes if notes is not None else [],
        breakdown=Breakdown(
            counts=counts,
            by_severity={"critical": 5, "high": 3},
            by_secret_type={name: 1 for name in names[:50]},
            top_repositories=[(name, 3) for name in names],
        ),
    )


# -- checks -------------------------------------------------------------------------------------


def walk(value: Any) -> Iterator[dict[str, Any]]:
    """Every dict inside a block or view, depth first."""
    if isinstance(value, dict):
        yield value
        for inner in value.values():
            yield from walk(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from walk(inner)


def assert_escaped(text: str) -> None:
    """No raw mention, broadcast or link from user text; every & starts an entity."""
    for raw in RAW:
        assert raw not in text, text
    rest = text.replace("&amp;", "").replace("&lt;", "").replace("&gt;", "")
    assert "&" not in rest, text


def check_blocks(blocks: list[dict[str, Any]], limit: int = MESSAGE_BLOCKS) -> None:
    assert isinstance(blocks, list) and 0 < len(blocks) <= limit, len(blocks)
    json.dumps(blocks)  # plain JSON all the way down: no model objects left in
    for block in blocks:
        parsed = Block.parse(block)
        assert parsed is not None, block
        parsed.validate_json()
        parsed.to_dict()  # validates nested elements, texts, options and confirms too
    for item in walk(blocks):
        if item.get("type") == "mrkdwn":
            assert item["text"], "Slack refuses empty text"
            assert_escaped(item["text"])
        if item.get("type") == "button":
            value = item.get("value", "")
            assert len(value) <= BUTTON_VALUE
            if value.startswith("{"):
                json.loads(value)
                AlertPage.model_validate_json(value)


def check_view(view: dict[str, Any]) -> None:
    json.dumps(view)
    model = View(**view)
    model.validate_json()
    model.to_dict()
    check_blocks(view["blocks"], VIEW_BLOCKS)


# -- representative inputs ----------------------------------------------------------------------


def _scenarios() -> dict[str, tuple[Campaign, Progress, list[CampaignAlert]]]:
    many_repos = [
        RepositoryProgress(name=f"acme/repo-{n:03}", open=n % 7, in_progress=n % 3, closed=1)
        for n in range(200)
    ]
    return {
        "normal": (make_campaign(), make_progress(), make_items(12)),
        "empty": (
            make_campaign(
                name="x",
                description="",
                contact_link=None,
                channel=None,
                alert_count=0,
                state=CampaignState.CLOSED,
            ),
            make_progress([], days_left=-3, projected_completion=None, status=ProgressStatus.DONE),
            [],
        ),
        "long": (
            make_campaign(name=LONG_NAME, description=LONG_DESCRIPTION, left_out=250),
            make_progress([RepositoryProgress(name=GITHUB_LONGEST, open=4)], days_left=0),
            make_items(10, GITHUB_LONGEST),
        ),
        "hostile": (
            make_campaign(
                name=HOSTILE[:50],
                description=HOSTILE * 4,
                query=HOSTILE,
                contact_link="https://contact.example/a|b>c&d",
            ),
            make_progress([RepositoryProgress(name="acme/<!channel>&x", open=1)], days_left=1),
            make_items(
                5,
                "acme/<!channel>",
                rule_name=HOSTILE,
                path="src/<@U123>&.js",
                html_url="https://x.example/a|<!channel>",
            ),
        ),
        "huge": (
            make_campaign(alert_count=1000, left_out=4000),
            make_progress(many_repos),
            make_items(1000),
        ),
        "very long repository": (
            make_campaign(),
            make_progress([RepositoryProgress(name=LONG_REPOSITORY, open=2)]),
            make_items(3, LONG_REPOSITORY),
        ),
    }


SCENARIOS = _scenarios()
SCENARIO_NAMES = list(SCENARIOS)


@pytest.fixture(params=SCENARIO_NAMES)
def scenario(request: pytest.FixtureRequest) -> tuple[Campaign, Progress, list[CampaignAlert]]:
    return SCENARIOS[request.param]


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
