"""What a GitHub webhook delivery changes in the inventory (the receiver is bot.github.webhooks).

- `code_scanning_alert`, `secret_scanning_alert`: the alert is upserted from the payload, read with
  the same models as the sync (bot.github.payloads). Fields a payload leaves out (webhook alerts
  carry less than list items) keep what we had. Code-scanning changes on a branch other than the
  default one are ignored: the inventory, like GitHub's org list, is about default branches.
- `repository`: renamed, archived, unarchived, edited, privatized, publicized and transferred within
  the organization refresh the repository (a rename keeps its row by GitHub id); deleted, or
  transferred to another owner, marks it gone as the sync does (store.inventory.mark_gone).
- `pull_request` (opened, reopened, edited, closed) and `create` (a branch): a branch or pull
  request that references an alert of its own repository (bot.github.references) links a fix,
  which makes the alert in progress. A pull request closed without being merged is unlinked again.

An event for a repository we never saw creates it from the payload. The ids of alerts that
changed go to `on_changed` (the announcer, so campaign messages move at once).

This module dispatches a delivery and handles the access events (`member`, `team_add`,
`membership`); what each other event changes is in bot.github.event_alerts, event_repositories and
event_fixes.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.core.clock import Clock, system_clock
from bot.core.models import AlertKind
from bot.github.access import WritersRefresher, member_permission
from bot.github.event_alerts import alert_event
from bot.github.event_change import Change, Json, Malformed
from bot.github.event_fixes import create_event, pull_request_event
from bot.github.event_repositories import ensure_repository, repository_event
from store import writers as writer_store

log = logging.getLogger(__name__)

ChangedCallback = Callable[[list[int]], Awaitable[None]]

ACTIONS: dict[str, frozenset[str] | None] = {
    "code_scanning_alert": frozenset(
        {
            "created",
            "fixed",
            "reopened",
            "closed_by_user",
            "reopened_by_user",
            "appeared_in_branch",
            "updated_assignment",
        }
    ),
    "secret_scanning_alert": frozenset(
        {
            "created",
            "resolved",
            "reopened",
            "assigned",
            "unassigned",
            "validated",
            "publicly_leaked",
        }
    ),
    "repository": frozenset(
        {
            "renamed",
            "archived",
            "unarchived",
            "deleted",
            "transferred",
            "edited",
            "privatized",
            "publicized",
        }
    ),
    "pull_request": frozenset({"opened", "reopened", "edited", "closed"}),
    "create": None,  # no action; `ref_type` says what was created
    "member": frozenset({"added", "edited", "removed"}),
    "team_add": None,
    "membership": frozenset({"added", "removed"}),
}
"""The events handled and their actions; anything else is logged and ignored."""


@dataclass(frozen=True)
class Result:
    status: str  # processed, ignored, malformed, failed
    alert_ids: tuple[int, ...] = ()
    note: str = ""


class EventProcessor:
    """Applies one delivery; every delivery is one transaction."""

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        org: str | None = None,
        clock: Clock = system_clock,
        on_changed: ChangedCallback | None = None,
        writers: WritersRefresher | None = None,
    ) -> None:
        self.engine = engine
        self.org = org.lower() if org else None
        self.clock = clock
        self.on_changed = on_changed
        self.writers = writers
        """Lists writers again on access events (bot.github.access); None without GitHub."""

    @staticmethod
    def handles(event: str) -> bool:
        return event in ACTIONS

    async def process(self, event: str, payload: Json) -> Result:
        """Apply `payload`; unknown events or actions are ignored, never an error."""
        if event not in ACTIONS:
            return Result("ignored", note=f"event {event} is not handled")
        action = payload.get("action")
        allowed = ACTIONS[event]
        if allowed is not None and action not in allowed:
            return Result("ignored", note=f"{event}.{action} is not handled")
        if event == "membership":
            return await self._membership(payload)
        repository = payload.get("repository")
        if not isinstance(repository, Mapping) or not isinstance(repository.get("full_name"), str):
            return Result("malformed", note=f"{event} without a repository")
        if not self._ours(repository, event, action):
            return Result("ignored", note=f"{repository['full_name']} is not in {self.org}")
        if event in ("member", "team_add"):
            return await self._access(event, payload)
        try:
            async with self.engine.begin() as conn:
                change = await self._apply(conn, event, action, payload)
        except Malformed as exc:
            return Result("malformed", note=str(exc))
        if change.alert_ids and self.on_changed is not None:
            try:
                await self.on_changed(sorted(set(change.alert_ids)))
            except Exception:  # the inventory is committed; Slack failing must not undo it
                log.exception("refreshing campaigns after a GitHub %s event failed", event)
        status = "ignored" if change.ignored else "processed"
        return Result(status, tuple(sorted(set(change.alert_ids))), change.note)

    def _ours(self, repository: Json, event: str, action: Any) -> bool:
        """Deliveries for other owners (an App installed on several) are not ours, except the
        transfer of one of our repositories away."""
        if self.org is None or (event == "repository" and action == "transferred"):
            return True
        return str(repository["full_name"]).split("/", 1)[0].lower() == self.org

    async def _apply(self, conn: AsyncConnection, event: str, action: Any, payload: Json) -> Change:
        if event == "code_scanning_alert":
            return await alert_event(conn, AlertKind.CODE, action, payload, clock=self.clock)
        if event == "secret_scanning_alert":
            return await alert_event(conn, AlertKind.SECRET, action, payload, clock=self.clock)
        if event == "repository":
            return await repository_event(conn, action, payload, org=self.org, clock=self.clock)
        if event == "pull_request":
            return await pull_request_event(conn, action, payload, clock=self.clock)
        return await create_event(conn, payload, clock=self.clock)

    # ---- access: who may write where --------------------------------------------------------

    async def _access(self, event: str, payload: Json) -> Result:
        full_name = str(payload["repository"]["full_name"])
        if self.writers is not None:
            async with self.engine.begin() as conn:
                await ensure_repository(conn, payload["repository"])
            if not await self.writers.refresh([full_name]):
                return Result("failed", note=f"writers of {full_name} not listed: see the log")
            return Result("processed", note=f"writers of {full_name} listed again")
        member = payload.get("member")
        if event != "member" or not isinstance(member, Mapping) or not member.get("login"):
            return Result("ignored", note=f"{event}: GitHub is not connected to list writers")
        try:
            permission = member_permission(payload)
        except LookupError as exc:
            return Result("ignored", note=f"member.edited: {exc}; the next sync reconciles")
        async with self.engine.begin() as conn:
            await ensure_repository(conn, payload["repository"])
            await writer_store.add_or_remove(conn, full_name, str(member["login"]), permission)
        return Result("processed", note=f"{member['login']} on {full_name}: {permission}")

    async def _membership(self, payload: Json) -> Result:
        team = payload.get("team")
        if not isinstance(team, Mapping) or not isinstance(team.get("slug"), str):
            return Result("malformed", note="membership without a team")
        organization = payload.get("organization")
        login = organization.get("login") if isinstance(organization, Mapping) else None
        if self.org is not None and str(login or "").lower() != self.org:
            return Result("ignored", note=f"team {team['slug']} is not in {self.org}")
        if self.writers is None:
            return Result("ignored", note="membership: GitHub is not connected to list writers")
        async with self.engine.connect() as conn:
            repositories = await writer_store.team_repositories(conn, team["slug"])
        done = await self.writers.refresh(repositories)
        return Result("processed", note=f"writers of {len(done)} repositories listed again")
