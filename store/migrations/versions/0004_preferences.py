"""preferences: a person's `/campaign notify on|off`

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 09:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "preferences",
        sa.Column("slack_user_id", sa.String(length=32), nullable=False),
        sa.Column("notify", sa.Boolean(), server_default="1", nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("slack_user_id", name=op.f("pk_preferences")),
    )


def downgrade() -> None:
    op.drop_table("preferences")
