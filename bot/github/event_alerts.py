"""`code_scanning_alert` and `secret_scanning_alert` deliveries: the alert is upserted.

The payload is read with the same models as the sync (bot.github.payloads). Fields a payload
leaves out (webhook alerts carry less than list items) keep what we had, and a delivery older than
what the store has changes nothing. Code-scanning changes on a branch other than the default one
are ignored: the inventory, like GitHub's org list, is about default branches.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.core.clock import Clock
from bot.core.models import Alert, AlertKind, AlertRef
from bot.github.event_change import Change, Json, Malformed
from bot.github.event_repositories import ensure_repository
from bot.github.payloads import CodeScanningAlert, SecretScanningAlert
from store import alerts as alert_store
from store import inventory

BRANCH_ACTIONS = frozenset({"created", "fixed", "reopened", "appeared_in_branch"})
"""Code-scanning actions that carry the branch (`ref`) they happened on."""

DESCRIPTIVE = (
    "rule_id",
    "rule_name",
    "rule_description",
    "severity",
    "security_severity",
    "tool",
    "tags",
    "path",
    "start_line",
    "classifications",
    "fingerprint",
    "secret_type_display_name",
    "provider",
    "provider_slug",
)
"""Alert fields that describe rather than change: a payload without them keeps what we had."""

ABSENT_KEEPS: dict[AlertKind, dict[str, tuple[str, ...]]] = {
    AlertKind.CODE: {"assignees": ("assignees",)},
    AlertKind.SECRET: {
        "assigned_to": ("assignees",),
        "validity": ("validity",),
        "publicly_leaked": ("publicly_leaked",),
        "multi_repo": ("multi_repo",),
        "push_protection_bypassed": ("bypassed",),
    },
}
"""Raw payload keys whose absence (older payload versions) must not reset an alert field."""


async def alert_event(
    conn: AsyncConnection, kind: AlertKind, action: str, payload: Json, *, clock: Clock
) -> Change:
    doc = payload.get("alert")
    repo_doc = payload["repository"]
    if not isinstance(doc, Mapping):
        raise Malformed(f"{kind.value} alert event without an alert")
    if kind is AlertKind.CODE and action in BRANCH_ACTIONS:
        default = repo_doc.get("default_branch")
        ref = payload.get("ref")
        if ref and default and ref != f"refs/heads/{default}":
            return Change(note=f"{action} on {ref}, not the default branch", ignored=True)
    full_name = await ensure_repository(conn, repo_doc)
    number = doc.get("number")
    if not isinstance(number, int):
        raise Malformed(f"{kind.value} alert event without an alert number")
    found = await alert_store.find(conn, AlertRef(repository=full_name, kind=kind, number=number))
    existing = found[0] if found else None
    raw = {
        **doc,
        "repository": {"id": repo_doc.get("id"), "full_name": full_name},
        "created_at": doc.get("created_at") or (existing.created_at if existing else clock()),
    }
    model = CodeScanningAlert if kind is AlertKind.CODE else SecretScanningAlert
    try:
        alert = model.model_validate(raw).to_alert()
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise Malformed(f"{full_name}#{kind.value}-{number}: {where}: {first['msg']}") from exc
    if _older(alert, existing):
        # Deliveries can arrive out of order: a late `fixed` must not undo a newer `reopened`.
        return Change(note=f"{full_name}#{kind.value}-{number}: older than stored", ignored=True)
    alert = _merge(alert, existing, raw)
    if alert.updated_at is None:
        alert.updated_at = clock()
    await alert_store.upsert_many(conn, [alert], {full_name: repo_doc.get("id")})
    versions = await inventory.alert_versions(conn, [(full_name.lower(), kind.value, number)])
    return Change([version.id for version in versions.values()])


def _merge(new: Alert, old: Alert | None, raw: Json) -> Alert:
    """The payload's alert, keeping what it leaves out from what we had."""
    if old is None:
        return new
    keep: dict[str, Any] = {
        name: getattr(old, name)
        for name in DESCRIPTIVE
        if getattr(new, name) in (None, []) and getattr(old, name) not in (None, [])
    }
    for key, names in ABSENT_KEEPS[new.kind].items():
        if key not in raw:
            keep.update({name: getattr(old, name) for name in names})
    return new.model_copy(update=keep) if keep else new


def _older(incoming: Alert, existing: Alert | None) -> bool:
    """Whether a delivery describes the alert as it was before what the store already has."""
    if existing is None or incoming.updated_at is None or existing.updated_at is None:
        return False
    return incoming.updated_at < existing.updated_at
