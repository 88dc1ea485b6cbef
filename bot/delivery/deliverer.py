"""The deliverer: claim due notices with a lease, re-check, send through the Messenger, record.

Runs continuously inside `campaignbot run` (woken at once by a commit in the same process, else
polling a few times a second) and once with `campaignbot jobs run deliver`. Notices for different
channels go out concurrently; those for one channel in order, so a launch card is posted before
anything that updates it. A row whose lease ran out mid-send is first looked for in the channel
(its key travels in the message metadata), so even that window sends once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.campaigns.queries import CampaignQueries
from bot.core.clock import Clock, system_clock
from bot.core.models import CampaignState
from bot.core.notices import (
    ACTIVE_ONLY,
    LAUNCH_FAMILY,
    WITH_DIGEST,
    Notice,
    NoticeKind,
    NoticeState,
)
from bot.delivery.ports import Delivered, DeliveryFailure, Messenger, Subject
from bot.metrics import NOTICES
from bot.reports.digest import digest_facts
from store import alerts as alert_store
from store import campaigns as campaign_store
from store import outbox

log = logging.getLogger(__name__)

WITHOUT_PROGRESS = frozenset(
    {NoticeKind.LAUNCH_DM, NoticeKind.UNLINKED, NoticeKind.ESCALATION, NoticeKind.EXCEPTION}
)

LEASE = timedelta(seconds=60)
MAX_ATTEMPTS = 8
BACKOFF_FIRST = timedelta(seconds=2)
BACKOFF_MAX = timedelta(minutes=10)
BATCH = 200
WAIT = timedelta(seconds=1)
"""How long a card update waits for the launch card it updates."""


@dataclass(frozen=True)
class Outcome:
    """What happened to one notice in a run (the `--json` of `jobs run deliver`)."""

    notice: Notice
    state: str
    """sent, dropped, failed, retry, or skipped (another deliverer holds it)."""
    reason: str | None = None
    to: str | None = None


def backoff(attempts: int) -> timedelta:
    """2 s, 4 s, 8 s, … up to 10 minutes."""
    return min(BACKOFF_FIRST * (2 ** max(attempts - 1, 0)), BACKOFF_MAX)


class Deliverer:
    def __init__(
        self,
        engine: AsyncEngine,
        messenger: Messenger,
        campaigns: CampaignQueries,
        *,
        clock: Clock = system_clock,
        owner: str | None = None,
        lease: timedelta = LEASE,
        max_attempts: int = MAX_ATTEMPTS,
        batch: int = BATCH,
    ) -> None:
        self.engine = engine
        self.messenger = messenger
        self.campaigns = campaigns
        self.clock = clock
        self.owner = owner or f"deliverer-{uuid.uuid4().hex[:12]}"
        self.lease = lease
        self.max_attempts = max_attempts
        self.batch = batch
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """Something was just committed to the outbox: look now instead of at the next poll."""
        self._wake.set()

    async def run_once(self) -> list[Outcome]:
        """Send everything due now; what must wait (backoff, Retry-After) stays for later."""
        outcomes: list[Outcome] = []
        while True:
            batch = await self._claim()
            if not batch:
                return outcomes
            outcomes += await self._deliver(batch)

    async def run_forever(self, stop: asyncio.Event, interval: float = 0.25) -> None:
        """Deliver until `stop`; a failure of one round is logged and the next round goes on."""
        while not stop.is_set():
            self._wake.clear()
            try:
                await self.run_once()
            except Exception:  # the deliverer must outlive a database or Slack hiccup
                log.exception("delivery round failed")
            waiters = [asyncio.create_task(self._wake.wait()), asyncio.create_task(stop.wait())]
            await asyncio.wait(waiters, timeout=interval, return_when=asyncio.FIRST_COMPLETED)
            for waiter in waiters:
                waiter.cancel()
        with contextlib.suppress(Exception):
            async with self.engine.begin() as conn:
                await outbox.release(conn, self.owner)

    async def _claim(self) -> list[Notice]:
        now = self.clock()
        async with self.engine.begin() as conn:
            return await outbox.claim(conn, self.owner, now, now + self.lease, self.batch)

    async def _deliver(self, batch: Sequence[Notice]) -> list[Outcome]:
        """Channels in parallel, each channel's notices in order."""
        lanes: dict[str, list[Notice]] = defaultdict(list)
        for notice in batch:
            lanes[notice.target or f"campaign:{notice.campaign_id}"].append(notice)

        async def lane(notices: list[Notice]) -> list[Outcome]:
            done = []
            for notice in notices:
                outcome = await self._deliver_one(notice)
                NOTICES.labels(notice.kind.value, outcome.state).inc()
                done.append(outcome)
            return done

        results = await asyncio.gather(*(lane(items) for items in lanes.values()))
        return [outcome for outcomes in results for outcome in outcomes]

    async def _subject(self, notice: Notice) -> Subject:
        if notice.kind is NoticeKind.REMINDER_DM:  # about several campaigns: those still active
            found = [
                await self.campaigns.get(int(item.get("campaign") or 0))
                for item in notice.payload.get("campaigns") or []
            ]
            active = tuple(c for c in found if c is not None and c.state is CampaignState.ACTIVE)
            return Subject(campaign=None, progress=None, campaigns=active)
        if notice.campaign_id is None:
            return Subject(campaign=None, progress=None)
        campaign = await self.campaigns.get(notice.campaign_id)
        if campaign is None:
            return Subject(campaign=None, progress=None)
        if notice.kind is NoticeKind.ESCALATION:  # about one alert: is it still open?
            alert_id = int(notice.payload.get("alert_id") or 0)
            async with self.engine.connect() as conn:
                alerts = await alert_store.get_many(conn, [alert_id]) if alert_id else []
            still_open = alerts[0].is_open if alerts else None
            return Subject(campaign=campaign, progress=None, alert_open=still_open)
        if notice.kind in WITHOUT_PROGRESS:  # a DM about the launch: no counts to compute
            return Subject(campaign=campaign, progress=None)
        progress = await self.campaigns.progress(campaign)
        if notice.kind not in WITH_DIGEST or campaign.state is not CampaignState.ACTIVE:
            return Subject(campaign=campaign, progress=progress)
        facts = await digest_facts(self.engine, campaign, progress, self.clock())
        title = f"#{campaign.number} {campaign.name}: burndown"
        from bot.reports.chart import burndown_png  # matplotlib loads only when a chart is drawn

        chart = await asyncio.to_thread(burndown_png, facts.burndown, title)  # CPU: off the loop
        return Subject(campaign=campaign, progress=progress, digest=facts, chart=chart)

    @staticmethod
    def _stale(notice: Notice, subject: Subject) -> str | None:
        """Why this notice must not be sent any more, re-checked just before sending."""
        campaign = subject.campaign
        if notice.kind is NoticeKind.DELETED:
            return None
        if notice.kind is NoticeKind.REMINDER_DM:
            return None if subject.campaigns else "every campaign it was about was closed"
        if campaign is None:
            return f"campaign #{notice.campaign_id} was deleted before this was sent"
        if notice.kind in LAUNCH_FAMILY and campaign.state is CampaignState.CLOSED:
            return f"campaign #{campaign.id} was closed before its launch was sent"
        if notice.kind in ACTIVE_ONLY and campaign.state is CampaignState.CLOSED:
            return f"campaign #{campaign.id} was closed before this was sent"
        if subject.alert_open is False:
            return f"{notice.payload.get('alert') or 'the alert'} was closed before this was sent"
        if (
            notice.kind is NoticeKind.LAUNCH
            and campaign.announce_channel == notice.target
            and campaign.announce_ts
        ):
            return f"campaign #{campaign.id} already has its card in {notice.target}"
        if notice.kind is NoticeKind.CARD and not campaign.announce_ts:
            return f"campaign #{campaign.id} has no launch message to update yet"
        return None

    async def _deliver_one(self, notice: Notice) -> Outcome:
        assert notice.id is not None
        subject = await self._subject(notice)
        stale = self._stale(notice, subject)
        async with self.engine.begin() as conn:
            if stale is not None and await self._launch_on_its_way(conn, notice):
                why = "waiting for the launch card it updates"
                await outbox.retry_later(conn, notice.id, self.owner, self.clock() + WAIT, why)
                return Outcome(notice, "retry", why, notice.target)
            if stale is not None:
                await outbox.settle(conn, notice.id, self.owner, NoticeState.DROPPED, stale)
                log.info("notice %s dropped: %s", notice.key, stale)
                return Outcome(notice, "dropped", stale, notice.target)
            if not await outbox.renew(conn, notice.id, self.owner, self.clock() + self.lease):
                return Outcome(notice, "skipped", "another deliverer holds it", notice.target)
        try:
            delivered = await self._send(notice, subject)
        except DeliveryFailure as failure:
            return await self._failed(notice, failure)
        except Exception as exc:  # an unexpected failure is retried, never lost
            log.exception("sending notice %s failed", notice.key)
            return await self._failed(notice, DeliveryFailure(type(exc).__name__))
        await self._record(notice, delivered)
        return Outcome(notice, "sent", None, delivered.channel)

    @staticmethod
    async def _launch_on_its_way(conn: AsyncConnection, notice: Notice) -> bool:
        return (
            notice.kind is NoticeKind.CARD
            and notice.campaign_id is not None
            and await outbox.has_pending(
                conn,
                NoticeKind.LAUNCH,
                notice.campaign_id,
                states=(NoticeState.PENDING, NoticeState.SENDING),
            )
        )

    async def _send(self, notice: Notice, subject: Subject) -> Delivered:
        if notice.uncertain and notice.kind is not NoticeKind.CARD:
            found = await self.messenger.find_sent(notice)
            if found is not None:
                log.info("notice %s was already sent before its lease ran out", notice.key)
                return found
        return await self.messenger.send(notice, subject)

    async def _record(self, notice: Notice, delivered: Delivered) -> None:
        """Mark sent and, for a launch, keep the card's address: one transaction."""
        assert notice.id is not None
        async with self.engine.begin() as conn:
            await outbox.mark_sent(
                conn, notice.id, self.owner, self.clock(), delivered.channel, delivered.ts
            )
            if notice.kind is NoticeKind.LAUNCH and notice.campaign_id is not None:
                await campaign_store.update_fields(
                    conn,
                    notice.campaign_id,
                    {"announce_channel": delivered.channel, "announce_ts": delivered.ts},
                )

    async def _failed(self, notice: Notice, failure: DeliveryFailure) -> Outcome:
        assert notice.id is not None
        now = self.clock()
        async with self.engine.begin() as conn:
            if failure.permanent or notice.attempts >= self.max_attempts:
                why = failure.reason
                if not failure.permanent:
                    why = f"gave up after {notice.attempts} attempts: {failure.reason}"
                await outbox.settle(conn, notice.id, self.owner, NoticeState.FAILED, why)
                log.warning("notice %s failed: %s", notice.key, why)
                return Outcome(notice, "failed", why, notice.target)
            wait = (
                timedelta(seconds=failure.retry_after)
                if failure.retry_after is not None
                else backoff(notice.attempts)
            )
            await outbox.retry_later(conn, notice.id, self.owner, now + wait, failure.reason)
        log.info("notice %s will be retried in %s: %s", notice.key, wait, failure.reason)
        return Outcome(notice, "retry", failure.reason, notice.target)


def summary(outcomes: Sequence[Outcome], at: datetime) -> dict[str, object]:
    """The `--json` document of `jobs run deliver` (ARCHITECTURE §3)."""
    sent = [o for o in outcomes if o.state == "sent"]
    rest = [o for o in outcomes if o.state != "sent"]
    return {
        "job": "deliver",
        "at": at.isoformat(),
        "sent": [
            {
                "key": o.notice.key,
                "kind": o.notice.kind.value,
                "campaign": o.notice.campaign_id,
                "to": o.to,
            }
            for o in sent
        ],
        "skipped": [{"key": o.notice.key, "reason": f"{o.state}: {o.reason}"} for o in rest],
    }
