"""The filter language compiled to SQL: one WHERE clause over `alerts` (previews: alert_query).

The only place where a parsed `Query` meets SQL. Values are bound parameters, never formatted
into the SQL. Nullable columns are compared as `col IS NOT NULL AND …`, so a negated term
(`-severity:high`) keeps the rows whose column is empty instead of losing them to SQL's
three-valued NOT.

Indexes, and why some are avoided on purpose: terms that name few rows go through an index —
`repo:` `topic:` `team:` `props.` as `repository_id IN (…)` (the alerts' unique index leads with
`repository_id`), `tag:` `assignee:` `status:in-progress` as `id IN (…)` over the child table's
index. Terms on the alerts' own low-cardinality columns (kind, state, severity, validity, dates…)
select large shares of the table, and SQLite, which plans without statistics, would walk an index
and look up every row, several times slower than reading the table once (at 100,000 alerts: 110 ms
against 11 ms for `age:>90d`). `scan()` marks those columns so that SQLite reads them by scanning;
PostgreSQL plans with statistics and gets the plain column.

Previews and campaign selection compile with `ranges=True`: then `is_open` and `kind` stay plain,
so both databases read `ix_alerts_preview`, which covers every column a qualifier compares (bare
words aside: they search names the index leaves out, so a query with one keeps the table scan).
Open alerts of one kind are then one range of that index, a fraction of the table's pages.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    String,
    and_,
    bindparam,
    false,
    func,
    not_,
    or_,
    select,
    true,
)

from bot.core.cwe import cwe_spellings
from bot.core.query.ast import BareWord, QualifierTerm, Query, Term
from bot.core.query.qualifiers import (
    ALL_KINDS,
    ASSIGNEE_KEYWORDS,
    IS_FACETS,
    PROPS_PREFIX,
    SECURITY_SEVERITY_VALUES,
)
from bot.core.query.times import time_range
from store import schema
from store.dialect_sql import LowerIn, contains, scan

a = schema.alerts
r = schema.repositories

WRITE_PERMISSIONS = ("push", "maintain", "admin")
"""Team permissions that count for `team:` (GitHub: repositories where the team can write)."""

Clause = ColumnElement[bool]
Compiler = Callable[[tuple[str, ...], datetime], Clause]


_RANGES: ContextVar[bool] = ContextVar("ranges", default=False)
"""Set while `compile_query(ranges=True)` runs: `is_open` and `kind` may lead an index range."""


def _leading(column: ColumnElement[Any]) -> ColumnElement[Any]:
    """`is_open` or `kind`: plain when compiling with ranges, else read by scanning."""
    return column if _RANGES.get() else scan(column)


def compile_query(query: Query, *, now: datetime, ranges: bool = False) -> Clause:
    """The WHERE clause over `schema.alerts` that selects what `query` says, at `now`.

    `ranges`: let `is_open` and `kind` take a range of `ix_alerts_preview` (see the module
    docstring), for statements that read only the columns it covers.
    """
    now = now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)
    indexed = ranges and covered(query)
    token = _RANGES.set(indexed)
    try:
        clauses: list[Clause] = []
        qualified = [term for term in query.terms if isinstance(term, QualifierTerm)]
        kinds = query.kinds()
        if kinds != ALL_KINDS:
            # Kind-specific terms restrict to their kind, negated or not (see the parser module).
            clauses.append(_leading(a.c.kind).in_(sorted(kind.value for kind in kinds)))
        elif indexed:
            # Always true, but it lets `repository_id IN (…)` (repo:, team:, topic:…) probe the
            # index under both leading columns instead of reading every open alert.
            clauses.append(a.c.kind.in_(sorted(kind.value for kind in ALL_KINDS)))
        if indexed and not any(term.facet == "is:state" and not term.negated for term in qualified):
            clauses.append(a.c.is_open.in_([False, True]))  # the same, for the first column
        for term in query.terms:
            flipped = _negation_as_positive(term, now)
            if flipped is not None:
                clauses.append(flipped)
                continue
            clause = _term(term, now)
            clauses.append(not_(clause) if term.negated else clause)
        return and_(true(), *clauses)
    finally:
        _RANGES.reset(token)


def _negation_as_positive(term: Term, now: datetime) -> Clause | None:
    """`-archived:true` as `archived:false` (and the reverse): the same alerts, since every
    alert has a repository and `archived` is never NULL. `NOT (repository_id IN (archived))`
    made PostgreSQL read every open alert and drop the archived ones; the positive form lets it
    join the few repositories a `team:` or `topic:` names first (a 100k count: 4.9 ms -> 1.4 ms).
    """
    if not (isinstance(term, QualifierTerm) and term.negated and term.qualifier == "archived"):
        return None
    if len(set(term.values)) != 1:
        return None
    return _archived(("false",) if term.values[0] == "true" else ("true",), now)


def covered(query: Query) -> bool:
    """Whether `ix_alerts_preview` holds every column the query compares (bare words search
    rule and secret names it leaves out)."""
    return not any(isinstance(term, BareWord) for term in query.terms)


def _term(term: Term, now: datetime) -> Clause:
    if isinstance(term, BareWord):
        return _text(term.text)
    if term.qualifier.startswith(PROPS_PREFIX):
        return _props(term.qualifier.removeprefix(PROPS_PREFIX), term.values)
    return _COMPILERS[term.qualifier](term.values, now)


# --- helpers --------------------------------------------------------------------------------


def _one_of(column: ColumnElement[Any], values: Sequence[str]) -> Clause:
    """`column`, lower-cased, is one of `values`; never NULL, so NOT stays two-valued."""
    column = scan(column)
    wanted = bindparam(None, list(values), type_=String(), expanding=True)
    return and_(column.is_not(None), LowerIn(column, wanted))


def _stored_one_of(column: ColumnElement[Any], values: Sequence[str]) -> Clause:
    """`column`, kept lower-cased by the models (`bot.core.models.Lowered`), is one of `values`:
    a plain IN, which PostgreSQL checks inside the index range of `ix_alerts_preview` instead
    of calling lower() on every row it reads (`validity:active` at 100,000 alerts: a third of
    the time)."""
    column = scan(column)
    wanted = bindparam(None, list(values), type_=String(), expanding=True)
    return and_(column.is_not(None), column.in_(wanted))


def _flag(column: ColumnElement[Any], values: Sequence[str]) -> Clause:
    """A boolean column against `true`/`false` values (both: no constraint)."""
    wanted = {value == "true" for value in values}
    if len(wanted) == 2:
        return true()
    if column is a.c.is_open and _RANGES.get():
        # Equality, which both databases take as a range; the column is NOT NULL, so the
        # same rows as IS.
        return column == wanted.pop()
    return scan(column).is_(wanted.pop())


def _in_repositories(condition: Clause, *, selective: bool = True) -> Clause:
    """Alerts of the repositories matching `condition`, through the index when that pays."""
    repository_id = a.c.repository_id if selective else scan(a.c.repository_id)
    return repository_id.in_(select(r.c.id).where(condition))


def _alert_ids(column: ColumnElement[int], *conditions: Clause) -> Clause:
    return a.c.id.in_(select(column).where(*conditions))


def _either(*clauses: Clause) -> Clause:
    return or_(false(), *clauses)


def _split(values: Sequence[str], test: Callable[[str], bool]) -> tuple[list[str], list[str]]:
    return [v for v in values if test(v)], [v for v in values if not test(v)]


# --- bare words -----------------------------------------------------------------------------


def _text(word: str) -> Clause:
    """Substring of rule id or name, secret type or its name, or the repository's name."""
    fields = (a.c.rule_id, a.c.rule_name, a.c.secret_type, a.c.secret_type_display_name)
    name = r.c.full_name_lower if "/" in word else r.c.name_lower
    matches = [and_(scan(column).is_not(None), contains(scan(column), word)) for column in fields]
    return _either(*matches, _in_repositories(contains(name, word), selective=False))


# --- qualifiers for every kind --------------------------------------------------------------


def _is(values: tuple[str, ...], now: datetime) -> Clause:
    """One facet per term (the parser checks): state, leaked, multi-repository, visibility."""
    facet = IS_FACETS[values[0]]
    if facet == "state":
        return _flag(a.c.is_open, ["true" if value == "open" else "false" for value in values])
    if facet == "publicly-leaked":
        return _flag(a.c.publicly_leaked, ["true"])
    if facet == "multi-repository":
        return _flag(a.c.multi_repo, ["true"])
    return _visibility(values, now)


def _repo(values: tuple[str, ...], now: datetime) -> Clause:
    full, short = _split(values, lambda value: "/" in value)
    names = []
    if full:
        names.append(r.c.full_name_lower.in_(full))
    if short:
        names.append(r.c.name_lower.in_(short))
    return _in_repositories(_either(*names))


def _topic(values: tuple[str, ...], now: datetime) -> Clause:
    topics = schema.repository_topics
    return a.c.repository_id.in_(
        select(topics.c.repository_id).where(topics.c.topic.in_(list(values)))
    )


def _team(values: tuple[str, ...], now: datetime) -> Clause:
    """Repositories a team can write to; a team is named by slug (`org/slug` too) or name."""
    teams, links = schema.teams, schema.team_repositories
    slugs = [value.rsplit("/", 1)[-1] for value in values]
    return a.c.repository_id.in_(
        select(links.c.repository_id)
        .join(teams, teams.c.id == links.c.team_id)
        .where(
            or_(teams.c.slug.in_(slugs), func.lower(teams.c.name).in_(list(values))),
            links.c.permission.in_(WRITE_PERMISSIONS),
        )
    )


def _props(name: str, values: tuple[str, ...]) -> Clause:
    props = schema.repository_properties
    return a.c.repository_id.in_(
        select(props.c.repository_id).where(props.c.name == name, props.c.value.in_(list(values)))
    )


def _visibility(values: tuple[str, ...], now: datetime) -> Clause:
    return _in_repositories(func.lower(r.c.visibility).in_(list(values)), selective=False)


def _archived(values: tuple[str, ...], now: datetime) -> Clause:
    if len(set(values)) == 2:
        return true()
    return _in_repositories(_flag(r.c.archived, values), selective=False)


def _kind(values: tuple[str, ...], now: datetime) -> Clause:
    return _leading(a.c.kind).in_(list(values))


def _assignee(values: tuple[str, ...], now: datetime) -> Clause:
    """`none`: nobody assigned; `any`: someone; other values: GitHub logins (lower-cased)."""
    assignees = schema.alert_assignees
    logins = [value for value in values if value not in ASSIGNEE_KEYWORDS]
    clauses = []
    if "any" in values:
        clauses.append(_alert_ids(assignees.c.alert_id))
    if "none" in values:
        clauses.append(a.c.id.not_in(select(assignees.c.alert_id)))
    if logins:
        clauses.append(_alert_ids(assignees.c.alert_id, assignees.c.login.in_(logins)))
    return _either(*clauses)


def _status(values: tuple[str, ...], now: datetime) -> Clause:
    """Campaign status (ARCHITECTURE §4): closed, in-progress (open with a fix link), open."""
    linked = select(schema.fix_links.c.alert_id)
    is_open = _flag(a.c.is_open, ["true"])
    clauses = []
    if "closed" in values:
        clauses.append(not_(is_open))
    if "in-progress" in values:
        clauses.append(and_(is_open, a.c.id.in_(linked)))
    if "open" in values:
        clauses.append(and_(is_open, a.c.id.not_in(linked)))
    return _either(*clauses)


def _time(qualifier: str) -> Compiler:
    """`age:` and `created:`: each value a range of `created_at`; values OR."""

    def compile_time(values: tuple[str, ...], now: datetime) -> Clause:
        created_at = scan(a.c.created_at)
        clauses = []
        for value in values:
            span = time_range(qualifier, value, now)
            bounds: list[Clause] = []
            if span.after is not None:
                after = span.after
                bounds.append(created_at >= after if span.after_inclusive else created_at > after)
            if span.before is not None:
                before = span.before
                bounds.append(
                    created_at <= before if span.before_inclusive else created_at < before
                )
            clauses.append(and_(true(), *bounds))
        return _either(*clauses)

    return compile_time


# --- code scanning --------------------------------------------------------------------------


def _severity(values: tuple[str, ...], now: datetime) -> Clause:
    """critical…low compare the security severity, error/warning/note the rule's severity."""
    security, levels = _split(values, lambda value: value in SECURITY_SEVERITY_VALUES)
    clauses = []
    if security:
        clauses.append(_stored_one_of(a.c.security_severity, security))
    if levels:
        clauses.append(_stored_one_of(a.c.severity, levels))
    return _either(*clauses)


def _rule(values: tuple[str, ...], now: datetime) -> Clause:
    return _one_of(a.c.rule_id, values)


def _tag(values: tuple[str, ...], now: datetime) -> Clause:
    """Tags are stored lower-cased; CWE tags match however CodeQL zero-pads the number."""
    tags = schema.alert_tags
    spellings = [spelling for value in values for spelling in cwe_spellings(value)]
    return _alert_ids(tags.c.alert_id, tags.c.tag.in_(spellings))


def _tool(values: tuple[str, ...], now: datetime) -> Clause:
    return _one_of(a.c.tool, values)


def _autofilter(values: tuple[str, ...], now: datetime) -> Clause:
    """`true` keeps application code only; `false` is GitHub's "filter off": no constraint."""
    return true() if "false" in values else _flag(a.c.in_app_code, ["true"])


def _autofix(values: tuple[str, ...], now: datetime) -> Clause:
    """Not evaluable from the API data; the parser attaches a note that previews show."""
    return true()


# --- secret scanning ------------------------------------------------------------------------


def _secret_type(values: tuple[str, ...], now: datetime) -> Clause:
    return _stored_one_of(a.c.secret_type, values)


def _provider(values: tuple[str, ...], now: datetime) -> Clause:
    return _either(_stored_one_of(a.c.provider_slug, values), _one_of(a.c.provider, values))


def _validity(values: tuple[str, ...], now: datetime) -> Clause:
    return _stored_one_of(a.c.validity, values)


def _resolution(values: tuple[str, ...], now: datetime) -> Clause:
    """GitHub's filter spells `false-positive`, the API stores `false_positive`: accept both."""
    spellings = {spelling for value in values for spelling in (value, value.replace("-", "_"))}
    return _stored_one_of(a.c.resolution, sorted(spellings))


def _results(values: tuple[str, ...], now: datetime) -> Clause:
    return _flag(a.c.generic, ["true" if value == "generic" else "false" for value in values])


def _bypassed(values: tuple[str, ...], now: datetime) -> Clause:
    return _flag(a.c.bypassed, values)


_COMPILERS: dict[str, Compiler] = {
    "is": _is,
    "repo": _repo,
    "topic": _topic,
    "team": _team,
    "visibility": _visibility,
    "archived": _archived,
    "kind": _kind,
    "assignee": _assignee,
    "status": _status,
    "age": _time("age"),
    "created": _time("created"),
    "severity": _severity,
    "rule": _rule,
    "tag": _tag,
    "tool": _tool,
    "autofilter": _autofilter,
    "autofix": _autofix,
    "secret-type": _secret_type,
    "provider": _provider,
    "validity": _validity,
    "resolution": _resolution,
    "results": _results,
    "bypassed": _bypassed,
}
