"""The qualifiers of the filter language: their valid values, kinds and help text.

One table (`QUALIFIERS`) drives validation in the parser, the help the Slack UI shows and the
value lists the SQL compiler relies on, so a qualifier is described in exactly one place.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

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


def spec_for(qualifier: str) -> QualifierSpec:
    """The spec of a canonical qualifier name (`props.team` → the props spec)."""
    if qualifier.startswith(PROPS_PREFIX):
        return PROPS_SPEC
    return QUALIFIERS[qualifier]
