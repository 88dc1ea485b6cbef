"""The storage floor of the sync: the same requests, parsed and stored with plain `sqlite3`.

Run in a process of its own (so its memory is its own) against the same fake GitHub as the sync,
in the same run. It asks for every page the sync asks for, by the same URLs and in the same order
(repositories, custom property values, teams and their repositories, code alerts, secret alerts,
then the writers of each repository holding an open alert, four repositories at a time), decodes
each with orjson when installed (else `json`), and upserts the rows into a database made by the
project's migrations with `executemany`: alerts with their tags and assignees, repositories, and
each page's ETag, one commit per page. No validation, no models, no SQLAlchemy: the least a sync
that keeps what it read page by page can do on this machine.

The walk (`Walk`: the requests and their order) and the rows (`_code_row`, `_secret_row`) are
shared with the PostgreSQL floor, `bench.sync_floor_pg`, which stores the same rows with asyncpg.
"""

from __future__ import annotations

import asyncio
import hashlib
import sqlite3
import time
from collections.abc import Iterable
from typing import Any

try:
    import orjson

    loads: Any = orjson.loads
    dumps: Any = lambda value: orjson.dumps(value).decode()  # noqa: E731
    PARSER = "orjson"
except ImportError:  # pragma: no cover - depends on the environment
    import json

    loads, dumps = json.loads, json.dumps
    PARSER = "json"

PER_PAGE = 100
WRITERS_AT_ONCE = 4
NOT_APP_CODE = frozenset({"test", "generated", "library"})
ALERT_COLUMNS = (
    "repository_id, kind, number, state, is_open, created_at, updated_at, closed_at, html_url, "
    "rule_id, rule_name, rule_description, severity, security_severity, tool, path, start_line, "
    "classifications, in_app_code, dismissed_reason, fingerprint, secret_type, "
    "secret_type_display_name, provider, provider_slug, validity, resolution, publicly_leaked, "
    "multi_repo, bypassed, generic"
)
_UPDATED = ", ".join(
    f"{name} = excluded.{name}"
    for name in ALERT_COLUMNS.split(", ")
    if name not in ("repository_id", "kind", "number")
)
UPSERT_ALERT = (
    f"INSERT INTO alerts ({ALERT_COLUMNS}) VALUES ({', '.join('?' * 31)}) "  # noqa: S608
    f"ON CONFLICT (repository_id, kind, number) DO UPDATE SET {_UPDATED}"
)
ALERT_ID = "SELECT id FROM alerts WHERE repository_id = ? AND kind = ? AND number = ?"
UPSERT_REPOSITORY = (
    "INSERT INTO repositories (github_id, full_name, full_name_lower, name_lower, visibility, "
    "archived, pushed_at, default_branch) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (full_name_lower) DO UPDATE SET github_id = excluded.github_id, "
    "full_name = excluded.full_name, visibility = excluded.visibility, "
    "archived = excluded.archived, pushed_at = excluded.pushed_at, "
    "default_branch = excluded.default_branch"
)
PUT_STATE = (
    "INSERT INTO sync_state (key, value, updated_at) VALUES (?, ?, ?) "
    "ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at"
)


def _time(value: str | None) -> str | None:
    """`2025-05-16T18:01:19Z` as the project stores it (`2025-05-16 18:01:19.000000`)."""
    return f"{value[:10]} {value[11:19]}.000000" if value else None


def _lower_set(values: Iterable[str]) -> list[str]:
    return sorted({value.lower() for value in values})


def state_row(url: str, etag: str | None, following: str | None = None) -> tuple[str, str]:
    """The `sync_state` key and value of a page's ETag, as the project's sync keeps it."""
    key = "etag:" + hashlib.sha256(url.encode()).hexdigest()
    return key, dumps({"url": url, "etag": etag, "next": following})


class Walk:
    """One pass over every list, by the sync's URLs and in its order, `seconds` per list; a
    floor stores each list's pages as they come (`repositories` … `writers`)."""

    stamp: Any = staticmethod(_time)
    """GitHub's timestamps as the database takes them."""

    def __init__(self, session: Any, base: str, org: str) -> None:
        self.session = session
        self.base = base
        self.org = org
        self.repository_ids: dict[str, int] = {}
        self.seconds: dict[str, float] = {}
        self.requests = 0
        self.now = self.stamp(time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))

    async def collaborators(
        self, repository_id: int, full_name: str
    ) -> tuple[list[tuple[int, str, str]], list[tuple[str, str | None]]]:
        """A repository's writers as rows, and the (url, etag) of the pages they came from."""
        rows: list[tuple[int, str, str]] = []
        pages: list[tuple[str, str | None]] = []
        query = "&permission=push&affiliation=all"
        async for url, items, etag in self.pages(f"/repos/{full_name}/collaborators", query):
            rows += [(repository_id, item["login"].lower(), "push") for item in items]
            pages.append((url, etag))
        return rows, pages

    async def listed_teams(self) -> tuple[list[tuple[str, str]], list[tuple[str, str | None]]]:
        """(slug, name) of the organization's teams, and the (url, etag) of their list's pages."""
        teams: list[tuple[str, str]] = []
        urls: list[tuple[str, str | None]] = []
        async for url, items, etag in self.pages(f"/orgs/{self.org}/teams", ""):
            teams += [(item["slug"], item["name"]) for item in items]
            urls.append((url, etag))
        return teams, urls

    async def pages(self, path: str, query: str) -> Any:
        """(url, items, etag) of each page, following `Link: rel="next"`."""
        url: str | None = f"{self.base}{path}?per_page={PER_PAGE}{query}"
        while url is not None:
            async with self.session.get(url) as response:
                response.raise_for_status()
                body = await response.read()
                following = response.links.get("next")
                etag = response.headers.get("etag")
            self.requests += 1
            items = loads(body)
            yield url, items, etag
            url = str(following["url"]) if following else None

    async def run(self) -> None:
        org = self.org
        await self.timed("repositories", self.repositories())
        await self.timed("property_values", self.property_values())
        await self.timed("teams", self.teams())
        await self.timed("code_alerts", self.alerts(f"/orgs/{org}/code-scanning/alerts", "code"))
        path = f"/orgs/{org}/secret-scanning/alerts"
        await self.timed("secret_alerts", self.alerts(path, "secret", "&after="))
        await self.timed("writers", self.writers())

    async def timed(self, name: str, work: Any) -> None:
        started = time.perf_counter()
        await work
        self.seconds[name] = time.perf_counter() - started

    async def repositories(self) -> None:
        raise NotImplementedError

    async def property_values(self) -> None:
        raise NotImplementedError

    async def teams(self) -> None:
        raise NotImplementedError

    async def alerts(self, path: str, kind: str, query: str = "") -> None:
        raise NotImplementedError

    async def writers(self) -> None:
        raise NotImplementedError


class Floor(Walk):
    """The walk stored with `sqlite3`, one commit per page."""

    def __init__(self, session: Any, base: str, db: sqlite3.Connection, org: str) -> None:
        super().__init__(session, base, org)
        self.db = db

    def commit_page(self, url: str, etag: str | None, following: str | None = None) -> None:
        """The page's ETag in the page's transaction, then the commit."""
        self.db.execute(PUT_STATE, (*state_row(url, etag, following), self.now))
        self.db.commit()

    def repository_id(self, full_name: str, github_id: int | None) -> int:
        key = full_name.lower()
        found = self.repository_ids.get(key)
        if found is None:
            self.db.execute(
                "INSERT INTO repositories (github_id, full_name, full_name_lower, name_lower) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (full_name_lower) DO NOTHING",
                (github_id, full_name, key, key.partition("/")[2]),
            )
            row = self.db.execute(
                "SELECT id FROM repositories WHERE full_name_lower = ?", (key,)
            ).fetchone()
            found = self.repository_ids[key] = int(row[0])
        return found

    async def repositories(self) -> None:
        async for url, items, etag in self.pages(f"/orgs/{self.org}/repos", "&type=all"):
            self.db.executemany(UPSERT_REPOSITORY, [_repository_row(item) for item in items])
            topics = []
            for item in items:
                rid = self.repository_id(item["full_name"], item["id"])
                topics += [(rid, topic) for topic in _lower_set(item.get("topics") or ())]
            self.db.executemany(
                "INSERT OR IGNORE INTO repository_topics (repository_id, topic) VALUES (?, ?)",
                topics,
            )
            self.commit_page(url, etag)

    async def property_values(self) -> None:
        async for url, items, etag in self.pages(f"/orgs/{self.org}/properties/values", ""):
            rows = []
            for item in items:
                rid = self.repository_id(item["repository_full_name"], None)
                self.db.execute("DELETE FROM repository_properties WHERE repository_id = ?", (rid,))
                for prop in item["properties"]:
                    value = prop["value"]
                    values = [value] if isinstance(value, str) else list(value or ())
                    rows += [(rid, prop["property_name"].lower(), v.lower(), v) for v in values]
            self.db.executemany(
                "INSERT OR IGNORE INTO repository_properties "
                "(repository_id, name, value, display_value) VALUES (?, ?, ?, ?)",
                rows,
            )
            self.commit_page(url, etag)

    async def teams(self) -> None:
        teams, urls = await self.listed_teams()
        for slug, name in teams:
            self.db.execute(
                "INSERT OR IGNORE INTO teams (slug, name) VALUES (?, ?)", (slug.lower(), name)
            )
            team_id = self.db.execute("SELECT id FROM teams WHERE slug = ?", (slug.lower(),))
            tid = int(team_id.fetchone()[0])
            self.db.execute("DELETE FROM team_repositories WHERE team_id = ?", (tid,))
            path = f"/orgs/{self.org}/teams/{slug}/repos"
            async for url, items, etag in self.pages(path, ""):
                rows = [
                    (tid, self.repository_id(item["full_name"], None), item.get("role_name"))
                    for item in items
                ]
                self.db.executemany(
                    "INSERT OR IGNORE INTO team_repositories (team_id, repository_id, permission) "
                    "VALUES (?, ?, ?)",
                    rows,
                )
                urls.append((url, etag))
        for url, etag in urls:  # a team list only means something whole: one transaction
            self.commit_page(url, etag)

    async def alerts(self, path: str, kind: str, query: str = "") -> None:
        row = _code_row if kind == "code" else _secret_row
        query = f"&sort=updated&direction=desc{query}"
        async for url, items, etag in self.pages(path, query):
            rows, tags, people = [], [], []
            for item in items:
                repository = item["repository"]
                rid = self.repository_id(repository["full_name"], repository.get("id"))
                values, item_tags, item_people = row(item)
                rows.append((rid, *values))
                tags.append(item_tags)
                people.append(item_people)
            self.db.executemany(UPSERT_ALERT, rows)
            ids = [self.db.execute(ALERT_ID, r[:3]).fetchone()[0] for r in rows]
            pairs = [(alert_id,) for alert_id in ids]
            self.db.executemany("DELETE FROM alert_tags WHERE alert_id = ?", pairs)
            self.db.executemany("DELETE FROM alert_assignees WHERE alert_id = ?", pairs)
            self.db.executemany(
                "INSERT INTO alert_tags (alert_id, tag) VALUES (?, ?)",
                [(i, tag) for i, these in zip(ids, tags, strict=True) for tag in these],
            )
            self.db.executemany(
                "INSERT INTO alert_assignees (alert_id, login) VALUES (?, ?)",
                [(i, login) for i, these in zip(ids, people, strict=True) for login in these],
            )
            self.commit_page(url, etag)

    async def writers(self) -> None:
        found = self.db.execute(
            "SELECT r.id, r.full_name FROM repositories r WHERE r.full_name_lower LIKE ? "
            "AND r.deleted_at IS NULL AND EXISTS (SELECT 1 FROM alerts a "
            "WHERE a.repository_id = r.id AND a.is_open) ORDER BY r.full_name_lower",
            (self.org.lower() + "/%",),
        ).fetchall()
        gate = asyncio.Semaphore(WRITERS_AT_ONCE)

        async def one(repository_id: int, full_name: str) -> None:
            async with gate:
                rows, pages = await self.collaborators(repository_id, full_name)
                self.db.execute(
                    "DELETE FROM repository_writers WHERE repository_id = ?", (repository_id,)
                )
                self.db.executemany(
                    "INSERT OR IGNORE INTO repository_writers (repository_id, login, permission) "
                    "VALUES (?, ?, ?)",
                    rows,
                )
                for url, etag in pages:
                    self.commit_page(url, etag)

        await asyncio.gather(*(one(rid, name) for rid, name in found))


def _repository_row(item: dict[str, Any], stamp: Any = _time) -> tuple[Any, ...]:
    name = item["full_name"]
    lower = name.lower()
    visibility, archived = item.get("visibility") or "private", bool(item.get("archived"))
    pushed_at, branch = stamp(item.get("pushed_at")), item.get("default_branch")
    return (item["id"], name, lower, lower.partition("/")[2], visibility, archived, pushed_at,
            branch)  # fmt: skip


def _code_row(
    item: dict[str, Any], stamp: Any = _time
) -> tuple[tuple[Any, ...], list[str], list[str]]:
    """An alert's row (but its repository id), tags and assignees; `stamp` lays out times."""
    rule = item["rule"]
    instance = item.get("most_recent_instance") or {}
    location = instance.get("location") or {}
    state = item.get("state") or instance.get("state") or "open"
    classes = [c for c in instance.get("classifications") or () if c]
    closed = (item.get("fixed_at") or item.get("dismissed_at")) if state != "open" else None
    severity = rule.get("severity")
    values = (
        "code", item["number"], state, state == "open", stamp(item["created_at"]),
        stamp(item.get("updated_at")), stamp(closed), item.get("html_url"), rule.get("id"),
        rule.get("name"), rule.get("description"), None if severity == "none" else severity,
        rule.get("security_severity_level"), (item.get("tool") or {}).get("name"),
        location.get("path"), location.get("start_line"), dumps(classes) if classes else None,
        not NOT_APP_CODE.intersection(classes),
        item.get("dismissed_reason") if state == "dismissed" else None,
        None, None, None, None, None, None, None, False, False, False, False,
    )  # fmt: skip
    people = [user["login"] for user in item.get("assignees") or ()]
    return values, _lower_set(rule.get("tags") or ()), _lower_set(people)


def _secret_row(
    item: dict[str, Any], stamp: Any = _time
) -> tuple[tuple[Any, ...], list[str], list[str]]:
    state = item["state"]
    resolved = state == "resolved"
    provider = item.get("provider")
    generic = (provider or "").lower() == "generic"
    values = (
        "secret", item["number"], state, state == "open", stamp(item["created_at"]),
        stamp(item.get("updated_at")), stamp(item.get("resolved_at")) if resolved else None,
        item.get("html_url"), None, None, None, None, None, None, None, None, None, True, None,
        None, item["secret_type"], item.get("secret_type_display_name"), provider,
        item.get("provider_slug"), item.get("validity"),
        item.get("resolution") if resolved else None, bool(item.get("publicly_leaked")),
        bool(item.get("multi_repo")), bool(item.get("push_protection_bypassed")), generic,
    )  # fmt: skip
    assignee = item.get("assigned_to")
    return values, [], _lower_set([assignee["login"]] if assignee else [])


def connect(database: str, *, autocheckpoint: int | None) -> sqlite3.Connection:
    """The database as the project's engine sets it up: WAL, synchronous=NORMAL, foreign keys;
    and the sync's WAL checkpoint interval when it sets one."""
    db = sqlite3.connect(database)
    db.execute("PRAGMA foreign_keys=ON")
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    if autocheckpoint is not None:
        db.execute(f"PRAGMA wal_autocheckpoint={int(autocheckpoint)}")
    return db


async def floor_worker(
    url: str, database: str, token: str, org: str, *, autocheckpoint: int | None
) -> dict[str, Any]:
    import aiohttp

    from store.engine import create_engine
    from store.migrate import upgrade

    engine = create_engine(f"sqlite+aiosqlite:///{database}")
    await upgrade(engine)
    await engine.dispose()
    db = connect(database, autocheckpoint=autocheckpoint)
    headers = {"authorization": f"token {token}", "accept": "application/vnd.github+json"}
    async with aiohttp.ClientSession(headers=headers) as session:
        floor = Floor(session, url, db, org)
        started, cpu = time.perf_counter(), time.process_time()
        await floor.run()
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    stored = db.execute("SELECT count(*) FROM alerts").fetchone()[0]
    db.close()
    return {
        "seconds": seconds,
        "cpu_seconds": cpu,
        "lists": floor.seconds,
        "requests": floor.requests,
        "stored_alerts": stored,
        "parser": PARSER,
    }
