"""The writers side of the sync: who may be assigned each repository's alerts (ARCHITECTURE §4).

Only repositories that hold an open alert are listed (nobody needs the writers of the others), a
few at a time. Each repository's list is replaced whole, in one transaction with its pages' ETags,
so an unchanged list costs one 304 and a half-read list is never stored. The lists read while a
transaction commits go in the next one together, on one connection: listing never waits for the
database, and 2,000 repositories take a handful of commits rather than 2,000.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.github.errors import GitHubNotFound
from bot.github.http import Page
from bot.github.payloads import Payload
from bot.github.sync_inventory import InventorySync
from bot.github.sync_pages import closing_pages
from store import writers as writer_store
from store.engine import long_writes

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


Listed = tuple[int, dict[str, str], list[Page]]
"""A repository's writers as read (id, login → permission), with the pages they came from."""


class WritersSync(InventorySync):
    async def writers(self) -> None:
        async with self.engine.connect() as conn:
            repositories = await writer_store.repositories_with_open_alerts(conn, self.org)
        gate = asyncio.Semaphore(PARALLEL_REPOSITORIES)
        listed: asyncio.Queue[Listed | None] = asyncio.Queue()

        async def one(repository_id: int, full_name: str) -> None:
            async with gate:
                found = await self.repository_writers(repository_id, full_name)
            if found is not None:
                listed.put_nowait(found)

        # A task group: when one repository fails (a 403), the others and the storing are
        # cancelled and awaited before the sync goes on, so nothing of this pass runs on after
        # it returns; lists read but not yet committed are dropped with their ETags.
        try:
            async with long_writes(self.engine) as conn, asyncio.TaskGroup() as group:
                group.create_task(self.store_writers(conn, listed))
                reading = [group.create_task(one(rid, name)) for rid, name in repositories]
                if reading:
                    await asyncio.wait(reading)
                listed.put_nowait(None)
        except BaseExceptionGroup as failed:
            raise failed.exceptions[0] from None

    async def repository_writers(self, repository_id: int, full_name: str) -> Listed | None:
        """A repository's writers as GitHub lists them, or None when what is stored is already
        that (or the repository is gone)."""
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
            return None
        writers = {str(login).lower(): str(perm) for login, perm in rows}
        if not fresh:
            # GitHub's list is what the memo says; a webhook may have changed the stored one
            # since (a member added, then removed while we were down): put GitHub's back.
            async with self.engine.connect() as conn:
                stored = (await writer_store.writers_of(conn, [repository_id])).get(
                    repository_id, set()
                )
            if stored == set(writers):
                return None
        return repository_id, writers, pages

    async def store_writers(
        self, conn: AsyncConnection, listed: asyncio.Queue[Listed | None]
    ) -> None:
        """Replace each repository's writers, with its pages' ETags, until `None` comes. The
        lists read while a transaction commits go in the next one together (a group commit):
        each list still goes in whole, and 2,000 repositories take a handful of commits, not 2,000.
        """
        while True:
            batch = [await listed.get()]
            while not listed.empty():
                batch.append(listed.get_nowait())
            ready = [item for item in batch if item is not None]
            if ready:
                pages = [page for _, _, read in ready for page in read]
                lists = {repository_id: writers for repository_id, writers, _ in ready}
                async with self.page_transaction(*pages, conn=conn):
                    await writer_store.replace_lists(conn, lists)
            if len(ready) < len(batch):
                return
