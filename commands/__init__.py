"""The Slack surface. `register(app, services)` binds every listener; each module registers its own."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.services import Services


def register(app: AsyncApp, services: Services) -> None:
    """Bind every listener of the Slack surface to `app`."""
    # Filled in by the modules of commands/ as they arrive.
    del app, services
