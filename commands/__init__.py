"""The Slack surface. `register(app, services)` binds every listener; each module its own."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.notify import Announcer
from bot.services import Services
from commands.campaigns import buttons as campaign_view
from commands.campaigns import command as campaign_command
from commands.campaigns import modals
from commands.home import listeners as home
from commands.shared.directory import SlackDirectory


def register(app: AsyncApp, services: Services) -> None:
    """Bind every listener of the Slack surface to `app`."""
    settings = services.settings
    if services.directory is None:
        services.use_directory(
            SlackDirectory(
                app.client, settings.admin_ids, settings.campaign_admin_group, clock=services.clock
            )
        )
    announcer = Announcer(app.client, services.campaigns)
    campaign_command.register(
        app, services.tasks, campaign_command.CampaignCommands(services, announcer)
    )
    modals.register(app, services.tasks, modals.Modals(services.campaigns, announcer))
    campaign_view.register(
        app, services.tasks, campaign_view.CampaignButtons(services.campaigns, announcer)
    )
    home.register(app, services.tasks, home.Home(services.campaigns))
