"""FakeGitHub: a real aiohttp server on 127.0.0.1 speaking the slice of GitHub REST the bot uses.

Its answers follow the documented shapes (see /work/shared/reference/github-rest.md): alert items,
simple users and repositories, custom property values, campaign summaries. It paginates with `Link`
headers (cursors on the org alert lists, page numbers elsewhere), sends ETags and answers 304 to a
matching `If-None-Match`, sends `x-ratelimit-*` headers, checks tokens, and can be told to misbehave
(rate limits, 5xx, dropped connections, malformed JSON) one request at a time.

    async with FakeGitHub() as gh:
        repo = gh.add_repo("api")
        gh.add_code_alert("api", rule_id="js/xss")
        gh.fail_next("/orgs/acme/code-scanning/alerts", Fault.secondary_limit(retry_after=30))
        client = GitHubClient(session, TokenAuth(gh.token), base_url=gh.url)
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import itertools
import json
import math
import socket
from collections import deque
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Any
from urllib.parse import quote, urlencode

import jwt
from aiohttp import web

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
Clock = Callable[[], datetime]

DOCS = "https://docs.github.com/rest"
WRITE_ROLES = frozenset({"admin", "maintain", "write"})
LEGACY_PERMISSION = {
    "admin": "admin",
    "maintain": "write",
    "write": "write",
    "triage": "read",
    "read": "read",
}
TEAM_ROLE = {
    "pull": "read",
    "triage": "triage",
    "push": "write",
    "maintain": "maintain",
    "admin": "admin",
}
DISMISSED_REASONS = frozenset({"false positive", "won't fix", "used in tests"})
RESOLUTIONS = frozenset({"false_positive", "wont_fix", "revoked", "used_in_tests"})
CAMPAIGN_FIELDS = frozenset(
    {
        "name",
        "description",
        "managers",
        "team_managers",
        "ends_at",
        "contact_link",
        "code_scanning_alerts",
        "secret_scanning_alerts",
        "generate_issues",
    }
)
CAMPAIGN_PATCH_FIELDS = frozenset(
    {"name", "description", "managers", "team_managers", "ends_at", "contact_link", "state"}
)
RULES = {
    "js/xss": ("Client-side cross-site scripting", ["security", "external/cwe/cwe-079"]),
    "js/sql-injection": ("Database query built from user-controlled sources", ["security"]),
    "java/log-injection": ("Log Injection", ["security", "external/cwe/cwe-117"]),
    "py/path-injection": ("Uncontrolled data used in path expression", ["security"]),
}
_MISSING = object()
JSON_BODY = web.RequestKey("json_body", object)
APP_ID = web.RequestKey("app_id", str)


def iso(moment: datetime) -> str:
    """GitHub's timestamp format: UTC, whole seconds, a trailing Z."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _moment(value: datetime | str | None, default: datetime) -> str:
    if value is None:
        return iso(default)
    return value if isinstance(value, str) else iso(value)


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the fake saw it; `headers` never holds Authorization."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    json: Any


@dataclass(frozen=True)
class Fault:
    """A canned misbehaviour, answered instead of the real thing for one request."""

    status: int = 500
    body: bytes | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    drop: bool = False
    reset_in: int | None = None

    @classmethod
    def secondary_limit(cls, retry_after: int | None = 60, status: int = 403) -> Fault:
        message = (
            "You have exceeded a secondary rate limit. Please wait a few minutes before you "
            "try again."
        )
        headers = {"retry-after": str(retry_after)} if retry_after is not None else {}
        return cls(status=status, body=_error_body(status, message), headers=headers)

    @classmethod
    def primary_limit(cls, reset_in: int = 60, status: int = 403) -> Fault:
        message = "API rate limit exceeded for user ID 1."
        return cls(status=status, body=_error_body(status, message), reset_in=reset_in)

    @classmethod
    def server_error(cls, status: int = 502) -> Fault:
        return cls(status=status, body=_error_body(status, "Server Error"))

    @classmethod
    def drop_connection(cls) -> Fault:
        """Close the connection without answering (the client sees a disconnect)."""
        return cls(drop=True)

    @classmethod
    def malformed_json(cls, status: int = 200) -> Fault:
        return cls(status=status, body=b'[{"number": 1, "state": ')

    @classmethod
    def response(cls, status: int, body: Any, headers: Mapping[str, str] | None = None) -> Fault:
        return cls(status=status, body=json.dumps(body).encode(), headers=dict(headers or {}))


def _error_body(status: int, message: str, **extra: Any) -> bytes:
    body = {"message": message, "documentation_url": DOCS, "status": str(status), **extra}
    return json.dumps(body).encode()


def _error(status: int, message: str, **extra: Any) -> web.Response:
    return web.Response(
        status=status, body=_error_body(status, message, **extra), content_type="application/json"
    )


def _validation(message: str, resource: str, field_name: str) -> web.Response:
    error = {"resource": resource, "field": field_name, "code": "invalid", "message": message}
    return _error(422, "Validation Failed", errors=[error])


def _json(data: Any, status: int = 200) -> web.Response:
    return web.json_response(data, status=status)


class FakeGitHub:
    """In-memory GitHub for one or more organizations, served over real HTTP."""

    def __init__(
        self,
        *,
        org: str = "acme",
        token: str = "ghp_faketoken0123456789",
        prefix: str = "",
        clock: Clock | None = None,
    ) -> None:
        self.org = org
        self.token = token
        self.prefix = prefix.rstrip("/")
        self.clock: Clock = clock or (lambda: datetime.now(UTC))
        self.actor = "security-bot"
        self.requests: list[RecordedRequest] = []
        self.not_modified = 0
        self.hold: asyncio.Event | None = None
        self.in_flight = 0
        self.max_in_flight = 0
        self._arrivals = asyncio.Condition()
        self.rate_limit = 5000
        self.rate_remaining = 5000
        self.tokens: set[str] = {token}
        self.revoked: set[str] = set()
        self.installation_tokens: dict[str, datetime] = {}
        self.issued_tokens: list[str] = []
        self.apps: dict[str, bytes] = {}
        self.installations: dict[str, str] = {}
        self.orgs: dict[str, dict[str, Any]] = {}
        self.users: dict[str, dict[str, Any]] = {}
        self.repos: dict[str, dict[str, Any]] = {}
        self.code_alerts: dict[str, dict[int, dict[str, Any]]] = {}
        self.secret_alerts: dict[str, dict[int, dict[str, Any]]] = {}
        self.properties: dict[str, dict[str, str | list[str] | None]] = {}
        self.teams: dict[tuple[str, str], dict[str, Any]] = {}
        self.team_repos: dict[tuple[str, str], dict[str, str]] = {}
        self.collaborators: dict[str, dict[str, tuple[str, str]]] = {}
        self.refs: dict[str, dict[str, str]] = {}
        self.campaigns: dict[str, dict[int, dict[str, Any]]] = {}
        self._faults: dict[tuple[str, str], deque[Fault | None]] = {}
        self._ids = itertools.count(1000)
        self._shas = itertools.count(1)
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.bind(("127.0.0.1", 0))
        self.port: int = self._socket.getsockname()[1]
        self._runner: web.AppRunner | None = None
        self.add_org(org)

    # ---- lifecycle ---------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The REST base URL, to pass as the client's `base_url`."""
        return f"http://127.0.0.1:{self.port}{self.prefix}"

    async def start(self) -> FakeGitHub:
        self._runner = web.AppRunner(self._app(), access_log=None)
        await self._runner.setup()
        await web.SockSite(self._runner, self._socket).start()
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        self._socket.close()

    async def __aenter__(self) -> FakeGitHub:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    def _app(self) -> web.Application:
        api = web.Application(middlewares=[self._middleware])
        routes = [
            ("GET", "/orgs/{org}/code-scanning/alerts", self._org_code_alerts),
            ("GET", "/orgs/{org}/secret-scanning/alerts", self._org_secret_alerts),
            ("GET", "/orgs/{org}/repos", self._org_repos),
            ("GET", "/orgs/{org}/properties/values", self._org_property_values),
            ("GET", "/orgs/{org}/teams", self._org_teams),
            ("GET", "/orgs/{org}/teams/{slug}/repos", self._team_repos),
            ("GET", "/orgs/{org}/campaigns", self._list_campaigns),
            ("POST", "/orgs/{org}/campaigns", self._create_campaign),
            ("GET", "/orgs/{org}/campaigns/{number}", self._get_campaign),
            ("PATCH", "/orgs/{org}/campaigns/{number}", self._update_campaign),
            ("DELETE", "/orgs/{org}/campaigns/{number}", self._delete_campaign),
            ("GET", "/repos/{owner}/{repo}", self._get_repo),
            ("GET", "/repos/{owner}/{repo}/code-scanning/alerts", self._repo_code_alerts),
            ("GET", "/repos/{owner}/{repo}/code-scanning/alerts/{number}", self._get_code),
            ("PATCH", "/repos/{owner}/{repo}/code-scanning/alerts/{number}", self._patch_code),
            ("GET", "/repos/{owner}/{repo}/secret-scanning/alerts", self._repo_secret_alerts),
            ("GET", "/repos/{owner}/{repo}/secret-scanning/alerts/{number}", self._get_secret),
            ("PATCH", "/repos/{owner}/{repo}/secret-scanning/alerts/{number}", self._patch_secret),
            (
                "GET",
                "/repos/{owner}/{repo}/collaborators/{login}/permission",
                self._permission,
            ),
            ("GET", "/repos/{owner}/{repo}/git/ref/{ref:.+}", self._get_ref),
            ("POST", "/repos/{owner}/{repo}/git/refs", self._create_ref),
            ("POST", "/app/installations/{installation}/access_tokens", self._access_token),
        ]
        for method, path, handler in routes:
            api.router.add_route(method, path, handler)
        if not self.prefix:
            return api
        root = web.Application()
        root.add_subapp(self.prefix, api)
        return root

    # ---- faults, tokens, apps ----------------------------------------------------------------

    def fail_next(
        self, path: str, *faults: Fault, method: str | None = None, after: int = 0
    ) -> None:
        """Answer the next requests to `path` (no query; without the prefix) with `faults`;
        `after` lets that many requests through first (a page failing midway)."""
        key = (method.upper() if method else "*", path)
        self._faults.setdefault(key, deque()).extend([None] * after + list(faults))

    def revoke_token(self, token: str | None = None) -> None:
        """From now on the token answers 401 Bad credentials."""
        token = token or self.token
        self.tokens.discard(token)
        self.installation_tokens.pop(token, None)
        self.revoked.add(token)

    def register_app(
        self, app_id: int | str, public_key: bytes | str, installation_id: int | str
    ) -> None:
        """A GitHub App whose JWTs (RS256, `iss` = app id) may mint installation tokens."""
        key = public_key.encode() if isinstance(public_key, str) else public_key
        self.apps[str(app_id)] = key
        self.installations[str(installation_id)] = str(app_id)

    # ---- builders ----------------------------------------------------------------------------

    def add_org(self, login: str) -> dict[str, Any]:
        if login.lower() not in self.orgs:
            self.orgs[login.lower()] = self._simple_user(login, kind="Organization")
            self.campaigns.setdefault(login.lower(), {})
        return self.orgs[login.lower()]

    def user(self, login: str) -> dict[str, Any]:
        """The simple-user for a login, created on first mention."""
        key = login.lower()
        if key not in self.users:
            self.users[key] = self._simple_user(login)
        return self.users[key]

    def add_repo(
        self,
        name: str,
        *,
        owner: str | None = None,
        private: bool = True,
        visibility: str | None = None,
        archived: bool = False,
        pushed_at: datetime | str | None = None,
        created_at: datetime | str | None = None,
        default_branch: str = "main",
        topics: Sequence[str] = (),
        id: int | None = None,
        language: str | None = "Python",
    ) -> dict[str, Any]:
        """A repository as `GET /repos/{owner}/{repo}` returns it, with its default branch ref."""
        owner = owner or self.org
        owner_doc = self.add_org(owner)
        full_name = f"{owner}/{name}"
        now = self.clock()
        repo_id = id if id is not None else next(self._ids)
        api = f"{self.url}/repos/{full_name}"
        repo = {
            "id": repo_id,
            "node_id": _node_id("R", repo_id),
            "name": name,
            "full_name": full_name,
            "owner": owner_doc,
            "private": private,
            "html_url": f"https://github.com/{full_name}",
            "description": None,
            "fork": False,
            "url": api,
            "hooks_url": f"{api}/hooks",
            "issues_url": f"{api}/issues{{/number}}",
            "pulls_url": f"{api}/pulls{{/number}}",
            "git_refs_url": f"{api}/git/refs{{/sha}}",
            "languages_url": f"{api}/languages",
            "teams_url": f"{api}/teams",
            "created_at": _moment(created_at, now - timedelta(days=365)),
            "updated_at": iso(now),
            "pushed_at": _moment(pushed_at, now),
            "clone_url": f"https://github.com/{full_name}.git",
            "homepage": None,
            "size": 1024,
            "stargazers_count": 0,
            "watchers_count": 0,
            "language": language,
            "forks_count": 0,
            "open_issues_count": 0,
            "is_template": False,
            "topics": list(topics),
            "visibility": visibility or ("private" if private else "public"),
            "archived": archived,
            "disabled": False,
            "default_branch": default_branch,
        }
        key = full_name.lower()
        self.repos[key] = repo
        self.code_alerts.setdefault(key, {})
        self.secret_alerts.setdefault(key, {})
        self.refs.setdefault(key, {})[f"refs/heads/{default_branch}"] = self._new_sha()
        return repo

    def add_code_alert(
        self,
        repo: str,
        *,
        number: int | None = None,
        state: str = "open",
        rule_id: str = "js/xss",
        rule_name: str | None = None,
        description: str | None = None,
        severity: str = "error",
        security_severity_level: str | None = "high",
        tags: Sequence[str] | None = None,
        tool: str = "CodeQL",
        tool_version: str | None = "2.19.0",
        path: str = "src/app.js",
        start_line: int = 10,
        classifications: Sequence[str] = (),
        created_at: datetime | str | None = None,
        updated_at: datetime | str | None = None,
        assignees: Sequence[str] = (),
        dismissed_reason: str | None = None,
    ) -> dict[str, Any]:
        """A code-scanning alert in the org-list shape (code-scanning-organization-alert-items)."""
        key, repo_doc = self._repo(repo)
        alerts = self.code_alerts[key]
        number = number if number is not None else max(alerts, default=0) + 1
        now = self.clock()
        known_description, known_tags = RULES.get(rule_id, (rule_id, ["security"]))
        api = f"{self.url}/repos/{repo_doc['full_name']}/code-scanning/alerts/{number}"
        created = _moment(created_at, now)
        alert = {
            "number": number,
            "created_at": created,
            "updated_at": _moment(updated_at, now) if updated_at else created,
            "url": api,
            "html_url": f"https://github.com/{repo_doc['full_name']}/security/code-scanning/{number}",
            "instances_url": f"{api}/instances",
            "state": state,
            "fixed_at": iso(now) if state == "fixed" else None,
            "dismissed_by": self.user(self.actor) if state == "dismissed" else None,
            "dismissed_at": iso(now) if state == "dismissed" else None,
            "dismissed_reason": (dismissed_reason or "won't fix") if state == "dismissed" else None,
            "dismissed_comment": None,
            "rule": {
                "id": rule_id,
                "severity": severity,
                "description": description or known_description,
                "name": rule_name or rule_id,
                "tags": list(tags) if tags is not None else list(known_tags),
                "security_severity_level": security_severity_level,
                "full_description": description or known_description,
                "help": None,
                "help_uri": None,
            },
            "tool": {"name": tool, "guid": None, "version": tool_version},
            "most_recent_instance": {
                "ref": f"refs/heads/{repo_doc['default_branch']}",
                "analysis_key": ".github/workflows/codeql.yml:analyze",
                "environment": "{}",
                "category": ".github/workflows/codeql.yml:analyze",
                "state": state,
                "commit_sha": self._new_sha(),
                "message": {"text": description or known_description},
                "location": {
                    "path": path,
                    "start_line": start_line,
                    "end_line": start_line,
                    "start_column": 1,
                    "end_column": 20,
                },
                "html_url": f"https://github.com/{repo_doc['full_name']}/blob/HEAD/{path}",
                "classifications": list(classifications),
            },
            "repository": self._simple_repo(repo_doc),
            "dismissal_approved_by": None,
            "assignees": [self.user(login) for login in assignees],
        }
        alerts[number] = alert
        return alert

    def add_secret_alert(
        self,
        repo: str,
        *,
        number: int | None = None,
        state: str = "open",
        secret_type: str = "github_personal_access_token",
        secret_type_display_name: str | None = None,
        provider: str | None = "GitHub",
        provider_slug: str | None = "github",
        validity: str = "active",
        resolution: str | None = None,
        publicly_leaked: bool = False,
        multi_repo: bool = False,
        push_protection_bypassed: bool = False,
        assigned_to: str | None = None,
        created_at: datetime | str | None = None,
        updated_at: datetime | str | None = None,
        path: str = "config/settings.py",
    ) -> dict[str, Any]:
        """A secret-scanning alert in the org-list shape (organization-secret-scanning-alert)."""
        key, repo_doc = self._repo(repo)
        alerts = self.secret_alerts[key]
        number = number if number is not None else max(alerts, default=0) + 1
        now = self.clock()
        full_name = repo_doc["full_name"]
        api = f"{self.url}/repos/{full_name}/secret-scanning/alerts/{number}"
        resolved = state == "resolved"
        created = _moment(created_at, now)
        sha = self._new_sha()
        alert = {
            "number": number,
            "created_at": created,
            "updated_at": _moment(updated_at, now) if updated_at else created,
            "url": api,
            "html_url": f"https://github.com/{full_name}/security/secret-scanning/{number}",
            "locations_url": f"{api}/locations",
            "state": state,
            "resolution": (resolution or "revoked") if resolved else None,
            "resolved_at": iso(now) if resolved else None,
            "resolved_by": self.user(self.actor) if resolved else None,
            "secret_type": secret_type,
            "secret_type_display_name": secret_type_display_name
            or secret_type.replace("_", " ").title(),
            "provider": provider,
            "provider_slug": provider_slug,
            "secret": f"fake_secret_{number:04d}",
            "repository": self._simple_repo(repo_doc),
            "push_protection_bypassed": push_protection_bypassed,
            "push_protection_bypassed_by": self.user(self.actor)
            if push_protection_bypassed
            else None,
            "push_protection_bypassed_at": iso(now) if push_protection_bypassed else None,
            "push_protection_bypass_request_reviewer": None,
            "push_protection_bypass_request_reviewer_comment": None,
            "push_protection_bypass_request_comment": None,
            "push_protection_bypass_request_html_url": None,
            "resolution_comment": None,
            "validity": validity,
            "publicly_leaked": publicly_leaked,
            "multi_repo": multi_repo,
            "is_base64_encoded": False,
            "first_location_detected": {
                "path": path,
                "start_line": 3,
                "end_line": 3,
                "start_column": 12,
                "end_column": 52,
                "blob_sha": sha,
                "blob_url": f"{self.url}/repos/{full_name}/git/blobs/{sha}",
                "commit_sha": sha,
                "commit_url": f"{self.url}/repos/{full_name}/git/commits/{sha}",
            },
            "has_more_locations": False,
            "assigned_to": self.user(assigned_to) if assigned_to else None,
            "closure_request_comment": None,
            "closure_request_reviewer_comment": None,
            "closure_request_reviewer": None,
        }
        alerts[number] = alert
        return alert

    def set_properties(self, repo: str, **values: str | list[str] | None) -> None:
        """Custom property values of a repository (a value may be a string or a list)."""
        key, _ = self._repo(repo)
        self.properties.setdefault(key, {}).update(values)

    def add_team(
        self,
        slug: str,
        *,
        name: str | None = None,
        org: str | None = None,
        repos: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        """A team; `repos` maps repository name to the team's permission (pull/push/...)."""
        org = org or self.org
        team_id = next(self._ids)
        api = f"{self.url}/orgs/{org}/teams/{slug}"
        team = {
            "id": team_id,
            "node_id": _node_id("T", team_id),
            "url": api,
            "html_url": f"https://github.com/orgs/{org}/teams/{slug}",
            "name": name or slug.replace("-", " ").title(),
            "slug": slug,
            "description": None,
            "privacy": "closed",
            "notification_setting": "notifications_enabled",
            "permission": "pull",
            "members_url": f"{api}/members{{/member}}",
            "repositories_url": f"{api}/repos",
            "parent": None,
        }
        self.teams[(org.lower(), slug)] = team
        self.team_repos.setdefault((org.lower(), slug), {})
        for repo, permission in (repos or {}).items():
            self.add_team_repo(slug, repo, permission, org=org)
        return team

    def add_team_repo(
        self, slug: str, repo: str, permission: str = "push", *, org: str | None = None
    ) -> None:
        key, _ = self._repo(repo)
        self.team_repos[((org or self.org).lower(), slug)][key] = permission

    def add_collaborator(
        self, repo: str, login: str, role: str = "write", *, base: str | None = None
    ) -> None:
        """Give `login` a role on the repository; a custom role names its `base` permission."""
        key, _ = self._repo(repo)
        self.user(login)
        legacy = LEGACY_PERMISSION.get(role) or LEGACY_PERMISSION[base or "read"]
        self.collaborators.setdefault(key, {})[login.lower()] = (role, legacy)

    def add_campaign(self, body: Mapping[str, Any], *, org: str | None = None) -> dict[str, Any]:
        """A published campaign, as if created through the API (no validation)."""
        return self._store_campaign((org or self.org).lower(), dict(body))

    # ---- changes: what happens on GitHub between two syncs --------------------------------------

    def set_code_alert_state(
        self,
        repo: str,
        number: int,
        state: str,
        *,
        dismissed_reason: str = "won't fix",
        at: datetime | None = None,
    ) -> dict[str, Any]:
        """Move a code-scanning alert to `fixed`, `dismissed` or back to `open`."""
        alert = self.code_alert(repo, number)
        moment = iso(at or self.clock())
        alert.update(
            state=state,
            updated_at=moment,
            fixed_at=moment if state == "fixed" else None,
            dismissed_at=moment if state == "dismissed" else None,
            dismissed_by=self.user(self.actor) if state == "dismissed" else None,
            dismissed_reason=dismissed_reason if state == "dismissed" else None,
        )
        alert["most_recent_instance"]["state"] = state
        return alert

    def set_secret_alert_state(
        self,
        repo: str,
        number: int,
        state: str,
        *,
        resolution: str = "revoked",
        at: datetime | None = None,
    ) -> dict[str, Any]:
        """Resolve a secret-scanning alert, or reopen it."""
        alert = self.secret_alert(repo, number)
        moment = iso(at or self.clock())
        resolved = state == "resolved"
        alert.update(
            state=state,
            updated_at=moment,
            resolution=resolution if resolved else None,
            resolved_at=moment if resolved else None,
            resolved_by=self.user(self.actor) if resolved else None,
        )
        return alert

    def rename_repo(self, repo: str, new_name: str) -> dict[str, Any]:
        """Rename a repository (same id), as GitHub does: its alerts follow it."""
        key, doc = self._repo(repo)
        return self._move_repo(key, doc["owner"]["login"], new_name)

    def transfer_repo(self, repo: str, new_owner: str) -> dict[str, Any]:
        """Transfer a repository to another owner (same id); it leaves this org's lists."""
        key, doc = self._repo(repo)
        return self._move_repo(key, new_owner, doc["name"])

    def delete_repo(self, repo: str) -> dict[str, Any]:
        """Delete a repository and everything in it; returns its last document."""
        key, doc = self._repo(repo)
        for table in (self.repos, self.code_alerts, self.secret_alerts, self.properties):
            table.pop(key, None)
        self.collaborators.pop(key, None)
        self.refs.pop(key, None)
        for repos in self.team_repos.values():
            repos.pop(key, None)
        return doc

    def _move_repo(self, key: str, owner: str, name: str) -> dict[str, Any]:
        doc = self.repos.pop(key)
        old_full, new_full = doc["full_name"], f"{owner}/{name}"
        new_key = new_full.lower()
        moved = _replace_in(doc, old_full, new_full)
        moved.update(name=name, full_name=new_full, owner=self.add_org(owner))
        self.repos[new_key] = moved
        simple = self._simple_repo(moved)
        for table in (self.code_alerts, self.secret_alerts):
            alerts = table.pop(key, {})
            table[new_key] = {
                number: {**_replace_in(alert, old_full, new_full), "repository": simple}
                for number, alert in alerts.items()
            }
        for table in (self.properties, self.collaborators, self.refs):
            if key in table:
                table[new_key] = table.pop(key)
        for repos in self.team_repos.values():
            if key in repos:
                repos[new_key] = repos.pop(key)
        return moved

    # ---- webhook payloads (what GitHub would deliver for these changes) -----------------------

    def _hook_context(self, repo_doc: dict[str, Any], sender: str | None) -> dict[str, Any]:
        owner = repo_doc["owner"]["login"].lower()
        context: dict[str, Any] = {
            "repository": repo_doc,
            "sender": self.user(sender or self.actor),
        }
        if owner in self.orgs:
            context["organization"] = {
                k: self.orgs[owner][k] for k in ("login", "id", "node_id", "url", "avatar_url")
            }
        return context

    def webhook_code_scanning_alert(
        self, action: str, repo: str, number: int, *, sender: str | None = None
    ) -> dict[str, Any]:
        """A `code_scanning_alert` delivery for the alert as it is now."""
        key, repo_doc = self._repo(repo)
        alert = _without_repository(self.code_alerts[key][number])
        by_user = action in ("closed_by_user", "reopened_by_user")
        ref = "" if by_user else alert["most_recent_instance"]["ref"]
        commit = "" if by_user else alert["most_recent_instance"]["commit_sha"]
        return {
            "action": action,
            "alert": alert,
            "ref": ref,
            "commit_oid": commit,
            **self._hook_context(repo_doc, sender),
        }

    def webhook_secret_scanning_alert(
        self, action: str, repo: str, number: int, *, sender: str | None = None
    ) -> dict[str, Any]:
        """A `secret_scanning_alert` delivery (the secret itself is not in webhook payloads)."""
        key, repo_doc = self._repo(repo)
        alert = {
            k: v
            for k, v in self.secret_alerts[key][number].items()
            if k not in ("repository", "secret")
        }
        payload = {"action": action, "alert": alert, **self._hook_context(repo_doc, sender)}
        if action in ("assigned", "unassigned") and alert.get("assigned_to"):
            payload["assignee"] = alert["assigned_to"]
        return payload

    def webhook_repository(
        self,
        action: str,
        repo: str | dict[str, Any],
        *,
        changes: dict[str, Any] | None = None,
        sender: str | None = None,
    ) -> dict[str, Any]:
        """A `repository` delivery; pass the document returned by `delete_repo` for `deleted`."""
        repo_doc = repo if isinstance(repo, dict) else self._repo(repo)[1]
        payload = {"action": action, **self._hook_context(repo_doc, sender)}
        if changes is not None:
            payload["changes"] = changes
        return payload

    def webhook_pull_request(
        self,
        action: str,
        repo: str,
        number: int,
        *,
        title: str = "Fix a security alert",
        body: str | None = None,
        head: str = "patch-1",
        merged: bool = False,
        sender: str | None = None,
    ) -> dict[str, Any]:
        """A `pull_request` delivery for pull request `number` from branch `head`."""
        key, repo_doc = self._repo(repo)
        now = iso(self.clock())
        closed = action == "closed"
        full_name = repo_doc["full_name"]
        sha = self.refs[key].get(f"refs/heads/{repo_doc['default_branch']}", self._new_sha())
        pull = {
            "url": f"{self.url}/repos/{full_name}/pulls/{number}",
            "id": 7_000_000 + number,
            "node_id": _node_id("PR", number),
            "html_url": f"https://github.com/{full_name}/pull/{number}",
            "number": number,
            "state": "closed" if closed else "open",
            "locked": False,
            "title": title,
            "user": self.user(sender or self.actor),
            "body": body,
            "created_at": now,
            "updated_at": now,
            "closed_at": now if closed else None,
            "merged_at": now if closed and merged else None,
            "merged": closed and merged,
            "draft": False,
            "head": {"label": f"{repo_doc['owner']['login']}:{head}", "ref": head, "sha": sha,
                     "repo": repo_doc},
            "base": {"label": f"{repo_doc['owner']['login']}:{repo_doc['default_branch']}",
                     "ref": repo_doc["default_branch"], "sha": sha, "repo": repo_doc},
        }  # fmt: skip
        return {
            "action": action,
            "number": number,
            "pull_request": pull,
            **self._hook_context(repo_doc, sender),
        }

    def webhook_create(
        self, repo: str, ref: str, *, ref_type: str = "branch", sender: str | None = None
    ) -> dict[str, Any]:
        """A `create` delivery: a branch (or tag) was created; the ref is created here too."""
        key, repo_doc = self._repo(repo)
        if ref_type == "branch":
            default = self.refs[key].get(f"refs/heads/{repo_doc['default_branch']}")
            self.refs[key].setdefault(f"refs/heads/{ref}", default or self._new_sha())
        return {
            "ref": ref,
            "ref_type": ref_type,
            "master_branch": repo_doc["default_branch"],
            "description": None,
            "pusher_type": "user",
            **self._hook_context(repo_doc, sender),
        }

    # ---- queries for tests -------------------------------------------------------------------

    def requests_to(self, path: str, method: str | None = None) -> list[RecordedRequest]:
        return [
            r
            for r in self.requests
            if r.path == path and (method is None or r.method == method.upper())
        ]

    async def wait_in_flight(self, count: int) -> None:
        """Return once `count` requests are being answered at the same time (see `hold`)."""
        async with self._arrivals:
            await self._arrivals.wait_for(lambda: self.in_flight >= count)

    def code_alert(self, repo: str, number: int) -> dict[str, Any]:
        return self.code_alerts[self._repo(repo)[0]][number]

    def secret_alert(self, repo: str, number: int) -> dict[str, Any]:
        return self.secret_alerts[self._repo(repo)[0]][number]

    # ---- middleware: record, fault, authenticate, rate-limit and ETag headers ---------------

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        path = request.path.removeprefix(self.prefix) or "/"
        request[JSON_BODY] = await self._record(request, path)
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        async with self._arrivals:
            self._arrivals.notify_all()
        try:
            if self.hold is not None:  # tests hold answers back to see how many wait at once
                await self.hold.wait()
            return await self._answer(request, handler, path)
        finally:
            self.in_flight -= 1

    async def _answer(
        self, request: web.Request, handler: Handler, path: str
    ) -> web.StreamResponse:
        fault = self._next_fault(request.method, path)
        if fault is not None:
            return self._fault_response(request, fault)
        denied = self._authenticate(request, path)
        if denied is not None:
            return self._finish(request, denied)
        try:
            response = await handler(request)
        except web.HTTPNotFound:
            response = _error(404, "Not Found")
        except web.HTTPMethodNotAllowed:
            response = _error(404, "Not Found")
        return self._finish(request, response)

    async def _record(self, request: web.Request, path: str) -> Any:
        raw = await request.read()
        body: Any = None
        if raw:
            try:
                body = json.loads(raw)
            except ValueError:
                body = _MISSING
        headers = {k.lower(): v for k, v in request.headers.items() if k.lower() != "authorization"}
        self.requests.append(
            RecordedRequest(
                method=request.method,
                path=path,
                query=dict(request.query),
                headers=headers,
                json=None if body is _MISSING else body,
            )
        )
        return body

    def _next_fault(self, method: str, path: str) -> Fault | None:
        for key in ((method, path), ("*", path)):
            queue = self._faults.get(key)
            if queue:
                return queue.popleft()  # None: a request let through (`after=`)
        return None

    def _fault_response(self, request: web.Request, fault: Fault) -> web.StreamResponse:
        if fault.drop:
            assert request.transport is not None
            request.transport.abort()
            return web.Response(status=500)
        response = web.Response(
            status=fault.status, body=fault.body or b"", content_type="application/json"
        )
        self._rate_headers(response)
        if fault.reset_in is not None:
            response.headers["x-ratelimit-remaining"] = "0"
            response.headers["x-ratelimit-used"] = str(self.rate_limit)
            reset = int(self.clock().timestamp()) + fault.reset_in
            response.headers["x-ratelimit-reset"] = str(reset)
        response.headers.update(fault.headers)
        return response

    def _authenticate(self, request: web.Request, path: str) -> web.Response | None:
        scheme, _, credential = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() not in ("token", "bearer") or not credential:
            return _error(401, "Requires authentication")
        if path.startswith("/app/"):
            return self._check_jwt(request, credential.strip())
        credential = credential.strip()
        if credential in self.tokens:
            return None
        expires = self.installation_tokens.get(credential)
        if expires is not None and self.clock() < expires:
            return None
        return _error(401, "Bad credentials")

    def _check_jwt(self, request: web.Request, token: str) -> web.Response | None:
        try:
            claims = jwt.decode(token, options={"verify_signature": False})
            key = self.apps[str(claims["iss"])]
            jwt.decode(token, key, algorithms=["RS256"], options={"verify_exp": False})
        except (jwt.PyJWTError, KeyError):
            return _error(401, "A JSON web token could not be decoded")
        request[APP_ID] = str(claims["iss"])
        return None

    def _finish(self, request: web.Request, response: web.StreamResponse) -> web.StreamResponse:
        """Rate-limit headers on every answer; ETag (and 304) on every successful GET."""
        if (
            request.method == "GET"
            and response.status == 200
            and isinstance(response, web.Response)
        ):
            body = response.body if isinstance(response.body, bytes) else b""
            etag = 'W/"' + hashlib.sha256(body).hexdigest() + '"'
            if _etag_matches(request.headers.get("if-none-match"), etag):
                self.not_modified += 1
                not_modified = web.Response(status=304, headers={"ETag": etag})
                self._rate_headers(not_modified, count=False)
                return not_modified
            response.headers["ETag"] = etag
        self._rate_headers(response)
        return response

    def _rate_headers(self, response: web.StreamResponse, *, count: bool = True) -> None:
        if count and self.rate_remaining > 0:
            self.rate_remaining -= 1
        reset = int(self.clock().timestamp()) + 3600
        response.headers["x-ratelimit-limit"] = str(self.rate_limit)
        response.headers["x-ratelimit-remaining"] = str(self.rate_remaining)
        response.headers["x-ratelimit-used"] = str(self.rate_limit - self.rate_remaining)
        response.headers["x-ratelimit-reset"] = str(reset)
        response.headers["x-ratelimit-resource"] = "core"

    # ---- pagination ----------------------------------------------------------------------------

    def _per_page(self, request: web.Request) -> int:
        try:
            return max(1, min(int(request.query.get("per_page", "30")), 100))
        except ValueError:
            return 30

    def _page_style(self, request: web.Request, items: list[Any]) -> web.Response:
        """`page=` pagination with next/last/prev/first links, as most list endpoints do."""
        per_page = self._per_page(request)
        try:
            page = max(int(request.query.get("page", "1")), 1)
        except ValueError:
            page = 1
        last = max(math.ceil(len(items) / per_page), 1)
        chunk = items[(page - 1) * per_page : page * per_page]
        links: list[tuple[str, dict[str, str]]] = []
        if page < last:
            links += [("next", {"page": str(page + 1)}), ("last", {"page": str(last)})]
        if page > 1:
            links += [("prev", {"page": str(page - 1)}), ("first", {"page": "1"})]
        return self._with_links(request, _json(chunk), links)

    def _cursor_style(
        self, request: web.Request, items: list[Any], key: Callable[[Any], list[Any]], asc: bool
    ) -> web.Response:
        """`after=`/`before=` cursors naming the last item seen, so inserts don't shift pages."""
        if "page" in request.query:
            return self._page_style(request, items)
        per_page = self._per_page(request)
        keys = [key(item) for item in items]

        def later(a: list[Any], b: list[Any]) -> bool:
            return a > b if asc else a < b

        after, before = request.query.get("after"), request.query.get("before")
        if after:
            mark = _decode_cursor(after)
            start = next((i for i, k in enumerate(keys) if later(k, mark)), len(items))
            end = min(start + per_page, len(items))
        elif before:
            mark = _decode_cursor(before)
            end = next((i for i, k in enumerate(keys) if not later(mark, k)), len(items))
            start = max(end - per_page, 0)
        else:
            start, end = 0, min(per_page, len(items))
        links: list[tuple[str, dict[str, str]]] = []
        if end < len(items):
            links.append(("next", {"after": _encode_cursor(keys[end - 1]), "before": ""}))
        if start > 0:
            links.append(("prev", {"before": _encode_cursor(keys[start]), "after": ""}))
        return self._with_links(request, _json(items[start:end]), links)

    def _with_links(
        self,
        request: web.Request,
        response: web.Response,
        links: list[tuple[str, dict[str, str]]],
    ) -> web.Response:
        if not links:
            return response
        base = str(request.url.with_query(None))
        parts = []
        for rel, changes in links:
            query = {**request.query, **changes}
            query = {k: v for k, v in query.items() if v or k not in ("after", "before")}
            parts.append(f'<{base}?{urlencode(query, quote_via=quote, safe="")}>; rel="{rel}"')
        response.headers["Link"] = ", ".join(parts)
        return response

    # ---- org lists -----------------------------------------------------------------------------

    async def _org_code_alerts(self, request: web.Request) -> web.StreamResponse:
        org = request.match_info["org"].lower()
        if org not in self.orgs:
            return _error(404, "Not Found")
        q = request.query
        state = q.get("state")
        if state is not None and state not in ("open", "closed", "dismissed", "fixed"):
            return _error(422, f"Invalid value for state: {state}")
        alerts = [
            a
            for key, repo_alerts in self.code_alerts.items()
            if key.startswith(org + "/")
            for a in repo_alerts.values()
            if _code_matches(a, q)
        ]
        return self._sorted_alerts(request, alerts, cursor=True)

    async def _org_secret_alerts(self, request: web.Request) -> web.StreamResponse:
        org = request.match_info["org"].lower()
        if org not in self.orgs:
            return _error(404, "Not Found")
        q = request.query
        state = q.get("state")
        if state is not None and state not in ("open", "resolved"):
            return _error(422, f"Invalid value for state: {state}")
        alerts = [
            a
            for key, repo_alerts in self.secret_alerts.items()
            if key.startswith(org + "/")
            for a in repo_alerts.values()
            if _secret_matches(a, q)
        ]
        if q.get("hide_secret") == "true":
            alerts = [{k: v for k, v in a.items() if k != "secret"} for a in alerts]
        return self._sorted_alerts(request, alerts, cursor=True)

    def _sorted_alerts(
        self, request: web.Request, alerts: list[dict[str, Any]], *, cursor: bool
    ) -> web.Response:
        sort = request.query.get("sort", "created")
        direction = request.query.get("direction", "desc")
        if sort not in ("created", "updated") or direction not in ("asc", "desc"):
            return _error(422, "Invalid value for sort or direction")
        field_name = f"{sort}_at"

        def key(alert: dict[str, Any]) -> list[Any]:
            stamp = alert.get(field_name) or alert["created_at"]
            return [stamp, alert.get("repository", {}).get("id", 0), alert["number"]]

        asc = direction == "asc"
        alerts = sorted(alerts, key=key, reverse=not asc)
        if cursor:
            return self._cursor_style(request, alerts, key, asc)
        return self._page_style(request, alerts)

    async def _org_repos(self, request: web.Request) -> web.StreamResponse:
        org = request.match_info["org"].lower()
        if org not in self.orgs:
            return _error(404, "Not Found")
        kind = request.query.get("type", "all")
        repos = [r for r in self.repos.values() if r["owner"]["login"].lower() == org]
        if kind in ("public", "private"):
            repos = [r for r in repos if r["visibility"] == kind]
        sort = request.query.get("sort", "created")
        field_name = {"created": "created_at", "updated": "updated_at", "pushed": "pushed_at"}
        default_direction = "asc" if sort == "full_name" else "desc"
        reverse = request.query.get("direction", default_direction) == "desc"
        repos.sort(key=lambda r: (r[field_name.get(sort, "full_name")], r["id"]), reverse=reverse)
        return self._page_style(request, repos)

    async def _org_property_values(self, request: web.Request) -> web.StreamResponse:
        org = request.match_info["org"].lower()
        if org not in self.orgs:
            return _error(404, "Not Found")
        rows = [
            {
                "repository_id": repo["id"],
                "repository_name": repo["name"],
                "repository_full_name": repo["full_name"],
                "properties": [
                    {"property_name": name, "value": value}
                    for name, value in self.properties.get(key, {}).items()
                ],
            }
            for key, repo in sorted(self.repos.items(), key=lambda item: item[1]["id"])
            if repo["owner"]["login"].lower() == org
        ]
        return self._page_style(request, rows)

    async def _org_teams(self, request: web.Request) -> web.StreamResponse:
        org = request.match_info["org"].lower()
        if org not in self.orgs:
            return _error(404, "Not Found")
        teams = [team for (team_org, _), team in self.teams.items() if team_org == org]
        return self._page_style(request, teams)

    async def _team_repos(self, request: web.Request) -> web.StreamResponse:
        key = (request.match_info["org"].lower(), request.match_info["slug"])
        if key not in self.teams:
            return _error(404, "Not Found")
        repos = []
        for repo_key, permission in self.team_repos[key].items():
            role = TEAM_ROLE.get(permission, permission)
            repos.append(
                {
                    **self.repos[repo_key],
                    "permissions": _permission_flags(role),
                    "role_name": role,
                }
            )
        return self._page_style(request, repos)

    # ---- repositories and alerts ---------------------------------------------------------------

    def _match_repo(self, request: web.Request) -> tuple[str, dict[str, Any]] | None:
        key = f"{request.match_info['owner']}/{request.match_info['repo']}".lower()
        repo = self.repos.get(key)
        return (key, repo) if repo is not None else None

    async def _get_repo(self, request: web.Request) -> web.StreamResponse:
        found = self._match_repo(request)
        return _json(found[1]) if found else _error(404, "Not Found")

    async def _repo_code_alerts(self, request: web.Request) -> web.StreamResponse:
        found = self._match_repo(request)
        if not found:
            return _error(404, "Not Found")
        alerts = [
            _without_repository(a)
            for a in self.code_alerts[found[0]].values()
            if _code_matches(a, request.query)
        ]
        return self._sorted_alerts(request, alerts, cursor=False)

    async def _repo_secret_alerts(self, request: web.Request) -> web.StreamResponse:
        found = self._match_repo(request)
        if not found:
            return _error(404, "Not Found")
        alerts = [
            _without_repository(a)
            for a in self.secret_alerts[found[0]].values()
            if _secret_matches(a, request.query)
        ]
        return self._sorted_alerts(request, alerts, cursor=False)

    def _alert(
        self, request: web.Request, store: dict[str, dict[int, dict[str, Any]]]
    ) -> tuple[str, dict[str, Any]] | None:
        found = self._match_repo(request)
        if not found:
            return None
        try:
            number = int(request.match_info["number"])
        except ValueError:
            return None
        alert = store[found[0]].get(number)
        return (found[0], alert) if alert is not None else None

    async def _get_code(self, request: web.Request) -> web.StreamResponse:
        found = self._alert(request, self.code_alerts)
        return _json(_without_repository(found[1])) if found else _error(404, "Not Found")

    async def _get_secret(self, request: web.Request) -> web.StreamResponse:
        found = self._alert(request, self.secret_alerts)
        return _json(_without_repository(found[1])) if found else _error(404, "Not Found")

    def _can_write(self, repo_key: str, login: str) -> bool:
        role = self.collaborators.get(repo_key, {}).get(login.lower())
        return role is not None and (role[0] in WRITE_ROLES or role[1] in ("admin", "write"))

    async def _patch_code(self, request: web.Request) -> web.StreamResponse:
        found = self._alert(request, self.code_alerts)
        if not found:
            return _error(404, "Not Found")
        key, alert = found
        body = request[JSON_BODY]
        if not isinstance(body, dict):
            return _error(400, "Problems parsing JSON")
        if "state" not in body and "assignees" not in body:
            return _error(422, "Invalid request. One of state or assignees is required.")
        if self.repos[key]["archived"]:
            return _error(403, "Repository is archived")
        if "assignees" in body:
            refused = self._assignees_refused(key, body["assignees"], "CodeScanningAlert")
            if refused is not None:
                return refused
        if "state" in body:
            refused = self._set_code_state(alert, body)
            if refused is not None:
                return refused
        if "assignees" in body:
            alert["assignees"] = [self.user(login) for login in body["assignees"]]
        alert["updated_at"] = iso(self.clock())
        return _json(_without_repository(alert))

    def _assignees_refused(self, key: str, logins: Any, resource: str) -> web.Response | None:
        if not isinstance(logins, list) or not all(isinstance(x, str) for x in logins):
            return _validation("assignees must be an array of logins", resource, "assignees")
        for login in logins:
            if not self._can_write(key, login):
                message = f"{login} does not have write access to {self.repos[key]['full_name']}"
                return _validation(message, resource, "assignees")
        return None

    def _set_code_state(self, alert: dict[str, Any], body: dict[str, Any]) -> web.Response | None:
        state = body["state"]
        if state == "dismissed":
            reason = body.get("dismissed_reason")
            if reason not in DISMISSED_REASONS:
                return _error(422, "dismissed_reason is required when dismissing an alert")
            alert.update(
                state="dismissed",
                dismissed_reason=reason,
                dismissed_comment=body.get("dismissed_comment"),
                dismissed_at=iso(self.clock()),
                dismissed_by=self.user(self.actor),
            )
            alert["most_recent_instance"]["state"] = "dismissed"
        elif state == "open":
            alert.update(
                state="open",
                dismissed_reason=None,
                dismissed_comment=None,
                dismissed_at=None,
                dismissed_by=None,
            )
            alert["most_recent_instance"]["state"] = "open"
        else:
            return _error(422, f"Invalid value for state: {state}")
        return None

    async def _patch_secret(self, request: web.Request) -> web.StreamResponse:
        found = self._alert(request, self.secret_alerts)
        if not found:
            return _error(404, "Not Found")
        key, alert = found
        body = request[JSON_BODY]
        if not isinstance(body, dict):
            return _error(400, "Problems parsing JSON")
        if not {"state", "assignee", "validity"} & body.keys():
            return _error(422, "Invalid request. One of state, assignee or validity is required.")
        if "assignee" in body:
            login = body["assignee"]
            if login is not None:
                if not isinstance(login, str):
                    return _validation(
                        "assignee must be a login", "SecretScanningAlert", "assignee"
                    )
                if not self._can_write(key, login):
                    message = (
                        f"{login} does not have write access to {self.repos[key]['full_name']}"
                    )
                    return _validation(message, "SecretScanningAlert", "assignee")
        if "state" in body:
            refused = self._set_secret_state(alert, body)
            if refused is not None:
                return refused
        if "assignee" in body:
            alert["assigned_to"] = self.user(body["assignee"]) if body["assignee"] else None
        if "validity" in body:
            alert["validity"] = body["validity"] or "unknown"
        alert["updated_at"] = iso(self.clock())
        return _json(_without_repository(alert))

    def _set_secret_state(self, alert: dict[str, Any], body: dict[str, Any]) -> web.Response | None:
        state = body["state"]
        if state == "resolved":
            resolution = body.get("resolution")
            if resolution not in RESOLUTIONS:
                return _error(422, "resolution is required when resolving an alert")
            alert.update(
                state="resolved",
                resolution=resolution,
                resolution_comment=body.get("resolution_comment"),
                resolved_at=iso(self.clock()),
                resolved_by=self.user(self.actor),
            )
        elif state == "open":
            alert.update(state="open", resolution=None, resolved_at=None, resolved_by=None)
        else:
            return _error(422, f"Invalid value for state: {state}")
        return None

    async def _permission(self, request: web.Request) -> web.StreamResponse:
        found = self._match_repo(request)
        login = request.match_info["login"]
        if not found or login.lower() not in self.users:
            return _error(404, "Not Found")
        role, legacy = self.collaborators.get(found[0], {}).get(login.lower(), ("none", "none"))
        user = {**self.user(login), "permissions": _permission_flags(role), "role_name": role}
        return _json({"permission": legacy, "role_name": role, "user": user})

    # ---- refs --------------------------------------------------------------------------------

    def _ref_doc(self, full_name: str, ref: str, sha: str) -> dict[str, Any]:
        api = f"{self.url}/repos/{full_name}/git"
        return {
            "ref": ref,
            "node_id": _node_id("REF", abs(hash(ref)) % 10_000),
            "url": f"{api}/{ref}",
            "object": {"sha": sha, "type": "commit", "url": f"{api}/commits/{sha}"},
        }

    async def _get_ref(self, request: web.Request) -> web.StreamResponse:
        found = self._match_repo(request)
        if not found:
            return _error(404, "Not Found")
        ref = "refs/" + request.match_info["ref"]
        sha = self.refs[found[0]].get(ref)
        if sha is None:
            return _error(404, "Not Found")
        return _json(self._ref_doc(found[1]["full_name"], ref, sha))

    async def _create_ref(self, request: web.Request) -> web.StreamResponse:
        found = self._match_repo(request)
        if not found:
            return _error(404, "Not Found")
        key, repo = found
        body = request[JSON_BODY]
        if not isinstance(body, dict) or not isinstance(body.get("ref"), str):
            return _error(422, 'Invalid request. "ref" wasn\'t supplied.')
        ref, sha = body["ref"], str(body.get("sha"))
        if not ref.startswith("refs/") or ref.count("/") < 2:
            return _error(422, "Reference name is invalid")
        if ref in self.refs[key]:
            return _error(422, "Reference already exists")
        if sha not in self.refs[key].values():
            return _error(422, "Object does not exist")
        self.refs[key][ref] = sha
        return _json(self._ref_doc(repo["full_name"], ref, sha), status=201)

    # ---- campaigns ---------------------------------------------------------------------------

    def _campaign_org(self, request: web.Request) -> str | None:
        org = request.match_info["org"].lower()
        return org if org in self.orgs else None

    async def _list_campaigns(self, request: web.Request) -> web.StreamResponse:
        org = self._campaign_org(request)
        if org is None:
            return _error(404, "Not Found")
        state = request.query.get("state")
        items = [
            {k: v for k, v in c.items() if k not in ("alert_stats", "_alerts")}
            for c in self.campaigns[org].values()
            if state is None or c["state"] == state
        ]
        reverse = request.query.get("direction", "desc") == "desc"
        items.sort(key=lambda c: (c["created_at"], c["number"]), reverse=reverse)
        return self._page_style(request, items)

    async def _create_campaign(self, request: web.Request) -> web.StreamResponse:
        org = self._campaign_org(request)
        if org is None:
            return _error(404, "Not Found")
        body = request[JSON_BODY]
        if not isinstance(body, dict):
            return _error(400, "Problems parsing JSON")
        refused = self._check_campaign(org, body, creating=True)
        if refused is not None:
            return refused
        campaign = self._store_campaign(org, body)
        return _json(_public_campaign(campaign, self._alert_stats(campaign)))  # 200, not 201

    def _check_campaign(
        self, org: str, body: dict[str, Any], *, creating: bool
    ) -> web.Response | None:
        allowed = CAMPAIGN_FIELDS if creating else CAMPAIGN_PATCH_FIELDS
        unknown = sorted(set(body) - allowed)
        if unknown:
            return _error(422, f'Invalid request. "{unknown[0]}" is not a permitted key.')
        if creating:
            missing = [k for k in ("name", "description", "ends_at") if k not in body]
            if missing:
                return _error(422, f'Invalid request. "{missing[0]}" wasn\'t supplied.')
            alert_sets = [
                k for k in ("code_scanning_alerts", "secret_scanning_alerts") if body.get(k)
            ]
            if len(alert_sets) != 1:
                return _error(422, "Invalid request. Exactly one list of alerts is required.")
            refused = self._check_campaign_alerts(org, body[alert_sets[0]])
            if refused is not None:
                return refused
        return self._check_campaign_fields(body)

    def _check_campaign_fields(self, body: dict[str, Any]) -> web.Response | None:
        if "name" in body and not (isinstance(body["name"], str) and 1 <= len(body["name"]) <= 50):
            return _error(422, "Name must be between 1 and 50 characters")
        description = body.get("description", "x")
        if not (isinstance(description, str) and 1 <= len(description) <= 255):
            return _error(422, "Description must be between 1 and 255 characters")
        if "ends_at" in body:
            try:
                ends_at = datetime.fromisoformat(str(body["ends_at"]).replace("Z", "+00:00"))
            except ValueError:
                return _error(422, "ends_at must be a date-time")
            if ends_at.tzinfo is None or ends_at <= self.clock():
                return _error(422, "The date must be in the future.")
        managers = body.get("managers", [])
        if not isinstance(managers, list) or len(managers) > 1:
            return _error(422, "At this time, only a single manager can be supplied.")
        if body.get("state", "open") not in ("open", "closed"):
            return _error(422, "state must be open or closed")
        return None

    def _check_campaign_alerts(self, org: str, groups: Any) -> web.Response | None:
        if not isinstance(groups, list) or not groups:
            return _error(422, "Invalid request. At least one repository is required.")
        for group in groups:
            if not isinstance(group, dict) or not group.get("alert_numbers"):
                return _error(422, "Invalid request. alert_numbers must not be empty.")
            repo = next(
                (r for r in self.repos.values() if r["id"] == group.get("repository_id")), None
            )
            if repo is None or repo["owner"]["login"].lower() != org:
                return _error(422, f"Repository {group.get('repository_id')} not found")
        return None

    def _store_campaign(self, org: str, body: dict[str, Any]) -> dict[str, Any]:
        number = max(self.campaigns[org], default=0) + 1
        now = iso(self.clock())
        campaign = {
            "number": number,
            "created_at": now,
            "updated_at": now,
            "name": body.get("name"),
            "description": body.get("description"),
            "managers": [self.user(login) for login in body.get("managers", [])],
            "team_managers": [
                self.teams[(org, slug)]
                for slug in body.get("team_managers", [])
                if (org, slug) in self.teams
            ],
            "published_at": now,
            "ends_at": body.get("ends_at"),
            "closed_at": None,
            "state": "open",
            "contact_link": body.get("contact_link"),
            "_alerts": body.get("code_scanning_alerts") or body.get("secret_scanning_alerts") or [],
            "_kind": "secret" if body.get("secret_scanning_alerts") else "code",
        }
        self.campaigns[org][number] = campaign
        return campaign

    async def _get_campaign(self, request: web.Request) -> web.StreamResponse:
        found = self._campaign(request)
        return (
            _json(_public_campaign(found[1], self._alert_stats(found[1])))
            if found
            else _error(404, "Not Found")
        )

    def _campaign(self, request: web.Request) -> tuple[str, dict[str, Any]] | None:
        org = self._campaign_org(request)
        try:
            number = int(request.match_info["number"])
        except ValueError:
            return None
        if org is None or number not in self.campaigns[org]:
            return None
        return org, self.campaigns[org][number]

    async def _update_campaign(self, request: web.Request) -> web.StreamResponse:
        found = self._campaign(request)
        if not found:
            return _error(404, "Not Found")
        org, campaign = found
        body = request[JSON_BODY]
        if not isinstance(body, dict):
            return _error(400, "Problems parsing JSON")
        refused = self._check_campaign(org, body, creating=False)
        if refused is not None:
            return refused
        now = iso(self.clock())
        for name in ("name", "description", "ends_at", "contact_link"):
            if name in body:
                campaign[name] = body[name]
        if "managers" in body:
            campaign["managers"] = [self.user(login) for login in body["managers"]]
        if "state" in body and body["state"] != campaign["state"]:
            campaign["state"] = body["state"]
            campaign["closed_at"] = now if body["state"] == "closed" else None
        campaign["updated_at"] = now
        return _json(_public_campaign(campaign, self._alert_stats(campaign)))

    async def _delete_campaign(self, request: web.Request) -> web.StreamResponse:
        found = self._campaign(request)
        if not found:
            return _error(404, "Not Found")
        del self.campaigns[found[0]][found[1]["number"]]
        return web.Response(status=204)

    def _alert_stats(self, campaign: dict[str, Any]) -> dict[str, int]:
        store = self.secret_alerts if campaign["_kind"] == "secret" else self.code_alerts
        open_count = closed_count = 0
        for group in campaign["_alerts"]:
            repo_key = next(
                (k for k, r in self.repos.items() if r["id"] == group["repository_id"]), None
            )
            for number in group["alert_numbers"]:
                alert = store.get(repo_key or "", {}).get(number)
                if alert is not None and alert["state"] == "open":
                    open_count += 1
                elif alert is not None:
                    closed_count += 1
        return {"open_count": open_count, "closed_count": closed_count, "in_progress_count": 0}

    # ---- GitHub App --------------------------------------------------------------------------

    async def _access_token(self, request: web.Request) -> web.StreamResponse:
        installation = request.match_info["installation"]
        if self.installations.get(installation) != request.get(APP_ID):
            return _error(404, "Not Found")
        token = f"ghs_{hashlib.sha256(str(next(self._ids)).encode()).hexdigest()[:36]}"
        expires_at = self.clock().replace(microsecond=0) + timedelta(hours=1)
        self.installation_tokens[token] = expires_at
        self.issued_tokens.append(token)
        body = {
            "token": token,
            "expires_at": iso(expires_at),
            "permissions": {"security_events": "write", "metadata": "read"},
            "repository_selection": "all",
        }
        return _json(body, status=201)

    # ---- documents ---------------------------------------------------------------------------

    def _repo(self, repo: str) -> tuple[str, dict[str, Any]]:
        """Look a repository up by full name or, in the default org, by short name."""
        key = (repo if "/" in repo else f"{self.org}/{repo}").lower()
        if key not in self.repos:
            raise KeyError(f"no repository {repo!r}; add_repo() it first")
        return key, self.repos[key]

    def _simple_user(self, login: str, *, kind: str = "User") -> dict[str, Any]:
        user_id = next(self._ids)
        api = f"{self.url}/{'orgs' if kind == 'Organization' else 'users'}/{login}"
        return {
            "login": login,
            "id": user_id,
            "node_id": _node_id("U", user_id),
            "avatar_url": f"https://avatars.githubusercontent.com/u/{user_id}?v=4",
            "gravatar_id": "",
            "url": api,
            "html_url": f"https://github.com/{login}",
            "type": kind,
            "site_admin": False,
        }

    def _simple_repo(self, repo: dict[str, Any]) -> dict[str, Any]:
        keys = (
            "id",
            "node_id",
            "name",
            "full_name",
            "owner",
            "private",
            "html_url",
            "description",
            "fork",
            "url",
            "hooks_url",
            "issues_url",
            "pulls_url",
            "git_refs_url",
            "languages_url",
            "teams_url",
        )
        return {k: repo[k] for k in keys}

    def _new_sha(self) -> str:
        return hashlib.sha1(str(next(self._shas)).encode(), usedforsecurity=False).hexdigest()


# ---- module helpers ------------------------------------------------------------------------------


def _node_id(kind: str, number: int) -> str:
    return base64.b64encode(f"{kind}_{number:08d}".encode()).decode().rstrip("=")


def _encode_cursor(key: list[Any]) -> str:
    return base64.b64encode(json.dumps(["cursor:v2", key]).encode()).decode()


def _decode_cursor(cursor: str) -> list[Any]:
    try:
        tag, key = json.loads(base64.b64decode(cursor.encode()))
    except ValueError:
        return []
    return list(key) if tag == "cursor:v2" else []


def _replace_in(value: Any, old: str, new: str) -> Any:
    """A copy of a JSON document with `old` replaced by `new` in every string (URLs, names)."""
    if isinstance(value, str):
        return value.replace(old, new)
    if isinstance(value, dict):
        return {k: _replace_in(v, old, new) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace_in(v, old, new) for v in value]
    return value


def _etag_matches(header: str | None, etag: str) -> bool:
    if not header:
        return False
    candidates = [part.strip() for part in header.split(",")]
    return "*" in candidates or etag in candidates


def _csv(query: Mapping[str, str], name: str) -> set[str] | None:
    value = query.get(name)
    return {part.strip() for part in value.split(",") if part.strip()} if value else None


def _code_matches(alert: dict[str, Any], query: Mapping[str, str]) -> bool:
    state = query.get("state")
    if state == "closed" and alert["state"] not in ("fixed", "dismissed"):
        return False
    if state in ("open", "fixed", "dismissed") and alert["state"] != state:
        return False
    severities = _csv(query, "severity")
    rule = alert["rule"]
    if severities and not {rule["severity"], rule["security_severity_level"]} & severities:
        return False
    tool = query.get("tool_name")
    return not (tool and alert["tool"]["name"] != tool)


def _secret_matches(alert: dict[str, Any], query: Mapping[str, str]) -> bool:
    if query.get("state") and alert["state"] != query["state"]:
        return False
    for param, field_name in (
        ("secret_type", "secret_type"),
        ("validity", "validity"),
        ("resolution", "resolution"),
        ("providers", "provider_slug"),
    ):
        wanted = _csv(query, param)
        if wanted and alert[field_name] not in wanted:
            return False
    if query.get("is_publicly_leaked") == "true" and not alert["publicly_leaked"]:
        return False
    return not (query.get("is_multi_repo") == "true" and not alert["multi_repo"])


def _without_repository(alert: dict[str, Any]) -> dict[str, Any]:
    """Repository-level endpoints answer the alert without its `repository`."""
    return {k: v for k, v in alert.items() if k != "repository"}


def _permission_flags(role: str) -> dict[str, bool]:
    order = ["read", "triage", "write", "maintain", "admin"]
    rank = order.index(role) if role in order else -1
    return {
        "pull": rank >= 0,
        "triage": rank >= 1,
        "push": rank >= 2,
        "maintain": rank >= 3,
        "admin": rank >= 4,
    }


def _public_campaign(
    campaign: dict[str, Any], stats: dict[str, int] | None = None
) -> dict[str, Any]:
    """The campaign-summary document (private bookkeeping fields left out)."""
    public = {k: v for k, v in campaign.items() if not k.startswith("_")}
    public["alert_stats"] = stats or {
        "open_count": sum(len(g["alert_numbers"]) for g in campaign["_alerts"]),
        "closed_count": 0,
        "in_progress_count": 0,
    }
    return public
