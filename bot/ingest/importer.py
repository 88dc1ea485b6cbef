"""`campaignbot import`: GitHub REST JSON exports and SARIF 2.1.0 logs, recognized by their content.

Two phases. First every file is read, recognized and validated (`parse_files`, or
`parse_documents` for data already in memory such as the demo organization); then everything is
written in one transaction (`write`). A malformed file anywhere therefore writes nothing, and its
error names the file, the record and the problem in words a person can act on.

Recognized content (each as the API returns it, a `gh api --paginate` concatenation of pages, or a
`--slurp` list of pages):
- code-scanning alert lists, organization or repository level;
- secret-scanning alert lists, organization or repository level;
- repository lists (`GET /orgs/{org}/repos`);
- custom property values (`GET /orgs/{org}/properties/values`);
- SARIF 2.1.0 logs: each result is a code alert numbered per repository by its fingerprint.

Re-importing updates and never duplicates: GitHub alerts are keyed by repository, kind and number;
SARIF results by their fingerprint, which keeps its alert number and first-seen date.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, computed_field
from pydantic_core import ErrorDetails, from_json
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.core.clock import system_clock
from bot.core.models import Alert, AlertKind, Repository
from bot.github import payloads
from store import alerts as alert_store
from store import bulk, fingerprints
from store import repositories as repository_store


class FileKind(StrEnum):
    CODE_ALERTS = "code-scanning alerts"
    SECRET_ALERTS = "secret-scanning alerts"  # noqa: S105 - a name, not a password
    REPOSITORIES = "repositories"
    PROPERTY_VALUES = "custom property values"
    SARIF = "SARIF"
    EMPTY = "empty list"


RECOGNIZED = (
    "a code-scanning alert list (GET /orgs/{org}/code-scanning/alerts or "
    "/repos/{owner}/{repo}/code-scanning/alerts), "
    "a secret-scanning alert list (GET /orgs/{org}/secret-scanning/alerts or "
    "/repos/{owner}/{repo}/secret-scanning/alerts), "
    "a repository list (GET /orgs/{org}/repos), "
    "custom property values (GET /orgs/{org}/properties/values), "
    "or a SARIF 2.1.0 log"
)

PEEK_BYTES = 64 * 1024
"""How much of a list file is read to recognize it before validating the whole file in one pass."""


class ImportFailed(Exception):
    """A file cannot be imported; `message` names the file, the record and what is wrong."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class FileSummary(BaseModel):
    path: str
    kind: FileKind
    records: int


class ImportReport(BaseModel):
    """What an import wrote: per file, and in total."""

    files: list[FileSummary]
    repositories: int = 0
    properties: int = 0
    """Repositories whose custom property values were set."""
    code: int = 0
    secret: int = 0
    inserted: int = 0
    updated: int = 0

    @computed_field  # type: ignore[prop-decorator]
    @property
    def alerts(self) -> int:
        return self.code + self.secret

    def summary(self) -> str:
        lines = [f"{f.path}: {f.records:,} {f.kind}" for f in self.files]
        lines.append(
            f"imported {self.alerts:,} alerts ({self.code:,} code, {self.secret:,} secret; "
            f"{self.inserted:,} new, {self.updated:,} updated), "
            f"{self.repositories:,} repositories, "
            f"custom properties of {self.properties:,} repositories"
        )
        return "\n".join(lines)


# --- the parsed batch -----------------------------------------------------------------------------

AlertKey = tuple[str, str, int]


@dataclass
class Batch:
    """Everything parsed from the files, validated and ready to write. Later records win."""

    files: list[FileSummary] = field(default_factory=list)
    repositories: dict[str, Repository] = field(default_factory=dict)
    properties: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    alerts: dict[AlertKey, Alert] = field(default_factory=dict)
    github_ids: dict[str, int | None] = field(default_factory=dict)
    sarif: dict[tuple[str, str], Alert] = field(default_factory=dict)
    """(repository, fingerprint) → a code alert still without its number."""

    def add_alerts(self, items: Sequence[payloads.AlertItem]) -> None:
        for item in items:
            alert = item.to_alert()
            self.alerts[(alert.repository.lower(), alert.kind.value, alert.number)] = alert
            if item.repository_github_id is not None:
                self.github_ids[alert.repository] = item.repository_github_id

    def add_repositories(self, items: Sequence[payloads.RepositoryItem]) -> None:
        for item in items:
            repo = item.to_repository()
            self.repositories[repo.full_name.lower()] = repo

    def add_properties(self, items: Sequence[payloads.RepositoryPropertyValues]) -> None:
        for item in items:
            self.properties[item.repository_full_name] = item.values()

    def add_sarif(self, alerts: Iterable[Alert]) -> None:
        for alert in alerts:
            assert alert.fingerprint is not None
            self.sarif[(alert.repository.lower(), alert.fingerprint)] = alert


_ADAPTERS: dict[FileKind, TypeAdapter[Any]] = {
    FileKind.CODE_ALERTS: payloads.CODE_ALERTS,
    FileKind.SECRET_ALERTS: payloads.SECRET_ALERTS,
    FileKind.REPOSITORIES: payloads.REPOSITORIES,
    FileKind.PROPERTY_VALUES: payloads.PROPERTY_VALUES,
}


def _add(batch: Batch, kind: FileKind, items: list[Any]) -> None:
    if kind in (FileKind.CODE_ALERTS, FileKind.SECRET_ALERTS):
        batch.add_alerts(items)
    elif kind is FileKind.REPOSITORIES:
        batch.add_repositories(items)
    elif kind is FileKind.PROPERTY_VALUES:
        batch.add_properties(items)


# --- recognizing content --------------------------------------------------------------------------

_SIGNALS: dict[FileKind, frozenset[str]] = {
    FileKind.CODE_ALERTS: frozenset(
        {"rule", "tool", "most_recent_instance", "instances_url", "fixed_at", "dismissed_reason"}
    ),
    FileKind.SECRET_ALERTS: frozenset(
        {
            "secret_type",
            "secret_type_display_name",
            "secret",
            "locations_url",
            "resolution",
            "resolved_at",
            "validity",
            "push_protection_bypassed",
        }
    ),
    FileKind.PROPERTY_VALUES: frozenset({"repository_full_name", "properties"}),
    FileKind.REPOSITORIES: frozenset(
        {"full_name", "private", "visibility", "default_branch", "topics", "pushed_at", "fork"}
    ),
}
_URL_HINTS = {"/code-scanning/": FileKind.CODE_ALERTS, "/secret-scanning/": FileKind.SECRET_ALERTS}


def item_kind(item: object) -> FileKind | None:
    """Which list an item belongs to, by the fields it has; None when nothing fits."""
    if not isinstance(item, dict):
        return None
    scores = {kind: len(signals.intersection(item)) for kind, signals in _SIGNALS.items()}
    for key in ("url", "html_url"):
        value = item.get(key)
        for hint, kind in _URL_HINTS.items():
            if isinstance(value, str) and hint in value:
                scores[kind] += 2
    if "number" in item:
        scores[FileKind.REPOSITORIES] = 0
    best = max(scores, key=lambda kind: scores[kind])
    return best if scores[best] > 0 else None


def _list_kind(items: list[Any], *, complete: bool) -> FileKind | None:
    if not items:
        return FileKind.EMPTY if complete else None
    return item_kind(items[0])


def _flatten_pages(data: object) -> object:
    """`gh api --paginate --slurp` gives a list of pages; join them into one list."""
    if isinstance(data, list) and data and all(isinstance(page, list) for page in data):
        return [item for page in data for item in page]
    return data


def _is_sarif(data: dict[str, Any]) -> bool:
    schema = data.get("$schema")
    return (
        "runs" in data
        or (isinstance(schema, str) and "sarif" in schema.lower())
        or ("version" in data and str(data.get("version", "")).startswith("2."))
    )


def _describe_shape(data: object) -> str:
    if isinstance(data, dict):
        keys = ", ".join(sorted(data)[:8]) or "no keys"
        return f"a JSON object with {keys}"
    if isinstance(data, list):
        if not data:
            return "an empty list"
        first = data[0]
        if isinstance(first, dict):
            keys = ", ".join(sorted(first)[:8]) or "no keys"
            return f"a list of objects with {keys}"
        return f"a list of {_json_type(first)}s"
    return f"a JSON {_json_type(data)}"


def _unrecognized(name: str, data: object) -> ImportFailed:
    return ImportFailed(
        f"{name}: not a file campaignbot can import: found {_describe_shape(data)}; "
        f"expected {RECOGNIZED}"
    )


# --- reading JSON ---------------------------------------------------------------------------------


def _read(path: Path) -> bytes:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ImportFailed(f"{path}: cannot read the file: {exc.strerror or exc}") from exc
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    if _first_byte(raw) is None:
        raise ImportFailed(f"{path}: the file is empty")
    return raw


_NOT_SPACE = re.compile(rb"\S")


def _first_byte(raw: bytes) -> bytes | None:
    """The first character that is not white space, without copying a 100 MB file to find it."""
    match = _NOT_SPACE.search(raw)
    return match.group() if match else None


def _json_failure(name: str, detail: str, *, truncated: bool | None = None) -> ImportFailed:
    """pydantic-core says "EOF while parsing …" when the text stops inside a value."""
    if truncated if truncated is not None else detail.startswith("EOF"):
        return ImportFailed(f"{name}: the file ends early — truncated? ({detail})")
    return ImportFailed(f"{name}: not JSON ({detail})")


def _documents(name: str, raw: bytes) -> object:
    """Several JSON documents one after the other (`gh api --paginate` pages) as one list."""
    text = raw.decode("utf-8", errors="replace")
    decoder = json.JSONDecoder()
    pages: list[Any] = []
    at = 0
    while at < len(text):
        while at < len(text) and text[at].isspace():
            at += 1
        if at == len(text):
            break
        try:
            page, at = decoder.raw_decode(text, at)
        except json.JSONDecodeError as exc:
            detail = f"{exc.msg} at line {exc.lineno} column {exc.colno}"
            ends_early = not text[exc.pos :].strip() or exc.msg.startswith("Unterminated")
            raise _json_failure(name, detail, truncated=ends_early) from exc
        pages.append(page)
    if all(isinstance(page, list) for page in pages):
        return [item for page in pages for item in page]
    raise _unrecognized(name, pages[0] if len(pages) == 1 else pages)


def _load(name: str, raw: bytes) -> object:
    try:
        return from_json(raw)
    except ValueError as exc:
        detail = str(exc)
        if detail.startswith("trailing characters"):
            return _documents(name, raw)
        raise _json_failure(name, detail) from exc


# --- describing validation errors -----------------------------------------------------------------

_TYPE_TAG = re.compile(r"\[|^(str|int|float|bool|list|dict|none|null)$")
_QUOTED = re.compile(r"'([^']*)'|\"([^\"]*)\"")


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def _show(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        text = value if len(value) <= 60 else value[:57] + "..."
        return repr(text)
    if isinstance(value, dict | list):
        return f"a JSON {_json_type(value)}"
    return repr(value)


def _where(loc: Sequence[int | str]) -> str:
    """A location as people write it: `most_recent_instance.classifications[0]`."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        elif not _TYPE_TAG.search(part):
            text += f".{part}" if text else part
    return text


def describe_error(error: ErrorDetails, loc: Sequence[int | str]) -> str:
    """One pydantic error as a short sentence: "missing field 'rule'"."""
    where = _where(loc)
    kind = error["type"]
    value = error.get("input")
    ctx = error.get("ctx") or {}
    if kind == "missing":
        return f"missing field '{where}'"
    if kind in ("literal_error", "enum"):
        expected = ", ".join(a or b for a, b in _QUOTED.findall(str(ctx.get("expected", ""))))
        return f"{where}: {_show(value)} is not one of {expected}"
    if kind == "value_error":
        return f"{where}: {ctx.get('error', error['msg'])}" if where else str(ctx.get("error"))
    if kind.startswith(("datetime", "date_")):
        return f"{where}: {_show(value)} is not a date-time (like 2024-05-01T12:00:00Z)"
    if kind.startswith("int_"):
        return f"{where}: {_show(value)} is not a whole number"
    if kind.startswith("float_"):
        return f"{where}: {_show(value)} is not a number"
    if kind.startswith("bool_"):
        return f"{where}: {_show(value)} is not true or false"
    if kind.startswith("string_"):
        return f"{where}: expected text, got {_show(value)}"
    if kind in ("list_type", "tuple_type"):
        return f"{where}: expected a list, got {_show(value)}"
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        return f"{where}: expected an object, got {_show(value)}"
    return f"{where}: {error['msg']}" if where else error["msg"]


def _identify(items: object, index: int) -> str:
    """How a person finds the record: the alert number and repository, or the repository."""
    if not isinstance(items, list) or not 0 <= index < len(items):
        return ""
    item = items[index]
    if not isinstance(item, dict):
        return ""
    repo = item.get("repository")
    name = repo.get("full_name") if isinstance(repo, dict) else None
    name = name or payloads.repository_from_url(_str(item.get("url")))
    name = name or payloads.repository_from_url(_str(item.get("html_url")))
    number = item.get("number")
    if isinstance(number, int) and not isinstance(number, bool):
        return f"alert #{number} in {name}" if name else f"alert #{number}"
    full_name = item.get("full_name") or item.get("repository_full_name")
    return f"repository {full_name}" if isinstance(full_name, str) else ""


def _str(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _more(errors: list[ErrorDetails]) -> str:
    extra = len(errors) - 1
    return f" (and {extra} more problem{'s' if extra > 1 else ''})" if extra else ""


def _record_failure(name: str, exc: ValidationError, items: Callable[[], object]) -> ImportFailed:
    errors = exc.errors(include_url=False)
    first = errors[0]
    loc = list(first["loc"])
    if loc and isinstance(loc[0], int):
        index = loc[0]
        who = _identify(items(), index)
        record = f"record [{index}]" + (f" ({who})" if who else "")
        return ImportFailed(f"{name}: {record}: {describe_error(first, loc[1:])}{_more(errors)}")
    return ImportFailed(f"{name}: {describe_error(first, loc)}{_more(errors)}")


def _partial(raw: bytes) -> object:
    try:
        return _flatten_pages(from_json(raw, allow_partial=True))
    except ValueError:
        return None


# --- lists of GitHub records ----------------------------------------------------------------------


def _validate_list(name: str, data: object) -> tuple[FileKind, list[Any]]:
    data = _flatten_pages(data)
    if not isinstance(data, list):
        raise _unrecognized(name, data)
    kind = _list_kind(data, complete=True)
    if kind is None:
        raise _unrecognized(name, data)
    if kind is FileKind.EMPTY:
        return kind, []
    try:
        return kind, _ADAPTERS[kind].validate_python(data)
    except ValidationError as exc:
        raise _record_failure(name, exc, lambda: data) from exc


def _validate_list_bytes(name: str, raw: bytes) -> tuple[FileKind, list[Any]]:
    """Recognize a list from its first record, then validate the whole file in pydantic-core."""
    head = raw[:PEEK_BYTES]
    try:
        peek = from_json(head, allow_partial=True)
    except ValueError as exc:
        raise _json_failure(name, str(exc)) from exc
    kind = _list_kind(peek, complete=len(head) == len(raw)) if isinstance(peek, list) else None
    if kind is None or kind is FileKind.EMPTY:
        return _validate_list(name, _load(name, raw))
    try:
        return kind, _ADAPTERS[kind].validate_json(raw)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        if first["type"] != "json_invalid":
            raise _record_failure(name, exc, lambda: _partial(raw)) from exc
        detail = str((first.get("ctx") or {}).get("error", first["msg"]))
        if detail.startswith("trailing characters"):
            return _validate_list(name, _documents(name, raw))
        raise _json_failure(name, detail) from exc


# --- SARIF 2.1.0 ----------------------------------------------------------------------------------

SarifLevel = Literal["none", "note", "warning", "error"]


class _Sarif(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class SarifText(_Sarif):
    text: str | None = None


class SarifRegion(_Sarif):
    startLine: int | None = None


class SarifArtifactLocation(_Sarif):
    uri: str | None = None


class SarifPhysicalLocation(_Sarif):
    artifactLocation: SarifArtifactLocation | None = None
    region: SarifRegion | None = None


class SarifLocation(_Sarif):
    physicalLocation: SarifPhysicalLocation | None = None


class SarifConfiguration(_Sarif):
    level: SarifLevel | None = None


class SarifRuleProperties(_Sarif):
    tags: list[str] = Field(default_factory=list)
    security_severity: float | None = Field(default=None, alias="security-severity")


class SarifRule(_Sarif):
    id: str
    name: str | None = None
    shortDescription: SarifText | None = None
    fullDescription: SarifText | None = None
    defaultConfiguration: SarifConfiguration | None = None
    properties: SarifRuleProperties | None = None


class SarifToolComponent(_Sarif):
    name: str
    rules: list[SarifRule] = Field(default_factory=list)


class SarifTool(_Sarif):
    driver: SarifToolComponent
    extensions: list[SarifToolComponent] = Field(default_factory=list)


class SarifComponentRef(_Sarif):
    index: int | None = None
    name: str | None = None


class SarifRuleRef(_Sarif):
    id: str | None = None
    index: int | None = None
    toolComponent: SarifComponentRef | None = None


class SarifSuppression(_Sarif):
    status: Literal["accepted", "underReview", "rejected"] | None = None


class SarifResult(_Sarif):
    ruleId: str | None = None
    ruleIndex: int | None = None
    rule: SarifRuleRef | None = None
    level: SarifLevel | None = None
    message: SarifText | None = None
    locations: list[SarifLocation] = Field(default_factory=list)
    partialFingerprints: dict[str, str] = Field(default_factory=dict)
    fingerprints: dict[str, str] = Field(default_factory=dict)
    baselineState: Literal["new", "unchanged", "updated", "absent"] | None = None
    suppressions: list[SarifSuppression] | None = None


class SarifVersionControl(_Sarif):
    repositoryUri: str


class SarifInvocation(_Sarif):
    startTimeUtc: datetime | None = None
    endTimeUtc: datetime | None = None


class SarifAutomation(_Sarif):
    id: str | None = None


class SarifRun(_Sarif):
    tool: SarifTool
    results: list[SarifResult] | None = None
    versionControlProvenance: list[SarifVersionControl] = Field(default_factory=list)
    invocations: list[SarifInvocation] = Field(default_factory=list)
    automationDetails: SarifAutomation | None = None


class SarifLog(_Sarif):
    version: Literal["2.1.0"]
    runs: list[SarifRun]


_REPOSITORY_URI = re.compile(r"[:/]([^/:\s]+)/([^/\s]+?)(?:\.git)?/?$")


def repository_from_uri(uri: str) -> str | None:
    """`OWNER/REPO` from `https://github.com/OWNER/REPO(.git)`, a GHES URL or `git@HOST:O/R.git`."""
    uri = uri.strip()
    if uri.startswith(("https://", "http://")):
        found = payloads.repository_from_url(uri)
        return found.removesuffix(".git") if found else None
    match = _REPOSITORY_URI.search(uri)
    return f"{match.group(1)}/{match.group(2)}" if match else None


def security_severity_level(score: float | None) -> str | None:
    """GitHub's buckets for a CVSS-like `security-severity`: critical ≥ 9.0, high ≥ 7.0, …"""
    if score is None or score <= 0:
        return None
    if score >= 9.0:
        return "critical"
    if score >= 7.0:
        return "high"
    if score >= 4.0:
        return "medium"
    return "low"


class _SarifRules:
    """Finds a result's rule: by index into the driver or an extension, else by id."""

    def __init__(self, tool: SarifTool) -> None:
        self.components = [tool.driver, *tool.extensions]
        self.by_id: dict[str, SarifRule] = {}
        for component in reversed(self.components):
            self.by_id.update({rule.id: rule for rule in component.rules})

    def find(self, result: SarifResult) -> SarifRule | None:
        ref = result.rule
        component = self.components[0]
        if ref is not None and ref.toolComponent is not None:
            component = self._component(ref.toolComponent) or component
        index = ref.index if ref is not None and ref.index is not None else result.ruleIndex
        if index is not None and 0 <= index < len(component.rules):
            return component.rules[index]
        rule_id = result.ruleId or (ref.id if ref is not None else None)
        return self.by_id.get(rule_id) if rule_id else None

    def _component(self, ref: SarifComponentRef) -> SarifToolComponent | None:
        if ref.index is not None and 0 <= ref.index < len(self.components) - 1:
            return self.components[ref.index + 1]
        for component in self.components:
            if ref.name is not None and component.name == ref.name:
                return component
        return None


def _fingerprint(tool: str, category: str, rule_id: str, result: SarifResult) -> str:
    """A stable identity for a result, bounded in length (the column holds 200 characters).

    GitHub tracks an alert by tool, category, rule and `partialFingerprints`; we hash the same. A
    result without fingerprints falls back to its `fingerprints`, then to its rule, location and
    message, which is stable only while the code around it does not move.
    """
    prints = result.partialFingerprints or result.fingerprints
    if prints:
        identity = ";".join(f"{key}={value}" for key, value in sorted(prints.items()))
    else:
        path, line = _location(result)
        message = result.message.text if result.message is not None else ""
        identity = f"{path}:{line}:{message}"
    text = "\x1f".join((tool, category, rule_id, identity))
    return hashlib.sha256(text.encode()).hexdigest()


def _location(result: SarifResult) -> tuple[str | None, int | None]:
    for location in result.locations:
        physical = location.physicalLocation
        if physical is not None and physical.artifactLocation is not None:
            region = physical.region
            return physical.artifactLocation.uri, region.startLine if region else None
    return None, None


def _sarif_state(result: SarifResult) -> str:
    """`absent` (gone since the baseline) is fixed; an accepted suppression is dismissed."""
    if result.baselineState == "absent":
        return "fixed"
    if result.suppressions and any(s.status in (None, "accepted") for s in result.suppressions):
        return "dismissed"
    return "open"


def _sarif_alert(
    run: SarifRun, rules: _SarifRules, result: SarifResult, repository: str, when: datetime
) -> Alert | None:
    rule = rules.find(result)
    rule_id = (
        result.ruleId
        or (result.rule.id if result.rule is not None else None)
        or (rule.id if rule is not None else None)
    )
    if not rule_id:
        return None
    props = rule.properties if rule is not None else None
    config = rule.defaultConfiguration if rule is not None else None
    level = result.level or (config.level if config is not None else None) or "warning"
    description = None
    if rule is not None:
        text = rule.shortDescription or rule.fullDescription
        description = text.text if text is not None else None
    path, line = _location(result)
    state = _sarif_state(result)
    category = run.automationDetails.id if run.automationDetails else None
    return Alert(
        repository=repository,
        kind=AlertKind.CODE,
        number=0,  # given at write time, per repository
        state=state,
        created_at=when,
        updated_at=when,
        closed_at=when if state != "open" else None,
        rule_id=rule_id,
        rule_name=(rule.name if rule is not None else None) or rule_id,
        rule_description=description,
        severity=level if level != "none" else None,
        security_severity=security_severity_level(props.security_severity if props else None),
        tool=run.tool.driver.name,
        tags=list(props.tags) if props is not None else [],
        path=path,
        start_line=line,
        fingerprint=_fingerprint(run.tool.driver.name, category or "", rule_id, result),
    )


def _sarif_alerts(
    name: str, log: SarifLog, sarif_repository: str | None, now: datetime
) -> list[Alert]:
    found: list[Alert] = []
    for run_index, run in enumerate(log.runs):
        repository = sarif_repository or next(
            (
                repo
                for vcp in run.versionControlProvenance
                if (repo := repository_from_uri(vcp.repositoryUri))
            ),
            None,
        )
        if repository is None:
            raise ImportFailed(
                f"{name}: runs[{run_index}]: the SARIF does not say which repository it is for "
                "(no versionControlProvenance[].repositoryUri); "
                "name it with `campaignbot import --repo OWNER/REPO`"
            )
        invocation = run.invocations[0] if run.invocations else None
        when = (invocation and (invocation.startTimeUtc or invocation.endTimeUtc)) or now
        rules = _SarifRules(run.tool)
        for result_index, result in enumerate(run.results or ()):
            alert = _sarif_alert(run, rules, result, repository, when)
            if alert is None:
                raise ImportFailed(
                    f"{name}: runs[{run_index}].results[{result_index}]: the result names no "
                    "rule (no ruleId, rule.id or ruleIndex)"
                )
            found.append(alert)
    return found


def _parse_sarif(
    name: str, data: dict[str, Any], sarif_repository: str | None, now: datetime
) -> list[Alert]:
    version = data.get("version")
    if version is not None and version != "2.1.0":
        raise ImportFailed(f"{name}: SARIF version {_show(version)} is not supported, only 2.1.0")
    try:
        log = SarifLog.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        problem = describe_error(errors[0], errors[0]["loc"])
        raise ImportFailed(f"{name}: {problem}{_more(errors)}") from exc
    return _sarif_alerts(name, log, sarif_repository, now)


# --- parse phase ----------------------------------------------------------------------------------


def _check_repository_argument(sarif_repository: str | None) -> None:
    if sarif_repository is not None and not payloads.is_full_name(sarif_repository):
        raise ImportFailed(f"--repo: {sarif_repository!r} is not a repository (OWNER/REPO)")


def _parse_data(
    batch: Batch, name: str, data: object, sarif_repository: str | None, now: datetime
) -> None:
    if isinstance(data, dict):
        if not _is_sarif(data):
            raise _unrecognized(name, data)
        alerts = _parse_sarif(name, data, sarif_repository, now)
        batch.add_sarif(alerts)
        batch.files.append(FileSummary(path=name, kind=FileKind.SARIF, records=len(alerts)))
        return
    kind, items = _validate_list(name, data)
    _add(batch, kind, items)
    batch.files.append(FileSummary(path=name, kind=kind, records=len(items)))


def _parse_file(batch: Batch, path: Path, sarif_repository: str | None, now: datetime) -> None:
    raw = _read(path)
    name = str(path)
    if _first_byte(raw) == b"[":
        kind, items = _validate_list_bytes(name, raw)
        _add(batch, kind, items)
        batch.files.append(FileSummary(path=name, kind=kind, records=len(items)))
        return
    _parse_data(batch, name, _load(name, raw), sarif_repository, now)


def parse_files(
    paths: Sequence[Path], *, sarif_repository: str | None = None, now: datetime | None = None
) -> Batch:
    """Read, recognize and validate every file; raise `ImportFailed` on the first bad one."""
    _check_repository_argument(sarif_repository)
    batch = Batch()
    moment = now or system_clock()
    with bulk.no_gc():
        for path in paths:
            _parse_file(batch, Path(path), sarif_repository, moment)
    return batch


def parse_documents(
    documents: Iterable[tuple[str, object]],
    *,
    sarif_repository: str | None = None,
    now: datetime | None = None,
) -> Batch:
    """Like `parse_files`, for JSON already in memory: (name for messages, decoded JSON) pairs."""
    _check_repository_argument(sarif_repository)
    batch = Batch()
    moment = now or system_clock()
    with bulk.no_gc():
        for name, data in documents:
            _parse_data(batch, name, data, sarif_repository, moment)
    return batch


# --- write phase ----------------------------------------------------------------------------------


async def _number_sarif(conn: AsyncConnection, sarif: Iterable[Alert]) -> list[Alert]:
    """Give SARIF alerts their numbers: a known fingerprint keeps its number and first-seen date."""
    by_repo: dict[str, list[Alert]] = {}
    for alert in sarif:
        by_repo.setdefault(alert.repository, []).append(alert)
    if not by_repo:
        return []
    ids = await repository_store.ensure(conn, {name: None for name in by_repo})
    numbered: list[Alert] = []
    for name, items in by_repo.items():
        repository_id = ids[name.lower()]
        known = await fingerprints.known(
            conn, repository_id, [a.fingerprint for a in items if a.fingerprint]
        )
        following = await alert_store.next_number(conn, repository_id, AlertKind.CODE)
        for alert in items:
            assert alert.fingerprint is not None
            if alert.fingerprint in known:
                alert.number, alert.created_at = known[alert.fingerprint]
            else:
                alert.number, following = following, following + 1
            numbered.append(alert)
    return numbered


async def write(conn: AsyncConnection, batch: Batch) -> ImportReport:
    """Write a parsed batch on the caller's connection (one transaction: all or nothing)."""
    report = ImportReport(files=list(batch.files))
    if batch.repositories:
        await repository_store.upsert_many(conn, list(batch.repositories.values()))
        report.repositories = len(batch.repositories)
    if batch.properties:
        await repository_store.set_properties(conn, batch.properties)
        report.properties = len(batch.properties)
    alerts = list(batch.alerts.values())
    result = await bulk.upsert_alerts(conn, alerts, batch.github_ids)
    # After the GitHub-numbered alerts, so new SARIF numbers follow theirs.
    sarif = await _number_sarif(conn, batch.sarif.values())
    result += await bulk.upsert_alerts(conn, sarif)
    report.inserted, report.updated = result.inserted, result.updated
    every = [*alerts, *sarif]
    report.code = sum(1 for alert in every if alert.kind is AlertKind.CODE)
    report.secret = len(every) - report.code
    return report


async def import_files(
    engine: AsyncEngine,
    paths: Sequence[Path],
    sarif_repository: str | None = None,
    *,
    now: datetime | None = None,
) -> ImportReport:
    """Import files, recognized by content, in one transaction; `ImportFailed` writes nothing.

    `sarif_repository` (OWNER/REPO) names the repository of SARIF logs, overriding their
    `versionControlProvenance`; `now` dates SARIF results whose log records no run time.
    """
    batch = await asyncio.to_thread(parse_files, paths, sarif_repository=sarif_repository, now=now)
    async with engine.begin() as conn:
        return await write(conn, batch)
