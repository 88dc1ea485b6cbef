"""What the playbooks need from outside: GitHub's say on an alert's state."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from bot.core.models import Alert


class AlertStates(Protocol):
    """Close or reopen an alert where it lives (GitHub). Called before the local change is
    committed: a refusal raises a `CampaignError` and nothing is kept."""

    async def close(self, alert: Alert, reason: str, comment: str) -> datetime | None:
        """Dismiss a code alert (`reason` as GitHub's `dismissed_reason`) or resolve a secret
        (`reason` as GitHub's `resolution`); GitHub's `updated_at` when it answered with one."""
        ...

    async def reopen(self, alert: Alert) -> datetime | None:
        """Open the alert again; GitHub's `updated_at` when it answered with one."""
        ...


class LocalAlertStates:
    """Without GitHub connected the alerts are a local copy (imported files): only it changes."""

    async def close(self, alert: Alert, reason: str, comment: str) -> datetime | None:
        del alert, reason, comment
        return None

    async def reopen(self, alert: Alert) -> datetime | None:
        del alert
        return None
