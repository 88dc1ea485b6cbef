"""Who may write where, kept fresh between syncs by webhooks (ARCHITECTURE §4, issue 9).

- `member` (a collaborator added, edited, removed on one repository): with GitHub connected the
  repository's writers are listed again (a team or an owner role may still grant access after a
  direct collaborator is removed); without it the payload's permission is applied as it says.
- `team_add` (a team given access to a repository): that repository's writers are listed again.
- `membership` (someone joined or left a team): the writers of every repository the team can
  reach are listed again.

Listing again is GitHub's own answer (`collaborators?permission=push&affiliation=all`); it
replaces the stored list in one transaction, so a half-read list is never kept.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.github.client import GitHubClient
from bot.github.errors import GitHubError, GitHubNotFound
from bot.github.sync_pages import closing_pages
from bot.github.sync_writers import CollaboratorItem
from store import repositories as repository_store
from store import writers as writer_store

log = logging.getLogger(__name__)

WRITE_ROLES = frozenset({"write", "maintain", "admin", "push"})


class WritersRefresher:
    """Lists a repository's writers again and stores them whole."""

    def __init__(self, engine: AsyncEngine, client: GitHubClient) -> None:
        self.engine = engine
        self.client = client

    async def refresh(self, repositories: Sequence[str]) -> list[str]:
        """Refresh each repository we know; returns those refreshed."""
        done = []
        for full_name in repositories:
            async with self.engine.connect() as conn:
                ids = await repository_store.ids_by_name(conn, [full_name])
            repository_id = ids.get(full_name.lower())
            if repository_id is None:
                continue
            writers: dict[str, str] = {}
            try:
                listed = self.client.list_repository_writers(full_name, conditional=False)
                async with closing_pages(listed) as pages:
                    async for page in pages:
                        for raw in page:
                            try:
                                item = CollaboratorItem.model_validate(raw)
                            except ValueError:
                                continue
                            writers[item.login] = item.permission()
            except GitHubNotFound:
                continue
            except GitHubError as exc:  # the next sync reconciles
                log.warning("writers of %s not refreshed: %s", full_name, exc)
                continue
            async with self.engine.begin() as conn:
                await writer_store.replace(conn, repository_id, writers)
            done.append(full_name)
        return done


def member_permission(payload: Mapping[str, Any]) -> str | None:
    """The permission a `member` event gives (None: not a writer any more). Raises
    `LookupError` for an `edited` event that does not say the new permission."""
    if payload.get("action") == "removed":
        return None
    changes = payload.get("changes")
    permission: Any = None
    if isinstance(changes, Mapping):
        found = changes.get("permission") or changes.get("role_name")
        permission = found.get("to") if isinstance(found, Mapping) else None
    if permission is None:
        if payload.get("action") == "edited":
            raise LookupError("the new permission is not in the payload")
        permission = "write"  # `added` without changes: GitHub's default collaborator role
    return "push" if str(permission) in WRITE_ROLES else None
