"""People: Slack users matched to GitHub logins, what the e-mail match learned, what they asked."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Index, String, Table, func

from store.tables.base import TZDateTime, metadata

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

preferences = Table(
    "preferences",
    metadata,
    Column("slack_user_id", String(32), primary_key=True),
    Column("notify", Boolean, nullable=False, server_default="1"),
    Column("snoozed_until", TZDateTime, nullable=True),
    Column("updated_at", TZDateTime, nullable=False),
)
"""What a person asked of the bot: `notify` off stops launch, reminder and status DMs to them."""
