"""The importer's pieces: the repository an alert URL or a SARIF URI names, security-severity
buckets, generic secrets, and the bulk upsert that stores what `upsert_many` stores."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from bot.core.models import Alert
from bot.demo import organization as demo
from bot.github.payloads import SecretScanningAlert, repository_from_url
from bot.ingest.importer import parse_documents
from bot.ingest.sarif import repository_from_uri, security_severity_level
from store import alerts, bulk, schema
from tests.ingest.import_support import NOW

# --- the pieces -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://api.github.com/repos/octo/web/code-scanning/alerts/4", "octo/web"),
        ("https://github.com/octo/web/security/code-scanning/4", "octo/web"),
        ("https://ghes.example.com/api/v3/repos/octo/web/secret-scanning/alerts/2", "octo/web"),
        ("https://ghes.example.com/octo/web/security/secret-scanning/2", "octo/web"),
        ("https://github.com/octo", None),
        (None, None),
    ],
)
def test_repository_from_alert_urls(url: str | None, expected: str | None) -> None:
    assert repository_from_url(url) == expected


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("https://github.com/octo-org/web-app", "octo-org/web-app"),
        ("https://github.com/octo-org/web-app.git", "octo-org/web-app"),
        ("https://ghes.example.com/octo-org/web-app/", "octo-org/web-app"),
        ("git@github.com:octo-org/web-app.git", "octo-org/web-app"),
        ("web-app", None),
    ],
)
def test_repository_from_sarif_uri(uri: str, expected: str | None) -> None:
    assert repository_from_uri(uri) == expected


@pytest.mark.parametrize(
    ("score", "level"),
    [
        (9.8, "critical"),
        (9.0, "critical"),
        (8.8, "high"),
        (7.0, "high"),
        (6.1, "medium"),
        (4.0, "medium"),
        (3.9, "low"),
        (0.1, "low"),
        (0.0, None),
        (None, None),
    ],
)
def test_security_severity_buckets(score: float | None, level: str | None) -> None:
    assert security_severity_level(score) == level


@pytest.mark.parametrize(
    ("secret_type", "provider", "generic"),
    [
        ("password", None, True),
        ("http_basic_authentication_header", None, True),
        ("rsa_private_key", None, True),
        ("aws_access_key_id", "Amazon AWS", False),
        ("custom_pattern_x", "Generic", True),
    ],
)
def test_generic_secrets(secret_type: str, provider: str | None, generic: bool) -> None:
    alert = SecretScanningAlert.model_validate(
        {
            "number": 1,
            "created_at": "2026-01-01T00:00:00Z",
            "url": "https://api.github.com/repos/o/r/secret-scanning/alerts/1",
            "state": "open",
            "secret_type": secret_type,
            "provider": provider,
        }
    )
    assert alert.to_alert().generic is generic


async def test_bulk_upsert_stores_what_upsert_many_stores(tmp_path: Path) -> None:
    """The import's bulk path and the store's row-by-row path leave identical alerts."""
    from store.engine import create_engine
    from store.migrate import upgrade

    data = demo.generate_org(repositories=8, alerts=300, seed=3, now=NOW)
    batch = parse_documents(demo.documents(data), now=NOW)
    every = [item.to_alert() for item in batch.alerts.values()]
    stored: list[list[Alert]] = []
    for name, upsert in (("bulk", bulk.upsert_alerts), ("store", alerts.upsert_many)):
        eng = create_engine(f"sqlite+aiosqlite:///{tmp_path / name}.db")
        await upgrade(eng)
        async with eng.begin() as conn:
            await upsert(conn, every[:200])
            await upsert(conn, every[100:])  # half of it again: updates
            ids = await conn.scalars(select(schema.alerts.c.id))
            stored.append(await alerts.get_many(conn, list(ids)))
        await eng.dispose()
    via_bulk, via_store = stored
    assert len(via_bulk) == 300
    assert [x.model_dump(exclude={"id"}) for x in via_bulk] == [
        x.model_dump(exclude={"id"}) for x in via_store
    ]
