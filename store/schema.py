"""Table definitions (SQLAlchemy Core). Alembic migrations create them; queries import them.

Topics, custom properties, teams, tags and assignees have tables of their own so that every filter
qualifier compiles to an indexed join or EXISTS, never a LIKE over a JSON blob.

The tables are defined by domain in store.tables; this module gathers them, so that importing it
registers every table on `metadata` (Alembic's `target_metadata`, store/migrations/env.py) and
`from store import schema; schema.alerts` reads the same as ever.
"""

from __future__ import annotations

from store.tables.alerts import PREVIEW_COLUMNS, alert_assignees, alert_tags, alerts, fix_links
from store.tables.base import TZDateTime, metadata
from store.tables.campaigns import assignments, campaign_alerts, campaigns, events
from store.tables.inventory import (
    repositories,
    repository_properties,
    repository_topics,
    repository_writers,
    team_repositories,
    teams,
)
from store.tables.operations import app_info, deliveries, jobs, outbox, sync_state
from store.tables.people import github_users, identities, preferences
from store.tables.playbooks import alert_exceptions, checklist_ticks, escalations

__all__ = [
    "PREVIEW_COLUMNS",
    "TZDateTime",
    "alert_assignees",
    "alert_exceptions",
    "alert_tags",
    "alerts",
    "app_info",
    "assignments",
    "campaign_alerts",
    "campaigns",
    "checklist_ticks",
    "deliveries",
    "escalations",
    "events",
    "fix_links",
    "github_users",
    "identities",
    "jobs",
    "metadata",
    "outbox",
    "preferences",
    "repositories",
    "repository_properties",
    "repository_topics",
    "repository_writers",
    "sync_state",
    "team_repositories",
    "teams",
]
