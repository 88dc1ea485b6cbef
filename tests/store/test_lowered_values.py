"""The values the filter compares without lower() (severity, validity, resolution, secret type,
provider slug) are kept lower-cased: by the models for new rows, by migration 0009 for old ones,
so `severity:high` still selects an alert a file spelled `High`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.github.payloads import SecretScanningAlert
from bot.github.rows import alert_rows
from store import alerts, schema
from store.engine import create_engine
from store.migrate import upgrade
from tests.builders import code_alert, secret_alert
from tests.conftest import POSTGRES_URL, _database_params, _drop_schema, _fresh_postgres
from tests.store.alert_query_support import selected

a = schema.alerts
MIXED = {
    "security_severity": "High",
    "severity": "ERROR",
    "secret_type": "AWS_Access_Key_ID",
    "provider_slug": "Amazon_AWS",
    "validity": "Active",
    "resolution": "False_Positive",
}


@pytest.fixture(params=_database_params())
async def at_0008(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    """A database migrated to 0008, the revision before values were lower-cased."""
    schema_name = None
    if request.param == "postgres":
        assert POSTGRES_URL is not None
        engine, schema_name = await _fresh_postgres()
    else:
        engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'old.db'}")
    await upgrade(engine, "0008")
    yield engine
    await engine.dispose()
    if schema_name is not None:
        await _drop_schema(schema_name)


def test_the_models_lower_case_what_the_filter_compares() -> None:
    code = code_alert("acme/web", 1, security_severity="High", severity="ERROR")
    secret = secret_alert(
        "acme/web", 2, **{k: MIXED[k] for k in ("secret_type", "provider_slug", "validity")}
    )
    assert (code.security_severity, code.severity) == ("high", "error")
    assert (secret.secret_type, secret.provider_slug, secret.validity) == (
        "aws_access_key_id",
        "amazon_aws",
        "active",
    )
    # Display values stay as given.
    assert code.tool == "CodeQL" and secret.provider == "Amazon AWS"


def test_the_row_builder_of_import_and_sync_lower_cases_them_too() -> None:
    item = SecretScanningAlert.model_validate(
        {
            "number": 3,
            "state": "open",
            "created_at": "2026-10-01T00:00:00Z",
            "secret_type": "Custom_Pattern_Key",
            "provider_slug": "ACME",
            "provider": "ACME Corp",
            "repository": {"full_name": "acme/web", "id": 1},
        }
    )
    [values] = alert_rows([item]).values
    columns = dict(zip(alerts_columns(), values, strict=True))
    assert (columns["secret_type"], columns["provider_slug"]) == ("custom_pattern_key", "acme")
    assert columns["provider"] == "ACME Corp"


def alerts_columns() -> tuple[str, ...]:
    from store.alert_rows import VALUE_COLUMNS

    return VALUE_COLUMNS


async def test_migration_0009_lower_cases_rows_written_before_it(at_0008: AsyncEngine) -> None:
    async with at_0008.begin() as conn:
        await alerts.upsert_many(
            conn, [code_alert("acme/web", 1), secret_alert("acme/web", 2, state="resolved")]
        )
        # As a file could have spelled them before the models lower-cased anything.
        await conn.execute(a.update().where(a.c.number == 1).values(severity="ERROR"))
        await conn.execute(
            a.update()
            .where(a.c.kind == "code")
            .values(security_severity=MIXED["security_severity"])
        )
        await conn.execute(
            a.update()
            .where(a.c.kind == "secret")
            .values(
                {k: MIXED[k] for k in ("secret_type", "provider_slug", "validity", "resolution")}
            )
        )
    assert await selected(at_0008, "severity:high") == set()  # the plain comparison misses them

    await upgrade(at_0008)

    async with at_0008.connect() as conn:
        stored = (await conn.execute(select(*(a.c[name] for name in MIXED)))).all()
    assert {value for row in stored for value in row if value is not None} == {
        value.lower() for value in MIXED.values()
    }
    assert await selected(at_0008, "severity:high severity:error") == {"web#code-1"}
    assert await selected(
        at_0008,
        "secret-type:aws_access_key_id provider:amazon_aws validity:active "
        "resolution:false-positive",
    ) == {"web#secret-2"}
