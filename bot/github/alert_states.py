"""Closing and reopening alerts on GitHub (the playbooks' `AlertStates`): a code alert is
dismissed with GitHub's `dismissed_reason`, a secret alert resolved with its `resolution`, each
with a comment saying who decided and why."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from bot.core.errors import CampaignError, UpstreamError
from bot.core.models import Alert, AlertKind
from bot.github.client import GitHubClient
from bot.github.errors import GitHubError, GitHubValidationError

log = logging.getLogger(__name__)


class GitHubAlertStates:
    def __init__(self, client: GitHubClient) -> None:
        self.client = client

    async def close(self, alert: Alert, reason: str, comment: str) -> datetime | None:
        state = "dismissed" if alert.kind is AlertKind.CODE else "resolved"
        return await self._set(alert, state, reason, comment)

    async def reopen(self, alert: Alert) -> datetime | None:
        return await self._set(alert, "open", None, None)

    async def _set(
        self, alert: Alert, state: str, reason: str | None, comment: str | None
    ) -> datetime | None:
        try:
            if alert.kind is AlertKind.CODE:
                answer = await self.client.set_code_scanning_state(
                    alert.repository, alert.number, state, reason, comment
                )
            else:
                answer = await self.client.set_secret_scanning_state(
                    alert.repository, alert.number, state, reason, comment
                )
        except GitHubValidationError as exc:
            detail = "; ".join(exc.details) or exc.message
            raise CampaignError(
                f"GitHub refused to {_verb(state)} {alert.reference}: {detail}"
            ) from exc
        except GitHubError as exc:
            log.warning("state change of %s failed: %s", alert.reference, exc)
            raise UpstreamError(
                f"GitHub did not {_verb(state)} {alert.reference} ({exc.message}); nothing was "
                "changed, try again later."
            ) from exc
        return _time(answer.get("updated_at"))


def _verb(state: str) -> str:
    return {"dismissed": "dismiss", "resolved": "resolve"}.get(state, "reopen")


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
