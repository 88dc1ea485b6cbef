"""alert values the filter compares, lower-cased

Severity, security severity, validity, resolution, secret type and provider slug are machine
values that GitHub sends in lower case; the models now keep them so (`bot.core.models.Lowered`)
and the filter compares them without lower() per row, which let PostgreSQL check them inside the
range of `ix_alerts_preview`. Rows written before (a file or a test that spelled one otherwise)
are lower-cased here, so the plain comparison selects them too.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 20:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

LOWERED = (
    "severity",
    "security_severity",
    "validity",
    "resolution",
    "secret_type",
    "provider_slug",
)


def upgrade() -> None:
    alerts = sa.table("alerts", *(sa.column(name, sa.String()) for name in LOWERED))
    for name in LOWERED:
        column = alerts.c[name]
        # Only the rows that change: on a database written by GitHub's own values, none.
        op.execute(
            alerts.update()
            .where(column != sa.func.lower(column))
            .values({name: sa.func.lower(column)})
        )


def downgrade() -> None:
    """Nothing to undo: lower-cased values select the same alerts as before."""
