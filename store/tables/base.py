"""The `MetaData` every table is registered on, and the column types the tables share.

Its own module so each table module (store.tables) can register on it; store.schema imports them
all, so read `store.schema.metadata` when every table must be there (Alembic does).
"""

from __future__ import annotations

from sqlalchemy import DateTime, MetaData

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

TZDateTime = DateTime(timezone=True)
