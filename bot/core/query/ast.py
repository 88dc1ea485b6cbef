"""The parsed form of a query: terms, the query they make up, and the errors parsing raises."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.core.models import AlertKind
from bot.core.query.qualifiers import ALL_KINDS, IS_FACETS, SECRET, spec_for


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


def _needs_quotes(text: str) -> bool:
    """Whether a value must be quoted to read back as one value (`str()` of a term re-parses)."""
    return not text or "," in text or any(char.isspace() for char in text)


def _quote(value: str) -> str:
    return f'"{value}"' if _needs_quotes(value) else value
