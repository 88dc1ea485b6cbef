"""`campaignbot sync`: pull repositories, custom properties, teams and alerts from GitHub.

Each listed page is committed as it arrives, with the page's ETag in the same transaction
(store.sync_state), so an interrupted sync keeps what it got, and the next run walks the
committed pages with cheap 304s and picks up where it stopped. A full walk of an alert list
commits ten pages per transaction (`PAGES_PER_TRANSACTION`), and what it read when GitHub fails
midway. An alert list is written
on one connection (`store.engine.long_writes`): one alert writer serves all its pages (stage
tables made and statements built once, each repository looked up once), and on SQLite its WAL is
checkpointed far less often than after every few pages. Pages go from GitHub's JSON to rows
without `Alert` models (`bot.github.rows`).

Alerts are listed newest change first (`sort=updated&direction=desc`). An incremental sync stops
at the first page whose alerts are all older than the high-water mark (the newest `updated_at` of
the last complete pass; strictly older, so alerts changed within the mark's second are read
again), or at once when the first page answers 304 after a complete pass: nothing at the top
changed, so nothing changed at all. The mark moves only when a pass completes. `--full` walks
every page (unchanged pages still cost only a 304).

Repositories are always listed whole (GitHub has no "changed since" for them). One that is gone
from a complete listing was deleted or transferred out of the organization: it is marked archived
with `deleted_at`, and its open alerts are closed with the state `removed`, so campaigns count them
closed without calling them fixed. A renamed repository keeps its row (matched by GitHub id). A
repository seen again is restored, and its alerts are then walked in full.

A record GitHub sends malformed is skipped, counted and reported by list, repository and number.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.core.clock import Clock, system_clock
from bot.github.client import GitHubClient
from bot.github.http import Page
from bot.github.payloads import CodeScanningAlert, SecretScanningAlert
from bot.github.rows import alert_rows
from bot.github.sync_pages import closing_pages, mapped, prefetched
from bot.github.sync_report import ListReport, SyncReport
from bot.github.sync_writers import WritersSync
from store import alerts as alert_store
from store import inventory, sync_state
from store.alert_rows import VALUE_COLUMNS, AlertRows
from store.bulk import AlertWriter
from store.engine import long_writes

log = logging.getLogger(__name__)

ChangedCallback = Callable[[list[int]], Awaitable[None]]
AlertList = Literal["code_alerts", "secret_alerts"]
_KINDS = {"code_alerts": "code", "secret_alerts": "secret"}
PAGES_PER_TRANSACTION = 10
"""A full walk stores its pages of alerts ten at a time. A transaction's fixed cost (a dozen
statements, each a few round trips to SQLite's thread, then the commit) was most of a 100-alert
page's: half the sync's time. The pages' ETags commit in the same transaction as their alerts, so
a 304 still never stands for data we lost; an interrupted walk reads at most nine pages again.
An incremental pass stores page by page: it may stop at any page."""


async def sync(
    engine: AsyncEngine,
    client: GitHubClient,
    org: str,
    *,
    full: bool = False,
    clock: Clock = system_clock,
    on_changed: ChangedCallback | None = None,
) -> SyncReport:
    """One sync pass. `on_changed` gets the ids of stored alerts that changed (even when the pass
    fails halfway: what was committed has changed); new alerts are only counted in the report,
    since no campaign can hold an alert before it is stored."""
    return await _Sync(engine, client, org, full=full, clock=clock).run(on_changed)


class _Sync(WritersSync):
    """One pass: the inventory lists first, then both alert lists (see the module docstring)."""

    async def run(self, on_changed: ChangedCallback | None) -> SyncReport:
        stats = self.client.stats
        requests, not_modified = stats.requests, stats.not_modified
        # The sync's ETags must be committed with their pages, so it brings its own store.
        previous, self.client.etags = self.client.etags, self.etags
        try:
            await self.timed("repositories", self.repositories())
            await self.timed(
                "property_values", self.optional("custom property values", self.property_values())
            )
            await self.timed("teams", self.optional("teams", self.teams()))
            await self.timed("code_alerts", self.alerts("code_alerts"))
            await self.timed("secret_alerts", self.alerts("secret_alerts"))
            await self.timed("writers", self.optional("writers", self.writers()))
            self.report.complete = True
        finally:
            self.client.etags = previous
            self.report.requests = stats.requests - requests
            self.report.not_modified = stats.not_modified - not_modified
            self.report.changed_alerts = len(self.changed)
            await self._tell(on_changed)
        log.info(
            "GitHub sync of %s: %d requests, %d answered 304, %d alerts changed",
            self.org,
            self.report.requests,
            self.report.not_modified,
            self.report.changed_alerts,
        )
        return self.report

    async def timed(self, name: str, work: Awaitable[None]) -> None:
        started = time.perf_counter()
        try:
            await work
        finally:
            part: ListReport = getattr(self.report, name)
            part.seconds += time.perf_counter() - started

    async def _tell(self, on_changed: ChangedCallback | None) -> None:
        if on_changed is None or not self.changed:
            return
        try:
            await on_changed(sorted(self.changed))
        except Exception:  # the inventory is committed; a refresh failure must not undo the sync
            log.exception("refreshing campaigns after the sync failed")

    # ---- alerts ----------------------------------------------------------------------------

    async def alerts(self, name: AlertList) -> None:
        report: ListReport = getattr(self.report, name)
        key = f"alerts:{name}"
        async with self.engine.connect() as conn:
            state = await sync_state.get(conn, key) or {}
            self.compare = await inventory.has_alerts(conn, _KINDS[name])
        mark = _parse_time(state.get("mark"))
        walk_all = self.walk_all_alerts or mark is None
        # A 304 on the first page proves nothing changed only if the last pass finished.
        stop_on_304 = not walk_all and bool(state.get("complete"))
        newest = mark
        started = False
        if name == "code_alerts":
            model: type[CodeScanningAlert | SecretScanningAlert] = CodeScanningAlert
            listing = self.client.list_org_code_scanning_alerts
        else:
            model = SecretScanningAlert
            listing = self.client.list_org_secret_scanning_alerts
        pages = listing(self.org, decode=self.decoder(model))

        def prepare(page: Page) -> _AlertPage:
            if page.not_modified:
                return _AlertPage(page, AlertRows(), 0)
            items = self.validate(page, model, name, report)
            return _AlertPage(page, alert_rows(items), len(items))

        listed = mapped(pages, prepare)
        if walk_all:  # read and parse ahead while this page is stored: nothing stops early here
            listed = prefetched(listed)
        async with (
            closing_pages(listed) as prepared,
            long_writes(self.engine) as conn,
            alert_store.writer(conn) as writer,
        ):
            await conn.commit()  # the writer's stage tables, before any page
            per_transaction = PAGES_PER_TRANSACTION if walk_all else 1
            waiting: list[_AlertPage] = []
            try:
                async for ready in prepared:
                    report.pages += 1
                    if ready.page.not_modified:
                        report.not_modified += 1
                        if stop_on_304:
                            report.stopped_early = True
                            break
                        continue
                    if not started:  # an interrupted pass must not end the next one at a 304
                        started = True
                        await self.save_mark(key, mark, complete=False)
                    waiting.append(ready)
                    if len(waiting) < per_transaction:
                        continue
                    batch, waiting = waiting, []
                    stamps = await self.alert_pages(conn, writer, batch, report)
                    if stamps:
                        newest = max(newest, *stamps) if newest is not None else max(stamps)
                    if not walk_all and mark is not None and stamps and max(stamps) < mark:
                        report.stopped_early = True
                        break
            except Exception:
                # GitHub failed midway: what was read is kept, as page-by-page commits keep it.
                if waiting:
                    await self.alert_pages(conn, writer, waiting, report)
                raise
            if waiting:
                stamps = await self.alert_pages(conn, writer, waiting, report)
                if stamps:
                    newest = max(newest, *stamps) if newest is not None else max(stamps)
        await self.save_mark(key, newest, complete=True)

    async def alert_pages(
        self,
        conn: AsyncConnection,
        writer: AlertWriter,
        readies: list[_AlertPage],
        report: ListReport,
    ) -> list[datetime]:
        """Upsert pages of alerts in one transaction, with their ETags, and note which known
        alerts changed (a new alert cannot be in a campaign yet, so only the report counts it);
        returns the alerts' change times."""
        rows = AlertRows.merged([ready.rows for ready in readies])
        async with self.page_transaction(*(ready.page for ready in readies), conn=conn):
            known = self.compare and rows.keys
            before = await inventory.alert_versions(conn, rows.keys) if known else {}
            result = await writer.write(rows)
        for key, values in zip(rows.keys, rows.values, strict=True):
            previous = before.get(key)
            if previous is not None and (
                previous.state != values[_STATE] or previous.updated_at != values[_UPDATED]
            ):
                self.changed.add(previous.id)
        report.items += sum(ready.items for ready in readies)
        report.inserted += result.inserted
        report.updated += result.updated
        return [values[_UPDATED] or values[_CREATED] for values in rows.values]

    async def save_mark(self, key: str, mark: datetime | None, *, complete: bool) -> None:
        value = {"mark": mark.isoformat() if mark else None, "complete": complete}
        async with self.engine.begin() as conn:
            await sync_state.put(conn, key, value, self.clock())


@dataclass(frozen=True)
class _AlertPage:
    """A page of alerts read and laid out as rows, ready to store."""

    page: Page
    rows: AlertRows
    items: int
    """Records read (rows hold one per alert: a record repeated on the page is one row)."""


_STATE, _CREATED, _UPDATED = (VALUE_COLUMNS.index(c) for c in ("state", "created_at", "updated_at"))


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None
