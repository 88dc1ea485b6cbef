"""Filters over a small organization select exactly the alerts a security manager expects:
`is:` facets, and the code scanning and secret scanning qualifiers."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.core.query.parser import parse
from bot.core.query.qualifiers import AUTOFIX_NOTE
from store.alert_query import count_selection
from tests.conftest import NOW
from tests.store.alert_query_support import EVERY_CODE, EVERY_SECRET, selected

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
