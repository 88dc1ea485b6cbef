"""What the sync tests (tests/github/test_sync_*.py) share: the organization they sync from
FakeGitHub, and how they count and find what was stored."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.core.models import AlertKind, AlertRef
from store import alerts
from tests.fakes.github import FakeGitHub
from tests.github.support import START, FakeTime


def org(fake: FakeGitHub, time: FakeTime, *, code: int = 250, secret: int = 30) -> None:
    """Three repositories with teams and properties; alerts whose update times all differ."""
    fake.add_repo(
        "web",
        topics=["frontend", "pci"],
        visibility="internal",
        pushed_at=START - timedelta(days=1),
    )
    fake.add_repo("api", topics=["backend"], private=False, pushed_at=START - timedelta(days=3))
    fake.add_repo("legacy", archived=True, pushed_at=START - timedelta(days=400))
    fake.set_properties("web", BusinessPriority="Urgent", Compliance=["PCI-DSS", "GDPR"])
    fake.set_properties("api", BusinessPriority="High")
    fake.add_team("frontend", repos={"web": "push", "api": "pull"})
    fake.add_team("platform", repos={"api": "maintain", "legacy": "admin"})
    repos = ["web", "api", "legacy"]
    for i in range(code):
        moment = START - timedelta(hours=code - i)
        fake.add_code_alert(
            repos[i % 3],
            state="fixed" if i % 10 == 0 else "open",
            rule_id="js/xss" if i % 2 else "js/sql-injection",
            created_at=moment - timedelta(days=30),
            updated_at=moment,
            assignees=["octocat"] if i == 1 else (),
        )
    for i in range(secret):
        moment = START - timedelta(hours=secret - i, minutes=30)
        fake.add_secret_alert(
            repos[i % 2],
            state="resolved" if i % 5 == 0 else "open",
            created_at=moment - timedelta(days=3),
            updated_at=moment,
            assigned_to="octocat" if i == 1 else None,
        )


async def count(engine: AsyncEngine, table: Any, *where: Any) -> int:
    async with engine.connect() as conn:
        return int(await conn.scalar(select(func.count()).select_from(table).where(*where)) or 0)


async def find(engine: AsyncEngine, repository: str, kind: AlertKind, number: int) -> Any:
    async with engine.connect() as conn:
        [alert] = await alerts.find(conn, AlertRef(repository=repository, kind=kind, number=number))
    return alert
