"""What the importer tests (tests/ingest/test_importer_*.py) share: GitHub's documented example
files under tests/data, and how they write a file, load one and read back what was stored."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from store import schema

DATA = Path(__file__).parent.parent / "data"
CODE_ORG = DATA / "code-scanning-org-alerts.json"
CODE_REPO = DATA / "code-scanning-repo-alerts.json"
SECRET_ORG = DATA / "secret-scanning-org-alerts.json"
SECRET_REPO = DATA / "secret-scanning-repo-alerts.json"
REPOS = DATA / "org-repos.json"
PROPERTIES = DATA / "org-properties-values.json"
SARIF = DATA / "codeql-web-app.sarif"
NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


async def counts(engine: AsyncEngine) -> dict[str, int]:
    """Rows per table, to show that a failed import changed nothing."""
    tables = (
        schema.alerts,
        schema.alert_tags,
        schema.alert_assignees,
        schema.repositories,
        schema.repository_properties,
        schema.repository_topics,
    )
    async with engine.connect() as conn:
        return {
            t.name: int(await conn.scalar(select(func.count()).select_from(t)) or 0) for t in tables
        }


def load(path: Path) -> Any:
    return json.loads(path.read_text())


def write(tmp_path: Path, name: str, content: Any) -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif isinstance(content, str):
        path.write_text(content)
    else:
        path.write_text(json.dumps(content))
    return path
