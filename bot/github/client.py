"""The GitHub client of the campaign bot: GitHub's REST routes, one method each.

The calls themselves (waits, retries, pages, ETags) are bot.github.rest's `RestClient`; this
module names the routes the bot uses and builds a client from the settings.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import aiohttp
from pydantic import SecretStr

from bot.core.clock import Clock, system_clock
from bot.github.auth import AppAuth, Auth, TokenAuth
from bot.github.errors import GitHubAuthError, GitHubNotFound
from bot.github.http import Page, as_dict, repo_path, seg
from bot.github.rest import DEFAULT_BASE_URL as DEFAULT_BASE_URL
from bot.github.rest import Decoder, RestClient
from bot.github.rest import ETagStore as ETagStore
from bot.github.rest import MemoryETagStore as MemoryETagStore

if TYPE_CHECKING:
    from bot.core.settings import Settings

WRITE_PERMISSIONS = frozenset({"admin", "maintain", "write"})
STANDARD_ROLES = frozenset({"admin", "maintain", "write", "triage", "read", "none"})


def has_write(permission: str) -> bool:
    """Whether a permission from `collaborator_permission` may be assigned alerts (§4)."""
    return permission in WRITE_PERMISSIONS


class GitHubClient(RestClient):
    """GitHub REST for the bot. Build one per process with the shared aiohttp session."""

    @classmethod
    def from_settings(
        cls,
        session: aiohttp.ClientSession,
        settings: Settings,
        *,
        clock: Clock = system_clock,
        **options: Any,
    ) -> GitHubClient:
        """The client the settings describe: App auth when an App is configured, else the token.
        `options` are the constructor's keywords (etags, sleep, max_concurrency, ...)."""
        auth = auth_from_settings(settings, clock=clock)
        return cls(session, auth, base_url=settings.github_api_url, clock=clock, **options)

    def __repr__(self) -> str:
        return f"GitHubClient(base_url={self.base_url!r}, auth={self._auth!r})"

    # ---- organization lists (paged) ----------------------------------------------------------

    def list_org_code_scanning_alerts(
        self,
        org: str,
        *,
        state: str | None = None,
        sort: str = "updated",
        direction: str = "desc",
        conditional: bool = True,
        decode: Decoder | None = None,
    ) -> AsyncIterator[Page]:
        """Code-scanning alerts of the default branches, newest change first by default."""
        params = {"state": state, "sort": sort, "direction": direction}
        return self.paginate(
            f"/orgs/{seg(org)}/code-scanning/alerts",
            params,
            conditional=conditional,
            decode=decode,
        )

    def list_org_secret_scanning_alerts(
        self,
        org: str,
        *,
        state: str | None = None,
        sort: str = "updated",
        direction: str = "desc",
        conditional: bool = True,
        decode: Decoder | None = None,
    ) -> AsyncIterator[Page]:
        """Secret-scanning alerts; an empty `after` asks GitHub for cursor links (per the docs),
        which stay correct on large organizations where deep `page=` numbers do not."""
        params = {"state": state, "sort": sort, "direction": direction, "after": ""}
        return self.paginate(
            f"/orgs/{seg(org)}/secret-scanning/alerts",
            params,
            conditional=conditional,
            decode=decode,
        )

    def list_org_repositories(self, org: str, *, conditional: bool = True) -> AsyncIterator[Page]:
        return self.paginate(f"/orgs/{seg(org)}/repos", {"type": "all"}, conditional=conditional)

    def list_org_property_values(
        self, org: str, *, conditional: bool = True
    ) -> AsyncIterator[Page]:
        """Custom property values of every repository (for `props.NAME:` filters)."""
        return self.paginate(f"/orgs/{seg(org)}/properties/values", conditional=conditional)

    def list_org_teams(self, org: str, *, conditional: bool = True) -> AsyncIterator[Page]:
        return self.paginate(f"/orgs/{seg(org)}/teams", conditional=conditional)

    def list_team_repositories(
        self, org: str, team_slug: str, *, conditional: bool = True
    ) -> AsyncIterator[Page]:
        return self.paginate(
            f"/orgs/{seg(org)}/teams/{seg(team_slug)}/repos", conditional=conditional
        )

    def list_repository_writers(
        self, full_name: str, *, conditional: bool = True
    ) -> AsyncIterator[Page]:
        """Collaborators with push or more (direct, through teams and as org owners)."""
        return self.paginate(
            f"/repos/{repo_path(full_name)}/collaborators",
            {"permission": "push", "affiliation": "all"},
            conditional=conditional,
        )

    async def public_email(self, login: str) -> str | None:
        """The e-mail a user made public on their profile (None when they did not)."""
        try:
            email = as_dict(await self.get(f"/users/{seg(login)}")).get("email")
        except GitHubNotFound:  # the account is gone
            return None
        return email if isinstance(email, str) and "@" in email else None

    def list_org_campaigns(
        self, org: str, *, state: str | None = None, conditional: bool = True
    ) -> AsyncIterator[Page]:
        return self.paginate(
            f"/orgs/{seg(org)}/campaigns", {"state": state}, conditional=conditional
        )

    # ---- repositories, alerts, people --------------------------------------------------------

    async def get_repository(self, full_name: str) -> dict[str, Any]:
        return as_dict(await self.get(f"/repos/{repo_path(full_name)}"))

    async def update_code_scanning_assignees(
        self, full_name: str, number: int, logins: list[str]
    ) -> dict[str, Any]:
        """Set the alert's assignees (an empty list unassigns everyone); GitHub answers 422 when
        a login lacks write access, raised as `GitHubValidationError`."""
        path = f"/repos/{repo_path(full_name)}/code-scanning/alerts/{int(number)}"
        response = await self.request("PATCH", path, json_body={"assignees": list(logins)})
        return as_dict(response.data)

    async def update_secret_scanning_assignee(
        self, full_name: str, number: int, login: str | None
    ) -> dict[str, Any]:
        """Assign the alert to one login, or unassign it with None."""
        path = f"/repos/{repo_path(full_name)}/secret-scanning/alerts/{int(number)}"
        response = await self.request("PATCH", path, json_body={"assignee": login})
        return as_dict(response.data)

    async def set_code_scanning_state(
        self, full_name: str, number: int, state: str, reason: str | None, comment: str | None
    ) -> dict[str, Any]:
        """Dismiss a code-scanning alert (`reason`: GitHub's `dismissed_reason`) or reopen it."""
        path = f"/repos/{repo_path(full_name)}/code-scanning/alerts/{int(number)}"
        body: dict[str, Any] = {"state": state}
        if state == "dismissed":
            body.update(dismissed_reason=reason, dismissed_comment=(comment or "")[:280])
        response = await self.request("PATCH", path, json_body=body)
        return as_dict(response.data)

    async def set_secret_scanning_state(
        self, full_name: str, number: int, state: str, resolution: str | None, comment: str | None
    ) -> dict[str, Any]:
        """Resolve a secret-scanning alert (`resolution`: `revoked`, `false_positive`, …) or
        reopen it."""
        path = f"/repos/{repo_path(full_name)}/secret-scanning/alerts/{int(number)}"
        body: dict[str, Any] = {"state": state}
        if state == "resolved":
            body.update(resolution=resolution, resolution_comment=(comment or "")[:270])
        response = await self.request("PATCH", path, json_body=body)
        return as_dict(response.data)

    async def collaborator_permission(self, full_name: str, login: str) -> str:
        """The user's role on the repository: admin, maintain, write, triage, read or none.

        GitHub's `permission` field is legacy (maintain reads as write, triage as read); the
        real role is `role_name`. A custom role answers with its base permission instead.
        """
        path = f"/repos/{repo_path(full_name)}/collaborators/{seg(login)}/permission"
        data = as_dict(await self.get(path))
        role = str(data.get("role_name") or "")
        return role if role in STANDARD_ROLES else str(data.get("permission") or "none")

    async def has_write_access(self, full_name: str, login: str) -> bool:
        """Whether the login may be assigned the repository's alerts; unknown users may not."""
        try:
            return has_write(await self.collaborator_permission(full_name, login))
        except GitHubNotFound:
            return False

    async def create_branch(
        self, full_name: str, branch: str, *, from_default: bool = True, sha: str | None = None
    ) -> dict[str, Any]:
        """Create `refs/heads/{branch}` at the default branch's head (or at `sha`)."""
        if sha is None:
            if not from_default:
                raise ValueError("create_branch needs from_default=True or a sha")
            sha = await self._default_branch_sha(full_name)
        body = {"ref": f"refs/heads/{branch}", "sha": sha}
        response = await self.request(
            "POST", f"/repos/{repo_path(full_name)}/git/refs", json_body=body
        )
        return as_dict(response.data)

    async def _default_branch_sha(self, full_name: str) -> str:
        repository = await self.get_repository(full_name)
        default = str(repository["default_branch"])
        path = f"/repos/{repo_path(full_name)}/git/ref/heads/{quote(default, safe='/')}"
        ref = as_dict(await self.get(path))
        return str(ref["object"]["sha"])

    # ---- security campaigns -----------------------------------------------------------------

    async def create_campaign(self, org: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """Publish a campaign; GitHub answers 200 with the campaign summary (not 201)."""
        response = await self.request("POST", f"/orgs/{seg(org)}/campaigns", json_body=dict(body))
        return as_dict(response.data)

    async def get_campaign(self, org: str, number: int) -> dict[str, Any]:
        return as_dict(await self.get(f"/orgs/{seg(org)}/campaigns/{int(number)}"))

    async def update_campaign(
        self, org: str, number: int, body: Mapping[str, Any]
    ) -> dict[str, Any]:
        """Edit, close (`{"state": "closed"}`) or reopen a campaign; alerts cannot change."""
        path = f"/orgs/{seg(org)}/campaigns/{int(number)}"
        return as_dict((await self.request("PATCH", path, json_body=dict(body))).data)

    async def delete_campaign(self, org: str, number: int) -> None:
        await self.request("DELETE", f"/orgs/{seg(org)}/campaigns/{int(number)}")


def auth_from_settings(settings: Settings, *, clock: Clock = system_clock) -> Auth:
    """App auth when an App is configured (it wins: higher limits, no personal token), else the
    personal token. Raises `GitHubAuthError` when neither is set."""
    app_id, installation = settings.github_app_id, settings.github_app_installation_id
    if app_id is not None and installation is not None:
        key: str | SecretStr | None = settings.github_app_private_key
        if key is None and settings.github_app_private_key_path is not None:
            key = Path(settings.github_app_private_key_path).read_text(encoding="utf-8")
        if key is not None:
            return AppAuth(app_id, key, installation, clock=clock)
    if settings.github_token is not None:
        return TokenAuth(settings.github_token)
    raise GitHubAuthError("no GitHub credentials: set GITHUB_TOKEN or the GITHUB_APP_* settings")
