"""Alert lists are streamed: read, validated and written a chunk at a time in one transaction.

Chunks and read blocks are made tiny here so every file crosses many of both.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.core.models import AlertKind
from bot.ingest import documents, stream
from bot.ingest.errors import ImportFailed
from bot.ingest.importer import import_files, parse_files
from bot.ingest.importer import write as write_batch
from store import schema

DATA = Path(__file__).parent.parent / "data"
CODE_ORG = DATA / "code-scanning-org-alerts.json"
SECRET_ORG = DATA / "secret-scanning-org-alerts.json"
REPOS = DATA / "org-repos.json"
PROPERTIES = DATA / "org-properties-values.json"
SARIF = DATA / "codeql-web-app.sarif"


@pytest.fixture(autouse=True)
def tiny_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stream, "CHUNK_RECORDS", 2)
    monkeypatch.setattr(stream, "READ_BYTES", 97)


def alerts(count: int, *, repository: str = "octocat/Hello-World") -> list[dict[str, Any]]:
    """`count` code alerts numbered 1…count, with text that is not ASCII to split across blocks."""
    first = json.loads(CODE_ORG.read_text())[0]
    owner, name = repository.split("/")
    items = []
    for number in range(1, count + 1):
        item = json.loads(json.dumps(first))
        item["number"] = number
        item["repository"]["full_name"] = repository
        item["repository"]["name"] = name
        item["repository"]["owner"]["login"] = owner
        item["most_recent_instance"]["message"]["text"] = f"naïve ünïcödé — №{number} 🚀"
        items.append(item)
    return items


async def rows(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return int(await conn.scalar(select(func.count()).select_from(schema.alerts)) or 0)


async def states(engine: AsyncEngine) -> dict[int, str]:
    async with engine.connect() as conn:
        result = await conn.execute(select(schema.alerts.c.number, schema.alerts.c.state))
        return {number: state for number, state in result}


async def test_later_records_win_across_chunks_and_count_once(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    items = alerts(7)
    items.append({**items[1], "state": "fixed", "fixed_at": "2026-10-30T10:00:00Z"})  # #2 again
    path = tmp_path / "code.json"
    path.write_text(json.dumps(items, ensure_ascii=False, indent=1))

    report = await import_files(engine, [path])

    assert [f.records for f in report.files] == [8]
    assert (report.code, report.secret, report.inserted, report.updated) == (7, 0, 7, 0)
    assert (await states(engine))[2] == "fixed"
    again = await import_files(engine, [path])
    assert (again.code, again.inserted, again.updated) == (7, 0, 7)
    assert await rows(engine) == 7


async def test_same_report_as_reading_everything_first(engine: AsyncEngine, tmp_path: Path) -> None:
    path = tmp_path / "code.json"
    path.write_text(json.dumps([*alerts(5), *alerts(3)]))
    files = [REPOS, PROPERTIES, path, CODE_ORG, SECRET_ORG, SARIF]

    streamed = await import_files(engine, files)
    async with engine.begin() as conn:
        whole = await write_batch(conn, parse_files(files))

    counted = {"inserted": 0, "updated": 0}
    assert whole.model_dump() | counted == streamed.model_dump() | counted
    assert (streamed.inserted, streamed.updated) == (streamed.alerts, 0)
    assert (whole.inserted, whole.updated) == (0, streamed.alerts)


async def test_pages_and_slurped_pages_stream(engine: AsyncEngine, tmp_path: Path) -> None:
    items = alerts(9)
    pages = tmp_path / "pages.json"
    pages.write_text("\n".join(json.dumps(items[i : i + 4]) for i in range(0, 9, 4)) + "\n[]\n")
    slurped = tmp_path / "slurped.json"
    slurped.write_text(json.dumps([items[:4], [], items[4:]]))

    report = await import_files(engine, [pages, slurped])

    assert [f.records for f in report.files] == [9, 9]
    assert (report.code, report.inserted, report.updated) == (9, 9, 0)


async def test_a_bad_record_in_a_late_chunk_writes_nothing(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    items = alerts(9)
    items[6]["state"] = "bogus"
    path = tmp_path / "code.json"
    path.write_text(json.dumps(items))

    with pytest.raises(ImportFailed) as failure:
        await import_files(engine, [SECRET_ORG, path])

    assert failure.value.message == (
        f"{path}: record [6] (alert #7 in octocat/Hello-World): "
        "state: 'bogus' is not one of open, dismissed, fixed"
    )
    assert await rows(engine) == 0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("CUT", "the file ends early — truncated?"),
        ('WHOLE, {"number": ]', "not JSON"),
        ("WHOLE]{}", "not a file campaignbot can import"),
        ("[WHOLE]]]", "not JSON"),
    ],
    ids=["truncated", "broken", "object-page", "slurp-trailing"],
)
async def test_broken_json_late_in_the_file_writes_nothing(
    engine: AsyncEngine, tmp_path: Path, text: str, expected: str
) -> None:
    whole = json.dumps(alerts(6))
    path = tmp_path / "code.json"
    cut = whole[: len(whole) * 5 // 6]
    path.write_text(text.replace("CUT", cut).replace("WHOLE", whole[:-1]))

    with pytest.raises(ImportFailed) as failure:
        await import_files(engine, [path])

    assert failure.value.message.startswith(f"{path}: {expected}")
    assert await rows(engine) == 0


async def test_secret_alerts_stream_too(engine: AsyncEngine) -> None:
    report = await import_files(engine, [SECRET_ORG])

    assert report.secret == len(json.loads(SECRET_ORG.read_text()))
    assert report.code == 0 and report.files[0].kind is documents.FileKind.SECRET_ALERTS
    assert AlertKind.SECRET.value == "secret"


@pytest.mark.parametrize("indent", [None, 2], ids=["compact", "pretty"])
async def test_records_that_look_like_record_ends_inside_stream_as_read_whole(
    engine: AsyncEngine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, indent: int | None
) -> None:
    """Windows are cut where a record may end (`}` before `,{` or `]`); a cut inside a string or
    a nested list of objects must not be taken for one."""
    monkeypatch.setattr(stream, "READ_BYTES", 700)
    items = alerts(12)
    for number, item in enumerate(items):
        item["most_recent_instance"]["message"]["text"] = "ends }, { here }] and } ,{ there"
        item["assignees"] = [{"login": f"dev{number}"}, {"login": "hubot"}] if number % 2 else []
        item["rule"]["description"] = "}]" * (number % 3)
    path = tmp_path / "tricky.json"
    pages = [items[:5], items[5:]]
    path.write_text("\n".join(json.dumps(page, indent=indent) for page in pages))

    report = await import_files(engine, [path])

    assert [f.records for f in report.files] == [12]
    assert (report.code, report.inserted) == (12, 12)
    async with engine.connect() as conn:
        people = await conn.scalar(select(func.count()).select_from(schema.alert_assignees))
    assert people == 12
