"""The reference convention: how a branch or a pull request says which alert it fixes.

A linked branch or pull request makes an open alert `in_progress` (ARCHITECTURE §4).

Branch names hold a path segment `fix` or `campaign`, then the alert kind (`code` or `secret`,
optionally followed by `-scanning`) and the alert number; anything may follow after a non-digit:

    fix/code-scanning-12          (what "Start fix" creates)
    campaign/code-12   fix-secret-7   fix/secret-scanning-7-rotate-key   alice/fix/code-12

Pull request titles and bodies name the alert by its web address, or by a `#code-N` / `#secret-N`
token, optionally prefixed with the repository:

    https://github.com/acme/api/security/code-scanning/12    Fixes #code-12    acme/api#secret-7

A pull request's head branch counts as well. The alert must be in the same repository as the branch
or pull request; a reference to another repository is ignored (its fix cannot land there).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.core.models import AlertKind

BRANCH = re.compile(
    r"(?:^|/)(?:fix|campaign)[/-](?P<kind>code|secret)(?:-scanning)?-(?P<number>\d+)(?!\d)",
    re.IGNORECASE,
)
ALERT_URL = re.compile(
    r"https?://[^\s/]+/(?P<owner>[\w.-]+)/(?P<repo>[\w.-]+)/security/"
    r"(?P<kind>code|secret)-scanning/(?P<number>\d+)(?!\d)",
    re.IGNORECASE,
)
TOKEN = re.compile(
    r"(?<![\w/#.-])(?:(?P<repo>[\w.-]+/[\w.-]+))?#(?P<kind>code|secret)-(?P<number>\d+)(?!\d)",
    re.IGNORECASE,
)


@dataclass(frozen=True, order=True)
class Reference:
    """An alert of the branch's or pull request's own repository."""

    kind: AlertKind
    number: int


def _ref(kind: str, number: str) -> Reference:
    return Reference(AlertKind(kind.lower()), int(number))


def branch_references(branch: str) -> list[Reference]:
    """Alerts a branch name refers to (`refs/heads/` is optional)."""
    name = branch.removeprefix("refs/heads/")
    return sorted({_ref(m["kind"], m["number"]) for m in BRANCH.finditer(name)})


def text_references(text: str | None, repository: str) -> list[Reference]:
    """Alerts of `repository` (OWNER/REPO) named in a pull request's title or body."""
    if not text:
        return []
    own = repository.lower()
    found: set[Reference] = set()
    for m in ALERT_URL.finditer(text):
        if f"{m['owner']}/{m['repo']}".lower() == own:
            found.add(_ref(m["kind"], m["number"]))
    for m in TOKEN.finditer(text):
        if m["repo"] is None or m["repo"].lower() == own:
            found.add(_ref(m["kind"], m["number"]))
    return sorted(found)


def fix_branch_name(kind: AlertKind, number: int) -> str:
    """The branch "Start fix" creates for an alert; `branch_references` reads it back."""
    return f"fix/{kind.value}-scanning-{number}"
