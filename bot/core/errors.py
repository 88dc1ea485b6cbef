"""Domain errors carry a message meant for a person; surfaces show it as it is."""

from __future__ import annotations


class CampaignError(Exception):
    """Something the user asked for cannot be done; `message` says why, `field` where (modals)."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(CampaignError):
    """An unknown campaign, alert or user."""


class PermissionDenied(CampaignError):
    """The user may not do this action."""


class Conflict(CampaignError):
    """The state does not allow it (closed campaign, limit reached, …)."""


class UpstreamError(CampaignError):
    """A service outside our control (GitHub, Slack) refused or failed."""


class FieldErrors(CampaignError):
    """Several fields of one form are wrong at once: each is told on its own field."""

    def __init__(self, errors: list[CampaignError]) -> None:
        super().__init__(" ".join(error.message for error in errors), field=errors[0].field)
        self.errors = {error.field or "": error.message for error in errors}


def raise_all(problems: list[CampaignError]) -> None:
    """One problem as itself, several together, none: nothing."""
    if len(problems) == 1:
        raise problems[0]
    if problems:
        raise FieldErrors(problems)
