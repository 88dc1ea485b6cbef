"""The alert table's row for an `Alert`, alerts in column form for bulk writes, and what an
upsert reports.

Shared by `store.alerts` (which delegates its upsert to `store.bulk`) and `store.bulk` (which
stages these rows), so that neither has to import the other to reach it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from bot.core.models import Alert

NOT_APP_CODE = frozenset({"test", "generated", "library"})
"""Classifications that `autofilter:true` leaves out."""

AlertKey = tuple[str, str, int]
"""(repository full name lower-cased, kind, number): an alert's identity."""


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


VALUE_COLUMNS: tuple[str, ...] = (
    "kind",
    "number",
    "state",
    "is_open",
    "created_at",
    "updated_at",
    "closed_at",
    "html_url",
    "rule_id",
    "rule_name",
    "rule_description",
    "severity",
    "security_severity",
    "tool",
    "path",
    "start_line",
    "classifications",
    "in_app_code",
    "dismissed_reason",
    "fingerprint",
    "secret_type",
    "secret_type_display_name",
    "provider",
    "provider_slug",
    "validity",
    "resolution",
    "publicly_leaked",
    "multi_repo",
    "bypassed",
    "generic",
)
"""The columns of `AlertRows.values`: those of `row_for` after `repository_id`, in its order."""


def value_set(values: Iterable[str]) -> tuple[str, ...]:
    """Tags or assignee logins as stored: lower-cased, each once, sorted."""
    return tuple(sorted({value.lower() for value in values}))


@dataclass
class AlertRows:
    """Alerts in column form, one entry per alert in every list, for bulk writes.

    A large import builds these straight from the validated GitHub payloads, without an `Alert`
    model per alert (validating each record twice cost as much as the writes); `from_alerts`
    builds the same rows from models. Keys are distinct: the later of two records wins.
    """

    keys: list[AlertKey] = field(default_factory=list)
    repositories: list[str] = field(default_factory=list)
    """The full name of each alert's repository, as the record spells it."""
    values: list[tuple[Any, ...]] = field(default_factory=list)
    """`VALUE_COLUMNS` of each alert, as Python values (datetimes, lists)."""
    tags: list[tuple[str, ...]] = field(default_factory=list)
    """Each alert's tags as stored (`value_set`)."""
    assignees: list[tuple[str, ...]] = field(default_factory=list)
    """Each alert's assignee logins as stored (`value_set`)."""
    github_ids: dict[str, int | None] = field(default_factory=dict)
    """GitHub ids of the repositories, where the records give them (full name → id)."""

    def __len__(self) -> int:
        return len(self.keys)

    @classmethod
    def merged(cls, parts: Sequence[AlertRows]) -> AlertRows:
        """Several batches as one, each key once: a later batch's record wins, as writing the
        batches one after another would leave it."""
        if len(parts) == 1:
            return parts[0]
        rows = cls()
        at: dict[AlertKey, int] = {}
        for part in parts:
            rows.github_ids.update(part.github_ids)
            for key, repository, values, tags, people in zip(
                part.keys, part.repositories, part.values, part.tags, part.assignees, strict=True
            ):
                index = at.get(key)
                if index is None:
                    at[key] = len(rows.keys)
                    rows.keys.append(key)
                    rows.repositories.append(repository)
                    rows.values.append(values)
                    rows.tags.append(tags)
                    rows.assignees.append(people)
                else:
                    rows.repositories[index] = repository
                    rows.values[index] = values
                    rows.tags[index] = tags
                    rows.assignees[index] = people
        return rows

    @classmethod
    def from_alerts(
        cls, alerts: Sequence[Alert], github_ids: dict[str, int | None] | None = None
    ) -> AlertRows:
        latest = {
            (alert.repository.lower(), alert.kind.value, alert.number): alert for alert in alerts
        }
        rows = cls(github_ids=dict(github_ids or {}))
        for key, alert in latest.items():
            row = row_for(alert, 0)
            del row["repository_id"]
            rows.keys.append(key)
            rows.repositories.append(alert.repository)
            rows.values.append(tuple(row.values()))
            rows.tags.append(value_set(alert.tags))
            rows.assignees.append(value_set(alert.assignees))
        return rows
