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
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.core.clock import Clock, system_clock
from bot.core.models import Alert, AlertKind, AlertRef
from bot.github.access import WritersRefresher, member_permission
from bot.github.payloads import CodeScanningAlert, RepositoryItem, SecretScanningAlert
from bot.github.references import Reference, branch_references, text_references
from store import alerts as alert_store
from store import fix_links, inventory
from store import repositories as repository_store
from store import writers as writer_store

log = logging.getLogger(__name__)

ChangedCallback = Callable[[list[int]], Awaitable[None]]
Json = Mapping[str, Any]

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

BRANCH_ACTIONS = frozenset({"created", "fixed", "reopened", "appeared_in_branch"})
"""Code-scanning actions that carry the branch (`ref`) they happened on."""

DESCRIPTIVE = (
    "rule_id",
    "rule_name",
    "rule_description",
    "severity",
    "security_severity",
    "tool",
    "tags",
    "path",
    "start_line",
    "classifications",
    "fingerprint",
    "secret_type_display_name",
    "provider",
    "provider_slug",
)
"""Alert fields that describe rather than change: a payload without them keeps what we had."""

ABSENT_KEEPS: dict[AlertKind, dict[str, tuple[str, ...]]] = {
    AlertKind.CODE: {"assignees": ("assignees",)},
    AlertKind.SECRET: {
        "assigned_to": ("assignees",),
        "validity": ("validity",),
        "publicly_leaked": ("publicly_leaked",),
        "multi_repo": ("multi_repo",),
        "push_protection_bypassed": ("bypassed",),
    },
}
"""Raw payload keys whose absence (older payload versions) must not reset an alert field."""


class Malformed(Exception):
    """The payload cannot be read; the delivery is dropped (the next sync reconciles)."""


@dataclass(frozen=True)
class Result:
    status: str  # processed, ignored, malformed, failed
    alert_ids: tuple[int, ...] = ()
    note: str = ""


@dataclass
class _Change:
    alert_ids: list[int] = field(default_factory=list)
    note: str = ""
    ignored: bool = False
    """Nothing in the delivery concerned the inventory (the note says why)."""


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

    async def _apply(
        self, conn: AsyncConnection, event: str, action: Any, payload: Json
    ) -> _Change:
        if event == "code_scanning_alert":
            return await self._alert(conn, AlertKind.CODE, action, payload)
        if event == "secret_scanning_alert":
            return await self._alert(conn, AlertKind.SECRET, action, payload)
        if event == "repository":
            return await self._repository_event(conn, action, payload)
        if event == "pull_request":
            return await self._pull_request(conn, action, payload)
        return await self._create(conn, payload)

    # ---- access: who may write where --------------------------------------------------------

    async def _access(self, event: str, payload: Json) -> Result:
        full_name = str(payload["repository"]["full_name"])
        if self.writers is not None:
            async with self.engine.begin() as conn:
                await self._ensure_repository(conn, payload["repository"])
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
            await self._ensure_repository(conn, payload["repository"])
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

    # ---- repositories ----------------------------------------------------------------------

    async def _ensure_repository(
        self, conn: AsyncConnection, doc: Json, *, refresh: bool = False
    ) -> str:
        """Make sure the payload's repository exists (created from the payload when new, or
        refreshed from it when `refresh`); returns its full name."""
        full_name = str(doc["full_name"])
        github_id = doc.get("id") if isinstance(doc.get("id"), int) else None
        known = await inventory.repository_ids(conn, github_id=github_id, full_name=full_name)
        if refresh or not known:
            try:
                repo = RepositoryItem.model_validate(doc).to_repository()
            except ValidationError:
                repo = None
            if repo is not None:
                if "topics" not in doc and known:  # not every payload lists topics
                    current = await repository_store.get(conn, full_name)
                    repo.topics = current.topics if current is not None else []
                ids = await repository_store.upsert_many(conn, [repo])
                await inventory.restore(conn, ids.values())
                return full_name
        ids = await repository_store.ensure(conn, {full_name: github_id})
        await inventory.restore(conn, ids.values())
        return full_name

    async def _repository_event(self, conn: AsyncConnection, action: str, payload: Json) -> _Change:
        doc = payload["repository"]
        owner = str(doc["full_name"]).split("/", 1)[0].lower()
        leaving = action == "transferred" and self.org is not None and owner != self.org
        if action == "deleted" or leaving:
            github_id = doc.get("id") if isinstance(doc.get("id"), int) else None
            full_name = str(doc["full_name"])
            if leaving:  # the payload names the new owner; we know it under the old one
                full_name = _previous_full_name(payload) or full_name
            ids = await inventory.repository_ids(conn, github_id=github_id, full_name=full_name)
            closed = await inventory.mark_gone(conn, ids, self.clock())
            if not ids:
                return _Change(note=f"{full_name} was not known", ignored=True)
            return _Change(closed, f"repository {full_name} gone")
        await self._ensure_repository(conn, doc, refresh=True)
        return _Change(note=f"repository {doc['full_name']} {action}")

    # ---- alerts ----------------------------------------------------------------------------

    async def _alert(
        self, conn: AsyncConnection, kind: AlertKind, action: str, payload: Json
    ) -> _Change:
        doc = payload.get("alert")
        repo_doc = payload["repository"]
        if not isinstance(doc, Mapping):
            raise Malformed(f"{kind.value} alert event without an alert")
        if kind is AlertKind.CODE and action in BRANCH_ACTIONS:
            default = repo_doc.get("default_branch")
            ref = payload.get("ref")
            if ref and default and ref != f"refs/heads/{default}":
                return _Change(note=f"{action} on {ref}, not the default branch", ignored=True)
        full_name = await self._ensure_repository(conn, repo_doc)
        number = doc.get("number")
        if not isinstance(number, int):
            raise Malformed(f"{kind.value} alert event without an alert number")
        found = await alert_store.find(
            conn, AlertRef(repository=full_name, kind=kind, number=number)
        )
        existing = found[0] if found else None
        raw = {
            **doc,
            "repository": {"id": repo_doc.get("id"), "full_name": full_name},
            "created_at": doc.get("created_at")
            or (existing.created_at if existing else self.clock()),
        }
        model = CodeScanningAlert if kind is AlertKind.CODE else SecretScanningAlert
        try:
            alert = model.model_validate(raw).to_alert()
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(part) for part in first["loc"])
            raise Malformed(f"{full_name}#{kind.value}-{number}: {where}: {first['msg']}") from exc
        if _older(alert, existing):
            # Deliveries can arrive out of order: a late `fixed` must not undo a newer `reopened`.
            return _Change(
                note=f"{full_name}#{kind.value}-{number}: older than stored", ignored=True
            )
        alert = _merge(alert, existing, raw)
        if alert.updated_at is None:
            alert.updated_at = self.clock()
        await alert_store.upsert_many(conn, [alert], {full_name: repo_doc.get("id")})
        versions = await inventory.alert_versions(conn, [(full_name.lower(), kind.value, number)])
        return _Change([version.id for version in versions.values()])

    # ---- fixes: branches and pull requests -------------------------------------------------

    async def _alert_ids(
        self, conn: AsyncConnection, full_name: str, references: list[Reference]
    ) -> list[int]:
        keys = [(full_name.lower(), ref.kind.value, ref.number) for ref in references]
        versions = await inventory.alert_versions(conn, keys)
        return sorted(version.id for version in versions.values())

    async def _pull_request(self, conn: AsyncConnection, action: str, payload: Json) -> _Change:
        pull = payload.get("pull_request")
        if not isinstance(pull, Mapping) or not isinstance(pull.get("number"), int):
            raise Malformed("pull_request event without a pull request")
        full_name = await self._ensure_repository(conn, payload["repository"])
        head = pull.get("head")
        head = head if isinstance(head, Mapping) else {}
        references = sorted(
            {
                *text_references(_text(pull.get("title")), full_name),
                *text_references(_text(pull.get("body")), full_name),
                *branch_references(_text(head.get("ref"))),
            }
        )
        ids = await self._alert_ids(conn, full_name, references)
        if not ids:
            note = f"pull request #{pull['number']} references no known alert"
            return _Change(note=note, ignored=True)
        ref = f"pull/{pull['number']}"
        if action == "closed" and not pull.get("merged"):
            await fix_links.remove(conn, ids, "pull_request", ref)
        else:
            url = _text(pull.get("html_url")) or None
            for alert_id in ids:
                await fix_links.add(conn, alert_id, "pull_request", ref, url, self.clock())
        return _Change(ids)

    async def _create(self, conn: AsyncConnection, payload: Json) -> _Change:
        if payload.get("ref_type") != "branch":
            return _Change(note=f"created a {payload.get('ref_type')}, not a branch", ignored=True)
        branch = _text(payload.get("ref"))
        full_name = await self._ensure_repository(conn, payload["repository"])
        ids = await self._alert_ids(conn, full_name, branch_references(branch))
        if not ids:
            return _Change(note=f"branch {branch} references no known alert", ignored=True)
        base = _text(payload["repository"].get("html_url"))
        url = f"{base}/tree/{branch}" if base else None
        for alert_id in ids:
            await fix_links.add(conn, alert_id, "branch", branch, url, self.clock())
        return _Change(ids)


def _merge(new: Alert, old: Alert | None, raw: Json) -> Alert:
    """The payload's alert, keeping what it leaves out from what we had."""
    if old is None:
        return new
    keep: dict[str, Any] = {
        name: getattr(old, name)
        for name in DESCRIPTIVE
        if getattr(new, name) in (None, []) and getattr(old, name) not in (None, [])
    }
    for key, names in ABSENT_KEEPS[new.kind].items():
        if key not in raw:
            keep.update({name: getattr(old, name) for name in names})
    return new.model_copy(update=keep) if keep else new


def _previous_full_name(payload: Json) -> str | None:
    """`changes.owner.from` of a transfer: the owner the repository had before."""
    found: Any = payload.get("changes")
    for key in ("owner", "from"):
        found = found.get(key) if isinstance(found, Mapping) else None
    if not isinstance(found, Mapping):
        return None
    previous = found.get("organization") or found.get("user")
    name = payload["repository"].get("name")
    if isinstance(previous, Mapping) and previous.get("login") and name:
        return f"{previous['login']}/{name}"
    return None


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _older(incoming: Alert, existing: Alert | None) -> bool:
    """Whether a delivery describes the alert as it was before what the store already has."""
    if existing is None or incoming.updated_at is None or existing.updated_at is None:
        return False
    return incoming.updated_at < existing.updated_at
