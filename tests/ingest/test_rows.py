"""The import lays alert payloads out as rows without building an `Alert` per record; the rows
are exactly those `store.alert_rows.row_for(item.to_alert(), …)` gives."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bot.demo import organization as demo
from bot.github import payloads
from bot.github.rows import alert_rows
from store.alert_rows import VALUE_COLUMNS, AlertRows, row_for, value_set
from tests.conftest import NOW

DATA = Path(__file__).parent.parent / "data"


def items() -> list[payloads.AlertItem]:
    data = demo.generate_org(repositories=30, alerts=1500, seed=5, now=NOW)
    code = payloads.CODE_ALERTS.validate_python(data.code_alerts)
    secret = payloads.SECRET_ALERTS.validate_python(data.secret_alerts)
    for name, adapter in (
        ("code-scanning-org-alerts.json", payloads.CODE_ALERTS),
        ("code-scanning-repo-alerts.json", payloads.CODE_ALERTS),
        ("secret-scanning-org-alerts.json", payloads.SECRET_ALERTS),
        ("secret-scanning-repo-alerts.json", payloads.SECRET_ALERTS),
    ):
        (code if adapter is payloads.CODE_ALERTS else secret).extend(
            adapter.validate_python(json.loads((DATA / name).read_text()))
        )
    return [*code, *secret, *edge_cases()]


def edge_cases() -> list[payloads.AlertItem]:
    """States left null, severities of "none", dismissals, CWE tags spelt by other scanners,
    several assignees, resolved secrets."""
    base: dict[str, Any] = json.loads((DATA / "code-scanning-org-alerts.json").read_text())[0]
    cases = []
    for number, change in enumerate(
        [
            {"state": None},
            {"state": None, "most_recent_instance": None},
            {"rule": {**base["rule"], "severity": "none", "tags": ["CWE-79: XSS", "cwe-079"]}},
            {"state": "dismissed", "dismissed_reason": "used in tests", "dismissed_at": None},
            {"state": "fixed", "dismissed_reason": "won't fix", "fixed_at": "2026-01-02T03:04:05Z"},
            {"assignees": [{"login": "Octocat"}, {"login": "hubot"}, {"login": "octocat"}]},
            {"rule": {**base["rule"], "tags": None}, "tool": {"name": None}},
        ],
        start=9001,
    ):
        cases.append(
            payloads.CodeScanningAlert.model_validate({**base, **change, "number": number})
        )
    secret: dict[str, Any] = json.loads((DATA / "secret-scanning-org-alerts.json").read_text())[0]
    for number, change in enumerate(
        [
            {"state": "resolved", "resolution": "revoked", "resolved_at": "2026-01-02T03:04:05Z"},
            {"state": "open", "resolution": "revoked", "assigned_to": {"login": "Mona"}},
            {"provider": "Generic", "publicly_leaked": None, "multi_repo": True},
        ],
        start=9001,
    ):
        cases.append(
            payloads.SecretScanningAlert.model_validate({**secret, **change, "number": number})
        )
    return cases


def expected(given: list[payloads.AlertItem]) -> AlertRows:
    alerts = [item.to_alert() for item in given]
    rows = AlertRows.from_alerts(alerts)
    for item in given:
        if item.repository_github_id is not None:
            rows.github_ids[item.repository_full_name or ""] = item.repository_github_id
    return rows


def test_rows_are_those_of_the_alert_models() -> None:
    given = items()

    rows = alert_rows(given)

    want = expected(given)
    assert rows.keys == want.keys
    assert rows.repositories == want.repositories
    for got, wanted in zip(rows.values, want.values, strict=True):
        assert dict(zip(VALUE_COLUMNS, got, strict=True)) == dict(
            zip(VALUE_COLUMNS, wanted, strict=True)
        )
    assert rows.tags == want.tags
    assert rows.assignees == want.assignees
    assert rows.github_ids == want.github_ids


def test_a_later_record_replaces_an_earlier_one_in_place() -> None:
    first, second = items()[:2]
    again = payloads.CodeScanningAlert.model_validate(
        {**first.model_dump(mode="json"), "state": "fixed", "fixed_at": "2026-01-02T03:04:05Z"}
    )

    rows = alert_rows([first, second, again])

    assert len(rows) == 2
    assert rows.values[0][VALUE_COLUMNS.index("state")] == "fixed"
    assert rows.keys[1][2] == second.number


def test_the_row_columns_follow_the_table() -> None:
    alert = items()[0].to_alert()
    assert tuple(row_for(alert, 1))[1:] == VALUE_COLUMNS
    assert value_set(["B", "a", "b"]) == ("a", "b")
