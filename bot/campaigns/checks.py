"""Who may do what to a campaign, and whether there is room for one more active campaign.

The checks of ARCHITECTURE §4 that the mutations (bot.campaigns.service) run inside their
transaction, and that the Slack surface asks before it opens a form. Apart from the service so
the rules read on their own.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.campaigns import rules
from bot.campaigns.queries import CampaignQueries
from bot.core.errors import CampaignError, Conflict, PermissionDenied
from bot.core.models import Campaign, CampaignState
from store import campaigns as store


class CampaignChecks(CampaignQueries):
    """The permission and room checks; raise `PermissionDenied`, `Conflict` or `CampaignError`."""

    # -- permission checks the surfaces ask before opening a form --------------------------

    async def check_can_create(self, actor: str) -> None:
        """Asked before the form opens: who may create, and whether there is room for one more."""
        await self._require_security_manager(actor, "create campaigns")
        async with self.engine.connect() as conn:
            await self._check_room_for_active(conn, "create")

    async def check_can_delete(self, actor: str) -> None:
        await self._require_security_manager(actor, "delete campaigns")

    async def check_can_edit(self, actor: str, campaign: Campaign) -> None:
        """Raise unless `actor` may edit `campaign` now (checked before opening the form)."""
        await self.require_manager(actor, campaign, "edit")
        rules.require_active(campaign, "edit")

    async def check_can_change_state(
        self, actor: str, campaign: Campaign, *, closing: bool
    ) -> None:
        """Raise unless `actor` may close (or reopen) `campaign` now."""
        await self.require_manager(actor, campaign, "close" if closing else "reopen")
        if closing and campaign.state is CampaignState.CLOSED:
            raise Conflict(f"Campaign #{campaign.id} “{campaign.name}” is already closed.")
        if not closing and campaign.state is CampaignState.ACTIVE:
            raise Conflict(f"Campaign #{campaign.id} “{campaign.name}” is already active.")

    async def _require_security_manager(self, actor: str, action: str) -> None:
        if not await self.directory.is_security_manager(actor):
            raise PermissionDenied(f"Only security managers can {action}.")

    async def require_manager(self, actor: str, campaign: Campaign, action: str) -> None:
        if not await self.may_manage(actor, campaign):
            raise PermissionDenied(
                f"Only the campaign's manager (<@{campaign.manager}>) or a security manager "
                f"can {action} campaign #{campaign.id}."
            )

    def _check_query_text(self, text: str) -> None:
        if not text.strip():
            raise CampaignError("Give a filter query or choose a template.", field="query")
        self.parse_query(text)

    async def _check_manager_field(self, manager: str) -> None:
        if not manager:
            raise CampaignError("Choose a campaign manager.", field="manager")
        if not await self.directory.is_security_manager(manager):
            raise CampaignError(
                f"A campaign's manager must be a security manager; <@{manager}> is not one.",
                field="manager",
            )

    async def _check_room_for_active(self, conn: AsyncConnection, verb: str) -> None:
        active = await store.count_active(conn)
        limit = self.settings.max_active_campaigns
        if active >= limit:
            raise Conflict(
                f"There are already {active} active campaigns, the most allowed ({limit}). "
                f"Close one before you {verb} another."
            )
