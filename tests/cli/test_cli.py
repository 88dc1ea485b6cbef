"""The command line: JSON shapes of §3, exit code 2 with one clear line for bad input."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli.main import app

runner = CliRunner()


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "cli.db"
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{path}")
    monkeypatch.setenv("CAMPAIGN_ADMINS", "U0MANAGER")
    monkeypatch.chdir(tmp_path)  # no stray .env is read
    return path


def invoke(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def demo_database(database: Path) -> Path:
    code, out, _ = invoke("demo")
    assert code == 0 and "campaign #1" in out
    return database


def test_demo_then_preview_prints_counts_as_json(demo_database: Path) -> None:
    code, out, _ = invoke("preview", "is:open autofilter:true severity:critical", "--json")
    assert code == 0
    data = json.loads(out)
    assert set(data) >= {"query", "alerts", "repositories", "by_kind", "big", "kept", "left_out"}
    assert data["alerts"] > 0 and data["by_kind"]["secret"] == 0
    assert data["by_kind"]["code"] == data["alerts"] and data["kept"] == data["alerts"]


def test_show_prints_campaign_progress_as_json(demo_database: Path) -> None:
    code, out, _ = invoke("show", "1", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["number"] == 1 and data["state"] == "active"
    assert data["alerts"] == data["open"] + data["in_progress"] + data["closed"]
    assert data["status"] in {"on_track", "at_risk", "overdue", "done"}
    repos = data["repositories"]
    assert (
        repos and sum(r["open"] + r["in_progress"] + r["closed"] for r in repos) == data["alerts"]
    )


def test_campaigns_lists_active_and_all(demo_database: Path) -> None:
    _, active, _ = invoke("campaigns", "--json")
    _, every, _ = invoke("campaigns", "--all", "--json")
    assert len(json.loads(every)) == len(json.loads(active)) + 1  # one demo campaign is closed


def test_create_prints_the_new_number(demo_database: Path) -> None:
    code, out, _ = invoke(
        "create",
        "is:open tag:external/cwe/cwe-079",
        "--name",
        "XSS",
        "--due",
        "2099-01-31",
        "--manager",
        "U0MANAGER",
        "--description",
        "Escape output.",
    )
    assert code == 0 and out.strip() == "campaign #5: XSS"
    _, shown, _ = invoke("show", "XSS", "--json")
    assert json.loads(shown)["name"] == "XSS"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["preview", "sevrity:high"], "sevrity"),
        (["preview", 'rule:"unbalanced'], "quote"),
        (["show", "99"], "no campaign #99"),
        (
            ["create", "is:open", "--name", "x", "--due", "tomorrow", "--manager", "U0MANAGER"],
            "not a date",
        ),
        (
            [
                "create",
                "is:open kind:code",
                "--name",
                "x",
                "--due",
                "2020-01-01",
                "--manager",
                "U0MANAGER",
            ],
            "in the future",
        ),
        (
            [
                "create",
                "is:open kind:code",
                "--name",
                "x",
                "--due",
                "2099-01-01",
                "--manager",
                "U0STRANGER",
            ],
            "must be a security manager",
        ),
        (["import", "missing.json"], "no such file"),
    ],
)
def test_bad_input_exits_2_with_one_line(
    demo_database: Path, args: list[str], message: str
) -> None:
    code, out, err = invoke(*args)
    assert code == 2, err
    assert out == ""
    assert message in err and len(err.strip().splitlines()) == 1


def test_a_database_that_is_not_ours_is_refused(database: Path) -> None:
    with sqlite3.connect(database) as conn:
        conn.execute("CREATE TABLE invoices (id INTEGER)")
    code, _, err = invoke("campaigns")
    assert code == 2 and "none of campaignbot's" in err


def test_a_file_that_is_not_a_database_is_refused(database: Path) -> None:
    database.write_text("these are my notes, not a database\n" * 100)
    code, _, err = invoke("campaigns")
    assert code == 2 and "cannot read the database" in err


def test_import_of_a_malformed_file_names_it_and_changes_nothing(
    demo_database: Path, tmp_path: Path
) -> None:
    bad = tmp_path / "alerts.json"
    bad.write_text('[{"number": 1, "state": "open"')
    before = json.loads(invoke("preview", "is:open", "--json")[1])["alerts"]
    code, _, err = invoke("import", str(bad))
    assert code == 2 and "alerts.json" in err and "truncated" in err
    assert json.loads(invoke("preview", "is:open", "--json")[1])["alerts"] == before
