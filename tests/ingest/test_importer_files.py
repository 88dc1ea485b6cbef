"""`campaignbot import`: GitHub's documented JSON and SARIF go in, and go in again without
duplicates. Bad files are in tests/ingest/test_importer_bad_files.py.

The files under tests/data are GitHub's own documented example responses (REST API 2022-11-28), so
these tests pin the importer to what the API really sends.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.core.models import Alert, AlertKind, AlertRef
from bot.ingest.importer import import_files, parse_documents
from bot.ingest.importer import write as write_batch
from store import alerts, repositories
from tests.ingest.import_support import (
    CODE_ORG,
    CODE_REPO,
    NOW,
    PROPERTIES,
    REPOS,
    SARIF,
    SECRET_ORG,
    SECRET_REPO,
    counts,
    load,
    write,
)


async def one(engine: AsyncEngine, repository: str, kind: AlertKind, number: int) -> Alert:
    async with engine.connect() as conn:
        [found] = await alerts.find(conn, AlertRef(repository=repository, kind=kind, number=number))
    return found


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
