"""What the view tests (tests/commands/test_views_*.py) share: hostile and oversized inputs,
builders of campaigns, progress, alerts and previews, representative scenarios (the `scenario`
fixture of tests/commands/conftest.py takes each), and the checks every rendering must pass.

Each rendered block is parsed back through slack_sdk's models and validated; block counts stay
within Slack's 50 (messages) and 100 (views); user text is escaped in every mrkdwn text; and
button values are at most 2000 characters and valid JSON where they hold JSON.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from typing import Any

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
from commands.alerts.views import AlertPage
from commands.shared.blocks import BUTTON_VALUE, MESSAGE_BLOCKS, VIEW_BLOCKS
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
