"""The repository a webhook delivery names: created or refreshed from the payload, or marked gone.

Every handler first makes sure its repository exists (`ensure_repository`); `repository` events
go through `repository_event`. Split from bot.github.events so the dispatcher stays short.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.core.clock import Clock
from bot.github.event_change import Change, Json
from bot.github.payloads import RepositoryItem
from store import inventory
from store import repositories as repository_store


async def ensure_repository(conn: AsyncConnection, doc: Json, *, refresh: bool = False) -> str:
    """Make sure the payload's repository exists (created from the payload when new, or
    refreshed from it when `refresh`); returns its full name."""
    full_name = str(doc["full_name"])
    github_id = doc.get("id") if isinstance(doc.get("id"), int) else None
    known = await inventory.repository_ids(conn, github_id=github_id, full_name=full_name)
    if refresh or not known:
        try:
            repo = RepositoryItem.model_validate(doc).to_repository()
        except ValidationError:
            repo = None
        if repo is not None:
            if "topics" not in doc and known:  # not every payload lists topics
                current = await repository_store.get(conn, full_name)
                repo.topics = current.topics if current is not None else []
            ids = await repository_store.upsert_many(conn, [repo])
            await inventory.restore(conn, ids.values())
            return full_name
    ids = await repository_store.ensure(conn, {full_name: github_id})
    await inventory.restore(conn, ids.values())
    return full_name


async def repository_event(
    conn: AsyncConnection, action: str, payload: Json, *, org: str | None, clock: Clock
) -> Change:
    """Renamed, archived, edited, ...: refresh the repository; deleted, or transferred to
    another owner than `org`: mark it gone as the sync does (store.inventory.mark_gone)."""
    doc = payload["repository"]
    owner = str(doc["full_name"]).split("/", 1)[0].lower()
    leaving = action == "transferred" and org is not None and owner != org
    if action == "deleted" or leaving:
        github_id = doc.get("id") if isinstance(doc.get("id"), int) else None
        full_name = str(doc["full_name"])
        if leaving:  # the payload names the new owner; we know it under the old one
            full_name = _previous_full_name(payload) or full_name
        ids = await inventory.repository_ids(conn, github_id=github_id, full_name=full_name)
        closed = await inventory.mark_gone(conn, ids, clock())
        if not ids:
            return Change(note=f"{full_name} was not known", ignored=True)
        return Change(closed, f"repository {full_name} gone")
    await ensure_repository(conn, doc, refresh=True)
    return Change(note=f"repository {doc['full_name']} {action}")


def _previous_full_name(payload: Json) -> str | None:
    """`changes.owner.from` of a transfer: the owner the repository had before."""
    found: Any = payload.get("changes")
    for key in ("owner", "from"):
        found = found.get(key) if isinstance(found, Mapping) else None
    if not isinstance(found, Mapping):
        return None
    previous = found.get("organization") or found.get("user")
    name = payload["repository"].get("name")
    if isinstance(previous, Mapping) and previous.get("login") and name:
        return f"{previous['login']}/{name}"
    return None
