"""FakeGitHub's in-memory organization: its state and the builders tests use to fill it."""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.fakes.github_docs import (
    LEGACY_PERMISSION,
    RULES,
    Clock,
    iso,
    iso_or,
    node_id,
)


class GitHubData:
    """Organizations, repositories, alerts, teams and campaigns, as GitHub documents them."""

    def __init__(self, *, org: str, clock: Clock | None) -> None:
        self.org = org
        self.clock: Clock = clock or (lambda: datetime.now(UTC))
        self.actor = "security-bot"
        self.orgs: dict[str, dict[str, Any]] = {}
        self.users: dict[str, dict[str, Any]] = {}
        self.repos: dict[str, dict[str, Any]] = {}
        self.code_alerts: dict[str, dict[int, dict[str, Any]]] = {}
        self.secret_alerts: dict[str, dict[int, dict[str, Any]]] = {}
        self.properties: dict[str, dict[str, str | list[str] | None]] = {}
        self.teams: dict[tuple[str, str], dict[str, Any]] = {}
        self.team_repos: dict[tuple[str, str], dict[str, str]] = {}
        self.collaborators: dict[str, dict[str, tuple[str, str]]] = {}
        self.public_emails: dict[str, str] = {}
        self.refs: dict[str, dict[str, str]] = {}
        self.campaigns: dict[str, dict[int, dict[str, Any]]] = {}
        self._ids = itertools.count(1000)
        self._shas = itertools.count(1)
        self.add_org(org)

    @property
    def url(self) -> str:
        """The REST base URL documents link to; the server knows its port."""
        raise NotImplementedError

    # ---- builders --------------------------------------------------------------------------------

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
            "node_id": node_id("R", repo_id),
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
            "created_at": iso_or(created_at, now - timedelta(days=365)),
            "updated_at": iso(now),
            "pushed_at": iso_or(pushed_at, now),
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
        created = iso_or(created_at, now)
        alert = {
            "number": number,
            "created_at": created,
            "updated_at": iso_or(updated_at, now) if updated_at else created,
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
        created = iso_or(created_at, now)
        sha = self._new_sha()
        alert = {
            "number": number,
            "created_at": created,
            "updated_at": iso_or(updated_at, now) if updated_at else created,
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
            "node_id": node_id("T", team_id),
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

    def remove_collaborator(self, repo: str, login: str) -> None:
        key, _ = self._repo(repo)
        self.collaborators.get(key, {}).pop(login.lower(), None)

    def set_public_email(self, login: str, email: str | None) -> None:
        """The e-mail `login` shows on their public profile (`GET /users/{login}`)."""
        self.user(login)
        if email is None:
            self.public_emails.pop(login.lower(), None)
        else:
            self.public_emails[login.lower()] = email

    # ---- queries for tests -----------------------------------------------------------------------

    def code_alert(self, repo: str, number: int) -> dict[str, Any]:
        return self.code_alerts[self._repo(repo)[0]][number]

    def secret_alert(self, repo: str, number: int) -> dict[str, Any]:
        return self.secret_alerts[self._repo(repo)[0]][number]

    # ---- documents -------------------------------------------------------------------------------

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
            "node_id": node_id("U", user_id),
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
