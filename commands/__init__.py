"""The Slack surface, as a table of contents: `register(app, services)` binds every listener.

Each area registers its own listeners; action and callback ids live in `commands.shared.ids`.
The Slack side of delivery (the `Messenger` port) lives in `commands.delivery`.
"""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.services import Services
from commands import playbooks
from commands.alerts import buttons as alert_buttons
from commands.campaigns import buttons as campaign_buttons
from commands.campaigns import command as campaign_command
from commands.campaigns import modals
from commands.home import listeners as home
from commands.playbooks import guides as playbook_guides
from commands.playbooks import review as playbook_review

AREA_SUBCOMMANDS: dict[str, campaign_command.AreaHandler] = {
    "review": playbook_review.review_command,
    "guide": playbook_guides.guide_command,
}
"""`/campaign` subcommands answered outside `commands.campaigns`, by their handler name."""


def register(app: AsyncApp, services: Services) -> None:
    """Bind every listener of the Slack surface to `app`."""
    refresh_home = home.Home(services.campaigns, services.assignments).publish
    campaign_command.register(app, services, AREA_SUBCOMMANDS)
    modals.register(app, services, refresh_home)
    campaign_buttons.register(app, services, refresh_home)
    alert_buttons.register(app, services, refresh_home)
    home.register(app, services)
    playbooks.register(app, services)
