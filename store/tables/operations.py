"""The bot's own bookkeeping: whose database it is, delivery keys, sync state, outbox, jobs."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Index, Integer, String, Table, Text
from sqlalchemy.types import JSON

from store.tables.base import TZDateTime, metadata

app_info = Table(
    "app_info",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)
"""Marks a database as campaignbot's (key 'application')."""

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
