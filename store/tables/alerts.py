"""Alerts: code-scanning and secret-scanning alerts, their tags, assignees and fix links.

Tags and assignees have tables of their own so the filter language (store.alert_filter) compiles
each qualifier to an indexed EXISTS; `ix_alerts_preview` serves a preview from the index alone.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.types import JSON

from store.tables.base import TZDateTime, metadata

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
