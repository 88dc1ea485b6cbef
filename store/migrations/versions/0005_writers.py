"""repository_writers and github_users: who may fix what, and what the e-mail match learned

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 10:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "repository_writers",
        sa.Column("repository_id", sa.Integer(), nullable=False),
        sa.Column("login", sa.String(length=100), nullable=False),
        sa.Column("permission", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["repository_id"],
            ["repositories.id"],
            name=op.f("fk_repository_writers_repository_id_repositories"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("repository_id", "login", name=op.f("pk_repository_writers")),
    )
    op.create_index("ix_repository_writers_login", "repository_writers", ["login", "repository_id"])
    op.create_table(
        "github_users",
        sa.Column("login", sa.String(length=100), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("slack_user_id", sa.String(length=32), nullable=True),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("login", name=op.f("pk_github_users")),
    )


def downgrade() -> None:
    op.drop_table("github_users")
    op.drop_index("ix_repository_writers_login", table_name="repository_writers")
    op.drop_table("repository_writers")
