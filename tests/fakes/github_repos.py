"""FakeGitHub's repository endpoints: alerts (read and PATCH), permissions and git refs."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from tests.fakes.github_docs import (
    DISMISSED_REASONS,
    JSON_BODY,
    RESOLUTIONS,
    WRITE_ROLES,
    code_matches,
    error_response,
    iso,
    json_response,
    node_id,
    permission_flags,
    secret_matches,
    validation_error,
    without_repository,
)
from tests.fakes.github_lists import ListRoutes


class RepositoryRoutes(ListRoutes):
    """Routes under `/repos/{owner}/{repo}`."""

    def _match_repo(self, request: web.Request) -> tuple[str, dict[str, Any]] | None:
        key = f"{request.match_info['owner']}/{request.match_info['repo']}".lower()
        repo = self.repos.get(key)
        return (key, repo) if repo is not None else None

    async def _get_repo(self, request: web.Request) -> web.StreamResponse:
        found = self._match_repo(request)
        return json_response(found[1]) if found else error_response(404, "Not Found")

    async def _repo_code_alerts(self, request: web.Request) -> web.StreamResponse:
        found = self._match_repo(request)
        if not found:
            return error_response(404, "Not Found")
        alerts = [
            without_repository(a)
            for a in self.code_alerts[found[0]].values()
            if code_matches(a, request.query)
        ]
        return self._sorted_alerts(request, alerts, cursor=False)

    async def _repo_secret_alerts(self, request: web.Request) -> web.StreamResponse:
        found = self._match_repo(request)
        if not found:
            return error_response(404, "Not Found")
        alerts = [
            without_repository(a)
            for a in self.secret_alerts[found[0]].values()
            if secret_matches(a, request.query)
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
        return (
            json_response(without_repository(found[1]))
            if found
            else error_response(404, "Not Found")
        )

    async def _get_secret(self, request: web.Request) -> web.StreamResponse:
        found = self._alert(request, self.secret_alerts)
        return (
            json_response(without_repository(found[1]))
            if found
            else error_response(404, "Not Found")
        )

    def _can_write(self, repo_key: str, login: str) -> bool:
        role = self.collaborators.get(repo_key, {}).get(login.lower())
        return role is not None and (role[0] in WRITE_ROLES or role[1] in ("admin", "write"))

    async def _patch_code(self, request: web.Request) -> web.StreamResponse:
        found = self._alert(request, self.code_alerts)
        if not found:
            return error_response(404, "Not Found")
        key, alert = found
        body = request[JSON_BODY]
        if not isinstance(body, dict):
            return error_response(400, "Problems parsing JSON")
        if "state" not in body and "assignees" not in body:
            return error_response(422, "Invalid request. One of state or assignees is required.")
        if self.repos[key]["archived"]:
            return error_response(403, "Repository is archived")
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
        return json_response(without_repository(alert))

    def _assignees_refused(self, key: str, logins: Any, resource: str) -> web.Response | None:
        if not isinstance(logins, list) or not all(isinstance(x, str) for x in logins):
            return validation_error("assignees must be an array of logins", resource, "assignees")
        for login in logins:
            if not self._can_write(key, login):
                message = f"{login} does not have write access to {self.repos[key]['full_name']}"
                return validation_error(message, resource, "assignees")
        return None

    def _set_code_state(self, alert: dict[str, Any], body: dict[str, Any]) -> web.Response | None:
        state = body["state"]
        if state == "dismissed":
            reason = body.get("dismissed_reason")
            if reason not in DISMISSED_REASONS:
                return error_response(422, "dismissed_reason is required when dismissing an alert")
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
            return error_response(422, f"Invalid value for state: {state}")
        return None

    async def _patch_secret(self, request: web.Request) -> web.StreamResponse:
        found = self._alert(request, self.secret_alerts)
        if not found:
            return error_response(404, "Not Found")
        key, alert = found
        body = request[JSON_BODY]
        if not isinstance(body, dict):
            return error_response(400, "Problems parsing JSON")
        if not {"state", "assignee", "validity"} & body.keys():
            return error_response(
                422, "Invalid request. One of state, assignee or validity is required."
            )
        if "assignee" in body:
            login = body["assignee"]
            if login is not None:
                if not isinstance(login, str):
                    return validation_error(
                        "assignee must be a login", "SecretScanningAlert", "assignee"
                    )
                if not self._can_write(key, login):
                    message = (
                        f"{login} does not have write access to {self.repos[key]['full_name']}"
                    )
                    return validation_error(message, "SecretScanningAlert", "assignee")
        if "state" in body:
            refused = self._set_secret_state(alert, body)
            if refused is not None:
                return refused
        if "assignee" in body:
            alert["assigned_to"] = self.user(body["assignee"]) if body["assignee"] else None
        if "validity" in body:
            alert["validity"] = body["validity"] or "unknown"
        alert["updated_at"] = iso(self.clock())
        return json_response(without_repository(alert))

    def _set_secret_state(self, alert: dict[str, Any], body: dict[str, Any]) -> web.Response | None:
        state = body["state"]
        if state == "resolved":
            resolution = body.get("resolution")
            if resolution not in RESOLUTIONS:
                return error_response(422, "resolution is required when resolving an alert")
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
            return error_response(422, f"Invalid value for state: {state}")
        return None

    async def _permission(self, request: web.Request) -> web.StreamResponse:
        found = self._match_repo(request)
        login = request.match_info["login"]
        if not found or login.lower() not in self.users:
            return error_response(404, "Not Found")
        role, legacy = self.collaborators.get(found[0], {}).get(login.lower(), ("none", "none"))
        user = {**self.user(login), "permissions": permission_flags(role), "role_name": role}
        return json_response({"permission": legacy, "role_name": role, "user": user})

    async def _collaborators(self, request: web.Request) -> web.StreamResponse:
        """Collaborators with at least `permission` (GitHub's legacy names), paged."""
        found = self._match_repo(request)
        if not found:
            return error_response(404, "Not Found")
        wanted = request.query.get("permission")
        least = {"pull": "read", "triage": "triage", "push": "write", "maintain": "maintain"}
        floor = permission_flags(least.get(wanted or "pull", "read"))
        users = []
        for login, (role, _legacy) in sorted(self.collaborators.get(found[0], {}).items()):
            flags = permission_flags(role)
            if wanted and not flags.get(wanted, False):
                continue
            if not all(flags[name] for name, needed in floor.items() if needed):
                continue
            users.append({**self.user(login), "permissions": flags, "role_name": role})
        return self._page_style(request, users)

    async def _get_user(self, request: web.Request) -> web.StreamResponse:
        login = request.match_info["login"].lower()
        if login not in self.users:
            return error_response(404, "Not Found")
        user = self.users[login]
        return json_response(
            {**user, "name": user["login"].title(), "email": self.public_emails.get(login)}
        )

    # ---- refs ------------------------------------------------------------------------------------

    def _ref_doc(self, full_name: str, ref: str, sha: str) -> dict[str, Any]:
        api = f"{self.url}/repos/{full_name}/git"
        return {
            "ref": ref,
            "node_id": node_id("REF", abs(hash(ref)) % 10_000),
            "url": f"{api}/{ref}",
            "object": {"sha": sha, "type": "commit", "url": f"{api}/commits/{sha}"},
        }

    async def _get_ref(self, request: web.Request) -> web.StreamResponse:
        found = self._match_repo(request)
        if not found:
            return error_response(404, "Not Found")
        ref = "refs/" + request.match_info["ref"]
        sha = self.refs[found[0]].get(ref)
        if sha is None:
            return error_response(404, "Not Found")
        return json_response(self._ref_doc(found[1]["full_name"], ref, sha))

    async def _create_ref(self, request: web.Request) -> web.StreamResponse:
        found = self._match_repo(request)
        if not found:
            return error_response(404, "Not Found")
        key, repo = found
        body = request[JSON_BODY]
        if not isinstance(body, dict) or not isinstance(body.get("ref"), str):
            return error_response(422, 'Invalid request. "ref" wasn\'t supplied.')
        ref, sha = body["ref"], str(body.get("sha"))
        if not ref.startswith("refs/") or ref.count("/") < 2:
            return error_response(422, "Reference name is invalid")
        if ref in self.refs[key]:
            return error_response(422, "Reference already exists")
        if sha not in self.refs[key].values():
            return error_response(422, "Object does not exist")
        self.refs[key][ref] = sha
        return json_response(self._ref_doc(repo["full_name"], ref, sha), status=201)
