"""reminder settings per campaign, snoozes per person, logins looked up case-insensitively

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 10:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("campaigns") as batch:
        batch.add_column(sa.Column("reminders", sa.Boolean(), server_default="1", nullable=False))
        batch.add_column(sa.Column("reminder_days", sa.String(length=40), nullable=True))
        batch.add_column(sa.Column("reminder_channel", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("nudge_severities", sa.String(length=100), nullable=True))
        batch.add_column(sa.Column("nudge_min_age_days", sa.Integer(), nullable=True))
    with op.batch_alter_table("preferences") as batch:
        batch.add_column(sa.Column("snoozed_until", sa.DateTime(timezone=True), nullable=True))
    op.create_index(
        "ix_identities_github_login_lower", "identities", [sa.text("lower(github_login)")]
    )


def downgrade() -> None:
    op.drop_index("ix_identities_github_login_lower", table_name="identities")
    with op.batch_alter_table("preferences") as batch:
        batch.drop_column("snoozed_until")
    with op.batch_alter_table("campaigns") as batch:
        batch.drop_column("nudge_min_age_days")
        batch.drop_column("nudge_severities")
        batch.drop_column("reminder_channel")
        batch.drop_column("reminder_days")
        batch.drop_column("reminders")
