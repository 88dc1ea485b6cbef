"""The launch bench's world: a generated organization (repositories, code alerts, writers, most of
them linked to a Slack user), the fake GitHub serving it in a process of its own, and a database
filled from it by the real sync (so the writers are stored the way `campaignbot run` stores them).

    python -m bench.launch_world github SCALE_JSON SEED   # prints `READY <url>`; see GitHubProcess

The fake GitHub is `tests.fakes.github.FakeGitHub`; its process answers `stats` lines on stdin
with one JSON line: its requests counted by kind, when each code-alert PATCH was answered
(`time.monotonic()`, system-wide on Linux) and the alerts' assignees. It serves until stdin closes.
"""

from __future__ import annotations

import asyncio
import json
import random
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.delivery_world import ADMIN, ROOT, SlackProcess
from bot.core.models import Identity
from bot.core.settings import Settings
from bot.github.auth import TokenAuth
from bot.github.client import GitHubClient
from bot.github.sync import sync
from store import identities, schema
from store.engine import create_engine
from store.migrate import upgrade
from tests.fakes.constants import BOT_TOKEN, SIGNING_SECRET, free_port

ORG = "acme"
TOKEN = "ghp_benchtoken0123456789"
CHANNEL = "CLAUNCH"
"""The campaign's channel: its launch card goes there."""
QUERY = "is:open kind:code"


@dataclass(frozen=True)
class Scale:
    repositories: int
    alerts: int
    writers: int
    """Writers linked to a Slack user: each gets one launch DM."""
    unlinked: int
    """Writers with no Slack identity: named in the manager's DM."""
    repos_per_writer: int = 5
    storm: int = 50
    """429s injected on chat.postMessage in the second launch."""
    clicks: int = 50
    """Concurrent "Assign to me" clicks per round, each by another person on another alert."""
    rounds: int = 2
    calm_clicks: int = 10
    """A second phase's concurrency, under the database pool's 15 connections."""
    calm_rounds: int = 4

    def phases(self) -> list[tuple[int, int]]:
        """(clicks at once, rounds) of each phase of Assign to me."""
        return [(self.clicks, self.rounds), (self.calm_clicks, self.calm_rounds)]


FULL = Scale(repositories=100, alerts=1_000, writers=500, unlinked=50)
QUICK = Scale(
    repositories=20,
    alerts=100,
    writers=50,
    unlinked=5,
    storm=20,
    clicks=25,
    rounds=1,
    calm_clicks=10,
    calm_rounds=2,
)


@dataclass(frozen=True)
class Org:
    """What the fake GitHub holds, generated from a seed (both processes make the same one)."""

    alerts: dict[str, int]
    """Repository name → its open code alerts, numbered 1..n."""
    writes: dict[str, list[str]]
    """Login → the repositories it may push to."""
    slack: dict[str, str]
    """Login → Slack user, for the linked writers."""

    @property
    def unlinked(self) -> list[str]:
        return sorted(login for login in self.writes if login not in self.slack)

    @property
    def login_of(self) -> dict[str, str]:
        return {user: login for login, user in self.slack.items()}

    def writer_pairs(self) -> int:
        return sum(len(repos) for repos in self.writes.values())


def generate(scale: Scale, seed: int) -> Org:
    rng = random.Random(seed)
    names = [f"repo-{index}" for index in range(1, scale.repositories + 1)]
    base, extra = divmod(scale.alerts, scale.repositories)
    alerts = {name: base + (1 if index < extra else 0) for index, name in enumerate(names)}
    writes: dict[str, list[str]] = {}
    slack: dict[str, str] = {}
    for index in range(scale.writers):
        login = f"dev-{index:04d}"
        writes[login] = rng.sample(names, min(scale.repos_per_writer, len(names)))
        slack[login] = f"UW{index:07d}"
    linked = list(writes)
    covered = {repo for repos in writes.values() for repo in repos}
    for index, repo in enumerate(name for name in names if name not in covered):
        writes[linked[index % len(linked)]].append(repo)  # every repository has a linked writer
    for index in range(scale.unlinked):
        writes[f"ext-{index:03d}"] = rng.sample(names, rng.randint(1, 3))
    return Org(alerts=alerts, writes=writes, slack=slack)


# ---- the fake GitHub, in its own process ------------------------------------------------------


def _kind(method: str, path: str) -> str:
    if path.endswith("/permission"):
        return f"{method} collaborator permission"
    if "/code-scanning/alerts/" in path:
        return f"{method} code alert"
    if path.endswith("/collaborators"):
        return f"{method} collaborators"
    return f"{method} {path}"


async def serve_github(scale: Scale, seed: int) -> None:
    from aiohttp import web

    from tests.fakes.github import FakeGitHub

    class BenchGitHub(FakeGitHub):
        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.rate_limit = self.rate_remaining = 10_000_000
            self.patched: dict[str, list[float]] = {}

        async def _patch_code(self, request: web.Request) -> web.StreamResponse:
            response = await super()._patch_code(request)
            self.patched.setdefault(request.path, []).append(time.monotonic())
            return response

        def stats(self) -> dict[str, Any]:
            assignees = {
                f"{repo}#{number}": [user["login"] for user in alert["assignees"]]
                for repo, alerts in self.code_alerts.items()
                for number, alert in alerts.items()
                if alert["assignees"]
            }
            return {
                "requests": Counter(_kind(r.method, r.path) for r in self.requests),
                "patched": self.patched,
                "assignees": assignees,
            }

    org = generate(scale, seed)
    fake = BenchGitHub(org=ORG, token=TOKEN)
    for name, count in org.alerts.items():
        fake.add_repo(name)
        for _ in range(count):
            fake.add_code_alert(name)
    for login, repos in org.writes.items():
        for name in repos:
            fake.add_collaborator(name, login, "write")
    await fake.start()
    print("READY", fake.url, flush=True)
    loop = asyncio.get_running_loop()
    while line := await loop.run_in_executor(None, sys.stdin.readline):
        if line.strip() == "stats":
            print(json.dumps(fake.stats()), flush=True)
    await fake.stop()


class GitHubProcess:
    """`python -m bench.launch_world github …`, asked for its figures over stdin."""

    def __init__(self, process: asyncio.subprocess.Process, url: str) -> None:
        self.process = process
        self.url = url
        self._lock = asyncio.Lock()

    @classmethod
    @asynccontextmanager
    async def start(cls, scale: Scale, seed: int) -> AsyncIterator[GitHubProcess]:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bench.launch_world",
            "github",
            json.dumps(asdict(scale)),
            str(seed),
            cwd=ROOT,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            limit=64 * 1024 * 1024,
        )
        assert process.stdout is not None and process.stdin is not None
        ready = (await process.stdout.readline()).decode().split()
        if ready[:1] != ["READY"]:
            process.kill()
            raise RuntimeError("the fake GitHub did not start")
        try:
            yield cls(process, ready[1])
        finally:
            process.stdin.close()
            await process.wait()

    async def stats(self) -> dict[str, Any]:
        assert self.process.stdin is not None and self.process.stdout is not None
        async with self._lock:
            self.process.stdin.write(b"stats\n")
            await self.process.stdin.drain()
            answer: dict[str, Any] = json.loads(await self.process.stdout.readline())
        return answer


# ---- the database -----------------------------------------------------------------------------


@asynccontextmanager
async def sqlite(tmp: Path) -> AsyncIterator[tuple[AsyncEngine, str]]:
    """A migrated SQLite file in `tmp`. Always SQLite: the Assign-to-me part runs `serve()`, which
    opens its own engine from the URL (a PostgreSQL schema of our own could not be passed on)."""
    url = f"sqlite+aiosqlite:///{tmp / 'launch.db'}"
    engine = create_engine(url)
    try:
        await upgrade(engine)
        yield engine, url
    finally:
        await engine.dispose()


async def fill(engine: AsyncEngine, github: GitHubProcess, fake: SlackProcess, org: Org) -> int:
    """Sync the organization from the fake GitHub, link the writers' Slack users, and make those
    users (and the manager) known to the fake Slack. Returns the writer rows stored."""
    async with aiohttp.ClientSession() as session:
        report = await sync(
            engine, GitHubClient(session, TokenAuth(TOKEN), base_url=github.url), ORG
        )
    assert report.complete, report
    links = [
        Identity(slack_user_id=user, github_login=login, source="bench")
        for login, user in org.slack.items()
    ]
    async with engine.begin() as conn:
        await identities.save_many(conn, links)
        stored = int(
            await conn.scalar(select(func.count()).select_from(schema.repository_writers)) or 0
        )
    await fake.call("users", ids=[ADMIN, *org.slack.values()])
    if stored != org.writer_pairs():
        raise RuntimeError(f"the sync stored {stored} writer rows, not {org.writer_pairs()}")
    return stored


def app_settings(api_url: str, database_url: str, github_url: str) -> Settings:
    """`campaignbot run` in HTTP mode, GitHub connected to the fake."""
    return Settings(
        _env_file=None,
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=api_url,
        database_url=database_url,
        campaign_admins=ADMIN,
        max_active_campaigns=100_000,
        github_org=ORG,
        github_token=TOKEN,
        github_api_url=github_url,
        host="127.0.0.1",
        port=free_port(),
        log_level="WARNING",
    )


if __name__ == "__main__":
    if sys.argv[1:2] != ["github"]:
        raise SystemExit("usage: python -m bench.launch_world github SCALE_JSON SEED")
    asyncio.run(serve_github(Scale(**json.loads(sys.argv[2])), int(sys.argv[3])))
