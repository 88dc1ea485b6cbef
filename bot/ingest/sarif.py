"""SARIF 2.1.0 logs: the part of the schema the importer reads, and each result as a code alert.

A result has no alert number of its own: it is identified by a fingerprint of tool, category, rule
and location hashes (as GitHub tracks it), and numbered per repository when written.
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot.core.models import Alert, AlertKind
from bot.github import payloads
from bot.ingest.errors import ImportFailed, describe_error, more_problems, show

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


def parse_sarif(
    name: str, data: dict[str, Any], sarif_repository: str | None, now: datetime
) -> list[Alert]:
    version = data.get("version")
    if version is not None and version != "2.1.0":
        raise ImportFailed(f"{name}: SARIF version {show(version)} is not supported, only 2.1.0")
    try:
        log = SarifLog.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        problem = describe_error(errors[0], errors[0]["loc"])
        raise ImportFailed(f"{name}: {problem}{more_problems(errors)}") from exc
    return _sarif_alerts(name, log, sarif_repository, now)
