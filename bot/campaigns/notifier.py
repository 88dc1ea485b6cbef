"""What a campaign change leaves besides its rows: its audit event, notices, live-card refreshes.

The audit `Event` and the notices go in the change's own transaction (the outbox); after the
commit the deliverer is woken and the observers are told. Alerts that moved (a webhook, a sync)
refresh the cards of their campaigns here too. Apart from bot.campaigns.service so the mutations
read as the rules they apply.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.campaigns.ports import CampaignObserver, Directory
from bot.campaigns.queries import CampaignQueries
from bot.core import notices
from bot.core.clock import Clock, system_clock
from bot.core.models import Campaign, Event
from bot.core.notices import Notice, NoticeKind, NoticeState
from bot.core.settings import Settings
from store import assignments as assignment_store
from store import campaigns as store
from store import events, outbox, preferences
from store.engine import write_transaction

log = logging.getLogger("bot.campaigns.service")
"""Under the service's name, as observer failures have always been logged."""


class CampaignNotifier(CampaignQueries):
    """The audit trail and the notices of campaign changes, and who hears after the commit."""

    def __init__(
        self,
        engine: AsyncEngine,
        settings: Settings,
        *,
        directory: Directory | None = None,
        clock: Clock = system_clock,
    ) -> None:
        super().__init__(engine, settings, directory=directory, clock=clock)
        self.observers: list[CampaignObserver] = []
        self.notices_written: Callable[[], None] | None = None
        """Called after a commit that wrote notices: the in-process deliverer wakes at once."""

    async def after_commit(self, campaign: Campaign, action: str, wrote_notices: bool) -> None:
        if wrote_notices and self.notices_written is not None:
            self.notices_written()
        for observer in self.observers:
            try:
                await observer.campaign_changed(campaign, action)
            except Exception:  # an observer must never undo a committed change
                log.exception("observer %r failed on %s of #%s", observer, action, campaign.id)

    async def alerts_changed(self, alert_ids: Sequence[int]) -> None:
        """Alerts moved (a webhook, a sync): bring the affected campaigns' live cards up to date,
        and tell each assignee once that their alert was closed, or is open again."""
        now = self.clock()
        wrote = False
        async with write_transaction(self.engine) as conn:
            changed = await assignment_store.held(conn, alert_ids)
            quiet = await preferences.muted(conn, [item.assignee for item in changed])
            told = [
                notices.alert_status(
                    item.campaign_id,
                    item.assignee,
                    alert_id=item.alert_id,
                    reference=item.reference,
                    state=item.state,
                    changed_at=item.updated_at,
                    now=now,
                )
                for item in changed
                if item.assignee not in quiet
            ]
            wrote |= bool(await outbox.enqueue(conn, told))
            wrote |= await self._refresh_cards(conn, alert_ids, now)
        if wrote and self.notices_written is not None:
            self.notices_written()

    async def work_changed(self, alert_ids: Sequence[int]) -> None:
        """Work started on alerts (a fix branch or pull request): only the cards move."""
        async with write_transaction(self.engine) as conn:
            wrote = await self._refresh_cards(conn, alert_ids, self.clock())
        if wrote and self.notices_written is not None:
            self.notices_written()

    async def _refresh_cards(
        self, conn: AsyncConnection, alert_ids: Sequence[int], now: datetime
    ) -> bool:
        wrote = False
        for campaign_id in await store.active_with_alerts(conn, alert_ids):
            campaign = await store.get(conn, campaign_id)
            if campaign is None or not await self._card_needs_refresh(conn, campaign):
                continue
            channel = campaign.announce_channel or campaign.channel
            refresh = notices.card_refresh(campaign_id, channel, now)
            wrote |= bool(await outbox.enqueue(conn, [refresh]))
        return wrote

    async def _tell_channel(
        self,
        conn: AsyncConnection,
        campaign: Campaign,
        kind: NoticeKind,
        now: datetime,
        event_id: int,
        payload: dict[str, Any],
    ) -> list[Notice]:
        """The announcement in the campaign's channel, and a refresh of its live card."""
        told: list[Notice] = []
        if campaign.channel:
            told.append(
                notices.announcement(
                    kind, campaign.number, campaign.channel, now, event_id=event_id, payload=payload
                )
            )
        if await self._card_needs_refresh(conn, campaign):
            channel = campaign.announce_channel or campaign.channel
            told.append(notices.card_refresh(campaign.number, channel, now))
        return told

    @staticmethod
    async def _card_needs_refresh(conn: AsyncConnection, campaign: Campaign) -> bool:
        """A posted card, or one being posted right now (it may show the old state), gets one
        refresh; none while one already waits, and none while the launch itself still waits (it
        will show the state as it is when it goes out)."""
        if await outbox.has_pending(conn, NoticeKind.CARD, campaign.number):
            return False
        return bool(campaign.announce_ts) or await outbox.has_pending(
            conn, NoticeKind.LAUNCH, campaign.number, states=(NoticeState.SENDING,)
        )

    async def record(
        self,
        conn: AsyncConnection,
        campaign: Campaign,
        actor: str,
        action: str,
        *,
        subject: str | None = None,
        before: dict[str, Any] | None = None,
        after: dict[str, Any] | None = None,
    ) -> int:
        return await events.add(
            conn,
            Event(
                campaign_id=campaign.id,
                actor=actor,
                action=action,
                at=self.clock(),
                subject=subject,
                before=before,
                after=after,
            ),
        )
