"""Table definitions (SQLAlchemy Core). Alembic migrations create them; queries import them.

Topics, custom properties, teams, tags and assignees have tables of their own so that every filter
qualifier compiles to an indexed join or EXISTS, never a LIKE over a JSON blob.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.types import JSON

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

TZDateTime = DateTime(timezone=True)

app_info = Table(
    "app_info",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)
"""Marks a database as campaignbot's (key 'application')."""

repositories = Table(
    "repositories",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("github_id", Integer, nullable=True, unique=True),
    Column("full_name", String(200), nullable=False, unique=True),
    Column("full_name_lower", String(200), nullable=False, unique=True),
    Column("name_lower", String(200), nullable=False, index=True),
    Column("visibility", String(16), nullable=False, server_default="private"),
    Column("archived", Boolean, nullable=False, server_default="0"),
    Column("pushed_at", TZDateTime, nullable=True, index=True),
    Column("default_branch", String(200), nullable=True),
    Column("deleted_at", TZDateTime, nullable=True),
)
"""`deleted_at`: when the GitHub sync found the repository gone from the organization (deleted or
transferred away); such a repository is also marked archived and its open alerts closed."""

repository_topics = Table(
    "repository_topics",
    metadata,
    Column(
        "repository_id",
        Integer,
        ForeignKey("repositories.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("topic", String(100), primary_key=True),
    Index("ix_repository_topics_topic", "topic", "repository_id"),
)

repository_properties = Table(
    "repository_properties",
    metadata,
    Column(
        "repository_id",
        Integer,
        ForeignKey("repositories.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("name", String(100), primary_key=True),  # lower-cased property name
    Column("value", String(200), primary_key=True),  # lower-cased value
    Column("display_value", String(200), nullable=False),
    Index("ix_repository_properties_name_value", "name", "value", "repository_id"),
)

teams = Table(
    "teams",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("github_id", Integer, nullable=True, unique=True),
    Column("slug", String(100), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
)

team_repositories = Table(
    "team_repositories",
    metadata,
    Column("team_id", Integer, ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True),
    Column(
        "repository_id",
        Integer,
        ForeignKey("repositories.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("permission", String(16), nullable=False, server_default="push"),
    Index("ix_team_repositories_repository_id", "repository_id"),
)

PREVIEW_COLUMNS = (
    "is_open",
    "kind",
    "repository_id",
    "secret_type",
    "security_severity",
    "severity",
    "in_app_code",
    "created_at",
    "validity",
    "provider_slug",
    "provider",
    "resolution",
    "publicly_leaked",
    "multi_repo",
    "bypassed",
    "generic",
    "tool",
    "rule_id",
)
"""The columns of `ix_alerts_preview`, leading with those a range is taken on."""

alerts = Table(
    "alerts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column(
        "repository_id",
        Integer,
        ForeignKey("repositories.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("kind", String(8), nullable=False),
    Column("number", Integer, nullable=False),
    Column("state", String(16), nullable=False),
    Column("is_open", Boolean, nullable=False),
    Column("created_at", TZDateTime, nullable=False),
    Column("updated_at", TZDateTime, nullable=True),
    Column("closed_at", TZDateTime, nullable=True),
    Column("html_url", String(500), nullable=True),
    # code scanning
    Column("rule_id", String(200), nullable=True),
    Column("rule_name", String(300), nullable=True),
    Column("rule_description", Text, nullable=True),
    Column("severity", String(16), nullable=True),
    Column("security_severity", String(16), nullable=True),
    Column("tool", String(100), nullable=True),
    Column("path", String(1000), nullable=True),
    Column("start_line", Integer, nullable=True),
    Column("classifications", JSON, nullable=True),
    Column("in_app_code", Boolean, nullable=False, server_default="1"),
    Column("dismissed_reason", String(32), nullable=True),
    Column("fingerprint", String(200), nullable=True),
    # secret scanning
    Column("secret_type", String(200), nullable=True),
    Column("secret_type_display_name", String(300), nullable=True),
    Column("provider", String(200), nullable=True),
    Column("provider_slug", String(200), nullable=True),
    Column("validity", String(16), nullable=True),
    Column("resolution", String(32), nullable=True),
    Column("publicly_leaked", Boolean, nullable=False, server_default="0"),
    Column("multi_repo", Boolean, nullable=False, server_default="0"),
    Column("bypassed", Boolean, nullable=False, server_default="0"),
    Column("generic", Boolean, nullable=False, server_default="0"),
    UniqueConstraint("repository_id", "kind", "number"),
    Index("ix_alerts_kind_open", "kind", "is_open", "repository_id"),
    Index("ix_alerts_rule_id", "rule_id"),
    Index("ix_alerts_security_severity", "security_severity"),
    Index("ix_alerts_secret_type", "secret_type"),
    Index("ix_alerts_created_at", "created_at"),
    Index("ix_alerts_repository_fingerprint", "repository_id", "fingerprint"),
    Index("ix_alerts_preview", *PREVIEW_COLUMNS),
    Index(
        "ix_alerts_provider",
        "provider",
        sqlite_where=text("provider IS NOT NULL"),
        postgresql_where=text("provider IS NOT NULL"),
    ),
)
"""`ix_alerts_preview` covers the filter language (`store.alert_filter`): a preview reads only the
index, open alerts of one kind as one range, in the order it groups them by repository.
`ix_alerts_provider` lists the providers a preview suggests without scanning every alert."""

alert_tags = Table(
    "alert_tags",
    metadata,
    Column("alert_id", Integer, ForeignKey("alerts.id", ondelete="CASCADE"), primary_key=True),
    Column("tag", String(200), primary_key=True),  # lower-cased
    Index("ix_alert_tags_tag", "tag", "alert_id"),
)

alert_assignees = Table(
    "alert_assignees",
    metadata,
    Column("alert_id", Integer, ForeignKey("alerts.id", ondelete="CASCADE"), primary_key=True),
    Column("login", String(100), primary_key=True),  # GitHub login, lower-cased
    Index("ix_alert_assignees_login", "login", "alert_id"),
)

campaigns = Table(
    "campaigns",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(50), nullable=False),
    Column("description", String(255), nullable=False),
    Column("kind", String(8), nullable=False),
    Column("query", Text, nullable=False),
    Column("template", String(100), nullable=True),
    Column("state", String(8), nullable=False, index=True),
    Column("due_date", Date, nullable=False),
    Column("manager", String(32), nullable=False),
    Column("channel", String(32), nullable=True),
    Column("contact_link", String(500), nullable=True),
    Column("timezone", String(64), nullable=False, server_default="UTC"),
    Column("created_by", String(32), nullable=False),
    Column("created_at", TZDateTime, nullable=False),
    Column("updated_at", TZDateTime, nullable=False),
    Column("closed_at", TZDateTime, nullable=True),
    Column("left_out", Integer, nullable=False, server_default="0"),
    Column("announce_channel", String(32), nullable=True),
    Column("announce_ts", String(32), nullable=True),
    Column("github_number", Integer, nullable=True),
    Column("reminders", Boolean, nullable=False, server_default="1"),
    Column("reminder_days", String(40), nullable=True),
    Column("reminder_channel", String(32), nullable=True),
    Column("nudge_severities", String(100), nullable=True),
    Column("nudge_min_age_days", Integer, nullable=True),
    Column("request_key", String(100), nullable=True, unique=True),
)
"""`request_key` makes a double-submitted create modal produce one campaign, not two."""

campaign_alerts = Table(
    "campaign_alerts",
    metadata,
    Column(
        "campaign_id",
        Integer,
        ForeignKey("campaigns.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("alert_id", Integer, ForeignKey("alerts.id", ondelete="CASCADE"), primary_key=True),
    Column("repository_id", Integer, nullable=False),
    Index("ix_campaign_alerts_alert_id", "alert_id"),
    Index("ix_campaign_alerts_campaign_repository", "campaign_id", "repository_id"),
)

assignments = Table(
    "assignments",
    metadata,
    Column(
        "campaign_id",
        Integer,
        ForeignKey("campaigns.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("alert_id", Integer, ForeignKey("alerts.id", ondelete="CASCADE"), primary_key=True),
    Column("assignee", String(32), nullable=False),
    Column("assigned_by", String(32), nullable=False),
    Column("assigned_at", TZDateTime, nullable=False),
    Index("ix_assignments_assignee", "assignee", "campaign_id"),
)

fix_links = Table(
    "fix_links",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("alert_id", Integer, ForeignKey("alerts.id", ondelete="CASCADE"), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("ref", String(300), nullable=False),
    Column("url", String(500), nullable=True),
    Column("created_at", TZDateTime, nullable=False),
    UniqueConstraint("alert_id", "kind", "ref"),
    Index("ix_fix_links_alert_id", "alert_id"),
)

identities = Table(
    "identities",
    metadata,
    Column("slack_user_id", String(32), primary_key=True),
    Column("github_login", String(100), nullable=True, unique=True),
    Column("email", String(320), nullable=True, index=True),
    Column("source", String(16), nullable=False, server_default="manual"),
)
Index("ix_identities_github_login_lower", func.lower(identities.c.github_login))
"""Logins are matched case-insensitively (writers, assignees): one index lookup per writer."""

repository_writers = Table(
    "repository_writers",
    metadata,
    Column(
        "repository_id",
        Integer,
        ForeignKey("repositories.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("login", String(100), primary_key=True),  # lower-cased GitHub login
    Column("permission", String(16), nullable=False),
    Index("ix_repository_writers_login", "login", "repository_id"),
)
"""Who may be assigned a repository's alerts: collaborators with push or more (ARCHITECTURE §4),
kept by the sync and the `member` / `team_add` / `membership` webhooks, so no click asks GitHub."""

github_users = Table(
    "github_users",
    metadata,
    Column("login", String(100), primary_key=True),  # lower-cased
    Column("email", String(320), nullable=True),
    Column("slack_user_id", String(32), nullable=True),
    Column("checked_at", TZDateTime, nullable=False),
)
"""What the e-mail match learned about a login (its public e-mail, the Slack user it names), so a
login is looked up once per `EMAIL_RECHECK`, not on every sync."""

events = Table(
    "events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("campaign_id", Integer, nullable=True, index=True),
    Column("actor", String(100), nullable=False),
    Column("action", String(50), nullable=False),
    Column("at", TZDateTime, nullable=False),
    Column("subject", String(300), nullable=True),
    Column("before", JSON, nullable=True),
    Column("after", JSON, nullable=True),
)

deliveries = Table(
    "deliveries",
    metadata,
    Column("key", String(300), primary_key=True),
    Column("created_at", TZDateTime, nullable=False),
    Column("status", String(16), nullable=False, server_default="claimed"),
)
"""Delivery keys (`kind:campaign:target:period`, `github:GUID`): claimed once, sent once."""

sync_state = Table(
    "sync_state",
    metadata,
    Column("key", String(300), primary_key=True),
    Column("value", JSON, nullable=False),
    Column("updated_at", TZDateTime, nullable=False),
)
"""Sync cursors and ETags, so an interrupted sync resumes and an unchanged poll costs 304s."""

outbox = Table(
    "outbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("key", String(300), nullable=False, unique=True),
    Column("kind", String(16), nullable=False),
    Column("campaign_id", Integer, nullable=True, index=True),
    Column("target", String(64), nullable=True),
    Column("payload", JSON, nullable=False),
    Column("state", String(10), nullable=False),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("not_before", TZDateTime, nullable=False),
    Column("lease_owner", String(64), nullable=True),
    Column("lease_until", TZDateTime, nullable=True),
    Column("uncertain", Boolean, nullable=False, server_default="0"),
    Column("created_at", TZDateTime, nullable=False),
    Column("sent_at", TZDateTime, nullable=True),
    Column("channel", String(32), nullable=True),
    Column("ts", String(32), nullable=True),
    Column("reason", Text, nullable=True),
    Index("ix_outbox_state_not_before", "state", "not_before"),
)
"""Notices waiting to be sent (ARCHITECTURE §6): written with the change, claimed with a lease,
sent once. Rows outlive their campaign (no foreign key) so a deletion can still be announced."""

jobs = Table(
    "jobs",
    metadata,
    Column("name", String(32), primary_key=True),
    Column("last_run", TZDateTime, nullable=True),
    Column("last_outcome", String(200), nullable=True),
    Column("lease_owner", String(64), nullable=True),
    Column("lease_until", TZDateTime, nullable=True),
)
"""One row per scheduled job: when it last ran, how it ended, and who holds it now."""

preferences = Table(
    "preferences",
    metadata,
    Column("slack_user_id", String(32), primary_key=True),
    Column("notify", Boolean, nullable=False, server_default="1"),
    Column("snoozed_until", TZDateTime, nullable=True),
    Column("updated_at", TZDateTime, nullable=False),
)
"""What a person asked of the bot: `notify` off stops launch, reminder and status DMs to them."""

checklist_ticks = Table(
    "checklist_ticks",
    metadata,
    Column("alert_id", Integer, ForeignKey("alerts.id", ondelete="CASCADE"), primary_key=True),
    Column("step", String(16), primary_key=True),
    Column("ticked_by", String(32), nullable=False),
    Column("ticked_at", TZDateTime, nullable=False),
)
"""The leaked-secret checklist (verify, active, revoke, update, test, document, resolve): the
steps ticked on each secret alert, by whom and when."""

alert_exceptions = Table(
    "alert_exceptions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("campaign_id", Integer, nullable=False),
    Column("alert_id", Integer, ForeignKey("alerts.id", ondelete="CASCADE"), nullable=False),
    Column("requested_by", String(32), nullable=False),
    Column("reason", String(20), nullable=False),
    Column("comment", Text, nullable=False),
    Column("expires_on", Date, nullable=False),
    Column("state", String(12), nullable=False),
    Column("requested_at", TZDateTime, nullable=False),
    Column("decided_by", String(32), nullable=True),
    Column("decided_at", TZDateTime, nullable=True),
    Column("decision_note", Text, nullable=True),
    Column("warned_at", TZDateTime, nullable=True),
    Column("ended_at", TZDateTime, nullable=True),
    Index("ix_alert_exceptions_alert_id_state", "alert_id", "state"),
    Index("ix_alert_exceptions_state_expires_on", "state", "expires_on"),
    Index("ix_alert_exceptions_campaign_id_state", "campaign_id", "state"),
)
"""Exceptions asked for an alert (false positive, accepted risk, used in tests) with a reason and
an expiry: pending until the campaign's manager decides; approved ones close the alert on GitHub
until they expire."""

escalations = Table(
    "escalations",
    metadata,
    Column("rule", String(100), primary_key=True),
    Column("subject", String(300), primary_key=True),
    Column("campaign_id", Integer, nullable=True),
    Column("alert_id", Integer, nullable=True),
    Column("actor", String(32), nullable=False),
    Column("at", TZDateTime, nullable=False),
)
"""Escalations made: one row per rule and subject (an alert, or a repository of a campaign), so
each is sent once."""
