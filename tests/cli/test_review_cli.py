"""`campaignbot review [secrets | code] [--json]`: the review's JSON, its counts against
`campaignbot preview`, its text, an empty inventory, and bad input (exit code 2)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli.main import app
from bot.core.clock import system_clock
from store.engine import create_engine
from store.migrate import upgrade
from tests.playbooks.test_review import seed

runner = CliRunner()


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "cli.db"
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{path}")
    monkeypatch.setenv("CAMPAIGN_ADMINS", "U0MANAGER")
    monkeypatch.chdir(tmp_path)  # no stray .env is read
    return path


@pytest.fixture
def seeded(database: Path) -> Path:
    async def fill() -> None:
        engine = create_engine(f"sqlite+aiosqlite:///{database}")
        await upgrade(engine)
        await seed(engine, system_clock())
        await engine.dispose()

    asyncio.run(fill())
    return database


def invoke(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_review_json_has_the_headline_and_slices_that_preview_alike(seeded: Path) -> None:
    code, out, _ = invoke("review", "--json")

    assert code == 0
    data = json.loads(out)
    assert set(data) == {"kind", "query", "open_alerts", "repositories", "sections"}
    assert (data["kind"], data["query"], data["open_alerts"], data["repositories"]) == (
        None,
        "is:open",
        13,
        3,
    )
    assert [s["kind"] for s in data["sections"]] == ["secret", "code"]
    for section in data["sections"]:
        for group in section["groups"]:
            first = group["slices"][0]
            assert set(first) == {"title", "query", "count", "note"}
            code, shown, _ = invoke("preview", first["query"], "--json")
            assert code == 0 and json.loads(shown)["alerts"] == first["count"], first


def test_review_secrets_prints_the_slices_as_text(seeded: Path) -> None:
    code, out, _ = invoke("review", "secrets")

    assert code == 0
    assert out.startswith("6 open secret alerts in 2 repositories")
    assert "Code scanning" not in out
    assert "kind:secret is:open is:publicly-leaked" in out
    assert 'secret-type:"team db, password"' in out
    assert "more false positives" in out


def test_review_of_an_empty_inventory_says_so(database: Path) -> None:
    code, out, _ = invoke("review")
    assert code == 0 and out.strip() == "no open alerts: nothing to review"

    code, out, _ = invoke("review", "code", "--json")
    data = json.loads(out)
    assert code == 0 and data["open_alerts"] == 0
    assert [s["groups"] for s in data["sections"]] == [[]]


def test_an_unknown_review_is_bad_input(database: Path) -> None:
    code, out, err = invoke("review", "nonsense")

    assert code == 2 and out == ""
    assert err.strip() == (
        "campaignbot: unknown review “nonsense”: say secrets or code, or nothing for both"
    )
