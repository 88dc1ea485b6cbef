"""GitHub's say on assignments (the service's `AssigneeGate`) and "Start fix" branches.

When GitHub is connected an assignee must be someone GitHub would accept (ARCHITECTURE §4): their
Slack user is linked to a GitHub login (store.identities), that login has write access to the
alert's repository (the collaborator permission), and GitHub takes the write-back (code scanning
`assignees`, secret scanning `assignee`). Any refusal is a `CampaignError` raised before the
service commits, so the local assignment is rolled back and the user reads why.

A code-scanning alert gets exactly the campaign's assignee on GitHub (`assignees: [login]`), and
unassigning clears the list: the campaign is the source of truth for who works on it.
"""

from __future__ import annotations

import logging
from urllib.parse import quote

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.core.errors import CampaignError, UpstreamError
from bot.core.models import Alert, AlertKind
from bot.github.client import GitHubClient
from bot.github.errors import GitHubError, GitHubNotFound, GitHubValidationError
from bot.github.references import fix_branch_name
from store import identities, writers

log = logging.getLogger(__name__)


class GitHubGate:
    """Checks an assignee with GitHub and writes the assignment back."""

    def __init__(self, engine: AsyncEngine, client: GitHubClient) -> None:
        self.engine = engine
        self.client = client

    async def login_for(self, slack_user: str) -> str:
        """The GitHub login linked to a Slack user, or a message saying how to link one."""
        async with self.engine.connect() as conn:
            identity = await identities.get(conn, slack_user)
        if identity is None or not identity.github_login:
            raise CampaignError(
                f"<@{slack_user}> has no GitHub login linked, so GitHub cannot assign them. "
                f"A campaign manager can link it: /campaign link <@{slack_user}> GITHUB_LOGIN"
            )
        return identity.github_login

    async def vet(self, alert: Alert, assignee: str) -> str | None:
        login = await self.login_for(assignee)
        if not await self._writer(alert, login):
            raise CampaignError(
                f"<@{assignee}> (GitHub {login}) has no write access to {alert.repository}; "
                f"GitHub only assigns alerts to people who can push there. Ask a "
                f"repository admin for write access, or assign someone else."
            )
        return login

    async def write_back(self, alert: Alert, login: str | None) -> None:
        try:
            if alert.kind is AlertKind.CODE:
                await self.client.update_code_scanning_assignees(
                    alert.repository, alert.number, [login] if login else []
                )
            else:
                await self.client.update_secret_scanning_assignee(
                    alert.repository, alert.number, login
                )
        except GitHubValidationError as exc:
            reason = "; ".join(exc.details) or exc.message
            raise CampaignError(f"GitHub refused to assign {alert.reference}: {reason}") from exc
        except GitHubError as exc:
            log.warning("assignment write-back for %s failed: %s", alert.reference, exc)
            raise UpstreamError(
                f"GitHub did not take the assignment of {alert.reference} ({exc.message}); "
                "nothing was changed, try again later."
            ) from exc

    async def _writer(self, alert: Alert, login: str) -> bool:
        """Whether the login may be assigned: the stored writers (kept by the sync and the
        webhooks) answer a yes without a call; a no, or a repository never synced, is asked of
        GitHub. The write-back's 422 stays the last word. (Nothing is stored here: this runs
        inside the assignment's write transaction; the next sync or webhook stores writers.)"""
        async with self.engine.connect() as conn:
            if await writers.is_writer(conn, alert.repository, login):
                return True
        return await self._has_write(alert, login)

    async def login_exists(self, login: str) -> bool:
        try:
            await self.client.get(f"/users/{quote(login, safe='')}")
        except GitHubNotFound:
            return False
        except GitHubError as exc:
            raise UpstreamError(
                f"Could not ask GitHub about {login} ({exc.message}); try again later."
            ) from exc
        return True

    async def create_fix_branch(self, alert: Alert) -> tuple[str, str] | None:
        name = fix_branch_name(alert.kind, alert.number)
        try:
            await self.client.create_branch(alert.repository, name)
        except GitHubValidationError as exc:
            if "already exists" not in str(exc).lower():
                raise CampaignError(f"GitHub refused the branch {name}: {exc.message}") from exc
        except GitHubError as exc:
            raise UpstreamError(
                f"GitHub could not create the branch {name} ({exc.message}); try again later."
            ) from exc
        return name, _branch_url(alert, name)

    async def _has_write(self, alert: Alert, login: str) -> bool:
        try:
            return await self.client.has_write_access(alert.repository, login)
        except GitHubError as exc:
            raise UpstreamError(
                f"Could not ask GitHub whether {login} may be assigned ({exc.message}); "
                "nothing was changed, try again later."
            ) from exc


def _branch_url(alert: Alert, name: str) -> str:
    if alert.html_url and "/security/" in alert.html_url:
        return alert.html_url.split("/security/", 1)[0] + f"/tree/{name}"
    return f"https://github.com/{alert.repository}/tree/{name}"
