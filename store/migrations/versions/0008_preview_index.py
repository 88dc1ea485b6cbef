"""alert indexes for previews and campaign selection at a million alerts

A covering index for the filter language: previews read only the index, open alerts of one kind as
one range, already in the order of their grouping by repository. A partial index on the secret
provider, so the values a preview suggests are read without scanning every alert.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 14:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

PREVIEW_COLUMNS = [
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
]


def upgrade() -> None:
    op.create_index("ix_alerts_preview", "alerts", PREVIEW_COLUMNS)
    op.create_index(
        "ix_alerts_provider",
        "alerts",
        ["provider"],
        sqlite_where=sa.text("provider IS NOT NULL"),
        postgresql_where=sa.text("provider IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_alerts_provider", table_name="alerts")
    op.drop_index("ix_alerts_preview", table_name="alerts")
