"""The alert filter language (ARCHITECTURE §5): parse GitHub's security-overview syntax to an AST.

Pure Python: `store.alert_query` compiles the AST to SQL, the Slack surface shows the errors and
the help built from the constants below. Parsing normalizes as it validates (lower case, GitHub's
and the API's spellings, CWE numbers), so the compiler only ever sees canonical values.

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

import calendar
import difflib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from bot.core.models import AlertKind

ALL_KINDS = frozenset(AlertKind)
CODE = frozenset({AlertKind.CODE})
SECRET = frozenset({AlertKind.SECRET})

STATE_VALUES = ("open", "closed")
SECRET_FACET_VALUES = ("publicly-leaked", "multi-repository")
VISIBILITY_VALUES = ("public", "private", "internal")
IS_VALUES = STATE_VALUES + SECRET_FACET_VALUES + VISIBILITY_VALUES
SECURITY_SEVERITY_VALUES = ("critical", "high", "medium", "low")
SEVERITY_LEVEL_VALUES = ("error", "warning", "note")
SEVERITY_VALUES = SECURITY_SEVERITY_VALUES + SEVERITY_LEVEL_VALUES
BOOLEAN_VALUES = ("true", "false")
AUTOFIX_VALUES = ("supported",)
VALIDITY_VALUES = ("active", "inactive", "unknown")
RESOLUTION_VALUES = (
    "false-positive",
    "wont-fix",
    "used-in-tests",
    "revoked",
    "pattern-edited",
    "pattern-deleted",
    "hidden-by-config",
)
RESULTS_VALUES = ("default", "generic")
KIND_VALUES = tuple(kind.value for kind in AlertKind)
STATUS_VALUES = ("open", "in-progress", "closed")
ASSIGNEE_KEYWORDS = ("none", "any")
"""`assignee:none` (unassigned), `assignee:any` (assigned to someone); other values are logins."""

AGE_UNITS = {"d": "days", "w": "weeks", "m": "months", "y": "years"}
AGE_FORMS = ">30d, <2w, >=6m, <=1y, 7d..30d"
CREATED_FORMS = ">2026-01-01, <=2026-03-01, 2026-01-01..2026-02-01, 2026-01-01"
MAX_AGE_DAYS = 36_600
"""About a century: the longest age a query may name (keeps date arithmetic in range)."""

IS_FACETS: Mapping[str, str] = {
    "open": "state",
    "closed": "state",
    "publicly-leaked": "publicly-leaked",
    "multi-repository": "multi-repository",
    "public": "visibility",
    "private": "visibility",
    "internal": "visibility",
}
"""`is:` value → its facet; values OR only within one facet."""

PROPS_PREFIX = "props."

AUTOFIX_NOTE = (
    "autofix:supported is not applied: which rules Copilot Autofix supports is not in the alert "
    "data GitHub's API returns, so the selection is not narrowed by it"
)
EMPTY_QUERY = "a query selects alerts; give at least one term"


@dataclass(frozen=True)
class QualifierSpec:
    """What a qualifier accepts, for validation and for the help the Slack UI shows."""

    name: str
    kinds: frozenset[AlertKind]
    description: str
    example: str
    values: tuple[str, ...] = ()
    """The valid values; empty means free text (a name, a login, a date…)."""
    aliases: Mapping[str, str] = field(default_factory=dict)
    """Other spellings accepted for a value (the API's underscores)."""


def _spec(
    name: str,
    kinds: frozenset[AlertKind],
    description: str,
    example: str,
    values: tuple[str, ...] = (),
    aliases: Mapping[str, str] | None = None,
) -> QualifierSpec:
    return QualifierSpec(name, kinds, description, example, values, dict(aliases or {}))


QUALIFIERS: Mapping[str, QualifierSpec] = {
    spec.name: spec
    for spec in (
        _spec(
            "is",
            ALL_KINDS,
            "state (open, closed); secrets also publicly-leaked, multi-repository; visibility",
            "is:open",
            IS_VALUES,
        ),
        _spec("repo", ALL_KINDS, "repository, full or short name", "repo:acme/web"),
        _spec("topic", ALL_KINDS, "repository topic", "topic:payments"),
        _spec("team", ALL_KINDS, "repositories a team can write to", "team:web-devs"),
        _spec(
            "visibility", ALL_KINDS, "repository visibility", "visibility:public", VISIBILITY_VALUES
        ),
        _spec("archived", ALL_KINDS, "archived repositories", "archived:false", BOOLEAN_VALUES),
        _spec(
            "severity",
            CODE,
            "security severity (critical…low) or severity (error, warning, note)",
            "severity:critical,high",
            SEVERITY_VALUES,
        ),
        _spec("rule", CODE, "code scanning rule id", "rule:js/xss"),
        _spec("tag", CODE, "rule tag", "tag:external/cwe/cwe-79"),
        _spec("tool", CODE, "analysis tool", "tool:CodeQL"),
        _spec(
            "autofilter",
            CODE,
            "true leaves out alerts in test, generated or library code; false filters nothing",
            "autofilter:true",
            BOOLEAN_VALUES,
        ),
        _spec(
            "autofix",
            CODE,
            "accepted but not applied (not in the API data)",
            "autofix:supported",
            AUTOFIX_VALUES,
        ),
        _spec("secret-type", SECRET, "secret type", "secret-type:aws_access_key_id"),
        _spec("provider", SECRET, "secret provider (slug or name)", "provider:amazon_aws"),
        _spec("validity", SECRET, "secret validity", "validity:active", VALIDITY_VALUES),
        _spec(
            "resolution",
            SECRET,
            "why a secret alert was resolved",
            "resolution:false-positive",
            RESOLUTION_VALUES,
            {value.replace("-", "_"): value for value in RESOLUTION_VALUES},
        ),
        _spec("results", SECRET, "default or generic patterns", "results:default", RESULTS_VALUES),
        _spec("bypassed", SECRET, "push protection bypassed", "bypassed:true", BOOLEAN_VALUES),
        _spec("kind", ALL_KINDS, "alert kind", "kind:secret", KIND_VALUES),
        _spec("assignee", ALL_KINDS, "a GitHub login, none or any", "assignee:octocat"),
        _spec(
            "status",
            ALL_KINDS,
            "campaign status: closed, in-progress (fix linked), open",
            "status:in-progress",
            STATUS_VALUES,
            {"in_progress": "in-progress"},
        ),
        _spec("age", ALL_KINDS, f"time since created: {AGE_FORMS}", "age:>30d"),
        _spec("created", ALL_KINDS, f"creation date: {CREATED_FORMS}", "created:>2026-01-01"),
    )
}
PROPS_SPEC = _spec(
    "props.NAME", ALL_KINDS, "repository custom property NAME", "props.BusinessPriority:Urgent"
)
KNOWN_QUALIFIERS: tuple[str, ...] = tuple(sorted([*QUALIFIERS, PROPS_SPEC.name]))
"""Every qualifier, as the help and the errors list them."""

RANGE_QUALIFIERS = frozenset({"age", "created"})
"""Qualifiers whose repeated terms AND (they narrow a range) instead of OR."""


class QueryError(ValueError):
    """A query that cannot be parsed; the message names the term and what would be valid."""

    def __init__(self, message: str, *, term: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.term = term


@dataclass(frozen=True, slots=True)
class QualifierTerm:
    """`[-]qualifier:v1,v2` — values are canonical and ORed."""

    qualifier: str
    values: tuple[str, ...]
    negated: bool = False

    @property
    def facet(self) -> str:
        """What the term constrains; terms of one facet OR when repeated, others AND."""
        if self.qualifier == "is" and self.values:
            return f"is:{IS_FACETS[self.values[0]]}"
        return self.qualifier

    @property
    def kinds(self) -> frozenset[AlertKind]:
        """The kinds of alert this term can select (negation keeps a kind-specific restriction)."""
        if self.qualifier == "kind":
            named = frozenset(AlertKind(value) for value in self.values)
            return ALL_KINDS - named if self.negated else named
        if self.qualifier == "is" and self.facet in ("is:publicly-leaked", "is:multi-repository"):
            return SECRET
        return spec_for(self.qualifier).kinds

    def __str__(self) -> str:
        values = ",".join(_quote(value) for value in self.values)
        return f"{'-' if self.negated else ''}{self.qualifier}:{values}"


@dataclass(frozen=True, slots=True)
class BareWord:
    """Free text: a substring of the rule id or name, the secret type, or the repository name."""

    text: str
    negated: bool = False

    @property
    def kinds(self) -> frozenset[AlertKind]:
        return ALL_KINDS

    def __str__(self) -> str:
        text = self.text
        if text.startswith("-") or ":" in text or _needs_quotes(text):
            text = f'"{text}"'
        return f"{'-' if self.negated else ''}{text}"


Term = QualifierTerm | BareWord


@dataclass(frozen=True, slots=True)
class Query:
    """A parsed query: its terms are ANDed. `text` is what the user typed; `str()` is canonical."""

    terms: tuple[Term, ...]
    notes: tuple[str, ...] = ()
    """Things the user should know about this query (shown in previews), e.g. unapplied terms."""
    text: str = ""

    def kinds(self) -> frozenset[AlertKind]:
        """The alert kinds this query can select."""
        kinds = ALL_KINDS
        for term in self.terms:
            kinds &= term.kinds
        return kinds

    def __str__(self) -> str:
        return " ".join(str(term) for term in self.terms)


@dataclass(frozen=True, slots=True)
class TimeRange:
    """Bounds on `created_at` that an `age:` or `created:` value means; None is unbounded."""

    after: datetime | None = None
    after_inclusive: bool = False
    before: datetime | None = None
    before_inclusive: bool = False

    def contains(self, moment: datetime) -> bool:
        if self.after is not None and (
            moment < self.after or (moment == self.after and not self.after_inclusive)
        ):
            return False
        return self.before is None or (
            moment < self.before or (moment == self.before and self.before_inclusive)
        )


def spec_for(qualifier: str) -> QualifierSpec:
    """The spec of a canonical qualifier name (`props.team` → the props spec)."""
    if qualifier.startswith(PROPS_PREFIX):
        return PROPS_SPEC
    return QUALIFIERS[qualifier]


def parse(text: str) -> Query:
    """Parse and validate a query; raises QueryError with a message fit to show the user."""
    tokens = _tokens(text)
    if not tokens:
        raise QueryError(EMPTY_QUERY, term="")
    terms = _merge(_term(token) for token in tokens)
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


def _needs_quotes(text: str) -> bool:
    return not text or "," in text or any(char.isspace() for char in text)


def _quote(value: str) -> str:
    return f'"{value}"' if _needs_quotes(value) else value


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

_CWE = re.compile(r"(^|/)cwe-0*([0-9]+)$", re.ASCII)
_AGE = re.compile(r"(>=|<=|>|<)?([0-9]{1,6})([dwmy])", re.ASCII)
_AGE_RANGE = re.compile(r"([0-9]{1,6})([dwmy])\.\.([0-9]{1,6})([dwmy])", re.ASCII)
_DATE = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
_CREATED = re.compile(rf"(>=|<=|>|<)?({_DATE})", re.ASCII)
_CREATED_RANGE = re.compile(rf"({_DATE}|\*)\.\.({_DATE}|\*)", re.ASCII)
_UNIT_DAYS = {"d": 1, "w": 7, "m": 31, "y": 366}


def normalize_cwe(tag: str) -> str:
    """`external/cwe/cwe-079` → `external/cwe/cwe-79`: CodeQL pads CWE numbers, people don't."""
    return _CWE.sub(r"\1cwe-\2", tag)


def cwe_spellings(tag: str) -> tuple[str, ...]:
    """The stored spellings a canonical tag may have: itself and its zero-padded CWE forms."""
    match = _CWE.search(tag)
    if not match:
        return (tag,)
    number = match.group(2)
    stem = tag[: match.start(2) - len("cwe-")]
    padded = (number.zfill(width) for width in range(len(number), 5))
    return _dedupe(f"{stem}cwe-{digits}" for digits in padded)


def _tag(spec: QualifierSpec, value: str, original: str, raw: str) -> str:
    return normalize_cwe(value)


def _assignee(spec: QualifierSpec, value: str, original: str, raw: str) -> str:
    login = value.removeprefix("@")
    if not login:
        raise _bad_value(spec, raw, original, "give a GitHub login, none or any")
    return login


def _age(spec: QualifierSpec, value: str, original: str, raw: str) -> str:
    valid = f"say >30d for older than, <30d for newer than; forms: {AGE_FORMS} (units d w m y)"
    single = _AGE.fullmatch(value)
    if single and single.group(1):
        amounts = [(single.group(2), single.group(3))]
    elif match := _AGE_RANGE.fullmatch(value):
        amounts = [(match.group(1), match.group(2)), (match.group(3), match.group(4))]
    else:
        raise _bad_value(spec, raw, original, valid)
    if any(int(amount) * _UNIT_DAYS[unit] > MAX_AGE_DAYS for amount, unit in amounts):
        raise _bad_value(spec, raw, original, "an age of at most 100 years")
    return value


def _created(spec: QualifierSpec, value: str, original: str, raw: str) -> str:
    valid = f"forms: {CREATED_FORMS} (dates YYYY-MM-DD, UTC; * for open-ended ranges)"
    if single := _CREATED.fullmatch(value):
        dates = [single.group(2)]
    elif match := _CREATED_RANGE.fullmatch(value):
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


# --- time -----------------------------------------------------------------------------------


def time_range(qualifier: str, value: str, now: datetime) -> TimeRange:
    """What one canonical `age:` or `created:` value means for `created_at`, at `now`."""
    if qualifier == "age":
        return _age_range(value, _as_utc(now))
    if qualifier == "created":
        return _created_range(value)
    raise ValueError(f"{qualifier}: is not a time qualifier")


def _as_utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _ago(now: datetime, amount: int, unit: str) -> datetime:
    """`now` minus an age; months and years are calendar ones (6m before Aug 31 is Feb 28/29)."""
    if unit in ("d", "w"):
        try:
            return now - timedelta(days=amount * _UNIT_DAYS[unit])
        except OverflowError:
            return datetime.min.replace(tzinfo=UTC)
    months = amount * (12 if unit == "y" else 1)
    year, month = divmod(now.year * 12 + now.month - 1 - months, 12)
    if year < 1:
        return datetime.min.replace(tzinfo=UTC)
    day = min(now.day, calendar.monthrange(year, month + 1)[1])
    return now.replace(year=year, month=month + 1, day=day)


def _age_range(value: str, now: datetime) -> TimeRange:
    if match := _AGE_RANGE.fullmatch(value):
        first = _ago(now, int(match.group(1)), match.group(2))
        second = _ago(now, int(match.group(3)), match.group(4))
        return TimeRange(min(first, second), True, max(first, second), True)
    match = _AGE.fullmatch(value)
    assert match is not None, value
    operator, cutoff = match.group(1), _ago(now, int(match.group(2)), match.group(3))
    # Older than the cutoff means created before it.
    if operator in (">", ">="):
        return TimeRange(before=cutoff, before_inclusive=operator == ">=")
    return TimeRange(after=cutoff, after_inclusive=operator == "<=")


def _start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _end(day: date) -> datetime:
    return datetime.combine(day, time.max, tzinfo=UTC)


def _created_range(value: str) -> TimeRange:
    if match := _CREATED_RANGE.fullmatch(value):
        low, high = match.group(1), match.group(2)
        return TimeRange(
            after=None if low == "*" else _start(date.fromisoformat(low)),
            after_inclusive=True,
            before=None if high == "*" else _end(date.fromisoformat(high)),
            before_inclusive=True,
        )
    match = _CREATED.fullmatch(value)
    assert match is not None, value
    operator, day = match.group(1), date.fromisoformat(match.group(2))
    if operator == ">":
        return TimeRange(after=_end(day))
    if operator == ">=":
        return TimeRange(after=_start(day), after_inclusive=True)
    if operator == "<":
        return TimeRange(before=_start(day))
    if operator == "<=":
        return TimeRange(before=_end(day), before_inclusive=True)
    return TimeRange(_start(day), True, _end(day), True)
