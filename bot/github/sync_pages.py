"""What every list of the sync shares: reading and validating pages, committing them with their
ETags, and the plumbing that iterates, prefetches and closes page generators.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from pydantic import TypeAdapter, ValidationError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.core.clock import Clock
from bot.github.client import GitHubClient
from bot.github.errors import GitHubForbidden, GitHubNotFound
from bot.github.http import Page
from bot.github.payloads import Payload, repository_from_url
from bot.github.sync_report import ListReport, Skipped, SyncReport
from store.engine import begin_writes, writing_transaction
from store.sync_state import DatabaseETagStore

log = logging.getLogger(__name__)

M = TypeVar("M", bound=Payload)
T = TypeVar("T")

SKIPPED_LISTED = 100
"""Skipped records named one by one in the report; beyond that they are only counted."""


class PageSync:
    """The state of one sync pass, and how it reads and commits a page."""

    def __init__(
        self, engine: AsyncEngine, client: GitHubClient, org: str, *, full: bool, clock: Clock
    ) -> None:
        self.engine = engine
        self.client = client
        self.org = org
        self.full = full
        self.clock = clock
        self.etags = DatabaseETagStore(engine, clock=clock)
        self.report = SyncReport(org=org, full=full)
        self.changed: set[int] = set()
        self.walk_all_alerts = full
        self.compare = True
        """False while the inventory held no alert of the kind being listed: nothing to compare."""
        self._adapters: dict[type[Any], TypeAdapter[Any]] = {}

    async def optional(self, what: str, work: Awaitable[None]) -> None:
        """Custom properties and teams need org permissions a token may lack; go on without."""
        try:
            await work
        except (GitHubForbidden, GitHubNotFound) as exc:
            self.etags.discard()  # nothing read for it may be committed with a later page
            self.report.notes.append(f"{what} not synced: {exc}")
            log.warning("GitHub sync: %s not synced: %s", what, exc)

    @asynccontextmanager
    async def page_transaction(
        self, *pages: Page, conn: AsyncConnection | None = None
    ) -> AsyncIterator[AsyncConnection]:
        """A transaction committing the ETags of `pages` (of every page read, when none are
        named) with their data, so a 304 never stands for data we lost (store.sync_state).
        On `conn` when given (a connection held for a whole list), else on a pooled one."""
        urls = [page.url for page in pages] if pages else None
        try:
            if conn is None:
                async with writing_transaction(self.engine) as conn:
                    yield conn
                    await self.etags.flush(conn, urls)
            else:
                await begin_writes(conn)
                try:
                    yield conn
                    await self.etags.flush(conn, urls)
                    await conn.commit()
                except BaseException:
                    await conn.rollback()
                    raise
        except BaseException:
            self.etags.discard(urls)
            raise
        self.etags.committed()

    # ---- reading pages ---------------------------------------------------------------------

    def _adapter(self, model: type[M]) -> TypeAdapter[list[M]]:
        adapter = self._adapters.get(model)
        if adapter is None:
            adapter = self._adapters[model] = TypeAdapter(list[model])  # type: ignore[valid-type]
        return adapter

    def decoder(self, model: type[M]) -> Callable[[bytes], Any]:
        """Reads a page's body straight into `model`s, for the client's `decode`: one pass of
        pydantic's JSON parser costs about half of `json.loads` and then validating the dicts.
        A page holding a malformed record comes back as plain JSON instead, for `validate` to
        skip that record and keep the others; malformed JSON raises, and the client asks again.
        """
        adapter = self._adapter(model)

        def decode(raw: bytes) -> Any:
            try:
                return adapter.validate_json(raw)
            except ValidationError as exc:
                if any(error["type"] == "json_invalid" for error in exc.errors()):
                    raise
            return json.loads(raw)

        return decode

    def validate(self, page: Page, model: type[M], name: str, report: ListReport) -> list[M]:
        """The page's records as `model`; malformed ones are skipped and reported, one by one.
        A page the `decoder` read holds models already."""
        if all(isinstance(item, model) for item in page):
            return list(page)  # type: ignore[arg-type]
        try:
            return list(self._adapter(model).validate_python(page))
        except ValidationError:
            pass
        good: list[M] = []
        for item in page:
            try:
                good.append(model.model_validate(item))
            except ValidationError as exc:
                self.skip(name, item, exc, report)
        return good

    def skip(self, name: str, item: Any, exc: ValidationError, report: ListReport) -> None:
        report.skipped += 1
        self.report.skipped_total += 1
        repository, number = _identify(item)
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "record"
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        reason = f"{where}: {first['msg']}{more}"
        log.warning(
            "GitHub sync: skipped a malformed %s record %s#%s: %s", name, repository, number, reason
        )
        if len(self.report.skipped) < SKIPPED_LISTED:
            self.report.skipped.append(
                Skipped(list=name, repository=repository, number=number, reason=reason)
            )


async def mapped(pages: AsyncIterator[Page], prepare: Callable[[Page], T]) -> AsyncIterator[T]:
    """Each page through `prepare`; closing the result closes `pages` (an early stop)."""
    try:
        async for page in pages:
            yield prepare(page)
    finally:
        close = getattr(pages, "aclose", None)
        if close is not None:
            await close()


async def prefetched(items: AsyncIterator[T], depth: int = 2) -> AsyncIterator[T]:
    """`items`, produced up to `depth` ahead by a task of their own, so that waiting for GitHub
    (and parsing) overlaps with storing the page before. Errors come out where the item would
    have."""
    queue: asyncio.Queue[T | BaseException | None] = asyncio.Queue(depth)

    async def pump() -> None:
        try:
            async for item in items:
                await queue.put(item)
        except Exception as exc:  # handed to the consumer, raised there
            await queue.put(exc)
            return
        await queue.put(None)

    task = asyncio.create_task(pump(), name="github-prefetch")
    try:
        while (item := await queue.get()) is not None:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        close = getattr(items, "aclose", None)
        if close is not None:
            await close()


@asynccontextmanager
async def closing_pages(pages: AsyncIterator[T]) -> AsyncIterator[AsyncIterator[T]]:
    """Close the page generator even when the loop breaks early (a stop at known alerts)."""
    try:
        yield pages
    finally:
        close = getattr(pages, "aclose", None)
        if close is not None:
            await close()


def _identify(item: Any) -> tuple[str | None, int | None]:
    """Repository and number of a raw record, as far as they can be read, for the report."""
    if not isinstance(item, dict):
        return None, None
    number = item.get("number")
    number = number if isinstance(number, int) and not isinstance(number, bool) else None
    repository = item.get("repository")
    name: Any = repository.get("full_name") if isinstance(repository, dict) else None
    if not isinstance(name, str):
        name = item.get("repository_full_name") or item.get("full_name")
    if not isinstance(name, str):
        url = item.get("url") or item.get("html_url")
        name = repository_from_url(url) if isinstance(url, str) else None
    return name, number
