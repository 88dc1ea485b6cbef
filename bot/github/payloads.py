"""GitHub REST JSON as the API sends it, and its conversion to `bot.core.models`.

One set of models serves the file importer, the REST sync and the webhooks, so they follow GitHub's
published schemas (REST API version 2022-11-28): nullable where GitHub documents `null`, tolerant of
every field we do not use (`extra="ignore"`: GitHub adds fields without notice), and strict on the
few fields we need, so a malformed record is refused with a precise reason instead of being stored
half-empty.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    model_validator,
)

from bot.core.models import Alert, AlertKind, Lowered, Repository

CodeState = Literal["open", "dismissed", "fixed"]
DismissedReason = Literal["false positive", "won't fix", "used in tests"]
RuleSeverity = Literal["none", "note", "warning", "error"]
SecuritySeverity = Literal["low", "medium", "high", "critical"]
Classification = Literal["source", "generated", "test", "library"]
SecretState = Literal["open", "resolved"]
SecretResolution = Literal[
    "false_positive", "wont_fix", "revoked", "used_in_tests", "pattern_edited", "pattern_deleted"
]
"""The alert schema lists the first four; the list filter also documents the two `pattern_*` ones,
which GitHub sets when a custom pattern is edited or deleted, so we accept them too."""
Validity = Literal["active", "inactive", "unknown"]
Visibility = Literal["public", "private", "internal"]

_FULL_NAME = re.compile(r"^[^/\s]+/[^/\s]+$")


def is_full_name(value: str) -> bool:
    """True for `OWNER/REPO`."""
    return bool(_FULL_NAME.match(value))


def _full_name(value: str) -> str:
    if not is_full_name(value):
        raise ValueError(f"{value!r} is not a repository full name (OWNER/REPO)")
    return value


FullName = Annotated[str, AfterValidator(_full_name)]

AlertNumber = Annotated[int, Field(ge=1, le=2**31 - 1)]

"""GitHub numbers alerts from 1 per repository; anything else is a damaged record, refused with
its place in the file rather than overflowing the database."""

GENERIC_SECRET_TYPES = frozenset(
    {
        # "Supported generic patterns" (non-provider patterns), docs.github.com: secret scanning →
        # supported secret scanning patterns. Validity checks are not supported for these.
        "ec_private_key",
        "generic_private_key",
        "http_basic_authentication_header",
        "http_bearer_authentication_header",
        "mongodb_connection_string",
        "mysql_connection_string",
        "openssh_private_key",
        "pgp_private_key",
        "postgres_connection_string",
        "rsa_private_key",
        # "AI-detected" generic passwords from Copilot secret scanning.
        "password",
    }
)
"""Secret types GitHub lists as "generic" results (the `results:generic` filter), not tied to a
provider. A secret whose provider is literally "Generic" counts as generic too."""


class Payload(BaseModel):
    """Base of every GitHub payload model: unknown fields are ignored, GitHub adds them freely."""

    model_config = ConfigDict(extra="ignore")


class SimpleUser(Payload):
    login: str
    id: int | None = None


class SimpleRepository(Payload):
    """The `repository` object embedded in organization-level alert items."""

    id: int | None = None
    full_name: FullName


# --- code scanning --------------------------------------------------------------------------------


class CodeScanningRule(Payload):
    id: str | None = None
    name: str | None = None
    severity: RuleSeverity | None = None
    security_severity_level: SecuritySeverity | None = None
    description: str | None = None
    tags: list[str] | None = None


class CodeScanningTool(Payload):
    name: str | None = None
    version: str | None = None
    guid: str | None = None


class CodeScanningLocation(Payload):
    path: str | None = None
    start_line: int | None = None


class CodeScanningInstance(Payload):
    ref: str | None = None
    state: CodeState | None = None
    location: CodeScanningLocation | None = None
    classifications: list[Classification | None] | None = None


def repository_from_url(url: str | None) -> str | None:
    """`OWNER/REPO` from an alert URL, for repository-level list items that carry no `repository`.

    API URLs (`https://api.github.com/repos/OWNER/REPO/…`, GHES `https://HOST/api/v3/repos/OWNER/
    REPO/…`) are read after `/repos/`; web URLs (`https://github.com/OWNER/REPO/security/…`, GHES
    `https://HOST/OWNER/REPO/…`) from the first two path segments.
    """
    if not url:
        return None
    parts = [part for part in urlsplit(url).path.split("/") if part]
    if "repos" in parts:
        at = parts.index("repos")
        parts = parts[at + 1 :]
    if len(parts) < 2:
        return None
    return f"{parts[0]}/{parts[1]}"


class _AlertItem(Payload):
    """What code- and secret-scanning alert items share, at organization or repository level."""

    number: AlertNumber
    created_at: datetime
    updated_at: datetime | None = None
    url: str | None = None
    html_url: str | None = None
    repository: SimpleRepository | None = None

    @model_validator(mode="after")
    def _knows_its_repository(self) -> _AlertItem:
        if self.repository_full_name is None:
            raise ValueError(
                "cannot tell which repository the alert belongs to: "
                "no 'repository', and no repository in 'url' or 'html_url'"
            )
        return self

    @property
    def repository_full_name(self) -> str | None:
        if self.repository is not None:
            return self.repository.full_name
        return repository_from_url(self.url) or repository_from_url(self.html_url)

    @property
    def repository_github_id(self) -> int | None:
        return self.repository.id if self.repository is not None else None


class CodeScanningAlert(_AlertItem):
    """An item of `GET /orgs/{org}/code-scanning/alerts` or `/repos/{o}/{r}/code-scanning/alerts`
    (also the single-alert GET and the webhook's `alert`)."""

    state: CodeState | None
    fixed_at: datetime | None = None
    dismissed_at: datetime | None = None
    dismissed_reason: DismissedReason | None = None
    rule: CodeScanningRule
    tool: CodeScanningTool
    most_recent_instance: CodeScanningInstance | None = None
    assignees: list[SimpleUser] | None = None

    def to_alert(self) -> Alert:
        instance = self.most_recent_instance
        location = instance.location if instance is not None else None
        # GitHub documents `state: null`; the instance's state is the best guess, else open.
        state = self.state or (instance.state if instance is not None else None) or "open"
        severity = self.rule.severity if self.rule.severity != "none" else None
        return Alert(
            repository=self.repository_full_name or "",
            kind=AlertKind.CODE,
            number=self.number,
            state=state,
            created_at=self.created_at,
            updated_at=self.updated_at,
            closed_at=(self.fixed_at or self.dismissed_at) if state != "open" else None,
            html_url=self.html_url,
            assignees=[user.login for user in self.assignees or ()],
            rule_id=self.rule.id,
            rule_name=self.rule.name,
            rule_description=self.rule.description,
            severity=severity,
            security_severity=self.rule.security_severity_level,
            tool=self.tool.name,
            tags=list(self.rule.tags or ()),
            path=location.path if location is not None else None,
            start_line=location.start_line if location is not None else None,
            classifications=[c for c in (instance.classifications or ()) if c is not None]
            if instance is not None
            else [],
            dismissed_reason=self.dismissed_reason if state == "dismissed" else None,
        )


# --- secret scanning ------------------------------------------------------------------------------


class SecretScanningAlert(_AlertItem):
    """An item of `GET /orgs/{org}/secret-scanning/alerts` or `GET /repos/{o}/{r}/secret-scanning/
    alerts`. The schema has no `required` list (rest-api-description#4804); we need the number, the
    dates, the state and the secret type."""

    state: SecretState
    resolution: SecretResolution | None = None
    resolved_at: datetime | None = None
    secret_type: Lowered
    secret_type_display_name: str | None = None
    provider: str | None = None
    provider_slug: Lowered | None = None
    validity: Validity | None = None
    publicly_leaked: bool | None = None
    multi_repo: bool | None = None
    push_protection_bypassed: bool | None = None
    assigned_to: SimpleUser | None = None

    @property
    def generic(self) -> bool:
        return self.secret_type.lower() in GENERIC_SECRET_TYPES or (
            (self.provider or "").lower() == "generic"
        )

    def to_alert(self) -> Alert:
        resolved = self.state == "resolved"
        return Alert(
            repository=self.repository_full_name or "",
            kind=AlertKind.SECRET,
            number=self.number,
            state=self.state,
            created_at=self.created_at,
            updated_at=self.updated_at,
            closed_at=self.resolved_at if resolved else None,
            html_url=self.html_url,
            assignees=[self.assigned_to.login] if self.assigned_to is not None else [],
            secret_type=self.secret_type,
            secret_type_display_name=self.secret_type_display_name,
            provider=self.provider,
            provider_slug=self.provider_slug,
            validity=self.validity,
            resolution=self.resolution if resolved else None,
            publicly_leaked=bool(self.publicly_leaked),
            multi_repo=bool(self.multi_repo),
            bypassed=bool(self.push_protection_bypassed),
            generic=self.generic,
        )


# --- repositories and custom properties -----------------------------------------------------------


class RepositoryItem(Payload):
    """An item of `GET /orgs/{org}/repos` (minimal-repository), also `GET /repos/{o}/{r}`."""

    id: int
    full_name: FullName
    private: bool | None = None
    visibility: Visibility | None = None
    archived: bool | None = None
    pushed_at: datetime | None = None
    default_branch: str | None = None
    topics: list[str] | None = None

    def to_repository(self) -> Repository:
        visibility = self.visibility or ("public" if self.private is False else "private")
        return Repository(
            github_id=self.id,
            full_name=self.full_name,
            visibility=visibility,
            archived=bool(self.archived),
            pushed_at=self.pushed_at,
            default_branch=self.default_branch,
            topics=list(self.topics or ()),
        )


class PropertyValue(Payload):
    property_name: str
    value: str | list[str] | None


class RepositoryPropertyValues(Payload):
    """An item of `GET /orgs/{org}/properties/values`."""

    repository_id: int | None = None
    repository_name: str | None = None
    repository_full_name: FullName
    properties: list[PropertyValue]

    def values(self) -> dict[str, list[str]]:
        """Property name → values; a `null` value means the property is unset, so it is left out."""
        found: dict[str, list[str]] = {}
        for prop in self.properties:
            if prop.value is None:
                continue
            values = [prop.value] if isinstance(prop.value, str) else list(prop.value)
            if values:
                found.setdefault(prop.property_name, []).extend(values)
        return found


AlertItem = CodeScanningAlert | SecretScanningAlert

CODE_ALERTS = TypeAdapter(list[CodeScanningAlert])
SECRET_ALERTS = TypeAdapter(list[SecretScanningAlert])
REPOSITORIES = TypeAdapter(list[RepositoryItem])
PROPERTY_VALUES = TypeAdapter(list[RepositoryPropertyValues])
"""List adapters: one call validates a whole page or file in pydantic-core, no Python loop."""
