"""The alert filter language (ARCHITECTURE §5): parse GitHub's security-overview syntax to an AST.

Pure Python: `store.alert_filter` compiles the AST (`ast`) to SQL, the Slack surface shows the
errors and the help built from `qualifiers`. Parsing normalizes as it validates (lower case,
GitHub's and the API's spellings, CWE numbers), so the compiler only ever sees canonical values.

Semantics, in one place:

- Terms separated by spaces are ANDed. `qualifier:a,b` means a OR b, and so does repeating a
  positive qualifier (`repo:a repo:b`); repeated negations are ANDed (`-repo:a -repo:b`), which is
  the same as `-repo:a,b`. Both are merged into one term at parse time.
- `is:` holds independent facets (state, publicly-leaked, multi-repository, visibility): values OR
  within one facet and terms of different facets AND, so `is:open is:publicly-leaked` is open AND
  leaked, and `is:open,publicly-leaked` is an error rather than a guess.
- `age:` and `created:` describe ranges, so repeating them ANDs (`age:>7d age:<30d`).
- A qualifier that exists for one kind selects only that kind's alerts, negated or not:
  `-severity:high` is the code alerts whose severity is not high (secrets have no severity to
  negate). `Query.kinds()` is the set of kinds a query can select; a query whose terms leave no
  kind is an error, not an empty preview.
- A bare word is a case-insensitive substring of the rule id, rule name, secret type (id or display
  name) or repository name (the short name; the full name when the word contains "/").
- Nothing is implied: archived repositories and closed alerts are in unless a term leaves them out.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from datetime import date

from bot.core.cwe import normalize_cwe
from bot.core.models import AlertKind
from bot.core.query.ast import BareWord, QualifierTerm, Query, QueryError, Term
from bot.core.query.qualifiers import (
    AGE_FORMS,
    ALL_KINDS,
    AUTOFIX_NOTE,
    CREATED_FORMS,
    EMPTY_QUERY,
    IS_FACETS,
    KNOWN_QUALIFIERS,
    MAX_AGE_DAYS,
    PROPS_PREFIX,
    PROPS_SPEC,
    QUALIFIERS,
    RANGE_QUALIFIERS,
    SECRET_FACET_VALUES,
    QualifierSpec,
    spec_for,
)
from bot.core.query.times import AGE, AGE_RANGE, CREATED, CREATED_RANGE, UNIT_DAYS

MAX_QUERY_CHARACTERS = 2000
MAX_TERMS = 50
MAX_VALUES = 200
"""Bounds that keep parsing and the compiled SQL small: a real campaign filter uses a handful of
terms; thousands would freeze the bot for everyone and overflow SQLite's expression depth."""


def parse(text: str) -> Query:
    """Parse and validate a query; raises QueryError with a message fit to show the user."""
    if len(text) > MAX_QUERY_CHARACTERS:
        raise QueryError(
            f"The filter is {len(text)} characters long; the most is {MAX_QUERY_CHARACTERS}. "
            "Narrow it with fewer terms (a template or `repo:` values work well)."
        )
    tokens = _tokens(text)
    if not tokens:
        raise QueryError(EMPTY_QUERY, term="")
    if len(tokens) > MAX_TERMS:
        raise QueryError(f"The filter has {len(tokens)} terms; the most is {MAX_TERMS}.")
    terms = _merge(_term(token) for token in tokens)
    values = sum(len(getattr(term, "values", ())) for term in terms)
    if values > MAX_VALUES:
        raise QueryError(
            f"The filter lists {values} values; the most is {MAX_VALUES}. "
            "Use a broader qualifier (a team, a topic or a custom property) instead."
        )
    _check_kinds(terms)
    return Query(terms=tuple(terms), notes=_notes(terms), text=text)


# --- tokens ---------------------------------------------------------------------------------


def _tokens(text: str) -> list[str]:
    """Split on whitespace outside double quotes; quotes stay in the token for the next step."""
    tokens: list[str] = []
    current: list[str] = []
    in_quotes = False
    for char in text:
        if char == '"':
            in_quotes = not in_quotes
        if char.isspace() and not in_quotes:
            if current:
                tokens.append("".join(current))
                current = []
            continue
        current.append(char)
    if in_quotes:
        raw = "".join(current)
        raise QueryError(f'unbalanced quotes in {raw} — close the quote: {raw}"', term=raw)
    if current:
        tokens.append("".join(current))
    return tokens


def _find_unquoted(text: str, target: str) -> int:
    in_quotes = False
    for index, char in enumerate(text):
        if char == '"':
            in_quotes = not in_quotes
        elif char == target and not in_quotes:
            return index
    return -1


def _split_unquoted(text: str, separator: str) -> list[str]:
    pieces: list[str] = []
    while (index := _find_unquoted(text, separator)) >= 0:
        pieces.append(text[:index])
        text = text[index + 1 :]
    pieces.append(text)
    return pieces


def _unquote(text: str) -> str:
    return text.replace('"', "").strip()


# --- terms ----------------------------------------------------------------------------------


def _term(raw: str) -> Term:
    negated = raw.startswith("-")
    body = raw[1:] if negated else raw
    if negated and not body:
        raise QueryError(
            'a lone "-" negates nothing — write it before a term: -repo:NAME', term=raw
        )
    if negated and body.startswith("-"):
        raise QueryError(f'"{raw}": negate a term with a single "-"', term=raw)
    colon = _find_unquoted(body, ":")
    if colon < 0:
        return _bare_word(body, negated, raw)
    qualifier = _qualifier(body[:colon], raw)
    spec = spec_for(qualifier)
    values = _dedupe(_value(spec, piece, raw) for piece in _split_unquoted(body[colon + 1 :], ","))
    if qualifier == "is":
        _check_facets(values, raw)
    return QualifierTerm(qualifier, values, negated)


def _bare_word(body: str, negated: bool, raw: str) -> BareWord:
    text = _unquote(body).lower()
    if not text:
        raise QueryError(f"{raw} is empty text — put a word between the quotes", term=raw)
    return BareWord(text, negated)


def _qualifier(name: str, raw: str) -> str:
    lowered = name.lower()
    if lowered.startswith(PROPS_PREFIX) and '"' not in lowered:
        if lowered == PROPS_PREFIX:
            raise QueryError(
                f'"{raw}": props. needs a property name, e.g. {PROPS_SPEC.example}', term=raw
            )
        return lowered
    if lowered in QUALIFIERS:
        return lowered
    if not name:
        raise QueryError(f'"{raw}" has no qualifier before ":" — {_valid_qualifiers()}', term=raw)
    close = difflib.get_close_matches(lowered, KNOWN_QUALIFIERS, n=1)
    hint = f' (did you mean "{close[0]}:"?)' if close else ""
    raise QueryError(f'unknown qualifier "{name}:"{hint} — {_valid_qualifiers()}', term=raw)


def _valid_qualifiers() -> str:
    return "valid qualifiers: " + ", ".join(KNOWN_QUALIFIERS)


def _valid_values(spec: QualifierSpec) -> str:
    if spec.values:
        return "valid: " + ", ".join(spec.values)
    return f"e.g. {spec.example}"


def _value(spec: QualifierSpec, piece: str, raw: str) -> str:
    """One value of a term, validated and in canonical form."""
    original = _unquote(piece)
    if not original:
        raise QueryError(f'"{raw}" has an empty value — {_valid_values(spec)}', term=raw)
    value = original.lower()
    value = spec.aliases.get(value, value)
    if spec.values and value not in spec.values:
        raise _bad_value(spec, raw, original, _valid_values(spec))
    normalize = _NORMALIZERS.get(spec.name)
    return normalize(spec, value, original, raw) if normalize else value


def _bad_value(spec: QualifierSpec, raw: str, original: str, valid: str) -> QueryError:
    name = raw.lstrip("-").split(":", 1)[0] if spec is PROPS_SPEC else spec.name
    return QueryError(f'{name}:"{original}" is not a valid value — {valid}', term=raw)


def _dedupe(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(values))


def _check_facets(values: tuple[str, ...], raw: str) -> None:
    facets = _dedupe(IS_FACETS[value] for value in values)
    if len(facets) > 1:
        separate = " ".join(f"is:{value}" for value in values)
        raise QueryError(
            f'"{raw}" mixes {" and ".join(facets)} — is: values OR only within one facet; '
            f"to require them all, write {separate}",
            term=raw,
        )


# --- value normalizers ----------------------------------------------------------------------


def _tag(spec: QualifierSpec, value: str, original: str, raw: str) -> str:
    return normalize_cwe(value)


def _assignee(spec: QualifierSpec, value: str, original: str, raw: str) -> str:
    login = value.removeprefix("@")
    if not login:
        raise _bad_value(spec, raw, original, "give a GitHub login, none or any")
    return login


def _age(spec: QualifierSpec, value: str, original: str, raw: str) -> str:
    valid = f"say >30d for older than, <30d for newer than; forms: {AGE_FORMS} (units d w m y)"
    single = AGE.fullmatch(value)
    if single and single.group(1):
        amounts = [(single.group(2), single.group(3))]
    elif match := AGE_RANGE.fullmatch(value):
        amounts = [(match.group(1), match.group(2)), (match.group(3), match.group(4))]
    else:
        raise _bad_value(spec, raw, original, valid)
    if any(int(amount) * UNIT_DAYS[unit] > MAX_AGE_DAYS for amount, unit in amounts):
        raise _bad_value(spec, raw, original, "an age of at most 100 years")
    return value


def _created(spec: QualifierSpec, value: str, original: str, raw: str) -> str:
    valid = f"forms: {CREATED_FORMS} (dates YYYY-MM-DD, UTC; * for open-ended ranges)"
    if single := CREATED.fullmatch(value):
        dates = [single.group(2)]
    elif match := CREATED_RANGE.fullmatch(value):
        dates = [match.group(1), match.group(2)]
    else:
        raise _bad_value(spec, raw, original, valid)
    try:
        parsed = [date.fromisoformat(text) for text in dates if text != "*"]
    except ValueError:
        raise _bad_value(spec, raw, original, f"no such date; {valid}") from None
    if not parsed:
        raise _bad_value(spec, raw, original, f"give at least one date; {valid}")
    if len(parsed) == 2 and parsed[0] > parsed[1]:
        raise _bad_value(spec, raw, original, "an empty range; put the earlier date first")
    return value


_NORMALIZERS = {"tag": _tag, "assignee": _assignee, "age": _age, "created": _created}


# --- whole query ----------------------------------------------------------------------------


def _merge(terms: Iterable[Term]) -> list[Term]:
    """Fold repeated qualifiers into one term (values OR); ranges and bare words stay apart."""
    merged: list[Term] = []
    positions: dict[tuple[str, bool], int] = {}
    for term in terms:
        if isinstance(term, BareWord) or term.qualifier in RANGE_QUALIFIERS:
            merged.append(term)
            continue
        key = (term.facet, term.negated)
        if key not in positions:
            positions[key] = len(merged)
            merged.append(term)
            continue
        first = merged[positions[key]]
        assert isinstance(first, QualifierTerm)
        merged[positions[key]] = QualifierTerm(
            first.qualifier, _dedupe([*first.values, *term.values]), term.negated
        )
    return merged


def _kind_names(kinds: frozenset[AlertKind]) -> str:
    return " or ".join(sorted(kind.value for kind in kinds))


def _check_kinds(terms: list[Term]) -> None:
    """A query whose terms exclude every kind selects nothing: say so rather than show nothing."""
    possible = ALL_KINDS
    for term in terms:
        if not term.kinds:
            raise QueryError(f'"{term}" leaves no kind of alert to select', term=str(term))
        if not possible & term.kinds:
            raise QueryError(
                f'"{term}" selects only {_kind_names(term.kinds)} alerts but the terms before it '
                f"select only {_kind_names(possible)} alerts — no alert can match both",
                term=str(term),
            )
        possible &= term.kinds


def _notes(terms: list[Term]) -> tuple[str, ...]:
    notes: list[str] = []
    for term in terms:
        if isinstance(term, QualifierTerm) and term.qualifier == "autofix":
            notes.append(AUTOFIX_NOTE)
        if isinstance(term, BareWord) and term.text in SECRET_FACET_VALUES:
            notes.append(f'"{term.text}" is searched as text; for the facet write is:{term.text}')
    return _dedupe(notes)
