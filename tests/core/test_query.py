"""The filter language as a security manager types it: what parses to what, and what is refused."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.cwe import cwe_spellings
from bot.core.models import AlertKind
from bot.core.query.ast import BareWord, QualifierTerm, Query, QueryError, TimeRange
from bot.core.query.parser import parse
from bot.core.query.qualifiers import (
    AUTOFIX_NOTE,
    EMPTY_QUERY,
    KNOWN_QUALIFIERS,
    QUALIFIERS,
    RESOLUTION_VALUES,
    SEVERITY_VALUES,
)
from bot.core.query.times import time_range

CODE = frozenset({AlertKind.CODE})
SECRET = frozenset({AlertKind.SECRET})
BOTH = frozenset(AlertKind)


def terms(text: str) -> list[object]:
    return list(parse(text).terms)


def error(text: str) -> QueryError:
    with pytest.raises(QueryError) as raised:
        parse(text)
    return raised.value


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


def test_terms_of_two_kinds_are_refused_since_no_alert_could_match() -> None:
    problem = error("severity:high validity:active")
    assert problem.term == "validity:active"
    assert "secret" in problem.message and "code" in problem.message


def test_negating_every_kind_is_refused() -> None:
    assert "no kind" in error("-kind:code,secret").message


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


# --- errors -----------------------------------------------------------------------------------


def test_unknown_qualifier_names_it_suggests_and_lists_the_valid_ones() -> None:
    problem = error("is:open sevrity:high")
    assert problem.term == "sevrity:high"
    assert problem.message.startswith('unknown qualifier "sevrity:"')
    assert 'did you mean "severity:"' in problem.message
    assert "valid qualifiers: " + ", ".join(KNOWN_QUALIFIERS) in problem.message


def test_bad_value_names_the_term_and_lists_the_valid_values() -> None:
    problem = error('severity:"urgent"')
    assert problem.message == (
        'severity:"urgent" is not a valid value — valid: critical, high, medium, low, '
        "error, warning, note"
    )
    assert problem.term == 'severity:"urgent"'


@pytest.mark.parametrize(
    ("text", "valid"),
    [
        ("is:fixed", "open, closed, publicly-leaked, multi-repository, public, private"),
        ("validity:valid", "active, inactive, unknown"),
        ("resolution:fixed", ", ".join(RESOLUTION_VALUES)),
        ("archived:yes", "true, false"),
        ("kind:dependency", "code, secret"),
        ("status:done", "open, in-progress, closed"),
        ("autofix:maybe", "supported"),
        ("results:custom", "default, generic"),
    ],
)
def test_every_enumerated_qualifier_lists_its_values(text: str, valid: str) -> None:
    problem = error(text)
    assert problem.term == text
    assert "is not a valid value" in problem.message and valid in problem.message


def test_empty_value_names_the_term_and_lists_the_valid_values() -> None:
    problem = error("severity:")
    assert problem.term == "severity:"
    assert "empty value" in problem.message
    assert ", ".join(SEVERITY_VALUES) in problem.message


def test_empty_value_in_a_list_or_quotes_is_refused_with_an_example() -> None:
    assert error("severity:high,").term == "severity:high,"
    problem = error('rule:""')
    assert "empty value" in problem.message and "rule:js/xss" in problem.message


def test_unbalanced_quotes_are_refused_naming_the_term() -> None:
    problem = error('is:open rule:"js/xss')
    assert problem.term == 'rule:"js/xss'
    assert "unbalanced quotes" in problem.message and 'rule:"js/xss' in problem.message


@pytest.mark.parametrize("text", ["", "   ", "\t\n"])
def test_an_empty_query_is_refused(text: str) -> None:
    assert error(text).message == EMPTY_QUERY


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        ("age:30d", ">30d for older than"),
        ("age:>30x", "units d w m y"),
        ("age:>9999y", "at most 100 years"),
        ("created:2026-02-30", "no such date"),
        ("created:2026-03-01..2026-01-01", "earlier date first"),
        ("created:yesterday", "YYYY-MM-DD"),
        ("created:*..*", "at least one date"),
    ],
)
def test_bad_ages_and_dates_say_which_forms_work(text: str, hint: str) -> None:
    problem = error(text)
    assert problem.term == text and hint in problem.message


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        ("-", "negates nothing"),
        ("--repo:x", 'single "-"'),
        (":x", 'no qualifier before ":"'),
        ("props.:x", "property name"),
        ('""', "empty text"),
        ("assignee:@", "GitHub login"),
        ("is:open,publicly-leaked", "is:open is:publicly-leaked"),
    ],
)
def test_malformed_terms_are_explained(text: str, hint: str) -> None:
    problem = error(text)
    assert problem.term == text and hint in problem.message


# --- fuzz -------------------------------------------------------------------------------------

QUALIFIER_NAMES = [*QUALIFIERS, "props.team", "props.", "sevrity", "", "IS", "Props.X"]
FRAGMENTS = [
    *{value for spec in QUALIFIERS.values() for value in spec.values},
    "js/xss",
    "external/cwe/cwe-079",
    ">30d",
    "7d..30d",
    "2026-01-01",
    "2026-01-01..*",
    "none",
    "@octo",
    "Team A",
    "",
    " ",
    "-",
    ",",
    ":",
    '"',
]
fragment = st.sampled_from(FRAGMENTS) | st.text(max_size=6)
values = st.lists(fragment, min_size=0, max_size=3).map(",".join)
quoted = values.map(lambda text: f'"{text}"')
qualified = st.builds(
    lambda dash, name, value: f"{dash}{name}:{value}",
    st.sampled_from(["", "-", "--"]),
    st.sampled_from(QUALIFIER_NAMES),
    values | quoted,
)
plausible = st.lists(qualified | fragment | quoted, min_size=0, max_size=6).map(" ".join)


@settings(max_examples=400, deadline=None)
@given(st.text() | plausible)
def test_parse_returns_a_query_or_raises_query_error_nothing_else(text: str) -> None:
    try:
        query = parse(text)
    except QueryError as problem:
        assert problem.message
        return
    assert isinstance(query, Query) and query.terms and query.kinds()


@settings(max_examples=300, deadline=None)
@given(plausible)
def test_canonical_text_parses_back_to_the_same_query(text: str) -> None:
    try:
        query = parse(text)
    except QueryError:
        return
    again = parse(str(query))
    assert again.terms == query.terms
    assert again.notes == query.notes
