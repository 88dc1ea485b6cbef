"""Filters over a small organization select exactly the alerts a security manager expects:
repository and project qualifiers, and free text."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from tests.conftest import NOW
from tests.store.alert_query_support import EVERY_ALERT, EVERY_CODE, EVERY_SECRET, selected

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


async def test_not_archived_selects_what_archived_false_selects(org: AsyncEngine) -> None:
    """`-archived:true` is compiled as `archived:false` (a plan PostgreSQL can start from the
    repositories a `team:` names); the selection must not change, with other terms or alone."""
    for extra in ("", " is:open", " kind:secret", " -is:open"):
        assert await selected(org, f"-archived:true{extra}") == await selected(
            org, f"archived:false{extra}"
        )
        assert await selected(org, f"-archived:false{extra}") == await selected(
            org, f"archived:true{extra}"
        )
    assert await selected(org, "-archived:true") == EVERY_ALERT - {
        "legacy#code-1",
        "legacy#secret-1",
    }
    assert await selected(org, "-archived:true,false") == set()


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
