"""What the campaign domain needs from outside, as protocols; the runtime plugs in the real ones."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from bot.core.models import Alert, Campaign

CLI_ACTOR = "cli"
"""The command line runs with the database owner's authority: it acts as a security manager."""


class Directory(Protocol):
    """Who is a security manager: CAMPAIGN_ADMINS, or members of the admin Slack user group."""

    async def is_security_manager(self, user_id: str) -> bool: ...


class AssigneeGate(Protocol):
    """GitHub's say on assignments: write access, and the write-back of the assignee."""

    async def vet(self, alert: Alert, assignee: str) -> str | None:
        """The assignee's GitHub login, once GitHub would accept them (linked, write access);
        a `CampaignError` saying why not otherwise. Called before the write lock is taken: it
        may ask GitHub, and it reads on its own connection."""
        ...

    async def write_back(self, alert: Alert, login: str | None) -> None:
        """Tell GitHub who the assignee is now (None: nobody). Called inside the assignment's
        write transaction, so a refusal rolls it back; it must not touch the database."""
        ...

    async def login_exists(self, login: str) -> bool:
        """Whether GitHub knows this login (True where GitHub is not connected: unchecked)."""
        ...

    async def create_fix_branch(self, alert: Alert) -> tuple[str, str] | None:
        """Create the alert's fix branch from the default branch's head: (name, URL); None
        where GitHub is not connected (then the person links a pull request instead)."""
        ...


class CampaignObserver(Protocol):
    """Told after a change is committed (publishing to GitHub, …).

    `action` is one of created, edited, closed, reopened, deleted, assigned, unassigned.
    An observer's failure is logged; it never undoes the committed change.
    """

    async def campaign_changed(self, campaign: Campaign, action: str) -> None: ...


@dataclass(frozen=True)
class AdminList:
    """A Directory from settings alone (the CLI, and the bot before Slack answers)."""

    admins: frozenset[str]

    async def is_security_manager(self, user_id: str) -> bool:
        return user_id == CLI_ACTOR or user_id in self.admins


class NoGitHub:
    """Without GitHub connected, assignments stay local and nobody's access is checked."""

    async def vet(self, alert: Alert, assignee: str) -> str | None:
        del alert, assignee
        return None

    async def write_back(self, alert: Alert, login: str | None) -> None:
        del alert, login

    async def login_exists(self, login: str) -> bool:
        del login
        return True

    async def create_fix_branch(self, alert: Alert) -> tuple[str, str] | None:
        del alert
        return None
