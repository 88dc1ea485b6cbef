"""Campaigns: the campaign rows, the alerts each one holds, who is assigned them, their trail."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Date, ForeignKey, Index, Integer, String, Table, Text
from sqlalchemy.types import JSON

from store.tables.base import TZDateTime, metadata

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
