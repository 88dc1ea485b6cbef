"""SARIF from the scanners people run beside CodeQL: each imports, and each CWE spelling answers
GitHub's `tag:external/cwe/cwe-NNN`, its short form, and (quoted) itself.

The documents are written here from each tool's documented SARIF shape (where it puts rule tags
and CWEs), kept to what the importer reads."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.core.query.parser import parse
from bot.ingest.importer import import_files
from store import alert_query

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def sarif(tool: str, rule_id: str, tags: list[str], *, level: str = "error") -> dict[str, Any]:
    return {
        "version": "2.1.0",
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": tool,
                        "rules": [
                            {
                                "id": rule_id,
                                "name": rule_id,
                                "shortDescription": {"text": f"{tool} finding"},
                                "properties": {"tags": tags},
                            }
                        ],
                    }
                },
                "results": [
                    {
                        "ruleId": rule_id,
                        "ruleIndex": 0,
                        "level": level,
                        "message": {"text": "found it"},
                        "locations": [
                            {
                                "physicalLocation": {
                                    "artifactLocation": {"uri": "src/app.py"},
                                    "region": {"startLine": 7},
                                }
                            }
                        ],
                        "partialFingerprints": {"primaryLocationLineHash": f"{tool}:{rule_id}"},
                    }
                ],
            }
        ],
    }


SCANNERS = [
    # tool, rule id, tags as the tool writes them, the CWE number
    ("CodeQL", "py/sql-injection", ["security", "external/cwe/cwe-089"], 89),
    (
        "Semgrep OSS",
        "python.lang.security.audit.hardcoded-password",
        ["CWE-522: Insufficiently Protected Credentials", "OWASP-A02:2021", "security"],
        522,
    ),
    ("Trivy", "DS002", ["misconfiguration", "CWE-250", "security"], 250),
    ("ESLint", "no-eval", ["security", "CWE-95"], 95),
    ("Bandit", "B602", ["security", "CWE-78"], 78),
]


async def select_count(engine: AsyncEngine, text: str) -> int:
    async with engine.connect() as conn:
        counts = await alert_query.count_selection(conn, parse(text), now=NOW)
    return counts.alerts


@pytest.mark.parametrize(("tool", "rule", "tags", "cwe"), SCANNERS, ids=[s[0] for s in SCANNERS])
async def test_each_scanners_cwe_answers_githubs_tag_and_its_short_form(
    engine: AsyncEngine, tmp_path: Path, tool: str, rule: str, tags: list[str], cwe: int
) -> None:
    path = tmp_path / f"{tool}.sarif"
    path.write_text(json.dumps(sarif(tool, rule, tags)))

    report = await import_files(engine, [path], sarif_repository="acme/web", now=NOW)

    assert report.alerts == 1
    assert await select_count(engine, f"tag:external/cwe/cwe-{cwe:03d}") == 1
    assert await select_count(engine, f"tag:external/cwe/cwe-{cwe}") == 1
    assert await select_count(engine, f"tag:cwe-{cwe}") == 1
    assert await select_count(engine, f'tag:"{tags[0]}"') == 1
    assert await select_count(engine, f"tag:cwe-{cwe + 1}") == 0
