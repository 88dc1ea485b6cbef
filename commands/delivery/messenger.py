"""The Slack implementation of the `Messenger` port: render a notice, pace it, send it, find it.

Pacing is a token bucket per channel (aiolimiter), at Slack's one message per second per channel.
A 429 is first waited out by slack_sdk's retry handler (Retry-After); one that persists reaches the
deliverer as a retryable `DeliveryFailure` with Slack's Retry-After, so it is rescheduled, never
dropped. Errors no retry can fix (a channel that is gone, a bot that was removed) are permanent.
Every post carries its delivery key in the message metadata, so a deliverer whose lease ran out can
tell whether the message already went out.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import aiohttp
from aiolimiter import AsyncLimiter
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.core.notices import WITH_DIGEST, Notice, NoticeKind
from bot.delivery.ports import Delivered, DeliveryFailure, Subject
from bot.metrics import SLACK_CALLS
from commands.delivery import views
from commands.shared.context import HomeRefresh

log = logging.getLogger(__name__)

METADATA_EVENT = "campaignbot_notice"
PER_CHANNEL_RATE = 0.95
"""Messages per second per channel: just under Slack's one per second, so that timing jitter
does not cost a 429 (and the Retry-After wait that follows)."""
HISTORY_SLACK = timedelta(minutes=5)
"""How far before a notice was written its message may carry a timestamp (clock skew)."""

PERMANENT_ERRORS = frozenset(
    {
        "channel_not_found",
        "not_in_channel",
        "is_archived",
        "invalid_auth",
        "account_inactive",
        "token_revoked",
        "no_permission",
        "missing_scope",
        "msg_too_long",
        "invalid_blocks",
        "invalid_metadata_format",
        "message_not_found",
        "cant_update_message",
        "user_not_found",
        "cannot_dm_bot",
        "restricted_action",
    }
)


class ChannelPacer:
    """One token bucket per channel, made on first use."""

    def __init__(self, rate: float = PER_CHANNEL_RATE) -> None:
        self.rate = rate
        self._buckets: dict[str, AsyncLimiter] = {}

    def bucket(self, channel: str) -> AsyncLimiter:
        if channel not in self._buckets:
            self._buckets[channel] = AsyncLimiter(max_rate=1, time_period=1 / self.rate)
        return self._buckets[channel]


def failure_from(exc: Exception) -> DeliveryFailure:
    """Slack's answer (or the network's silence) as a retryable or permanent failure."""
    if isinstance(exc, SlackApiError):
        error = str(exc.response.get("error") or "unknown_error")
        if exc.response.status_code == 429:
            after = exc.response.headers.get("Retry-After") or exc.response.headers.get(
                "retry-after"
            )
            return DeliveryFailure(
                "Slack rate limit (429)", retry_after=float(after) if after else None
            )
        if exc.response.status_code >= 500:
            return DeliveryFailure(f"Slack answered {exc.response.status_code}")
        return DeliveryFailure(f"Slack refused it: {error}", permanent=error in PERMANENT_ERRORS)
    if isinstance(exc, aiohttp.ClientError | TimeoutError):
        return DeliveryFailure(f"Slack unreachable: {type(exc).__name__}")
    raise exc


class SlackMessenger:
    def __init__(
        self,
        client: AsyncWebClient,
        pacer: ChannelPacer | None = None,
        render: Callable[[Notice, Subject], views.Message] = views.render,
        refresh_home: HomeRefresh | None = None,
    ) -> None:
        self.client = client
        self.pacer = pacer or ChannelPacer()
        self.render = render
        self.refresh_home = refresh_home
        self._dm_channels: dict[str, str] = {}
        """Re-publishes an assignee's App Home after their alert's status DM, so its card moves."""

    async def send(self, notice: Notice, subject: Subject) -> Delivered:
        message = self.render(notice, subject)
        method = "chat.update" if notice.kind is NoticeKind.CARD else "chat.postMessage"
        try:
            if notice.kind is NoticeKind.CARD:
                updated = await self._update(subject, message)
                SLACK_CALLS.labels(method, "ok").inc()
                return updated
            delivered = await self._post(notice, message)
        except (SlackApiError, aiohttp.ClientError, TimeoutError) as exc:
            failure = failure_from(exc)
            outcome = "rate_limited" if failure.retry_after is not None else "error"
            SLACK_CALLS.labels(method, outcome).inc()
            raise failure from exc
        SLACK_CALLS.labels(method, "ok").inc()
        if subject.chart is not None and notice.kind in WITH_DIGEST:
            await self._upload_chart(delivered, subject.chart)
        if notice.kind is NoticeKind.STATUS and notice.target and self.refresh_home is not None:
            try:
                await self.refresh_home(notice.target, self.client)
            except Exception:  # the DM went out; a stale Home is refreshed when next opened
                log.warning("could not refresh %s's App Home after a status DM", notice.target)
        return delivered

    async def _post(self, notice: Notice, message: views.Message) -> Delivered:
        channel = await self._channel(notice.target or "")
        bucket = self.pacer.bucket(channel)
        async with bucket:
            started = asyncio.get_running_loop().time()
            response = await self.client.chat_postMessage(
                channel=channel,
                text=message.text,
                blocks=message.blocks,
                metadata={"event_type": METADATA_EVENT, "event_payload": {"key": notice.key}},
                unfurl_links=False,
            )
        if asyncio.get_running_loop().time() - started > 1 / self.pacer.rate:
            # Accepted only after Slack's Retry-After: the channel's next message waits a full
            # interval from now, not from when this one first tried.
            await bucket.acquire()
        return Delivered(channel=str(response["channel"]), ts=str(response["ts"]))

    async def _upload_chart(self, delivered: Delivered, chart: bytes) -> None:
        """The burndown chart in the message's thread (the files upload API). The message is
        out already: a failed upload is logged, never a reason to post the digest again."""
        try:
            async with self.pacer.bucket(delivered.channel):
                await self.client.files_upload_v2(
                    channel=delivered.channel,
                    thread_ts=delivered.ts,
                    file=chart,
                    filename="burndown.png",
                    title="Burndown",
                )
        except (SlackApiError, aiohttp.ClientError, TimeoutError) as exc:
            log.warning("burndown chart not uploaded to %s: %s", delivered.channel, exc)

    async def _update(self, subject: Subject, message: views.Message) -> Delivered:
        campaign = subject.campaign
        assert campaign is not None and campaign.announce_channel and campaign.announce_ts
        async with self.pacer.bucket(campaign.announce_channel):
            await self.client.chat_update(
                channel=campaign.announce_channel,
                ts=campaign.announce_ts,
                text=message.text,
                blocks=message.blocks,
            )
        return Delivered(channel=campaign.announce_channel, ts=campaign.announce_ts)

    async def _channel(self, target: str) -> str:
        """A user ID becomes their DM channel (opened once, then remembered: a DM channel never
        changes); a channel ID stays as it is."""
        if not target.startswith(("U", "W")):
            return target
        if target not in self._dm_channels:
            opened = await self.client.conversations_open(users=target)
            self._dm_channels[target] = str(opened["channel"]["id"])
        return self._dm_channels[target]

    async def find_sent(self, notice: Notice) -> Delivered | None:
        """Look through the channel's messages since the notice was written for its key."""
        try:
            channel = await self._channel(notice.target or "")
            oldest = (notice.created_at - HISTORY_SLACK).timestamp()
            cursor: str | None = None
            while True:
                page = await self.client.conversations_history(
                    channel=channel,
                    oldest=f"{oldest:.6f}",
                    limit=200,
                    include_all_metadata=True,
                    cursor=cursor,
                )
                for message in page.get("messages") or []:
                    if _key_of(message) == notice.key:
                        return Delivered(channel=channel, ts=str(message["ts"]))
                cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
                if not page.get("has_more") or not cursor:
                    return None
        except (SlackApiError, aiohttp.ClientError, TimeoutError) as exc:
            # Without history (no scope, left the channel) we cannot tell: send rather than lose.
            log.warning("could not look for notice %s in the channel: %s", notice.key, exc)
            return None


def _key_of(message: dict[str, Any]) -> str | None:
    metadata = message.get("metadata") or {}
    if metadata.get("event_type") != METADATA_EVENT:
        return None
    payload = metadata.get("event_payload") or {}
    key = payload.get("key")
    return str(key) if key is not None else None
