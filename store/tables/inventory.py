"""The organization's inventory: repositories, their topics, custom properties, teams, writers.

Topics, custom properties and teams have tables of their own so that every filter qualifier
compiles to an indexed join or EXISTS, never a LIKE over a JSON blob.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, ForeignKey, Index, Integer, String, Table

from store.tables.base import TZDateTime, metadata

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
