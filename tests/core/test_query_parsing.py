"""The filter language as a security manager types it: what parses to what (terms, kinds, notes,
canonical text, time ranges). What is refused is in tests/core/test_query_errors.py."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.core.cwe import cwe_spellings
from bot.core.models import AlertKind
from bot.core.query.ast import BareWord, QualifierTerm, TimeRange
from bot.core.query.parser import parse
from bot.core.query.qualifiers import AUTOFIX_NOTE, KNOWN_QUALIFIERS, QUALIFIERS
from bot.core.query.times import time_range

CODE = frozenset({AlertKind.CODE})
SECRET = frozenset({AlertKind.SECRET})
BOTH = frozenset(AlertKind)


def terms(text: str) -> list[object]:
    return list(parse(text).terms)


# --- what parses to what ----------------------------------------------------------------------


def test_space_separated_terms_are_anded_as_separate_terms() -> None:
    assert terms("is:open severity:critical") == [
        QualifierTerm("is", ("open",)),
        QualifierTerm("severity", ("critical",)),
    ]


def test_comma_separated_values_are_one_term_ored() -> None:
    assert terms("severity:critical,high") == [QualifierTerm("severity", ("critical", "high"))]


def test_repeating_a_qualifier_ors_its_values_like_github() -> None:
    assert terms("repo:acme/web repo:acme/api") == [QualifierTerm("repo", ("acme/web", "acme/api"))]


def test_repeated_negations_merge_into_one_negated_term() -> None:
    # -a -b == NOT a AND NOT b == NOT (a OR b) == -a,b
    assert terms("-repo:acme/web -repo:acme/api") == [
        QualifierTerm("repo", ("acme/web", "acme/api"), negated=True)
    ]


def test_a_positive_and_a_negated_qualifier_stay_apart() -> None:
    assert terms("topic:payments -topic:legacy") == [
        QualifierTerm("topic", ("payments",)),
        QualifierTerm("topic", ("legacy",), negated=True),
    ]


def test_leading_dash_negates() -> None:
    assert terms("-tag:style") == [QualifierTerm("tag", ("style",), negated=True)]


def test_quoted_values_keep_their_spaces() -> None:
    assert terms('props.team:"Team A" rule:"js/xss"') == [
        QualifierTerm("props.team", ("team a",)),
        QualifierTerm("rule", ("js/xss",)),
    ]


def test_quoted_values_may_hold_commas_and_colons() -> None:
    assert terms('props.owner:"Smith, J",x rule:"a:b"') == [
        QualifierTerm("props.owner", ("smith, j", "x")),
        QualifierTerm("rule", ("a:b",)),
    ]


def test_qualifiers_and_values_compare_case_insensitively() -> None:
    assert terms("Severity:HIGH TOOL:CodeQL Props.BusinessPriority:Urgent") == [
        QualifierTerm("severity", ("high",)),
        QualifierTerm("tool", ("codeql",)),
        QualifierTerm("props.businesspriority", ("urgent",)),
    ]


def test_is_facets_are_anded_and_values_or_within_one_facet() -> None:
    query = parse("is:open is:publicly-leaked is:closed")
    assert list(query.terms) == [
        QualifierTerm("is", ("open", "closed")),
        QualifierTerm("is", ("publicly-leaked",)),
    ]
    assert query.kinds() == SECRET


def test_is_accepts_visibility_as_a_facet_of_its_own() -> None:
    assert terms("is:public is:open is:private") == [
        QualifierTerm("is", ("public", "private")),
        QualifierTerm("is", ("open",)),
    ]


def test_bare_words_are_free_text_anded() -> None:
    assert terms('XSS -"log injection" acme/web') == [
        BareWord("xss"),
        BareWord("log injection", negated=True),
        BareWord("acme/web"),
    ]


def test_a_quoted_word_with_a_colon_is_text_not_a_qualifier() -> None:
    assert terms('"http://example"') == [BareWord("http://example")]


@pytest.mark.parametrize(
    ("spelling", "canonical"),
    [
        ("false-positive", "false-positive"),
        ("false_positive", "false-positive"),
        ("WONT_FIX", "wont-fix"),
        ("used_in_tests", "used-in-tests"),
        ("revoked", "revoked"),
        ("pattern_edited", "pattern-edited"),
        ("pattern-deleted", "pattern-deleted"),
        ("hidden_by_config", "hidden-by-config"),
    ],
)
def test_resolution_takes_githubs_and_the_apis_spellings(spelling: str, canonical: str) -> None:
    assert terms(f"resolution:{spelling}") == [QualifierTerm("resolution", (canonical,))]


def test_status_takes_in_progress_with_either_separator() -> None:
    assert terms("status:in_progress,in-progress,open") == [
        QualifierTerm("status", ("in-progress", "open"))
    ]


def test_cwe_tags_lose_codeqls_zero_padding() -> None:
    assert terms("tag:external/cwe/cwe-079") == [QualifierTerm("tag", ("external/cwe/cwe-79",))]
    assert cwe_spellings("external/cwe/cwe-79") == (
        "external/cwe/cwe-79",
        "external/cwe/cwe-079",
        "external/cwe/cwe-0079",
    )
    assert cwe_spellings("security") == ("security",)


def test_assignee_accepts_an_at_sign_and_the_none_and_any_keywords() -> None:
    assert terms("assignee:@Octocat,none,any") == [
        QualifierTerm("assignee", ("octocat", "none", "any"))
    ]


@pytest.mark.parametrize("value", [">30d", "<2w", ">=6m", "<=1y", "7d..30d", ">30D"])
def test_age_forms(value: str) -> None:
    assert terms(f"age:{value}") == [QualifierTerm("age", (value.lower(),))]


@pytest.mark.parametrize(
    "value",
    [">2026-01-01", "<=2026-03-01", "2026-01-01..2026-02-01", "2026-01-01", "*..2026-01-01"],
)
def test_created_forms(value: str) -> None:
    assert terms(f"created:{value}") == [QualifierTerm("created", (value,))]


def test_repeated_ranges_and_instead_of_or() -> None:
    assert terms("age:>7d age:<30d") == [
        QualifierTerm("age", (">7d",)),
        QualifierTerm("age", ("<30d",)),
    ]


# --- kinds ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kinds"),
    [
        ("is:open", BOTH),
        ("severity:high", CODE),
        ("-severity:high", CODE),
        ("autofilter:true rule:js/xss", CODE),
        ("validity:active", SECRET),
        ("-bypassed:true", SECRET),
        ("is:multi-repository", SECRET),
        ("kind:code", CODE),
        ("-kind:code", SECRET),
        ("kind:code,secret", BOTH),
        ("repo:acme/web topic:x team:y props.a:b visibility:public archived:false", BOTH),
    ],
)
def test_a_qualifier_of_one_kind_selects_only_that_kind(
    text: str, kinds: frozenset[AlertKind]
) -> None:
    assert parse(text).kinds() == kinds


# --- notes, text, canonical form --------------------------------------------------------------


def test_autofix_is_accepted_and_explained_not_dropped() -> None:
    query = parse("is:open autofix:supported severity:critical")
    assert QualifierTerm("autofix", ("supported",)) in query.terms
    assert query.notes == (AUTOFIX_NOTE,)
    assert "not applied" in AUTOFIX_NOTE


def test_a_bare_facet_word_gets_a_hint() -> None:
    assert any("is:publicly-leaked" in note for note in parse("publicly-leaked").notes)


def test_query_keeps_the_original_text_and_prints_a_canonical_one() -> None:
    query = parse('  Severity:High  severity:critical -REPO:"Acme/Web"   xss ')
    assert query.text == '  Severity:High  severity:critical -REPO:"Acme/Web"   xss '
    assert str(query) == "severity:high,critical -repo:acme/web xss"


def test_canonical_text_quotes_what_needs_quotes() -> None:
    query = parse('props.team:"Team A" "-dash" "a:b" -"two words"')
    assert str(query) == 'props.team:"team a" "-dash" "a:b" -"two words"'
    assert parse(str(query)).terms == query.terms


def test_help_constants_list_every_qualifier() -> None:
    assert set(QUALIFIERS) | {"props.NAME"} == set(KNOWN_QUALIFIERS)
    assert list(KNOWN_QUALIFIERS) == sorted(KNOWN_QUALIFIERS)


# --- time ranges ------------------------------------------------------------------------------

NOW = datetime(2026, 8, 31, 12, 0, tzinfo=UTC)


def test_age_older_than_means_created_before_the_cutoff() -> None:
    assert time_range("age", ">30d", NOW) == TimeRange(before=datetime(2026, 8, 1, 12, tzinfo=UTC))
    assert time_range("age", "<2w", NOW) == TimeRange(after=datetime(2026, 8, 17, 12, tzinfo=UTC))


def test_age_months_and_years_are_calendar_ones() -> None:
    cutoff = time_range("age", ">=6m", NOW).before
    assert cutoff == datetime(2026, 2, 28, 12, tzinfo=UTC)
    assert time_range("age", "<=1y", NOW).after == datetime(2025, 8, 31, 12, tzinfo=UTC)


def test_age_range_is_inclusive_whichever_way_round() -> None:
    span = time_range("age", "30d..7d", NOW)
    assert span.contains(datetime(2026, 8, 1, 12, tzinfo=UTC))
    assert span.contains(datetime(2026, 8, 24, 12, tzinfo=UTC))
    assert not span.contains(datetime(2026, 8, 25, tzinfo=UTC))


def test_created_compares_whole_utc_days() -> None:
    after = time_range("created", ">2026-01-01", NOW)
    assert not after.contains(datetime(2026, 1, 1, 23, 59, tzinfo=UTC))
    assert after.contains(datetime(2026, 1, 2, tzinfo=UTC))
    through = time_range("created", "<=2026-03-01", NOW)
    assert through.contains(datetime(2026, 3, 1, 23, 59, tzinfo=UTC))
    assert not through.contains(datetime(2026, 3, 2, tzinfo=UTC))
    day = time_range("created", "2026-01-01..2026-02-01", NOW)
    assert day.contains(datetime(2026, 1, 1, tzinfo=UTC))
    assert day.contains(datetime(2026, 2, 1, 18, tzinfo=UTC))
    assert not day.contains(datetime(2026, 2, 2, tzinfo=UTC))
