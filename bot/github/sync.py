"""`campaignbot sync`: pull repositories, custom properties, teams and alerts from GitHub.

Each listed page is committed in its own transaction as it arrives, with the page's ETag in that
same transaction (store.sync_state), so an interrupted sync keeps what it got, and the next run
walks the committed pages with cheap 304s and picks up where it stopped.

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

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, Field, TypeAdapter, ValidationError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.core.clock import Clock, system_clock
from bot.core.models import Alert
from bot.github.client import GitHubClient, Page
from bot.github.errors import GitHubForbidden, GitHubNotFound
from bot.github.payloads import (
    CodeScanningAlert,
    FullName,
    Payload,
    RepositoryItem,
    RepositoryPropertyValues,
    SecretScanningAlert,
    repository_from_url,
)
from store import alerts as alert_store
from store import inventory, sync_state
from store import repositories as repository_store
from store.sync_state import DatabaseETagStore

log = logging.getLogger(__name__)

ChangedCallback = Callable[[list[int]], Awaitable[None]]
M = TypeVar("M", bound=Payload)
T = TypeVar("T")
AlertList = Literal["code_alerts", "secret_alerts"]
_KINDS = {"code_alerts": "code", "secret_alerts": "secret"}

SKIPPED_LISTED = 100
"""Skipped records named one by one in the report; beyond that they are only counted."""
TEAM_PERMISSIONS = ("admin", "maintain", "push", "triage", "pull")
ROLE_TO_PERMISSION = {"read": "pull", "write": "push"}


class Skipped(BaseModel):
    """A record GitHub sent that could not be read."""

    list: str
    repository: str | None = None
    number: int | None = None
    reason: str


class ListReport(BaseModel):
    pages: int = 0
    not_modified: int = 0
    items: int = 0
    inserted: int = 0
    updated: int = 0
    skipped: int = 0
    stopped_early: bool = False


class SyncReport(BaseModel):
    org: str
    full: bool
    complete: bool = False
    repositories: ListReport = Field(default_factory=ListReport)
    repositories_gone: list[str] = Field(default_factory=list)
    repositories_restored: list[str] = Field(default_factory=list)
    property_values: ListReport = Field(default_factory=ListReport)
    teams: ListReport = Field(default_factory=ListReport)
    code_alerts: ListReport = Field(default_factory=ListReport)
    secret_alerts: ListReport = Field(default_factory=ListReport)
    skipped: list[Skipped] = Field(default_factory=list)
    skipped_total: int = 0
    changed_alerts: int = 0
    requests: int = 0
    not_modified: int = 0
    notes: list[str] = Field(default_factory=list)

    def summary(self) -> str:
        """What `campaignbot sync` prints without `--json`."""
        mode = "full" if self.full else "incremental"
        lines = [
            f"{mode} sync of {self.org}: "
            + ("complete" if self.complete else "INCOMPLETE")
            + f", {self.requests} requests ({self.not_modified} answered 304 Not Modified)",
        ]
        for name in ("repositories", "property_values", "teams", "code_alerts", "secret_alerts"):
            part: ListReport = getattr(self, name)
            early = ", stopped at known alerts" if part.stopped_early else ""
            lines.append(
                f"  {name.replace('_', ' ')}: {part.items} read on {part.pages} pages "
                f"({part.not_modified} unchanged){early}"
            )
        lines.append(f"  alerts changed: {self.changed_alerts}")
        if self.repositories_gone:
            lines.append(f"  gone from GitHub: {', '.join(self.repositories_gone)}")
        if self.repositories_restored:
            lines.append(f"  back on GitHub: {', '.join(self.repositories_restored)}")
        if self.skipped_total:
            lines.append(f"  skipped {self.skipped_total} malformed records:")
            lines += [
                f"    {s.list} {s.repository or '?'}#{s.number if s.number is not None else '?'}:"
                f" {s.reason}"
                for s in self.skipped
            ]
        lines += [f"  note: {note}" for note in self.notes]
        return "\n".join(lines)


class TeamItem(Payload):
    """An item of `GET /orgs/{org}/teams`."""

    slug: str
    name: str


class TeamRepositoryItem(Payload):
    """An item of `GET /orgs/{org}/teams/{slug}/repos`: a repository and the team's role on it
    (the repository's own fields are read from the organization's list)."""

    full_name: FullName
    role_name: str | None = None
    permissions: dict[str, bool] | None = None

    def permission(self) -> str:
        """GitHub's legacy permission name (pull, triage, push, maintain, admin)."""
        if self.role_name in TEAM_PERMISSIONS:
            return self.role_name
        if self.role_name in ROLE_TO_PERMISSION:
            return ROLE_TO_PERMISSION[self.role_name]
        flags = self.permissions or {}
        return next((name for name in TEAM_PERMISSIONS if flags.get(name)), "pull")


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


class _Sync:
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

    async def run(self, on_changed: ChangedCallback | None) -> SyncReport:
        stats = self.client.stats
        requests, not_modified = stats.requests, stats.not_modified
        # The sync's ETags must be committed with their pages, so it brings its own store.
        previous, self.client.etags = self.client.etags, self.etags
        try:
            await self.repositories()
            await self.optional("custom property values", self.property_values())
            await self.optional("teams", self.teams())
            await self.alerts("code_alerts")
            await self.alerts("secret_alerts")
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

    async def _tell(self, on_changed: ChangedCallback | None) -> None:
        if on_changed is None or not self.changed:
            return
        try:
            await on_changed(sorted(self.changed))
        except Exception:  # the inventory is committed; a refresh failure must not undo the sync
            log.exception("refreshing campaigns after the sync failed")

    async def optional(self, what: str, work: Awaitable[None]) -> None:
        """Custom properties and teams need org permissions a token may lack; go on without."""
        try:
            await work
        except (GitHubForbidden, GitHubNotFound) as exc:
            self.etags.discard()  # nothing read for it may be committed with a later page
            self.report.notes.append(f"{what} not synced: {exc}")
            log.warning("GitHub sync: %s not synced: %s", what, exc)

    @asynccontextmanager
    async def page_transaction(self, *pages: Page) -> AsyncIterator[AsyncConnection]:
        """A transaction committing the ETags of `pages` (of every page read, when none are
        named) with their data, so a 304 never stands for data we lost (store.sync_state)."""
        urls = [page.url for page in pages] if pages else None
        try:
            async with self.engine.begin() as conn:
                yield conn
                await self.etags.flush(conn, urls)
        except BaseException:
            self.etags.discard(urls)
            raise
        self.etags.committed()

    # ---- reading pages ---------------------------------------------------------------------

    def validate(self, page: Page, model: type[M], name: str, report: ListReport) -> list[M]:
        """The page's records as `model`; malformed ones are skipped and reported, one by one."""
        adapter = self._adapters.get(model)
        if adapter is None:
            adapter = self._adapters[model] = TypeAdapter(list[model])  # type: ignore[valid-type]
        try:
            return list(adapter.validate_python(page))
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

    # ---- repositories ----------------------------------------------------------------------

    async def repositories(self) -> None:
        report = self.report.repositories
        present_ids: set[int] = set()
        present_names: set[str] = set()
        unidentified = 0
        async with closing_pages(self.client.list_org_repositories(self.org)) as pages:
            async for page in pages:
                report.pages += 1
                if page.not_modified:
                    report.not_modified += 1
                    memo = await self.etags.memo(page.url) or []
                else:
                    memo, missing = await self.repository_page(page, report)
                    unidentified += missing
                for github_id, full_name in memo:
                    if github_id is not None:
                        present_ids.add(int(github_id))
                    if full_name:
                        present_names.add(str(full_name).lower())
        if unidentified:
            self.report.notes.append(
                f"{unidentified} malformed repositories could not be identified; "
                "no repository was marked gone this time"
            )
            return
        await self.mark_gone(present_ids, present_names)

    async def repository_page(self, page: Page, report: ListReport) -> tuple[list[Any], int]:
        """Upsert a page of repositories; returns its memo (GitHub id, full name) and how many
        malformed records had no identity at all."""
        items = self.validate(page, RepositoryItem, "repositories", report)
        repos = [item.to_repository() for item in items]
        memo: list[Any] = [[repo.github_id, repo.full_name] for repo in repos]
        missing = 0
        if len(items) < len(page):  # malformed ones still exist on GitHub: never mark them gone
            valid = {repo.full_name.lower() for repo in repos}
            for raw in page:
                github_id, full_name = _repository_identity(raw)
                if full_name is not None and full_name.lower() in valid:
                    continue
                if github_id is None and full_name is None:
                    missing += 1
                memo.append([github_id, full_name])
        self.etags.remember(page.url, memo)
        async with self.page_transaction(page) as conn:
            ids = await repository_store.upsert_many(conn, repos)
            restored = await inventory.restore(conn, ids.values())
        report.items += len(repos)
        if restored:
            self.report.repositories_restored += restored
            self.walk_all_alerts = True  # their alerts may have changed while they were gone
        return memo, missing

    async def mark_gone(self, present_ids: set[int], present_names: set[str]) -> None:
        async with self.engine.begin() as conn:
            known = await inventory.org_repositories(conn, self.org)
            if known and not present_ids and not present_names:
                self.report.notes.append(
                    "GitHub listed no repositories: none marked gone (check the token's access)"
                )
                return
            gone = [
                repo
                for repo in known
                if (repo.github_id is None or repo.github_id not in present_ids)
                and repo.full_name.lower() not in present_names
            ]
            closed = await inventory.mark_gone(conn, [repo.id for repo in gone], self.clock())
        self.report.repositories_gone = sorted(repo.full_name for repo in gone)
        self.changed.update(closed)
        if gone:
            log.info(
                "GitHub sync: %d repositories gone from %s; %d open alerts closed",
                len(gone),
                self.org,
                len(closed),
            )

    # ---- custom properties and teams -------------------------------------------------------

    async def property_values(self) -> None:
        report = self.report.property_values
        async with closing_pages(self.client.list_org_property_values(self.org)) as pages:
            async for page in pages:
                report.pages += 1
                if page.not_modified:
                    report.not_modified += 1
                    continue
                items = self.validate(page, RepositoryPropertyValues, "property_values", report)
                values = {item.repository_full_name: item.values() for item in items}
                async with self.page_transaction(page) as conn:
                    await repository_store.set_properties(conn, values)
                report.items += len(items)

    async def teams(self) -> None:
        """Teams and their repositories, applied in one transaction once all are read: a team's
        repository list only means something whole."""
        report = self.report.teams
        teams: list[Any] = []
        async with closing_pages(self.client.list_org_teams(self.org)) as pages:
            async for page in pages:
                teams += await self.whole_list_page(
                    page, TeamItem, "teams", report, lambda t: [t.slug, t.name]
                )
        changed: list[tuple[str, str, dict[str, str]]] = []
        gone: set[str] = set()
        for slug, name in teams:
            repos: dict[str, str] = {}
            fresh = False
            team_pages = self.client.list_team_repositories(self.org, slug)
            try:
                async with closing_pages(team_pages) as pages:
                    async for page in pages:
                        fresh = fresh or not page.not_modified
                        rows = await self.whole_list_page(
                            page,
                            TeamRepositoryItem,
                            "team_repositories",
                            report,
                            lambda r: [r.full_name, r.permission()],
                        )
                        repos.update({full_name: perm for full_name, perm in rows})
            except GitHubNotFound:  # deleted since the team list was read
                gone.add(slug)
                continue
            if fresh:
                changed.append((slug, name, repos))
        async with self.page_transaction() as conn:
            for slug, name, repos in changed:
                await repository_store.set_team_repositories(conn, slug, name, repos)
            await inventory.delete_teams_except(conn, [s for s, _ in teams if s not in gone])

    async def whole_list_page(
        self,
        page: Page,
        model: type[M],
        name: str,
        report: ListReport,
        row: Callable[[M], list[Any]],
    ) -> list[Any]:
        """A page's rows (from the memo when it answered 304); the memo is committed later."""
        report.pages += 1
        if page.not_modified:
            report.not_modified += 1
            return list(await self.etags.memo(page.url) or [])
        rows = [row(item) for item in self.validate(page, model, name, report)]
        self.etags.remember(page.url, rows)
        report.items += len(rows)
        return rows

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
            pages = self.client.list_org_code_scanning_alerts(self.org)
        else:
            model = SecretScanningAlert
            pages = self.client.list_org_secret_scanning_alerts(self.org)

        def prepare(page: Page) -> _AlertPage:
            if page.not_modified:
                return _AlertPage(page, [], {})
            items = self.validate(page, model, name, report)
            return _AlertPage(
                page,
                [item.to_alert() for item in items],
                {item.repository_full_name or "": item.repository_github_id for item in items},
            )

        listed = _mapped(pages, prepare)
        if walk_all:  # read and parse ahead while this page is stored: nothing stops early here
            listed = prefetched(listed)
        async with closing_pages(listed) as prepared:
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
                stamps = await self.alert_page(ready, report)
                if stamps:
                    newest = max(newest, *stamps) if newest is not None else max(stamps)
                if not walk_all and mark is not None and stamps and max(stamps) < mark:
                    report.stopped_early = True
                    break
        await self.save_mark(key, newest, complete=True)

    async def alert_page(self, ready: _AlertPage, report: ListReport) -> list[datetime]:
        """Upsert one page of alerts and note which known alerts changed (a new alert cannot be
        in a campaign yet, so only the report counts it); returns the alerts' change times."""
        alerts = ready.alerts
        keys = [_key(alert) for alert in alerts]
        async with self.page_transaction(ready.page) as conn:
            known = self.compare and alerts
            before = await inventory.alert_versions(conn, keys) if known else {}
            result = await alert_store.upsert_many(conn, alerts, ready.github_ids)
        for alert, k in zip(alerts, keys, strict=True):
            previous = before.get(k)
            if previous is not None and (
                previous.state != alert.state or previous.updated_at != alert.updated_at
            ):
                self.changed.add(previous.id)
        report.items += len(alerts)
        report.inserted += result.inserted
        report.updated += result.updated
        return [alert.updated_at or alert.created_at for alert in alerts]

    async def save_mark(self, key: str, mark: datetime | None, *, complete: bool) -> None:
        value = {"mark": mark.isoformat() if mark else None, "complete": complete}
        async with self.engine.begin() as conn:
            await sync_state.put(conn, key, value, self.clock())


@dataclass(frozen=True)
class _AlertPage:
    """A page of alerts read and converted, ready to store."""

    page: Page
    alerts: list[Alert]
    github_ids: dict[str, int | None]


async def _mapped(pages: AsyncIterator[Page], prepare: Callable[[Page], T]) -> AsyncIterator[T]:
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


def _key(alert: Alert) -> inventory.AlertKey:
    return (alert.repository.lower(), alert.kind.value, alert.number)


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


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


def _repository_identity(item: Any) -> tuple[int | None, str | None]:
    if not isinstance(item, dict):
        return None, None
    github_id = item.get("id")
    name = item.get("full_name")
    return (
        github_id if isinstance(github_id, int) and not isinstance(github_id, bool) else None,
        name if isinstance(name, str) and name else None,
    )
