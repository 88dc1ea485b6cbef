"""Who hears that a campaign started (ARCHITECTURE §4, issue 9): every writer of its repositories
who has a Slack identity gets one DM listing their repositories; the manager gets one DM naming
the writers nobody could tell. Written with the campaign, in its transaction."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.core import notices
from bot.core.models import Campaign
from bot.core.notices import Notice
from store import preferences
from store import writers as writer_store
from store.topics import guide_topics
from store.writers import Writer


async def launch_notices(conn: AsyncConnection, campaign: Campaign, now: datetime) -> list[Notice]:
    audience = await writer_store.launch_audience(conn, campaign.number)
    users = sorted({writer.slack_user_id for writer in audience if writer.slack_user_id})
    muted = await preferences.muted(conn, users)
    topics = await guide_topics(conn, campaign.number) if users else []
    return plan(campaign, audience, muted, now, topics)


def plan(
    campaign: Campaign,
    audience: list[Writer],
    muted: set[str],
    now: datetime,
    topics: list[str] | None = None,
) -> list[Notice]:
    """One DM per linked writer who did not turn notices off (their repositories with open
    alerts, most first, and the guides the campaign's alerts need), and one to the manager naming
    the writers without a Slack identity."""
    per_user: dict[str, dict[str, int]] = {}
    unlinked: set[str] = set()
    for writer in audience:
        if writer.open_alerts <= 0:
            continue
        if writer.slack_user_id is None:
            unlinked.add(writer.login)
        elif writer.slack_user_id not in muted:
            per_user.setdefault(writer.slack_user_id, {})[writer.repository] = writer.open_alerts
    told = [
        notices.launch_dm(
            campaign.number,
            user,
            sorted(repositories.items(), key=lambda item: (-item[1], item[0].lower())),
            now,
            topics=topics or [],
        )
        for user, repositories in sorted(per_user.items())
    ]
    if unlinked:
        told.append(
            notices.unlinked_writers(campaign.number, campaign.manager, sorted(unlinked), now)
        )
    return told
