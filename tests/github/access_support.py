"""What the access-webhook tests (tests/github/test_access_*.py) share: the `member`,
`team_add` and `membership` deliveries they send, shaped as GitHub documents them. The synced
organization they start from is the `synced` fixture of tests/github/conftest.py.
"""

from __future__ import annotations

from typing import Any

from tests.fakes.github import FakeGitHub


def member_event(
    fake: FakeGitHub,
    action: str,
    repo: str,
    login: str,
    *,
    to: str | None = None,
    previous: str | None = None,
) -> dict[str, Any]:
    """A `member` delivery: added (`to` the new permission), edited (`previous` → `to`), removed."""
    changes: dict[str, Any] = {}
    if action == "added" and to is not None:
        changes = {"permission": {"to": to}, "role_name": {"to": to}}
    elif action == "edited":
        changes = {"old_permission": {"from": previous}, "permission": {"from": previous, "to": to}}
    payload: dict[str, Any] = {
        "action": action,
        "member": fake.user(login),
        **fake._hook_context(fake.repos[f"acme/{repo}"], None),
    }
    if action != "removed":
        payload["changes"] = changes
    return payload


def team_add_event(fake: FakeGitHub, slug: str, repo: str) -> dict[str, Any]:
    return {"team": fake.teams[("acme", slug)], **fake._hook_context(fake.repos[repo], None)}


def membership_event(
    fake: FakeGitHub, action: str, slug: str, login: str, *, org: str = "acme"
) -> dict[str, Any]:
    organization = fake.add_org(org)
    return {
        "action": action,
        "scope": "team",
        "member": fake.user(login),
        "sender": fake.user("octocat"),
        "team": fake.teams[(org.lower(), slug)],
        "organization": {k: organization[k] for k in ("login", "id", "node_id", "url")},
    }
