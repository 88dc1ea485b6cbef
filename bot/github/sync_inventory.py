"""The inventory side of the sync: repositories (and which are gone), custom properties, teams."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from bot.github.errors import GitHubNotFound
from bot.github.http import Page
from bot.github.payloads import FullName, Payload, RepositoryItem, RepositoryPropertyValues
from bot.github.sync_pages import M, PageSync, closing_pages
from bot.github.sync_report import ListReport
from store import inventory
from store import repositories as repository_store

log = logging.getLogger(__name__)

TEAM_PERMISSIONS = ("admin", "maintain", "push", "triage", "pull")
ROLE_TO_PERMISSION = {"read": "pull", "write": "push"}


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


class InventorySync(PageSync):
    """Lists repositories, their custom property values and teams into the inventory."""

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


def _repository_identity(item: Any) -> tuple[int | None, str | None]:
    if not isinstance(item, dict):
        return None, None
    github_id = item.get("id")
    name = item.get("full_name")
    return (
        github_id if isinstance(github_id, int) and not isinstance(github_id, bool) else None,
        name if isinstance(name, str) and name else None,
    )
