"""Domain models shared by every layer.

Pure pydantic: no Slack, no SQL. The store returns these, the services take and give these, and the
Slack surface renders these.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from bot.core.cwe import with_canonical_cwe

Lowered = Annotated[str, StringConstraints(to_lower=True)]
"""A machine value the filter language compares (severity, validity, resolution, secret type,
provider slug): GitHub sends them lower-case, and they are kept so, whatever a file or a test
says, so the store compares them as they are instead of calling lower() on every row."""


class AlertKind(StrEnum):
    CODE = "code"
    SECRET = "secret"  # noqa: S105 - an alert kind, not a password


class CampaignState(StrEnum):
    ACTIVE = "active"
    CLOSED = "closed"


class AlertStatus(StrEnum):
    """An alert's status inside a campaign (ARCHITECTURE §4)."""

    OPEN = "open"
    IN_PROGRESS = "in_progress"
    CLOSED = "closed"


class ProgressStatus(StrEnum):
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    OVERDUE = "overdue"
    DONE = "done"


OPEN_SOURCE_STATES = frozenset({"open"})
"""Source states that count as open; every other state (fixed, dismissed, resolved) is closed."""

CODE_STATES = ("open", "fixed", "dismissed")
SECRET_STATES = ("open", "resolved")


class _Model(BaseModel):
    model_config = ConfigDict(frozen=False, extra="forbid")


class Repository(_Model):
    """A repository as GitHub describes it, plus what the filter language needs."""

    id: int | None = None
    github_id: int | None = None
    full_name: str
    visibility: str = "private"
    archived: bool = False
    pushed_at: datetime | None = None
    default_branch: str | None = None
    topics: list[str] = Field(default_factory=list)
    properties: dict[str, list[str]] = Field(default_factory=dict)

    @property
    def owner(self) -> str:
        return self.full_name.split("/", 1)[0]

    @property
    def name(self) -> str:
        return self.full_name.split("/", 1)[-1]


class Alert(_Model):
    """One code-scanning or secret-scanning alert. Identity: repository, kind, number."""

    id: int | None = None
    repository: str
    kind: AlertKind
    number: int
    state: str
    created_at: datetime
    updated_at: datetime | None = None
    closed_at: datetime | None = None
    html_url: str | None = None
    assignees: list[str] = Field(default_factory=list)
    # code scanning
    rule_id: str | None = None
    rule_name: str | None = None
    rule_description: str | None = None
    severity: Lowered | None = None
    security_severity: Lowered | None = None
    tool: str | None = None
    tags: list[str] = Field(default_factory=list)
    path: str | None = None
    start_line: int | None = None
    classifications: list[str] = Field(default_factory=list)
    dismissed_reason: str | None = None
    fingerprint: str | None = None
    # secret scanning
    secret_type: Lowered | None = None
    secret_type_display_name: str | None = None
    provider: str | None = None
    provider_slug: Lowered | None = None
    validity: Lowered | None = None
    resolution: Lowered | None = None
    publicly_leaked: bool = False
    multi_repo: bool = False
    bypassed: bool = False
    generic: bool = False

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_SOURCE_STATES

    @property
    def reference(self) -> str:
        """How people name the alert: `OWNER/REPO#code-12`."""
        return f"{self.repository}#{self.kind.value}-{self.number}"

    @property
    def title(self) -> str:
        if self.kind is AlertKind.CODE:
            return self.rule_name or self.rule_id or "code scanning alert"
        return self.secret_type_display_name or self.secret_type or "secret"

    @field_validator("tags")
    @classmethod
    def _cwe_as_github_spells_it(cls, tags: list[str]) -> list[str]:
        return with_canonical_cwe(tags)


class AlertRef(_Model):
    """A parsed alert reference; `repository` may be a short name to resolve."""

    repository: str
    kind: AlertKind
    number: int


class Campaign(_Model):
    id: int | None = None
    name: str
    description: str
    kind: AlertKind
    query: str
    template: str | None = None
    state: CampaignState = CampaignState.ACTIVE
    due_date: date
    manager: str
    channel: str | None = None
    contact_link: str | None = None
    timezone: str = "UTC"
    created_by: str
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None = None
    left_out: int = 0
    alert_count: int = 0
    announce_channel: str | None = None
    announce_ts: str | None = None
    github_number: int | None = None
    reminders: bool = True
    """Channel reminders before and after the due date (the edit modal turns them off)."""
    reminder_days: str | None = None
    """Days before the due date for channel reminders (`7,1,0`); None: the installation's."""
    reminder_channel: str | None = None
    """Where channel reminders go; None: the campaign's channel."""
    nudge_severities: str | None = None
    """Reminder DMs only about alerts of these severities (`critical,high`); None: all."""
    nudge_min_age_days: int | None = None
    """Reminder DMs only about alerts open at least this many days; None: all."""

    @property
    def number(self) -> int:
        assert self.id is not None
        return self.id


class CampaignAlert(_Model):
    campaign_id: int
    alert: Alert
    status: AlertStatus
    assignee: str | None = None
    fix: FixLink | None = None
    """The branch or pull request that made it in progress, if any."""
    checklist: list[str] = Field(default_factory=list)
    """A secret's checklist steps ticked so far (bot.core.playbooks.ChecklistStep values)."""
    exception: str | None = None
    """`pending` or `approved` when an exception is asked for or granted."""
    exception_until: date | None = None


class Assignment(_Model):
    campaign_id: int
    alert_id: int
    assignee: str
    assigned_by: str
    assigned_at: datetime


class FixLink(_Model):
    id: int | None = None
    alert_id: int
    kind: str  # "branch" | "pull_request"
    ref: str
    url: str | None = None
    created_at: datetime


class Identity(_Model):
    slack_user_id: str
    github_login: str | None = None
    email: str | None = None
    source: str = "manual"


class Event(_Model):
    """One change in the audit trail: who did what, when, with before and after."""

    id: int | None = None
    campaign_id: int | None = None
    actor: str
    action: str
    at: datetime
    subject: str | None = None
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None


class StatusCounts(_Model):
    open: int = 0
    in_progress: int = 0
    closed: int = 0

    @property
    def total(self) -> int:
        return self.open + self.in_progress + self.closed


class RepositoryProgress(_Model):
    name: str
    open: int = 0
    in_progress: int = 0
    closed: int = 0


class Progress(_Model):
    """A campaign's progress at one moment (see bot.core.progress)."""

    campaign_id: int
    counts: StatusCounts
    repositories: list[RepositoryProgress]
    days_left: int
    closed_in_period: int
    period_days: int
    burn_rate: float  # alerts closed per day over the burn window
    projected_completion: date | None
    status: ProgressStatus
    too_early: bool = False
    """No alert closed yet in a campaign younger than a week: no trend to judge by."""

    @property
    def percent_closed(self) -> int:
        total = self.counts.total
        return round(100 * self.counts.closed / total) if total else 100


class Selection(_Model):
    """What a filter selects, before it becomes a campaign (the preview)."""

    query: str
    alerts: int
    repositories: int
    code: int
    secret: int
    big: bool
    kept: int
    left_out: int
