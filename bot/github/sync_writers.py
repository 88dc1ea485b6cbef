"""The writers side of the sync: who may be assigned each repository's alerts (ARCHITECTURE §4).

Only repositories that hold an open alert are listed (nobody needs the writers of the others), a
few at a time. Each repository's list is replaced whole, in one transaction with its pages' ETags,
so an unchanged list costs one 304 and a half-read list is never stored.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from bot.github.errors import GitHubNotFound
from bot.github.payloads import Payload
from bot.github.sync_inventory import InventorySync
from bot.github.sync_pages import closing_pages
from store import writers as writer_store

log = logging.getLogger(__name__)

PARALLEL_REPOSITORIES = 4
"""Repositories whose collaborators are listed at once (the client paces requests itself)."""
PERMISSION_ORDER = ("admin", "maintain", "push")


class CollaboratorItem(Payload):
    """An item of `GET /repos/{owner}/{repo}/collaborators?permission=push`."""

    login: str
    role_name: str | None = None
    permissions: dict[str, bool] | None = None

    def permission(self) -> str:
        flags = self.permissions or {}
        return next((name for name in PERMISSION_ORDER if flags.get(name)), "push")


class WritersSync(InventorySync):
    async def writers(self) -> None:
        async with self.engine.connect() as conn:
            repositories = await writer_store.repositories_with_open_alerts(conn, self.org)
        gate = asyncio.Semaphore(PARALLEL_REPOSITORIES)
        self._writes = asyncio.Lock()  # one ETag transaction at a time (sync_state's buffers)

        async def one(repository_id: int, full_name: str) -> None:
            async with gate:
                await self.repository_writers(repository_id, full_name)

        # A task group: when one repository fails (a 403), the others are cancelled and awaited
        # before the sync goes on, so nothing of this pass runs on after it returns.
        try:
            async with asyncio.TaskGroup() as group:
                for rid, name in repositories:
                    group.create_task(one(rid, name))
        except BaseExceptionGroup as failed:
            raise failed.exceptions[0] from None

    async def repository_writers(self, repository_id: int, full_name: str) -> None:
        report = self.report.writers
        rows: list[Any] = []
        pages = []
        fresh = False
        try:
            async with closing_pages(self.client.list_repository_writers(full_name)) as found:
                async for page in found:
                    pages.append(page)
                    fresh = fresh or not page.not_modified
                    rows += await self.whole_list_page(
                        page,
                        CollaboratorItem,
                        "writers",
                        report,
                        lambda item: [item.login, item.permission()],
                    )
        except GitHubNotFound:  # deleted since it was listed: the next repository sync says so
            return
        writers = {str(login).lower(): str(perm) for login, perm in rows}
        if not fresh:
            # GitHub's list is what the memo says; a webhook may have changed the stored one
            # since (a member added, then removed while we were down): put GitHub's back.
            async with self.engine.connect() as conn:
                stored = (await writer_store.writers_of(conn, [repository_id])).get(
                    repository_id, set()
                )
            if stored == set(writers):
                return
        async with self._writes, self.page_transaction(*pages) as conn:
            await writer_store.replace(conn, repository_id, writers)
