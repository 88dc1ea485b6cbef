"""`campaignbot import`: GitHub's documented JSON and SARIF go in; bad files change nothing.

The files under tests/data are GitHub's own documented example responses (REST API 2022-11-28), so
these tests pin the importer to what the API really sends.
"""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.core.models import Alert, AlertKind, AlertRef
from bot.demo import organization as demo
from bot.github.payloads import SecretScanningAlert, repository_from_url
from bot.ingest.errors import ImportFailed
from bot.ingest.importer import import_files, parse_documents
from bot.ingest.importer import write as write_batch
from bot.ingest.sarif import repository_from_uri, security_severity_level
from store import alerts, bulk, repositories, schema

DATA = Path(__file__).parent.parent / "data"
CODE_ORG = DATA / "code-scanning-org-alerts.json"
CODE_REPO = DATA / "code-scanning-repo-alerts.json"
SECRET_ORG = DATA / "secret-scanning-org-alerts.json"
SECRET_REPO = DATA / "secret-scanning-repo-alerts.json"
REPOS = DATA / "org-repos.json"
PROPERTIES = DATA / "org-properties-values.json"
SARIF = DATA / "codeql-web-app.sarif"
NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


async def one(engine: AsyncEngine, repository: str, kind: AlertKind, number: int) -> Alert:
    async with engine.connect() as conn:
        [found] = await alerts.find(conn, AlertRef(repository=repository, kind=kind, number=number))
    return found


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


# --- each kind of file ----------------------------------------------------------------------------


async def test_organization_code_scanning_list_imports_every_field(engine: AsyncEngine) -> None:
    report = await import_files(engine, [CODE_ORG])

    assert (report.code, report.secret, report.inserted) == (2, 0, 2)
    assert report.files[0].kind == "code-scanning alerts"
    open_alert = await one(engine, "octocat/Hello-World", AlertKind.CODE, 4)
    assert open_alert.state == "open" and open_alert.closed_at is None
    assert open_alert.created_at == datetime(2020, 2, 13, 12, 29, 18, tzinfo=UTC)
    assert (open_alert.rule_id, open_alert.rule_name) == ("js/zipslip", "js/zipslip")
    assert open_alert.rule_description == "Arbitrary file write during zip extraction"
    assert (open_alert.severity, open_alert.security_severity) == ("error", None)
    assert open_alert.tags == ["external/cwe/cwe-022", "security"]
    assert (open_alert.tool, open_alert.path, open_alert.start_line) == (
        "CodeQL",
        "spec-main/api-session-spec.ts",
        917,
    )
    assert open_alert.classifications == ["test"]
    assert open_alert.html_url == "https://github.com/octocat/hello-world/code-scanning/4"
    dismissed = await one(engine, "octocat/Hello-World", AlertKind.CODE, 3)
    assert dismissed.state == "dismissed" and not dismissed.is_open
    assert dismissed.dismissed_reason == "false positive"
    assert dismissed.closed_at == datetime(2020, 2, 14, 12, 29, 18, tzinfo=UTC)
    async with engine.connect() as conn:
        repo = await repositories.get(conn, "octocat/Hello-World")
    assert repo is not None and repo.github_id == 1296269


async def test_repository_level_list_takes_the_repository_from_the_alert_url(
    engine: AsyncEngine,
) -> None:
    report = await import_files(engine, [CODE_REPO, SECRET_REPO])

    assert (report.code, report.secret) == (2, 1)
    code = await one(engine, "octocat/hello-world", AlertKind.CODE, 3)
    assert code.repository == "octocat/hello-world" and code.state == "dismissed"
    secret = await one(engine, "owner/private-repo", AlertKind.SECRET, 2)
    assert secret.validity == "inactive"


async def test_secret_scanning_list_imports_every_field(engine: AsyncEngine) -> None:
    await import_files(engine, [SECRET_ORG])

    secret = await one(engine, "octocat/Hello-World", AlertKind.SECRET, 2)
    assert (secret.state, secret.resolution) == ("resolved", "false_positive")
    assert secret.closed_at == datetime(2020, 11, 7, 2, 47, 13, tzinfo=UTC)
    assert (secret.secret_type, secret.secret_type_display_name) == (
        "adafruit_io_key",
        "Adafruit IO Key",
    )
    assert (secret.provider, secret.provider_slug, secret.validity) == (None, None, "active")
    assert secret.bypassed and not secret.publicly_leaked and not secret.multi_repo
    assert secret.assignees == ["octocat"]
    assert not secret.generic


async def test_repository_list_and_custom_property_values(engine: AsyncEngine) -> None:
    report = await import_files(engine, [PROPERTIES, REPOS])

    assert (report.repositories, report.properties) == (1, 1)
    async with engine.connect() as conn:
        repo = await repositories.get(conn, "octocat/hello-world")
    assert repo is not None
    assert (repo.github_id, repo.full_name, repo.visibility) == (
        1296269,
        "octocat/Hello-World",
        "public",
    )
    assert (repo.archived, repo.default_branch) == (False, "master")
    assert repo.pushed_at == datetime(2011, 1, 26, 19, 6, 43, tzinfo=UTC)
    assert repo.topics == ["api", "atom", "electron", "octocat"]
    assert repo.properties == {
        "environment": ["production"],
        "service": ["web"],
        "team": ["octocat"],
    }


async def test_multi_select_and_unset_custom_properties(engine: AsyncEngine) -> None:
    values = load(PROPERTIES)
    values[0]["properties"] = [
        {"property_name": "languages", "value": ["Go", "JavaScript"]},
        {"property_name": "null_property", "value": None},
    ]
    batch = parse_documents([("properties", values)])
    async with engine.begin() as conn:
        await write_batch(conn, batch)
        repo = await repositories.get(conn, "octocat/Hello-World")
    assert repo is not None and repo.properties == {"languages": ["Go", "JavaScript"]}


async def test_gh_paginate_output_is_one_list(engine: AsyncEngine, tmp_path: Path) -> None:
    """`gh api --paginate` prints one array per page; `--slurp` wraps the pages in a list."""
    first, second = load(CODE_ORG)
    pages = write(tmp_path, "pages.json", json.dumps([first]) + "\n" + json.dumps([second]))
    slurped = write(tmp_path, "slurped.json", [[first], [second]])

    report = await import_files(engine, [pages, slurped])

    assert [f.records for f in report.files] == [2, 2]
    assert report.code == 2


# --- re-importing ---------------------------------------------------------------------------------


async def test_reimport_updates_and_never_duplicates(engine: AsyncEngine, tmp_path: Path) -> None:
    every = [CODE_ORG, SECRET_ORG, REPOS, PROPERTIES]
    first = await import_files(engine, every)
    before = await counts(engine)
    changed = load(CODE_ORG)
    changed[0].update(state="fixed", fixed_at="2026-10-30T10:00:00Z")
    fixed_file = write(tmp_path, "code.json", changed)

    again = await import_files(engine, [*every[1:], fixed_file])

    assert (first.inserted, first.updated) == (3, 0)
    assert (again.inserted, again.updated) == (0, 3)
    assert await counts(engine) == before
    fixed = await one(engine, "octocat/Hello-World", AlertKind.CODE, 4)
    assert fixed.state == "fixed" and not fixed.is_open
    assert fixed.closed_at == datetime(2026, 10, 30, 10, 0, tzinfo=UTC)


async def test_sarif_results_become_code_alerts(engine: AsyncEngine) -> None:
    report = await import_files(engine, [SARIF], now=NOW)

    assert report.files[0].kind == "SARIF" and report.code == 4
    sql = await one(engine, "octo-org/web-app", AlertKind.CODE, 1)
    assert (sql.rule_id, sql.rule_name) == ("js/sql-injection", "js/sql-injection")
    assert sql.rule_description == "Database query built from user-controlled sources"
    assert (sql.severity, sql.security_severity, sql.tool) == ("error", "high", "CodeQL")
    assert "external/cwe/cwe-089" in sql.tags
    assert (sql.path, sql.start_line, sql.state) == ("src/routes/search.js", 42, "open")
    assert sql.created_at == datetime(2026, 10, 1, 8, 0, tzinfo=UTC)
    assert sql.fingerprint
    xss = await one(engine, "octo-org/web-app", AlertKind.CODE, 2)
    assert (xss.rule_id, xss.security_severity) == ("js/xss", "medium")  # 6.1, from an extension
    gone = await one(engine, "octo-org/web-app", AlertKind.CODE, 3)
    assert (gone.rule_id, gone.state, gone.severity) == ("js/log-injection", "fixed", "warning")
    suppressed = await one(engine, "octo-org/web-app", AlertKind.CODE, 4)
    assert (suppressed.state, suppressed.severity, suppressed.security_severity) == (
        "dismissed",
        "note",
        None,
    )


async def test_sarif_reimport_keeps_numbers_and_numbers_new_results_next(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    await import_files(engine, [CODE_REPO])  # GitHub numbers 3 and 4 in another repository
    await import_files(engine, [SARIF], now=NOW)
    log = load(SARIF)
    run = log["runs"][0]
    run["invocations"][0]["startTimeUtc"] = "2026-10-20T08:00:00Z"
    new_result = json.loads(json.dumps(run["results"][0]))
    new_result["partialFingerprints"] = {"primaryLocationLineHash": "0000aaaa1111bbbb:1"}
    new_result["locations"][0]["physicalLocation"]["region"]["startLine"] = 99
    run["results"] = [new_result, *run["results"]]  # order must not matter
    run["results"][2]["baselineState"] = "absent"  # the XSS is gone now
    second = write(tmp_path, "second.sarif", log)

    report = await import_files(engine, [second], now=NOW)

    assert (report.inserted, report.updated) == (1, 4)
    async with engine.connect() as conn:
        assert await alerts.count(conn) == 2 + 5
    xss = await one(engine, "octo-org/web-app", AlertKind.CODE, 2)
    assert (xss.rule_id, xss.state) == ("js/xss", "fixed")
    assert xss.created_at == datetime(2026, 10, 1, 8, 0, tzinfo=UTC)  # first seen
    new = await one(engine, "octo-org/web-app", AlertKind.CODE, 5)
    assert (new.rule_id, new.start_line) == ("js/sql-injection", 99)


async def test_sarif_repository_can_be_named_on_the_command_line(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    log = load(SARIF)
    del log["runs"][0]["versionControlProvenance"]
    path = write(tmp_path, "anonymous.sarif", log)

    await import_files(engine, [path], sarif_repository="acme/web", now=NOW)

    found = await one(engine, "acme/web", AlertKind.CODE, 1)
    assert found.rule_id == "js/sql-injection"


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
