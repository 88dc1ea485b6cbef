"""The sync lays GitHub's alert payloads out as rows without `Alert` models: the same rows."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from typing import Any

from bot.demo.organization import generate_org
from bot.github.payloads import CODE_ALERTS, SECRET_ALERTS, AlertItem
from bot.github.rows import alert_rows
from store.alert_rows import AlertRows

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def through_models(items: list[AlertItem]) -> AlertRows:
    github_ids = {
        item.repository_full_name or "": item.repository_github_id
        for item in items
        if item.repository_github_id is not None
    }
    return AlertRows.from_alerts([item.to_alert() for item in items], github_ids)


def odd_ones(code: list[dict[str, Any]], secret: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Records GitHub may send that the generator does not: no state, unpadded CWE tags, mixed-
    case assignees, a repository spelled in another case, and a record repeated later."""
    stateless = copy.deepcopy(code[0])
    stateless["state"] = None
    stateless["number"] = 90_001
    tagged = copy.deepcopy(code[1])
    tagged["number"] = 90_002
    tagged["rule"]["tags"] = ["Security", "CWE-79", "external/cwe/cwe-079"]
    tagged["assignees"] = [{"login": "Octo-Cat"}, {"login": "octo-cat"}, {"login": "hubot"}]
    shouting = copy.deepcopy(code[2])
    shouting["repository"]["full_name"] = shouting["repository"]["full_name"].upper()
    repeated = copy.deepcopy(code[0])
    repeated["state"] = "dismissed"
    repeated["dismissed_reason"] = "won't fix"
    repeated["dismissed_at"] = repeated["updated_at"]
    assigned = copy.deepcopy(secret[0])
    assigned["number"] = 90_003
    assigned["assigned_to"] = {"login": "Mona"}
    assigned["provider"] = "Generic"
    return [stateless, tagged, shouting, repeated, assigned]


def test_rows_are_those_the_alert_models_give() -> None:
    data = generate_org(org="acme", repositories=12, alerts=600, seed=3, now=NOW)
    extra = odd_ones(data.code_alerts, data.secret_alerts)
    code = CODE_ALERTS.validate_python(data.code_alerts + extra[:4])
    secret = SECRET_ALERTS.validate_python(data.secret_alerts + extra[4:])
    assert {item.state for item in code} >= {"open", "fixed", "dismissed", None}
    assert {item.state for item in secret} == {"open", "resolved"}

    for items in (list(code), list(secret), [*code, *secret]):
        assert alert_rows(items) == through_models(items)

    # The sync validates pages straight from their JSON: the same models, so the same rows.
    assert CODE_ALERTS.validate_json(json.dumps(data.code_alerts + extra[:4])) == code
    assert SECRET_ALERTS.validate_json(json.dumps(data.secret_alerts + extra[4:])) == secret


def test_pages_merged_into_one_batch_give_the_rows_of_the_whole_list() -> None:
    """A full sync stores ten pages per transaction (`AlertRows.merged`): wherever the pages are
    cut, and with a record repeated on a later page (an alert GitHub moved while the walk ran),
    each alert is one row and the later record wins, as writing page after page would leave it."""
    data = generate_org(org="acme", repositories=12, alerts=600, seed=3, now=NOW)
    extra = odd_ones(data.code_alerts, data.secret_alerts)
    code = list(CODE_ALERTS.validate_python(data.code_alerts + extra[:4]))
    whole = alert_rows(code)
    distinct = {((item.repository_full_name or "").lower(), item.number) for item in code}
    assert len(whole) == len(distinct) < len(code)  # a record repeated is one row
    for size in (1, 7, 100, len(code)):
        pages = [alert_rows(code[start : start + size]) for start in range(0, len(code), size)]
        assert AlertRows.merged(pages) == whole, size
