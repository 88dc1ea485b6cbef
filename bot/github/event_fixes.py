"""`pull_request` and `create` (a branch) deliveries: work on a fix links it to its alerts.

A branch or pull request that references an alert of its own repository (bot.github.references)
links a fix, which makes the alert in progress. A pull request closed without being merged is
unlinked again.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.core.clock import Clock
from bot.github.event_change import Change, Json, Malformed, text
from bot.github.event_repositories import ensure_repository
from bot.github.references import Reference, branch_references, text_references
from store import fix_links, inventory


async def pull_request_event(
    conn: AsyncConnection, action: str, payload: Json, *, clock: Clock
) -> Change:
    pull = payload.get("pull_request")
    if not isinstance(pull, Mapping) or not isinstance(pull.get("number"), int):
        raise Malformed("pull_request event without a pull request")
    full_name = await ensure_repository(conn, payload["repository"])
    head = pull.get("head")
    head = head if isinstance(head, Mapping) else {}
    references = sorted(
        {
            *text_references(text(pull.get("title")), full_name),
            *text_references(text(pull.get("body")), full_name),
            *branch_references(text(head.get("ref"))),
        }
    )
    ids = await _alert_ids(conn, full_name, references)
    if not ids:
        note = f"pull request #{pull['number']} references no known alert"
        return Change(note=note, ignored=True)
    ref = f"pull/{pull['number']}"
    if action == "closed" and not pull.get("merged"):
        await fix_links.remove(conn, ids, "pull_request", ref)
    else:
        url = text(pull.get("html_url")) or None
        for alert_id in ids:
            await fix_links.add(conn, alert_id, "pull_request", ref, url, clock())
    return Change(ids)


async def create_event(conn: AsyncConnection, payload: Json, *, clock: Clock) -> Change:
    if payload.get("ref_type") != "branch":
        return Change(note=f"created a {payload.get('ref_type')}, not a branch", ignored=True)
    branch = text(payload.get("ref"))
    full_name = await ensure_repository(conn, payload["repository"])
    ids = await _alert_ids(conn, full_name, branch_references(branch))
    if not ids:
        return Change(note=f"branch {branch} references no known alert", ignored=True)
    base = text(payload["repository"].get("html_url"))
    url = f"{base}/tree/{branch}" if base else None
    for alert_id in ids:
        await fix_links.add(conn, alert_id, "branch", branch, url, clock())
    return Change(ids)


async def _alert_ids(
    conn: AsyncConnection, full_name: str, references: list[Reference]
) -> list[int]:
    keys = [(full_name.lower(), ref.kind.value, ref.number) for ref in references]
    versions = await inventory.alert_versions(conn, keys)
    return sorted(version.id for version in versions.values())
