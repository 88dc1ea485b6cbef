"""The review service and its SQL: every slice's count is what its query selects (on SQLite and
PostgreSQL), rankings come from a few grouped statements, and awkward values stay exact."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.campaigns.service import CampaignService
from bot.core.models import AlertKind
from bot.core.query.parser import parse
from bot.core.settings import Settings
from bot.playbooks.review import Review, ReviewService, Slice, query_for
from store import alerts, repositories
from store.review import count_each
from tests.builders import code_alert, repo, secret_alert

SPACED_TYPE = "team db, password"
QUOTED_TYPE = 'weird"type'


async def seed(engine: AsyncEngine, now: datetime) -> None:
    """Three repositories; secrets of several providers, types and facets; code of several
    severities, CWEs (spelled two ways) and rules; a few closed or test-code alerts."""
    recent = now - timedelta(days=5)
    async with engine.begin() as conn:
        await repositories.upsert_many(
            conn,
            [
                repo("acme/web", visibility="public"),
                repo("acme/api"),
                repo("acme/legacy", archived=True),
            ],
        )
        await alerts.upsert_many(
            conn,
            [
                secret_alert("acme/web", 1, publicly_leaked=True, bypassed=True),
                secret_alert("acme/web", 2, validity="inactive", multi_repo=True),
                secret_alert(
                    "acme/api",
                    1,
                    secret_type="github_personal_access_token",
                    secret_type_display_name="GitHub Personal Access Token",
                    provider="GitHub",
                    provider_slug="github",
                    bypassed=True,
                ),
                secret_alert(
                    "acme/api",
                    2,
                    secret_type=SPACED_TYPE,
                    secret_type_display_name="Team <b>DB</b> password",
                    provider=None,
                    provider_slug=None,
                    validity="unknown",
                    bypassed=True,
                ),
                secret_alert(
                    "acme/api",
                    3,
                    secret_type="password",
                    secret_type_display_name="Password",
                    provider=None,
                    provider_slug=None,
                    validity="unknown",
                    generic=True,
                ),
                secret_alert(
                    "acme/api", 4, secret_type=QUOTED_TYPE, provider=None, provider_slug=None
                ),
                secret_alert("acme/legacy", 1, state="resolved", resolution="revoked"),
                code_alert("acme/web", 1, security_severity="critical"),
                code_alert(
                    "acme/web",
                    2,
                    security_severity="critical",
                    rule_id="js/sql-injection",
                    rule_name="Database query built from user-controlled sources",
                    tags=["security", "external/cwe/cwe-089"],
                    created_at=recent,
                ),
                code_alert("acme/api", 1, security_severity="high"),
                code_alert("acme/api", 2, tags=["external/cwe/cwe-79"], created_at=recent),
                code_alert("acme/api", 3, security_severity="medium"),
                code_alert("acme/api", 4, security_severity="critical", classifications=["test"]),
                code_alert("acme/web", 3, security_severity="critical", state="fixed"),
                code_alert("acme/legacy", 1, security_severity="low", created_at=recent),
            ],
        )


@pytest.fixture
async def seeded(engine: AsyncEngine, now: datetime) -> AsyncEngine:
    await seed(engine, now)
    return engine


@contextmanager
def statements(engine: AsyncEngine) -> Iterator[list[str]]:
    """The SQL statements `engine` runs inside the block."""
    seen: list[str] = []

    def record(*args: Any) -> None:
        seen.append(str(args[2]))

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)


def by_title(review: Review) -> dict[str, Slice]:
    """Slices by title; the first of a title (a secret type heads its bypass slice too)."""
    found: dict[str, Slice] = {}
    for each in review.slices():
        found.setdefault(each.title, each)
    return found


def group_titles(review: Review, kind: AlertKind) -> dict[str, list[str]]:
    [section] = [s for s in review.sections if s.kind is kind]
    return {group.title: [s.title for s in group.slices] for group in section.groups}


async def test_every_slice_counts_exactly_what_its_query_selects(
    seeded: AsyncEngine, now: datetime
) -> None:
    review = await ReviewService(seeded, lambda: now).review()
    campaigns = CampaignService(seeded, Settings(_env_file=None), clock=lambda: now)

    assert review.slices()
    for found in review.slices():
        preview = await campaigns.preview(found.query)
        assert preview.selection.alerts == found.count, found
        kinds = (preview.selection.code, preview.selection.secret)
        assert 0 in kinds, f"{found.query} mixes kinds: no campaign could hold it"


async def test_headline_counts_open_alerts_and_their_repositories(
    seeded: AsyncEngine, now: datetime
) -> None:
    review = await ReviewService(seeded, lambda: now).review()

    assert (review.query, review.open_alerts, review.repositories) == ("is:open", 13, 3)
    secrets, code = review.sections
    assert (secrets.kind, secrets.open_alerts, secrets.repositories) == (AlertKind.SECRET, 6, 2)
    assert (code.kind, code.open_alerts, code.repositories) == (AlertKind.CODE, 7, 3)
    assert (secrets.query, code.query) == ("kind:secret is:open", "kind:code is:open")
    # Code slices keep to application code (the test-code alert is counted, not sliced), and say so.
    assert "autofilter:true" in (code.note or "")
    assert all("autofilter:true" in s.query for g in code.groups for s in g.slices)


async def test_secret_slices_follow_the_seed(seeded: AsyncEngine, now: datetime) -> None:
    review = await ReviewService(seeded, lambda: now).review(AlertKind.SECRET)

    assert [s.kind for s in review.sections] == [AlertKind.SECRET]
    assert review.open_alerts == 6
    slices = by_title(review)
    leaked = slices["Publicly leaked"]
    assert (leaked.query, leaked.count) == ("kind:secret is:open is:publicly-leaked", 1)
    assert slices["In more than one repository"].count == 1
    assert slices["Still valid"].query == "kind:secret is:open validity:active"
    assert slices["Still valid"].count == 3  # two AWS keys (one inactive, one resolved) + token
    assert (slices["Default patterns"].count, slices["Generic patterns"].count) == (5, 1)
    assert "false positives" in (slices["Generic patterns"].note or "")
    assert slices["Amazon AWS"].query == 'kind:secret is:open provider:"Amazon AWS"'
    assert slices["Amazon AWS"].count == 2
    groups = group_titles(review, AlertKind.SECRET)
    assert list(groups) == [
        "Most urgent",
        "Default and generic patterns",
        "By provider",
        "By secret type",
        "Push-protection bypasses by secret type",
        "Push-protection bypasses by repository",
    ]
    assert groups["By provider"] == ["Amazon AWS", "GitHub"]
    assert groups["By secret type"][0] == "AWS Access Key ID"
    assert groups["Push-protection bypasses by repository"] == ["acme/api", "acme/web"]
    bypass_repo = next(s for s in review.slices() if s.title == "acme/api")
    assert bypass_repo.query == "kind:secret is:open bypassed:true repo:acme/api"
    assert bypass_repo.count == 2


async def test_odd_secret_types_are_quoted_or_left_out(seeded: AsyncEngine, now: datetime) -> None:
    review = await ReviewService(seeded, lambda: now).review(AlertKind.SECRET)

    spaced = by_title(review)["Team <b>DB</b> password"]
    assert spaced.query == f'kind:secret is:open secret-type:"{SPACED_TYPE}"'
    assert spaced.count == 1
    assert parse(spaced.query).text == spaced.query
    # A `"` cannot be said in the filter language: no slice rather than a wrong one.
    assert all(QUOTED_TYPE not in s.query for s in review.slices())
    assert query_for("kind:secret", "secret-type", QUOTED_TYPE) is None
    assert query_for("kind:secret", "secret-type", " padded ") is None
    assert query_for("kind:secret", "secret-type", "a:b,c d") is not None


async def test_code_slices_rank_cwes_however_spelled_and_rules(
    seeded: AsyncEngine, now: datetime
) -> None:
    review = await ReviewService(seeded, lambda: now).review(AlertKind.CODE)

    slices = by_title(review)
    assert (slices["Critical"].count, slices["High"].count) == (2, 2)
    assert slices["Critical"].query == "kind:code is:open autofilter:true severity:critical"
    assert slices["Critical or high in public repositories"].count == 2
    assert slices["Critical or high, open over 90 days"].count == 2
    groups = group_titles(review, AlertKind.CODE)
    assert groups["By CWE"] == ["Cross-site scripting (CWE-79)", "SQL injection (CWE-89)"]
    xss = slices["Cross-site scripting (CWE-79)"]
    assert (xss.query, xss.count) == (
        "kind:code is:open autofilter:true tag:external/cwe/cwe-079",
        5,
    )
    assert groups["By rule"] == [
        "Cross-site scripting",
        "Database query built from user-controlled sources",
    ]
    assert slices["Cross-site scripting"].query.endswith("rule:js/xss")


async def test_the_review_takes_a_fixed_handful_of_statements(
    seeded: AsyncEngine, now: datetime
) -> None:
    """Grouped statements, not one per slice: more slices, the same statements."""
    runs = []
    for top in (1, 5):
        with statements(seeded) as seen:
            review = await ReviewService(seeded, lambda: now, top=top).review()
        runs.append((len(review.slices()), len(seen)))
    (few, few_statements), (many, many_statements) = runs
    assert many > few
    assert many_statements == few_statements <= 12


async def test_an_empty_inventory_has_no_slices(engine: AsyncEngine, now: datetime) -> None:
    review = await ReviewService(engine, lambda: now).review()

    assert (review.open_alerts, review.repositories) == (0, 0)
    assert [s.open_alerts for s in review.sections] == [0, 0]
    assert review.slices() == []


async def test_counting_refuses_a_query_that_does_not_narrow_its_base(
    engine: AsyncEngine, now: datetime
) -> None:
    async with engine.connect() as conn:
        within = parse("kind:secret is:open")
        assert await count_each(conn, [], within=within, now=now) == []
        with pytest.raises(ValueError, match="does not narrow"):
            await count_each(conn, [parse("kind:secret validity:active")], within=within, now=now)
