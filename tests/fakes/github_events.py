"""What happens on GitHub between two syncs, and the webhook deliveries that announce it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tests.fakes.github_data import GitHubData
from tests.fakes.github_docs import iso, node_id, replace_in, without_repository


class GitHubEvents(GitHubData):
    """Changes to the organization, and the payloads GitHub would deliver for them."""

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
        moved = replace_in(doc, old_full, new_full)
        moved.update(name=name, full_name=new_full, owner=self.add_org(owner))
        self.repos[new_key] = moved
        simple = self._simple_repo(moved)
        for table in (self.code_alerts, self.secret_alerts):
            alerts = table.pop(key, {})
            table[new_key] = {
                number: {**replace_in(alert, old_full, new_full), "repository": simple}
                for number, alert in alerts.items()
            }
        for table in (self.properties, self.collaborators, self.refs):
            if key in table:
                table[new_key] = table.pop(key)
        for repos in self.team_repos.values():
            if key in repos:
                repos[new_key] = repos.pop(key)
        return moved

    # ---- webhook payloads (what GitHub would deliver for these changes) --------------------------

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
        alert = without_repository(self.code_alerts[key][number])
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
            "node_id": node_id("PR", number),
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
