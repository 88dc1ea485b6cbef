"""What the fake Slack's modules share: its identity, the records it keeps of calls and of
payloads Slack would refuse, and the rejection that ends a Web API method."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

TEAM_ID = "T0000FAKE"
BOT_USER_ID = "U0000BOT"
BOT_ID = "B0000BOT"
APP_ID = "A0000APP"

Json = dict[str, Any]


@dataclass(frozen=True)
class SlackCall:
    """One request the fake received. `method` is the API method, `hook` for response_url posts
    (with `hook_id`), or `socket.*` for Socket Mode traffic."""

    method: str
    args: Json
    token: str | None
    status: int = 200
    error: str | None = None
    hook_id: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == 200 and self.error is None


@dataclass(frozen=True)
class Violation:
    """A payload real Slack would reject (or truncate)."""

    method: str
    problem: str


class Reject(Exception):
    """Ends a method with `{"ok": false, "error": ...}`."""

    def __init__(self, error: str, **extra: Any) -> None:
        super().__init__(error)
        self.error = error
        self.extra = extra
