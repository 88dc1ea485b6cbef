"""playbooks: checklist ticks, exceptions, escalations

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 13:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "checklist_ticks",
        sa.Column("alert_id", sa.Integer(), nullable=False),
        sa.Column("step", sa.String(length=16), nullable=False),
        sa.Column("ticked_by", sa.String(length=32), nullable=False),
        sa.Column("ticked_at", TZ, nullable=False),
        sa.ForeignKeyConstraint(
            ["alert_id"],
            ["alerts.id"],
            name="fk_checklist_ticks_alert_id_alerts",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("alert_id", "step", name="pk_checklist_ticks"),
    )
    op.create_table(
        "alert_exceptions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("alert_id", sa.Integer(), nullable=False),
        sa.Column("requested_by", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.String(length=20), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("requested_at", TZ, nullable=False),
        sa.Column("decided_by", sa.String(length=32), nullable=True),
        sa.Column("decided_at", TZ, nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=True),
        sa.Column("warned_at", TZ, nullable=True),
        sa.Column("ended_at", TZ, nullable=True),
        sa.ForeignKeyConstraint(
            ["alert_id"],
            ["alerts.id"],
            name="fk_alert_exceptions_alert_id_alerts",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_alert_exceptions"),
    )
    op.create_index("ix_alert_exceptions_alert_id_state", "alert_exceptions", ["alert_id", "state"])
    op.create_index(
        "ix_alert_exceptions_state_expires_on", "alert_exceptions", ["state", "expires_on"]
    )
    op.create_index(
        "ix_alert_exceptions_campaign_id_state", "alert_exceptions", ["campaign_id", "state"]
    )
    op.create_table(
        "escalations",
        sa.Column("rule", sa.String(length=100), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=True),
        sa.Column("alert_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(length=32), nullable=False),
        sa.Column("at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("rule", "subject", name="pk_escalations"),
    )


def downgrade() -> None:
    op.drop_table("escalations")
    op.drop_index("ix_alert_exceptions_campaign_id_state", table_name="alert_exceptions")
    op.drop_index("ix_alert_exceptions_state_expires_on", table_name="alert_exceptions")
    op.drop_index("ix_alert_exceptions_alert_id_state", table_name="alert_exceptions")
    op.drop_table("alert_exceptions")
    op.drop_table("checklist_ticks")
