"""The review (seed step 1): before acting, how many alerts are open, in how many repositories,
and which slices are most urgent — each with the filter query that selects exactly it, so that
one click turns it into a campaign.

Secrets follow the seed: publicly leaked, multi-repository, still valid, by provider, by secret
type, default against generic patterns (generic ones are noisier), and push-protection bypasses
by secret type and by repository. Code gets what a security team triages first: critical, high,
exposed in public repositories, overdue, and the biggest CWEs and rules.

Counting is the store's: one pass over a kind's open alerts counts all its slices, through the
filter a preview compiles, so a slice's count is what its query selects. Rankings are a few
GROUP BYs: a review takes the same dozen statements however many slices it shows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from pydantic import BaseModel, ConfigDict
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.core import templates
from bot.core.clock import Clock, system_clock
from bot.core.cwe import canonical_cwe_tag, normalize_cwe
from bot.core.models import AlertKind
from bot.core.query.ast import QualifierTerm, Query, QueryError
from bot.core.query.parser import parse
from store import alert_query
from store import review as store
from store.review import Ranked

ALL_OPEN = "is:open"
SECRET_BASE = "kind:secret is:open"  # noqa: S105 - a filter query, not a password
CODE_BASE = "kind:code is:open autofilter:true"
"""Code slices keep to application code, as the code templates do: tests, generated and library
code are rarely what a campaign should ask developers to fix first."""
CODE_NOTE = (
    "The slices keep to application code (autofilter:true): "
    "tests, generated and library code are left out."
)
BYPASSED = "bypassed:true"

TOP = 5
BYPASS_TOP = 3

_Fixed = tuple[str, str, str | None]
"""A slice that is always there: title, the terms after the base query, a note."""

SECRET_URGENT: tuple[_Fixed, ...] = (
    (
        "Publicly leaked",
        "is:publicly-leaked",
        "Also found in public places: anyone may have copied them. Revoke these first.",
    ),
    ("In more than one repository", "is:multi-repository", "One secret, several places to clean."),
    ("Still valid", "validity:active", "The provider still accepts them."),
    ("Push protection bypassed", BYPASSED, "Someone pushed past the block."),
)
SECRET_PATTERNS: tuple[_Fixed, ...] = (
    ("Default patterns", "results:default", "Provider and custom patterns: precise."),
    (
        "Generic patterns",
        "results:generic",
        "Passwords and other unstructured secrets: noisier, more false positives; "
        "review them after the default ones.",
    ),
)
CODE_URGENT: tuple[_Fixed, ...] = (
    ("Critical", "severity:critical", None),
    ("High", "severity:high", None),
    (
        "Critical or high in public repositories",
        "severity:critical,high visibility:public",
        "Anyone can read the code and find them.",
    ),
    (
        "Critical or high, open over 90 days",
        "severity:critical,high age:>90d",
        "Past the usual remediation deadline.",
    ),
)


class Slice(BaseModel):
    """A part of the inventory worth a campaign: `count` is what `query` selects."""

    model_config = ConfigDict(frozen=True)

    title: str
    query: str
    count: int
    note: str | None = None


class Group(BaseModel):
    """Slices under one heading. `ranked`: the top few of a breakdown, most alerts first, so a
    surface short of room may show only the first ones; otherwise a fixed list."""

    model_config = ConfigDict(frozen=True)

    title: str
    ranked: bool = False
    slices: list[Slice]


class Section(BaseModel):
    """One kind of alert: its open alerts (`query`), their repositories, its groups of slices."""

    model_config = ConfigDict(frozen=True)

    kind: AlertKind
    query: str
    open_alerts: int
    repositories: int
    groups: list[Group] = []
    note: str | None = None


class Review(BaseModel):
    """The whole review: open alerts and repositories (`query`), then a section per kind."""

    model_config = ConfigDict(frozen=True)

    kind: AlertKind | None
    query: str
    open_alerts: int
    repositories: int
    sections: list[Section]

    def slices(self) -> list[Slice]:
        return [s for section in self.sections for group in section.groups for s in group.slices]


@dataclass(frozen=True)
class _Draft:
    """A slice before it is counted."""

    group: str
    ranked: bool
    title: str
    query: Query
    note: str | None = None


class ReviewService:
    def __init__(self, engine: AsyncEngine, clock: Clock = system_clock, *, top: int = TOP) -> None:
        self.engine = engine
        self.clock = clock
        self.top = top
        self.bypass_top = min(top, BYPASS_TOP)

    async def review(self, kind: AlertKind | None = None) -> Review:
        """Open alerts, repositories affected, and the urgent slices of one kind or both."""
        kinds = [kind] if kind is not None else [AlertKind.SECRET, AlertKind.CODE]
        now = self.clock()
        whole = ALL_OPEN if kind is None else _open(kind)
        async with self.engine.connect() as conn:
            total = await alert_query.count_selection(conn, parse(whole), now=now)
            per_kind = {
                each: total
                if kind is not None
                else await alert_query.count_selection(conn, parse(_open(each)), now=now)
                for each in kinds
            }
            counted: dict[AlertKind, list[tuple[_Draft, int]]] = {}
            for each in kinds:
                drafts = await self._drafts(conn, each, now) if per_kind[each].alerts else []
                within = parse(_slice_base(each))
                queries = [draft.query for draft in drafts]
                counts = await store.count_each(conn, queries, within=within, now=now)
                counted[each] = list(zip(drafts, counts, strict=True))
        return Review(
            kind=kind,
            query=whole,
            open_alerts=total.alerts,
            repositories=total.repositories,
            sections=[
                Section(
                    kind=each,
                    query=_open(each),
                    open_alerts=per_kind[each].alerts,
                    repositories=per_kind[each].repositories,
                    groups=_groups(counted[each]),
                    note=CODE_NOTE if each is AlertKind.CODE and per_kind[each].alerts else None,
                )
                for each in kinds
            ],
        )

    async def _drafts(self, conn: AsyncConnection, kind: AlertKind, now: datetime) -> list[_Draft]:
        if kind is AlertKind.SECRET:
            return await self._secrets(conn, now)
        return await self._code(conn, now)

    async def _secrets(self, conn: AsyncConnection, now: datetime) -> list[_Draft]:
        top, bypass_base = self.top, f"{SECRET_BASE} {BYPASSED}"
        base, bypassed = parse(SECRET_BASE), parse(bypass_base)
        drafts = _fixed("Most urgent", SECRET_BASE, SECRET_URGENT)
        drafts += _fixed("Default and generic patterns", SECRET_BASE, SECRET_PATTERNS)
        found = await store.providers(conn, base, now=now, top=top)
        drafts += _ranked("By provider", SECRET_BASE, "provider", found, by_label=True)
        found = await store.secret_types(conn, base, now=now, top=top)
        drafts += _ranked("By secret type", SECRET_BASE, "secret-type", found)
        found = await store.secret_types(conn, bypassed, now=now, top=self.bypass_top)
        drafts += _ranked(
            "Push-protection bypasses by secret type", bypass_base, "secret-type", found
        )
        found = await store.repositories(conn, bypassed, now=now, top=self.bypass_top)
        drafts += _ranked("Push-protection bypasses by repository", bypass_base, "repo", found)
        return drafts

    async def _code(self, conn: AsyncConnection, now: datetime) -> list[_Draft]:
        base = parse(CODE_BASE)
        drafts = _fixed("Most urgent", CODE_BASE, CODE_URGENT)
        cwes = _merge_cwes(await store.cwe_tags(conn, base, now=now))[: self.top]
        drafts += _ranked("By CWE", CODE_BASE, "tag", cwes)
        found = await store.rules(conn, base, now=now, top=self.top)
        drafts += _ranked("By rule", CODE_BASE, "rule", found)
        return drafts


def _slice_base(kind: AlertKind) -> str:
    """What every slice of a kind starts with (each slice is it and more terms)."""
    return SECRET_BASE if kind is AlertKind.SECRET else CODE_BASE


def _open(kind: AlertKind) -> str:
    """Every open alert of a kind: what a section counts (its slices may narrow further)."""
    return f"kind:{kind.value} {ALL_OPEN}"


def _fixed(group: str, base: str, slices: Sequence[_Fixed]) -> list[_Draft]:
    return [
        _Draft(group, False, title, parse(f"{base} {terms}"), note) for title, terms, note in slices
    ]


def _ranked(
    group: str, base: str, qualifier: str, found: Sequence[Ranked], *, by_label: bool = False
) -> list[_Draft]:
    """A slice per group of a ranking, named by `qualifier:VALUE` (quoted as the parser reads
    it). A value the filter language cannot say (a `"` in a secret type) is left out: a slice
    whose query selects something else would be worse than none."""
    drafts = []
    for ranked in found:
        said = ranked.label if by_label else ranked.value
        query = query_for(base, qualifier, said)
        if query is not None:
            drafts.append(_Draft(group, True, _title(qualifier, ranked), query))
    return drafts


def query_for(base: str, qualifier: str, value: str) -> Query | None:
    """`base qualifier:value`, parsed, when it reads back as exactly that value; else None."""
    term = QualifierTerm(qualifier, (value,))
    try:
        query = parse(f"{base} {term}")
    except QueryError:
        return None
    wanted = normalize_cwe(value.lower()) if qualifier == "tag" else value.lower()
    if QualifierTerm(qualifier, (wanted,)) not in query.terms:
        return None
    return query


def _title(qualifier: str, ranked: Ranked) -> str:
    if qualifier == "tag":
        return CWE_NAMES.get(normalize_cwe(ranked.value), _cwe_label(ranked.value))
    return ranked.label


def _cwe_label(tag: str) -> str:
    """`external/cwe/cwe-079` → `CWE-79`."""
    return normalize_cwe(tag).rsplit("/", 1)[-1].upper()


def _template_cwes() -> dict[str, str]:
    """The code templates' CWE names (`Cross-site scripting (CWE-79)`), by normalized tag."""
    names: dict[str, str] = {}
    for template in templates.TEMPLATES:
        for term in parse(template.query).terms:
            if isinstance(term, QualifierTerm) and term.qualifier == "tag":
                names.update(dict.fromkeys(term.values, template.name))
    return names


CWE_NAMES = _template_cwes()


def _merge_cwes(found: Sequence[Ranked]) -> list[Ranked]:
    """One group per CWE however it is spelled (its largest spelling counts for the ranking; the
    slice's own count comes later, from its query), GitHub's spelling as the value."""
    merged: dict[str, Ranked] = {}
    for ranked in found:
        tag = canonical_cwe_tag(ranked.value) or ranked.value
        kept = merged.get(tag)
        if kept is None or ranked.alerts > kept.alerts:
            merged[tag] = Ranked(value=tag, label=tag, alerts=ranked.alerts)
    return sorted(merged.values(), key=lambda item: (-item.alerts, item.value))


def _groups(counted: Sequence[tuple[_Draft, int]]) -> list[Group]:
    """Drafts with their counts, in groups, in order. A ranked slice that selects nothing (the
    data changed in between) is dropped, and so is a ranked group left empty; a fixed slice
    stays at 0, which is news too (no publicly leaked secret)."""
    slices: dict[tuple[str, bool], list[Slice]] = {}
    for draft, count in counted:
        kept = slices.setdefault((draft.group, draft.ranked), [])
        if count or not draft.ranked:
            kept.append(
                Slice(title=draft.title, query=draft.query.text, count=count, note=draft.note)
            )
    return [
        Group(title=title, ranked=ranked, slices=found)
        for (title, ranked), found in slices.items()
        if found
    ]
