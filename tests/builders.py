"""Builders for domain objects with plausible defaults; tests override only what they assert on."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.core.models import Alert, AlertKind, Repository

_numbers = itertools.count(1)
T0 = datetime(2026, 6, 1, tzinfo=UTC)


def repo(full_name: str = "acme/web", **fields: Any) -> Repository:
    fields.setdefault("pushed_at", T0)
    fields.setdefault("visibility", "private")
    return Repository(full_name=full_name, **fields)


def code_alert(repository: str = "acme/web", number: int | None = None, **fields: Any) -> Alert:
    fields.setdefault("state", "open")
    fields.setdefault("created_at", T0 - timedelta(days=40))
    fields.setdefault("rule_id", "js/xss")
    fields.setdefault("rule_name", "Cross-site scripting")
    fields.setdefault("severity", "error")
    fields.setdefault("security_severity", "high")
    fields.setdefault("tool", "CodeQL")
    fields.setdefault("tags", ["security", "external/cwe/cwe-079"])
    fields.setdefault("path", "src/app.js")
    fields.setdefault("classifications", [])
    return Alert(
        repository=repository,
        kind=AlertKind.CODE,
        number=number if number is not None else next(_numbers),
        **fields,
    )


def secret_alert(repository: str = "acme/web", number: int | None = None, **fields: Any) -> Alert:
    fields.setdefault("state", "open")
    fields.setdefault("created_at", T0 - timedelta(days=10))
    fields.setdefault("secret_type", "aws_access_key_id")
    fields.setdefault("secret_type_display_name", "AWS Access Key ID")
    fields.setdefault("provider", "Amazon AWS")
    fields.setdefault("provider_slug", "amazon_aws")
    fields.setdefault("validity", "active")
    return Alert(
        repository=repository,
        kind=AlertKind.SECRET,
        number=number if number is not None else next(_numbers),
        **fields,
    )
