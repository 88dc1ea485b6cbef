"""The clock bench's floors: what the app's digest and reminders job are measured against, on
the same database file or schema. One hand-written SQL query per question (stdlib `sqlite3`, sync,
on SQLite; a bare `asyncpg` connection on PostgreSQL): a campaign's closed / total / open, closed
this week and open per repository for the digest; the open assigned alerts per assignee and
campaign for the reminders, with one `executemany` INSERT into a scratch table standing in for the
outbox write. And the chart's floor: a bare matplotlib Figure stepping the same arrays to PNG.
"""

from __future__ import annotations

import io
import re
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import asyncpg

DIGEST_SQL = """
SELECT r.full_name,
       SUM(CASE WHEN a.is_open THEN 1 ELSE 0 END),
       SUM(CASE WHEN a.is_open THEN 0 ELSE 1 END),
       SUM(CASE WHEN NOT a.is_open AND COALESCE(a.closed_at, a.updated_at) >= ? THEN 1 ELSE 0 END),
       SUM(CASE WHEN NOT a.is_open AND COALESCE(a.closed_at, a.updated_at) >= ? THEN 1 ELSE 0 END)
FROM campaign_alerts ca
JOIN alerts a ON a.id = ca.alert_id
JOIN repositories r ON r.id = ca.repository_id
WHERE ca.campaign_id = ?
GROUP BY r.full_name
"""
"""Per repository of one campaign: open, closed, closed since the week's first full day (the
digest's "resolved this week"), closed since the week's start (its top fixers' window)."""

WORK_SQL = """
SELECT s.assignee, s.campaign_id, COUNT(*)
FROM assignments s
JOIN alerts a ON a.id = s.alert_id
JOIN campaigns c ON c.id = s.campaign_id
WHERE c.state = 'active' AND a.is_open
GROUP BY s.assignee, s.campaign_id
ORDER BY s.assignee, s.campaign_id
"""

SCRATCH = "bench_scratch_outbox"
INSERT_SQL = (
    f"INSERT INTO {SCRATCH} (key, kind, campaign_id, target, payload, state, not_before, "  # noqa: S608
    "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)


@dataclass(frozen=True)
class FloorCounts:
    total: int
    closed: int
    open: int
    closed_this_week: int
    """Closed in the digest's week (the seven days before it)."""
    closed_since_week_start: int
    """Closed in the window its top fixers and cleared repositories use (the same week)."""
    open_by_repository: dict[str, int]


def floor_counts(found: Sequence[Sequence[Any]]) -> FloorCounts:
    by_repo = {str(name): int(opened) for name, opened, *_ in found}
    return FloorCounts(
        total=sum(int(row[1]) + int(row[2]) for row in found),
        closed=sum(int(row[2]) for row in found),
        open=sum(by_repo.values()),
        closed_this_week=sum(int(row[3]) for row in found),
        closed_since_week_start=sum(int(row[4]) for row in found),
        open_by_repository=by_repo,
    )


ScratchRow = tuple[str, str, int | None, str, str, str, datetime, datetime]


class Floor(Protocol):
    label: str

    async def digest(self, campaign_id: int, week: datetime, start: datetime) -> FloorCounts: ...

    async def work(self) -> list[tuple[str, int, int]]: ...

    async def insert(self, rows: Sequence[ScratchRow]) -> None: ...

    async def clear(self) -> None: ...

    async def close(self) -> None: ...


def sqlite_moment(moment: datetime) -> str:
    """How SQLAlchemy stores a UTC datetime in SQLite (text, naive UTC)."""
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


class SqliteFloor:
    """The stdlib `sqlite3` on the same file, synchronous, as the app's pragmas set it."""

    label = "sqlite3"

    def __init__(self, path: Path) -> None:
        self.db = sqlite3.connect(path)
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute(
            f"CREATE TABLE {SCRATCH} (id INTEGER PRIMARY KEY, key VARCHAR(300) NOT NULL UNIQUE, "
            "kind VARCHAR(16) NOT NULL, campaign_id INTEGER, target VARCHAR(64), "
            "payload TEXT NOT NULL, state VARCHAR(10) NOT NULL, not_before DATETIME NOT NULL, "
            "created_at DATETIME NOT NULL)"
        )
        self.db.commit()

    async def digest(self, campaign_id: int, week: datetime, start: datetime) -> FloorCounts:
        found = self.db.execute(
            DIGEST_SQL, (sqlite_moment(week), sqlite_moment(start), campaign_id)
        ).fetchall()
        return floor_counts(found)

    async def work(self) -> list[tuple[str, int, int]]:
        return self.db.execute(WORK_SQL).fetchall()

    async def insert(self, rows: Sequence[ScratchRow]) -> None:
        with self.db:
            self.db.executemany(
                INSERT_SQL,
                [(*row[:6], sqlite_moment(row[6]), sqlite_moment(row[7])) for row in rows],
            )

    async def clear(self) -> None:
        with self.db:
            self.db.execute(f"DELETE FROM {SCRATCH}")  # noqa: S608

    async def close(self) -> None:
        self.db.execute(f"DROP TABLE {SCRATCH}")
        self.db.close()


def numbered(sql: str) -> str:
    """`?` placeholders as asyncpg's `$1`, `$2`…"""
    count = iter(range(1, sql.count("?") + 1))
    return re.sub(r"\?", lambda _: f"${next(count)}", sql)


class PostgresFloor:
    """A bare asyncpg connection to the same schema."""

    label = "asyncpg"

    def __init__(self, db: asyncpg.Connection) -> None:
        self.db = db

    @classmethod
    async def open(cls, url: str, schema_name: str) -> PostgresFloor:
        db = await asyncpg.connect(
            url.replace("postgresql+asyncpg://", "postgresql://", 1),
            server_settings={"search_path": schema_name},
        )
        await db.execute(
            f"CREATE TABLE {SCRATCH} (id SERIAL PRIMARY KEY, key VARCHAR(300) NOT NULL UNIQUE, "
            "kind VARCHAR(16) NOT NULL, campaign_id INTEGER, target VARCHAR(64), "
            "payload JSON NOT NULL, state VARCHAR(10) NOT NULL, "
            "not_before TIMESTAMPTZ NOT NULL, created_at TIMESTAMPTZ NOT NULL)"
        )
        return cls(db)

    async def digest(self, campaign_id: int, week: datetime, start: datetime) -> FloorCounts:
        return floor_counts(await self.db.fetch(numbered(DIGEST_SQL), week, start, campaign_id))

    async def work(self) -> list[tuple[str, int, int]]:
        return [(str(a), int(c), int(n)) for a, c, n in await self.db.fetch(WORK_SQL)]

    async def insert(self, rows: Sequence[ScratchRow]) -> None:
        async with self.db.transaction():
            await self.db.executemany(numbered(INSERT_SQL), rows)

    async def clear(self) -> None:
        await self.db.execute(f"DELETE FROM {SCRATCH}")  # noqa: S608

    async def close(self) -> None:
        await self.db.execute(f"DROP TABLE {SCRATCH}")
        await self.db.close()


def bare_png(
    days: list[float], remaining: list[int], ideal: tuple[list[float], list[int]]
) -> bytes:
    """The chart's floor: the same arrays on a bare Figure, straight to PNG."""
    from matplotlib.figure import Figure as PlotFigure  # loaded after the first chart is timed

    figure = PlotFigure(figsize=(7, 3.5), dpi=100)
    axes = figure.add_subplot()
    axes.step(days, remaining, where="post")
    axes.plot(*ideal)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
