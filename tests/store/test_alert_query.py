"""Filters over a small organization select exactly the alerts a security manager expects."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.core.models import AlertKind, AlertRef
from bot.core.query.parser import parse
from bot.core.query.qualifiers import AUTOFIX_NOTE
from store import alerts, fix_links, repositories, schema
from store.alert_filter import compile_query
from store.alert_query import breakdown, count_selection, select_for_campaign
from tests.builders import code_alert, repo, secret_alert
from tests.conftest import NOW


def days_ago(days: int) -> datetime:
    return NOW - timedelta(days=days)


CODE_ALERTS = [
    code_alert(
        "acme/web",
        1,
        created_at=days_ago(40),
        assignees=["Octocat"],
    ),
    code_alert(
        "acme/web",
        2,
        state="fixed",
        rule_id="js/sql-injection",
        rule_name="Database query built from user-controlled sources",
        security_severity="critical",
        tags=["security", "external/cwe/cwe-089"],
        created_at=days_ago(200),
    ),
    code_alert(
        "acme/web",
        3,
        rule_id="js/unused-local-variable",
        rule_name="Unused variable",
        security_severity=None,
        severity="note",
        tool="ESLint",
        tags=["maintainability"],
        classifications=["test"],
        created_at=days_ago(5),
    ),
    code_alert(
        "acme/api",
        1,
        rule_id="java/log-injection",
        rule_name="Log Injection",
        security_severity="medium",
        tags=["security", "external/cwe/cwe-117"],
        created_at=days_ago(400),
    ),
    code_alert(
        "acme/legacy",
        1,
        state="dismissed",
        rule_id="py/weak-crypto",
        rule_name="Weak cryptographic algorithm",
        security_severity="low",
        severity="warning",
        tags=["security", "external/cwe/cwe-327"],
        created_at=days_ago(800),
    ),
    code_alert(
        "acme/tools",
        1,
        classifications=["generated"],
        assignees=["hubot"],
        created_at=days_ago(20),
    ),
]
SECRET_ALERTS = [
    secret_alert("acme/web", 1, publicly_leaked=True, created_at=days_ago(3)),
    secret_alert(
        "acme/api",
        1,
        state="resolved",
        resolution="revoked",
        secret_type="github_personal_access_token",
        secret_type_display_name="GitHub Personal Access Token",
        provider="GitHub",
        provider_slug="github",
        validity="inactive",
        created_at=days_ago(100),
    ),
    secret_alert(
        "acme/api",
        2,
        state="resolved",
        resolution="false_positive",
        secret_type="password",
        secret_type_display_name="Password",
        provider=None,
        provider_slug=None,
        validity="unknown",
        generic=True,
        bypassed=True,
        multi_repo=True,
        created_at=days_ago(30),
    ),
    secret_alert(
        "acme/legacy",
        1,
        secret_type="slack_api_token",
        secret_type_display_name="Slack API Token",
        provider="Slack",
        provider_slug="slack",
        assignees=["alice"],
        created_at=days_ago(60),
    ),
    secret_alert("acme/tools", 1, validity=None, created_at=days_ago(1)),
]
EVERY_ALERT = {alert.reference.removeprefix("acme/") for alert in CODE_ALERTS + SECRET_ALERTS}
EVERY_CODE = {ref for ref in EVERY_ALERT if "#code-" in ref}
EVERY_SECRET = EVERY_ALERT - EVERY_CODE


@pytest.fixture
async def org(engine: AsyncEngine) -> AsyncEngine:
    """acme: web (public), api (private, most recently pushed), legacy (archived, never pushed),
    tools (private); two teams; a fix branch on api#code-1 and tools#secret-1."""
    async with engine.begin() as conn:
        await repositories.upsert_many(
            conn,
            [
                repo(
                    "acme/web",
                    visibility="public",
                    topics=["frontend", "Payments"],
                    pushed_at=days_ago(13),
                ),
                repo("acme/api", topics=["backend", "payments"], pushed_at=days_ago(3)),
                repo(
                    "acme/legacy",
                    visibility="internal",
                    archived=True,
                    topics=["legacy"],
                    pushed_at=None,
                ),
                repo("acme/tools", pushed_at=days_ago(60)),
            ],
        )
        await repositories.set_properties(
            conn,
            {
                "acme/web": {"Team": ["Web Team"]},
                "acme/api": {"BusinessPriority": ["Urgent"], "Team": ["API"]},
            },
        )
        await repositories.set_team_repositories(
            conn, "web-devs", "Web Devs", {"acme/web": "push", "acme/tools": "pull"}
        )
        await repositories.set_team_repositories(
            conn,
            "platform",
            "Platform",
            {"acme/api": "admin", "acme/legacy": "maintain", "acme/tools": "triage"},
        )
        await alerts.upsert_many(conn, CODE_ALERTS + SECRET_ALERTS)
        for repository, kind in (("acme/api", AlertKind.CODE), ("acme/tools", AlertKind.SECRET)):
            [alert] = await alerts.find(conn, AlertRef(repository=repository, kind=kind, number=1))
            assert alert.id is not None
            await fix_links.add(conn, alert.id, "branch", "fix-it", None, days_ago(1))
    return engine


async def selected(engine: AsyncEngine, text: str, now: datetime = NOW) -> set[str]:
    """The alerts `text` selects, named `repo#kind-number`."""
    async with engine.connect() as conn:
        ids = await conn.scalars(
            select(schema.alerts.c.id).where(compile_query(parse(text), now=now))
        )
        found = await alerts.get_many(conn, list(ids))
    return {alert.reference.removeprefix("acme/") for alert in found}


# --- state and is: facets ---------------------------------------------------------------------


async def test_is_open_selects_open_alerts_of_both_kinds_archived_repositories_included(
    org: AsyncEngine,
) -> None:
    assert await selected(org, "is:open") == {
        "web#code-1",
        "web#code-3",
        "api#code-1",
        "tools#code-1",
        "web#secret-1",
        "legacy#secret-1",
        "tools#secret-1",
    }


async def test_is_closed_selects_fixed_dismissed_and_resolved(org: AsyncEngine) -> None:
    assert await selected(org, "is:closed") == {
        "web#code-2",
        "legacy#code-1",
        "api#secret-1",
        "api#secret-2",
    }


async def test_is_open_and_is_publicly_leaked_are_both_required(org: AsyncEngine) -> None:
    assert await selected(org, "is:open is:publicly-leaked") == {"web#secret-1"}


async def test_is_multi_repository_selects_only_such_secrets(org: AsyncEngine) -> None:
    assert await selected(org, "is:multi-repository") == {"api#secret-2"}


async def test_is_public_is_the_repository_visibility(org: AsyncEngine) -> None:
    assert await selected(org, "is:public") == await selected(org, "visibility:public")
    assert await selected(org, "is:public is:closed") == {"web#code-2"}


# --- code scanning qualifiers -----------------------------------------------------------------


async def test_severity_critical_selects_only_critical_code_alerts(org: AsyncEngine) -> None:
    assert await selected(org, "severity:critical") == {"web#code-2"}


async def test_severity_levels_compare_the_rule_severity(org: AsyncEngine) -> None:
    assert await selected(org, "severity:note,warning") == {"web#code-3", "legacy#code-1"}


async def test_negated_severity_keeps_code_alerts_without_a_security_severity(
    org: AsyncEngine,
) -> None:
    assert await selected(org, "-severity:high") == {
        "web#code-2",
        "web#code-3",
        "api#code-1",
        "legacy#code-1",
    }


async def test_rule_matches_the_rule_id_case_insensitively(org: AsyncEngine) -> None:
    assert await selected(org, "rule:JS/XSS") == {"web#code-1", "tools#code-1"}
    assert await selected(org, 'rule:"java/log-injection"') == {"api#code-1"}


async def test_tag_cwe_79_matches_codeqls_zero_padded_tag(org: AsyncEngine) -> None:
    assert await selected(org, "tag:external/cwe/cwe-79") == {"web#code-1", "tools#code-1"}
    assert await selected(org, "tag:external/cwe/cwe-079,external/cwe/cwe-117") == {
        "web#code-1",
        "tools#code-1",
        "api#code-1",
    }


async def test_negated_tag_keeps_code_alerts_without_it(org: AsyncEngine) -> None:
    assert await selected(org, "-tag:security") == {"web#code-3"}


async def test_tool_compares_case_insensitively(org: AsyncEngine) -> None:
    assert await selected(org, "tool:eslint") == {"web#code-3"}


async def test_autofilter_true_leaves_out_test_generated_and_library_code(
    org: AsyncEngine,
) -> None:
    assert await selected(org, "is:open autofilter:true") == {"web#code-1", "api#code-1"}
    assert await selected(org, "autofilter:false") == EVERY_CODE
    assert await selected(org, "-autofilter:true") == {"web#code-3", "tools#code-1"}


async def test_autofix_supported_narrows_nothing_but_the_kind_and_says_so(
    org: AsyncEngine,
) -> None:
    assert await selected(org, "autofix:supported") == EVERY_CODE
    async with org.connect() as conn:
        counts = await count_selection(conn, parse("autofix:supported"), now=NOW)
    assert counts.notes == (AUTOFIX_NOTE,)


# --- secret scanning qualifiers ---------------------------------------------------------------


async def test_secret_type_and_provider_slug_or_name(org: AsyncEngine) -> None:
    assert await selected(org, "secret-type:AWS_ACCESS_KEY_ID") == {
        "web#secret-1",
        "tools#secret-1",
    }
    assert await selected(org, "provider:amazon_aws") == {"web#secret-1", "tools#secret-1"}
    assert await selected(org, 'provider:"amazon aws",slack') == {
        "web#secret-1",
        "tools#secret-1",
        "legacy#secret-1",
    }


async def test_validity_selects_secrets_and_its_negation_keeps_unknown_ones(
    org: AsyncEngine,
) -> None:
    assert await selected(org, "validity:active") == {"web#secret-1", "legacy#secret-1"}
    assert await selected(org, "-validity:active") == {
        "api#secret-1",
        "api#secret-2",
        "tools#secret-1",
    }


async def test_resolution_in_githubs_and_the_apis_spelling(org: AsyncEngine) -> None:
    assert await selected(org, "resolution:false-positive") == {"api#secret-2"}
    assert await selected(org, "resolution:false_positive,revoked") == {
        "api#secret-1",
        "api#secret-2",
    }


async def test_results_bypassed_select_secret_facets(org: AsyncEngine) -> None:
    assert await selected(org, "results:generic") == {"api#secret-2"}
    assert await selected(org, "results:default") == EVERY_SECRET - {"api#secret-2"}
    assert await selected(org, "bypassed:true") == {"api#secret-2"}
    assert await selected(org, "bypassed:false") == EVERY_SECRET - {"api#secret-2"}


# --- repository qualifiers --------------------------------------------------------------------


async def test_repo_takes_full_or_short_names(org: AsyncEngine) -> None:
    assert await selected(org, "repo:ACME/Api") == {"api#code-1", "api#secret-1", "api#secret-2"}
    assert await selected(org, "repo:legacy,acme/tools") == {
        "legacy#code-1",
        "legacy#secret-1",
        "tools#code-1",
        "tools#secret-1",
    }


async def test_topic_is_case_insensitive(org: AsyncEngine) -> None:
    assert await selected(org, "topic:PAYMENTS is:open") == {
        "web#code-1",
        "web#code-3",
        "api#code-1",
        "web#secret-1",
    }


async def test_team_selects_repositories_it_can_write_to(org: AsyncEngine) -> None:
    # web-devs only reads acme/tools; platform only triages it.
    assert await selected(org, "team:web-devs") == {
        "web#code-1",
        "web#code-2",
        "web#code-3",
        "web#secret-1",
    }
    assert await selected(org, 'team:"Platform" kind:code') == {"api#code-1", "legacy#code-1"}
    assert await selected(org, "team:acme/platform kind:code") == {"api#code-1", "legacy#code-1"}


async def test_custom_properties_match_names_and_values_case_insensitively(
    org: AsyncEngine,
) -> None:
    assert await selected(org, "props.BusinessPriority:urgent kind:code") == {"api#code-1"}
    assert await selected(org, 'props.team:"web team" kind:secret') == {"web#secret-1"}
    assert await selected(org, '-props.team:api,"web team" kind:code') == {
        "legacy#code-1",
        "tools#code-1",
    }


async def test_archived_repositories_are_in_unless_archived_false(org: AsyncEngine) -> None:
    assert "legacy#secret-1" in await selected(org, "is:open")
    assert await selected(org, "archived:true") == {"legacy#code-1", "legacy#secret-1"}
    assert await selected(org, "archived:false") == EVERY_ALERT - {
        "legacy#code-1",
        "legacy#secret-1",
    }


async def test_visibility_values_or(org: AsyncEngine) -> None:
    assert await selected(org, "visibility:public,internal kind:secret") == {
        "web#secret-1",
        "legacy#secret-1",
    }


# --- project qualifiers -----------------------------------------------------------------------


async def test_kind_restricts_and_negated_kind_complements(org: AsyncEngine) -> None:
    assert await selected(org, "kind:secret") == EVERY_SECRET
    assert await selected(org, "-kind:secret") == EVERY_CODE


async def test_assignee_login_none_and_any(org: AsyncEngine) -> None:
    assert await selected(org, "assignee:octocat") == {"web#code-1"}
    assert await selected(org, "assignee:@Alice,hubot") == {"legacy#secret-1", "tools#code-1"}
    assert await selected(org, "assignee:any") == {"web#code-1", "tools#code-1", "legacy#secret-1"}
    assert await selected(org, "assignee:none") == EVERY_ALERT - {
        "web#code-1",
        "tools#code-1",
        "legacy#secret-1",
    }


async def test_status_in_progress_is_an_open_alert_with_a_fix_link(org: AsyncEngine) -> None:
    assert await selected(org, "status:in-progress") == {"api#code-1", "tools#secret-1"}
    assert await selected(org, "status:closed") == await selected(org, "is:closed")
    assert await selected(org, "status:open") == await selected(org, "is:open") - {
        "api#code-1",
        "tools#secret-1",
    }
    assert await selected(org, "status:open,in_progress") == await selected(org, "is:open")


async def test_age_counts_from_the_injected_clock(org: AsyncEngine) -> None:
    assert await selected(org, "age:>1y") == {"api#code-1", "legacy#code-1"}
    assert await selected(org, "age:<1w") == {"web#code-3", "web#secret-1", "tools#secret-1"}
    assert await selected(org, "age:>=30d age:<=60d") == {
        "web#code-1",
        "api#secret-2",
        "legacy#secret-1",
    }
    a_year_later = NOW + timedelta(days=366)
    assert await selected(org, "age:<1y", now=a_year_later) == set()


async def test_created_compares_utc_days(org: AsyncEngine) -> None:
    day = (NOW - timedelta(days=40)).date().isoformat()
    assert await selected(org, f"created:{day}") == {"web#code-1"}
    assert await selected(org, f"created:>{day} kind:code") == {"web#code-3", "tools#code-1"}
    assert await selected(org, f"created:*..{day} kind:code") == {
        "web#code-1",
        "web#code-2",
        "api#code-1",
        "legacy#code-1",
    }


# --- free text --------------------------------------------------------------------------------


async def test_bare_word_matches_rule_secret_type_and_repository_names(org: AsyncEngine) -> None:
    assert await selected(org, "XSS") == {"web#code-1", "tools#code-1"}
    assert await selected(org, "injection") == {"web#code-2", "api#code-1"}  # rule names
    assert await selected(org, "slack") == {"legacy#secret-1"}
    assert await selected(org, "access personal") == {"api#secret-1"}  # two words, ANDed
    assert await selected(org, '"access personal"') == set()  # one phrase
    assert await selected(org, "legacy") == {"legacy#code-1", "legacy#secret-1"}
    assert await selected(org, "acme/tool") == {"tools#code-1", "tools#secret-1"}


async def test_negated_bare_word_keeps_alerts_with_empty_fields(org: AsyncEngine) -> None:
    assert await selected(org, "-xss") == EVERY_ALERT - {"web#code-1", "tools#code-1"}


async def test_like_wildcards_in_text_are_literal(org: AsyncEngine) -> None:
    assert await selected(org, "%") == set()
    assert await selected(org, "api_token") == {"legacy#secret-1"}
    assert await selected(org, "g_i") == set()  # `_` is not "any character" (log-injection)


# --- negation is the complement within the kinds --------------------------------------------


@pytest.mark.parametrize(
    "term",
    [
        "is:open",
        "severity:high,note",
        "rule:js/xss",
        "tag:security",
        "tool:codeql",
        "autofilter:true",
        "validity:active",
        "resolution:revoked",
        "provider:amazon_aws",
        "secret-type:password",
        "repo:web",
        "topic:payments",
        "team:platform",
        "props.team:api",
        "visibility:private",
        "archived:true",
        "assignee:none",
        "status:in-progress",
        "age:>30d",
        "created:>2026-01-01",
        "xss",
        "token",
        "is:publicly-leaked",
    ],
)
async def test_a_term_and_its_negation_split_their_kinds_alerts(
    org: AsyncEngine, term: str
) -> None:
    kinds = parse(term).kinds()
    universe = {ref for ref in EVERY_ALERT if any(f"#{kind.value}-" in ref for kind in kinds)}
    chosen, rest = await selected(org, term), await selected(org, f"-{term}")
    assert chosen | rest == universe
    assert not chosen & rest


# --- previews ---------------------------------------------------------------------------------


async def test_count_selection_counts_alerts_repositories_and_kinds(org: AsyncEngine) -> None:
    async with org.connect() as conn:
        counts = await count_selection(conn, parse("is:open"), now=NOW)
        nothing = await count_selection(conn, parse("repo:acme/nowhere"), now=NOW)
    assert (counts.alerts, counts.repositories, counts.code, counts.secret) == (7, 4, 4, 3)
    assert (nothing.alerts, nothing.repositories, nothing.code, nothing.secret) == (0, 0, 0, 0)


async def test_breakdown_shows_severities_secret_types_and_top_repositories(
    org: AsyncEngine,
) -> None:
    async with org.connect() as conn:
        everything = await breakdown(conn, parse("created:*..2100-01-01"), now=NOW, top=2)
        counts = await count_selection(conn, parse("created:*..2100-01-01"), now=NOW)
    assert everything.counts == counts
    assert (counts.alerts, counts.repositories, counts.code, counts.secret) == (11, 4, 6, 5)
    assert list(everything.by_severity.items()) == [
        ("critical", 1),
        ("high", 2),
        ("medium", 1),
        ("low", 1),
        ("note", 1),
    ]
    assert list(everything.by_secret_type.items()) == [
        ("aws_access_key_id", 2),
        ("github_personal_access_token", 1),
    ]
    assert everything.top_repositories == [("acme/web", 4), ("acme/api", 3)]


async def test_breakdown_of_an_empty_selection_is_empty(org: AsyncEngine) -> None:
    async with org.connect() as conn:
        empty = await breakdown(conn, parse("repo:nowhere"), now=NOW)
    assert empty.counts.alerts == 0
    assert (empty.by_severity, empty.by_secret_type, empty.top_repositories) == ({}, {}, [])


# --- the big-campaign rule ------------------------------------------------------------------


async def test_select_for_campaign_keeps_alerts_of_the_most_recently_pushed_repositories(
    org: AsyncEngine,
) -> None:
    async with org.connect() as conn:
        chosen = await select_for_campaign(conn, parse("is:open"), now=NOW, limit=5)
        ordered = await select_for_campaign(conn, parse("is:open"), now=NOW, limit=100)
        found = {alert.id: alert for alert in await alerts.get_many(conn, [i for i, _ in ordered])}
        repository_ids = await repositories.ids_by_name(conn, ["acme/api", "acme/web"])
    names = [found[alert_id].reference.removeprefix("acme/") for alert_id, _ in ordered]
    # api (pushed 3 days ago), web (13), tools (60), legacy (never pushed) last.
    assert names == [
        "api#code-1",
        "web#code-1",
        "web#secret-1",
        "web#code-3",
        "tools#code-1",
        "tools#secret-1",
        "legacy#secret-1",
    ]
    assert chosen == ordered[:5]
    assert ordered[0][1] == repository_ids["acme/api"]
    assert ordered[1][1] == repository_ids["acme/web"]


async def test_query_for_a_naive_now_is_read_as_utc(org: AsyncEngine) -> None:
    naive = NOW.replace(tzinfo=None)
    assert await selected(org, "age:<1w", now=naive) == await selected(org, "age:<1w")
    assert NOW.tzinfo is UTC
