"""Playbooks: the leaked-secret checklist, exceptions asked for alerts, escalations made."""

from __future__ import annotations

from sqlalchemy import Column, Date, ForeignKey, Index, Integer, String, Table, Text

from store.tables.base import TZDateTime, metadata

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
