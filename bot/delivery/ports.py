"""What delivery needs from the chat platform: the `Messenger` port, implemented in `commands/`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from bot.core.models import Campaign, Progress
from bot.core.notices import Notice
from bot.reports.digest import DigestFacts


@dataclass(frozen=True)
class Subject:
    """What a notice is about, read just before sending: the campaign as it is now (None once
    deleted) and its progress."""

    campaign: Campaign | None
    progress: Progress | None
    campaigns: tuple[Campaign, ...] = ()
    """A reminder DM's campaigns that are still active."""
    digest: DigestFacts | None = None
    """For a digest or report: the week's facts."""
    chart: bytes | None = None
    """For a digest or report: the burndown chart (PNG), posted in the message's thread."""
    alert_open: bool | None = None
    """For a notice about one alert (an escalation): whether it is still open."""


@dataclass(frozen=True)
class Delivered:
    """Where the message landed, so it can be found (and updated) later."""

    channel: str
    ts: str


class DeliveryFailure(Exception):
    """Slack did not take the message. `permanent` failures are not retried; `retry_after` is
    Slack's Retry-After in seconds when it gave one."""

    def __init__(
        self, reason: str, *, permanent: bool = False, retry_after: float | None = None
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent
        self.retry_after = retry_after


class Messenger(Protocol):
    async def send(self, notice: Notice, subject: Subject) -> Delivered:
        """Render and send (or update) the message; raise `DeliveryFailure` when it fails."""
        ...

    async def find_sent(self, notice: Notice) -> Delivered | None:
        """Look for a message already sent for `notice` (its key in the message metadata)."""
        ...
