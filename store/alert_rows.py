"""The alert table's row for an `Alert`, and what an upsert reports.

Shared by `store.alerts` (which delegates its upsert to `store.bulk`) and `store.bulk` (which
stages these rows), so that neither has to import the other to reach it.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from bot.core.models import Alert

NOT_APP_CODE = frozenset({"test", "generated", "library"})
"""Classifications that `autofilter:true` leaves out."""


class UpsertResult(BaseModel):
    inserted: int = 0
    updated: int = 0

    def __add__(self, other: UpsertResult) -> UpsertResult:
        return UpsertResult(
            inserted=self.inserted + other.inserted, updated=self.updated + other.updated
        )


def row_for(alert: Alert, repository_id: int) -> dict[str, Any]:
    """The `alerts` columns of one alert (all but `id`), in the table's column order."""
    return {
        "repository_id": repository_id,
        "kind": alert.kind.value,
        "number": alert.number,
        "state": alert.state,
        "is_open": alert.is_open,
        "created_at": alert.created_at,
        "updated_at": alert.updated_at,
        "closed_at": alert.closed_at,
        "html_url": alert.html_url,
        "rule_id": alert.rule_id,
        "rule_name": alert.rule_name,
        "rule_description": alert.rule_description,
        "severity": alert.severity,
        "security_severity": alert.security_severity,
        "tool": alert.tool,
        "path": alert.path,
        "start_line": alert.start_line,
        "classifications": alert.classifications or None,
        "in_app_code": not NOT_APP_CODE.intersection(alert.classifications),
        "dismissed_reason": alert.dismissed_reason,
        "fingerprint": alert.fingerprint,
        "secret_type": alert.secret_type,
        "secret_type_display_name": alert.secret_type_display_name,
        "provider": alert.provider,
        "provider_slug": alert.provider_slug,
        "validity": alert.validity,
        "resolution": alert.resolution,
        "publicly_leaked": alert.publicly_leaked,
        "multi_repo": alert.multi_repo,
        "bypassed": alert.bypassed,
        "generic": alert.generic,
    }
