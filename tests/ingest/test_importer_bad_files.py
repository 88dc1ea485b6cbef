"""`campaignbot import` of bad files: a clear message naming the file, the record and the
problem, and nothing written (most bad files are tests/data's documented examples, damaged)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.ingest.errors import ImportFailed
from bot.ingest.importer import import_files
from tests.ingest.import_support import (
    CODE_ORG,
    CODE_REPO,
    REPOS,
    SARIF,
    SECRET_ORG,
    SECRET_REPO,
    counts,
    load,
    write,
)

# --- bad input: a clear message, and nothing written ----------------------------------------------


def _without_rule() -> Any:
    items = load(CODE_ORG)
    del items[1]["rule"]
    return items


def _bogus_state() -> Any:
    items = load(CODE_ORG)
    items[0]["state"] = "bogus"
    return items


def _bad_date() -> Any:
    items = load(SECRET_REPO)
    items[0]["created_at"] = "yesterday"
    return items


def _sarif_without_repository() -> Any:
    log = load(SARIF)
    del log["runs"][0]["versionControlProvenance"]
    return log


def _sarif_bad_level() -> Any:
    log = load(SARIF)
    log["runs"][0]["results"][2]["level"] = "severe"
    return log


def _with_number(number: int) -> list[Any]:
    first = json.loads(CODE_ORG.read_text())[0]
    return [{**first, "number": number}]


BAD_FILES: list[tuple[str, Any, list[str]]] = [
    ("empty.json", b"", ["empty.json: the file is empty"]),
    ("huge.json", _with_number(2**70), ["huge.json: record [0]", "less than or equal to"]),
    ("negative.json", _with_number(-3), ["negative.json: record [0]", "greater than or equal"]),
    ("deep.json", "[" * 100_000 + "]" * 100_000, ["deep.json: not JSON"]),
    ("notes.json", "hello, world", ["notes.json: not JSON (expected value at line 1 column 1)"]),
    (
        "cut.json",
        CODE_ORG.read_bytes()[:5000],
        ["cut.json: the file ends early — truncated?"],
    ),
    (
        "object.json",
        {"message": "Not Found"},
        ["object.json: not a file campaignbot can import", "found a JSON object with message"],
    ),
    (
        "users.json",
        [{"login": "octocat", "id": 1}],
        ["users.json: not a file campaignbot can import", "a list of objects with id, login"],
    ),
    (
        "no-rule.json",
        _without_rule(),
        ["no-rule.json: record [1] (alert #3 in octocat/Hello-World): missing field 'rule'"],
    ),
    (
        "bogus.json",
        _bogus_state(),
        [
            "bogus.json: record [0] (alert #4 in octocat/Hello-World): "
            "state: 'bogus' is not one of open, dismissed, fixed"
        ],
    ),
    (
        "dates.json",
        _bad_date(),
        [
            "dates.json: record [0] (alert #2 in owner/private-repo): "
            "created_at: 'yesterday' is not a date-time"
        ],
    ),
    (
        "anonymous.sarif",
        _sarif_without_repository(),
        ["anonymous.sarif: runs[0]: the SARIF does not say which repository", "--repo OWNER/REPO"],
    ),
    (
        "level.sarif",
        _sarif_bad_level(),
        [
            "level.sarif: runs[0].results[2].level: 'severe' is not one of "
            "none, note, warning, error"
        ],
    ),
]


@pytest.mark.parametrize(
    ("name", "content", "expected"), BAD_FILES, ids=[case[0] for case in BAD_FILES]
)
async def test_bad_file_names_file_record_and_problem_and_writes_nothing(
    engine: AsyncEngine, tmp_path: Path, name: str, content: Any, expected: list[str]
) -> None:
    await import_files(engine, [REPOS, SECRET_ORG])
    before = await counts(engine)
    good = tmp_path / "good.json"
    shutil.copy(CODE_REPO, good)
    bad = write(tmp_path, name, content)

    with pytest.raises(ImportFailed) as failure:
        await import_files(engine, [good, bad])  # the bad file comes second

    message = failure.value.message.replace(str(tmp_path) + "/", "")
    for part in expected:
        assert part in message
    assert await counts(engine) == before


async def test_a_missing_file_is_reported(engine: AsyncEngine, tmp_path: Path) -> None:
    with pytest.raises(ImportFailed, match="cannot read the file"):
        await import_files(engine, [tmp_path / "nowhere.json"])


async def test_an_unsupported_sarif_version_is_refused(engine: AsyncEngine, tmp_path: Path) -> None:
    log = load(SARIF)
    log["version"] = "2.0.0"
    with pytest.raises(ImportFailed, match=r"SARIF version '2\.0\.0' is not supported"):
        await import_files(engine, [write(tmp_path, "old.sarif", log)])


async def test_an_empty_list_imports_nothing(engine: AsyncEngine, tmp_path: Path) -> None:
    report = await import_files(engine, [write(tmp_path, "none.json", [])])
    assert report.files[0].kind == "empty list" and report.alerts == 0
