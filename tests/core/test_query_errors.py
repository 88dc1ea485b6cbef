"""The filter language as a security manager types it: what is refused and how it is explained;
and, fuzzed, parsing gives a query or a QueryError, nothing else."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.query.ast import Query, QueryError
from bot.core.query.parser import parse
from bot.core.query.qualifiers import (
    EMPTY_QUERY,
    KNOWN_QUALIFIERS,
    QUALIFIERS,
    RESOLUTION_VALUES,
    SEVERITY_VALUES,
)


def error(text: str) -> QueryError:
    with pytest.raises(QueryError) as raised:
        parse(text)
    return raised.value


# --- kinds ------------------------------------------------------------------------------------


def test_terms_of_two_kinds_are_refused_since_no_alert_could_match() -> None:
    problem = error("severity:high validity:active")
    assert problem.term == "validity:active"
    assert "secret" in problem.message and "code" in problem.message


def test_negating_every_kind_is_refused() -> None:
    assert "no kind" in error("-kind:code,secret").message


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
