"""Shared pieces of FakeGitHub: GitHub's constants, JSON documents and error answers.

Plain functions and values, so the server and each group of routes can use them without
depending on one another.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

Clock = Callable[[], datetime]

DOCS = "https://docs.github.com/rest"
WRITE_ROLES = frozenset({"admin", "maintain", "write"})
LEGACY_PERMISSION = {
    "admin": "admin",
    "maintain": "write",
    "write": "write",
    "triage": "read",
    "read": "read",
}
TEAM_ROLE = {
    "pull": "read",
    "triage": "triage",
    "push": "write",
    "maintain": "maintain",
    "admin": "admin",
}
DISMISSED_REASONS = frozenset({"false positive", "won't fix", "used in tests"})
RESOLUTIONS = frozenset({"false_positive", "wont_fix", "revoked", "used_in_tests"})
CAMPAIGN_FIELDS = frozenset(
    {
        "name",
        "description",
        "managers",
        "team_managers",
        "ends_at",
        "contact_link",
        "code_scanning_alerts",
        "secret_scanning_alerts",
        "generate_issues",
    }
)
CAMPAIGN_PATCH_FIELDS = frozenset(
    {"name", "description", "managers", "team_managers", "ends_at", "contact_link", "state"}
)
RULES = {
    "js/xss": ("Client-side cross-site scripting", ["security", "external/cwe/cwe-079"]),
    "js/sql-injection": ("Database query built from user-controlled sources", ["security"]),
    "java/log-injection": ("Log Injection", ["security", "external/cwe/cwe-117"]),
    "py/path-injection": ("Uncontrolled data used in path expression", ["security"]),
}
JSON_BODY = web.RequestKey("json_body", object)
"""The request's JSON body, parsed once by the server's middleware."""


def iso(moment: datetime) -> str:
    """GitHub's timestamp format: UTC, whole seconds, a trailing Z."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def iso_or(value: datetime | str | None, default: datetime) -> str:
    if value is None:
        return iso(default)
    return value if isinstance(value, str) else iso(value)


def error_body(status: int, message: str, **extra: Any) -> bytes:
    body = {"message": message, "documentation_url": DOCS, "status": str(status), **extra}
    return json.dumps(body).encode()


def error_response(status: int, message: str, **extra: Any) -> web.Response:
    return web.Response(
        status=status, body=error_body(status, message, **extra), content_type="application/json"
    )


def validation_error(message: str, resource: str, field_name: str) -> web.Response:
    error = {"resource": resource, "field": field_name, "code": "invalid", "message": message}
    return error_response(422, "Validation Failed", errors=[error])


def json_response(data: Any, status: int = 200) -> web.Response:
    return web.json_response(data, status=status)


def node_id(kind: str, number: int) -> str:
    return base64.b64encode(f"{kind}_{number:08d}".encode()).decode().rstrip("=")


def encode_cursor(key: list[Any]) -> str:
    return base64.b64encode(json.dumps(["cursor:v2", key]).encode()).decode()


def decode_cursor(cursor: str) -> list[Any]:
    try:
        tag, key = json.loads(base64.b64decode(cursor.encode()))
    except ValueError:
        return []
    return list(key) if tag == "cursor:v2" else []


def replace_in(value: Any, old: str, new: str) -> Any:
    """A copy of a JSON document with `old` replaced by `new` in every string (URLs, names)."""
    if isinstance(value, str):
        return value.replace(old, new)
    if isinstance(value, dict):
        return {k: replace_in(v, old, new) for k, v in value.items()}
    if isinstance(value, list):
        return [replace_in(v, old, new) for v in value]
    return value


def etag_matches(header: str | None, etag: str) -> bool:
    if not header:
        return False
    candidates = [part.strip() for part in header.split(",")]
    return "*" in candidates or etag in candidates


def _csv(query: Mapping[str, str], name: str) -> set[str] | None:
    value = query.get(name)
    return {part.strip() for part in value.split(",") if part.strip()} if value else None


def code_matches(alert: dict[str, Any], query: Mapping[str, str]) -> bool:
    state = query.get("state")
    if state == "closed" and alert["state"] not in ("fixed", "dismissed"):
        return False
    if state in ("open", "fixed", "dismissed") and alert["state"] != state:
        return False
    severities = _csv(query, "severity")
    rule = alert["rule"]
    if severities and not {rule["severity"], rule["security_severity_level"]} & severities:
        return False
    tool = query.get("tool_name")
    return not (tool and alert["tool"]["name"] != tool)


def secret_matches(alert: dict[str, Any], query: Mapping[str, str]) -> bool:
    if query.get("state") and alert["state"] != query["state"]:
        return False
    for param, field_name in (
        ("secret_type", "secret_type"),
        ("validity", "validity"),
        ("resolution", "resolution"),
        ("providers", "provider_slug"),
    ):
        wanted = _csv(query, param)
        if wanted and alert[field_name] not in wanted:
            return False
    if query.get("is_publicly_leaked") == "true" and not alert["publicly_leaked"]:
        return False
    return not (query.get("is_multi_repo") == "true" and not alert["multi_repo"])


def without_repository(alert: dict[str, Any]) -> dict[str, Any]:
    """Repository-level endpoints answer the alert without its `repository`."""
    return {k: v for k, v in alert.items() if k != "repository"}


def permission_flags(role: str) -> dict[str, bool]:
    order = ["read", "triage", "write", "maintain", "admin"]
    rank = order.index(role) if role in order else -1
    return {
        "pull": rank >= 0,
        "triage": rank >= 1,
        "push": rank >= 2,
        "maintain": rank >= 3,
        "admin": rank >= 4,
    }


def public_campaign(
    campaign: dict[str, Any], stats: dict[str, int] | None = None
) -> dict[str, Any]:
    """The campaign-summary document (private bookkeeping fields left out)."""
    public = {k: v for k, v in campaign.items() if not k.startswith("_")}
    public["alert_stats"] = stats or {
        "open_count": sum(len(g["alert_numbers"]) for g in campaign["_alerts"]),
        "closed_count": 0,
        "in_progress_count": 0,
    }
    return public
