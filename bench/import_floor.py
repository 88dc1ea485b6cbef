"""The import's floor: the same rows (alerts, tags, assignees) written by plain `executemany` into
the same tables with the same indexes, in one transaction: `sqlite3` on SQLite (the connection
settings and page cache the import uses), asyncpg on PostgreSQL.

What the floor does and no more: read each file whole, decode it (pydantic-core's `from_json`,
the fastest decoder among the app's dependencies), take the fields straight from the decoded
JSON (no validation, no models), number the alerts itself, insert. The project's import also
validates every record, streams the file in bounded memory and upserts (a re-import updates):
the ratio is what those cost.
"""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import asyncpg
from pydantic_core import from_json

from store.alert_rows import NOT_APP_CODE, VALUE_COLUMNS
from store.staging import SQLITE_CACHE_KIB

COLUMNS = ("id", "repository_id", *VALUE_COLUMNS)


@dataclass
class Rows:
    alerts: list[tuple[Any, ...]]
    tags: list[tuple[int, str]]
    people: list[tuple[int, str]]


@dataclass
class FloorTime:
    seconds: float
    read: float
    """Reading and decoding the files, and laying out the rows."""
    write: float
    alerts: int


def _stamp_sqlite(value: str | None) -> str | None:
    """`2026-01-02T03:04:05Z` as SQLAlchemy's SQLite DATETIME stores it (the demo's are UTC)."""
    return None if value is None else f"{value[:10]} {value[11:19]}.000000"


def _stamp_postgres(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def _code(alert: dict[str, Any], alert_id: int, repository_id: int, stamp: Any) -> tuple:
    rule = alert["rule"]
    instance = alert.get("most_recent_instance") or {}
    location = instance.get("location") or {}
    state = alert.get("state") or instance.get("state") or "open"
    classes = [c for c in instance.get("classifications") or () if c]
    closed = (alert.get("fixed_at") or alert.get("dismissed_at")) if state != "open" else None
    severity = rule.get("severity")
    return (
        alert_id,
        repository_id,
        "code",
        alert["number"],
        state,
        state == "open",
        stamp(alert["created_at"]),
        stamp(alert.get("updated_at")),
        stamp(closed),
        alert.get("html_url"),
        rule.get("id"),
        rule.get("name"),
        rule.get("description"),
        None if severity == "none" else severity,
        rule.get("security_severity_level"),
        alert["tool"].get("name"),
        location.get("path"),
        location.get("start_line"),
        json.dumps(classes) if classes else None,
        not NOT_APP_CODE.intersection(classes),
        alert.get("dismissed_reason") if state == "dismissed" else None,
        *(None,) * 7,
        False,
        False,
        False,
        False,
    )


def _secret(alert: dict[str, Any], alert_id: int, repository_id: int, stamp: Any) -> tuple:
    state = alert["state"]
    resolved = state == "resolved"
    return (
        alert_id,
        repository_id,
        "secret",
        alert["number"],
        state,
        state == "open",
        stamp(alert["created_at"]),
        stamp(alert.get("updated_at")),
        stamp(alert.get("resolved_at")) if resolved else None,
        alert.get("html_url"),
        *(None,) * 8,
        None,
        True,
        None,
        None,
        alert["secret_type"],
        alert.get("secret_type_display_name"),
        alert.get("provider"),
        alert.get("provider_slug"),
        alert.get("validity"),
        alert.get("resolution") if resolved else None,
        bool(alert.get("publicly_leaked")),
        bool(alert.get("multi_repo")),
        bool(alert.get("push_protection_bypassed")),
        False,
    )


def rows(
    code: Path, secret: Path, repository_ids: dict[str, int], first_id: int, stamp: Any
) -> Rows:
    out = Rows([], [], [])
    next_id = first_id
    for path, make in ((code, _code), (secret, _secret)):
        for alert in from_json(path.read_bytes()):
            alert_id = next_id
            next_id += 1
            repository_id = repository_ids[alert["repository"]["full_name"]]
            out.alerts.append(make(alert, alert_id, repository_id, stamp))
            tags = (alert.get("rule") or {}).get("tags") or ()
            out.tags += [(alert_id, tag.lower()) for tag in tags]
            people = alert.get("assignees") or []
            if alert.get("assigned_to"):
                people = [alert["assigned_to"]]
            out.people += [(alert_id, user["login"].lower()) for user in people]
    return out


def _insert_alerts(marks: list[str]) -> str:
    return f"INSERT INTO alerts ({', '.join(COLUMNS)}) VALUES ({', '.join(marks)})"  # noqa: S608


def sqlite_floor(database: Path, code: Path, secret: Path) -> FloorTime:
    start = time.perf_counter()
    db = sqlite3.connect(database, isolation_level=None)
    try:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("PRAGMA foreign_keys=ON")
        db.execute(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")
        db.execute("BEGIN")
        repository_ids = dict(db.execute("SELECT full_name, id FROM repositories"))
        first = (db.execute("SELECT max(id) FROM alerts").fetchone()[0] or 0) + 1
        made = rows(code, secret, repository_ids, first, _stamp_sqlite)
        read = time.perf_counter() - start
        db.executemany(_insert_alerts(["?"] * len(COLUMNS)), made.alerts)
        db.executemany("INSERT INTO alert_tags (alert_id, tag) VALUES (?, ?)", made.tags)
        db.executemany("INSERT INTO alert_assignees (alert_id, login) VALUES (?, ?)", made.people)
        db.execute("COMMIT")
    finally:
        db.close()
    seconds = time.perf_counter() - start
    return FloorTime(seconds, read, seconds - read, len(made.alerts))


async def postgres_floor(url: str, schema: str, code: Path, secret: Path) -> FloorTime:
    start = time.perf_counter()
    dsn = url.replace("postgresql+asyncpg://", "postgresql://", 1)
    db = await asyncpg.connect(dsn, server_settings={"search_path": schema})
    try:
        async with db.transaction():
            repository_ids = dict(await db.fetch("SELECT full_name, id FROM repositories"))
            first = (await db.fetchval("SELECT max(id) FROM alerts") or 0) + 1
            made = rows(code, secret, repository_ids, first, _stamp_postgres)
            read = time.perf_counter() - start
            marks = [f"${n}" for n in range(1, len(COLUMNS) + 1)]
            await db.executemany(_insert_alerts(marks), made.alerts)
            await db.executemany(
                "INSERT INTO alert_tags (alert_id, tag) VALUES ($1, $2)", made.tags
            )
            await db.executemany(
                "INSERT INTO alert_assignees (alert_id, login) VALUES ($1, $2)", made.people
            )
    finally:
        await db.close()
    seconds = time.perf_counter() - start
    return FloorTime(seconds, read, seconds - read, len(made.alerts))
