"""How each notice reads in Slack. Pure: a notice and what it is about in, text and blocks out.

The top-level `text` is what notifications and screen readers show; user text in it is escaped
like everywhere else, so a campaign named `<!channel>` never pings anyone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.core.models import Progress
from bot.core.notices import Notice, NoticeKind
from bot.delivery.ports import Subject
from commands.campaigns import views as campaign_views
from commands.shared import blocks


@dataclass(frozen=True)
class Message:
    text: str
    blocks: list[dict[str, Any]] | None = field(default=None)


def _actor(notice: Notice) -> str:
    actor = str(notice.payload.get("actor") or "")
    return "The command line" if actor in ("", "cli") else f"<@{actor}>"


def render(notice: Notice, subject: Subject) -> Message:
    campaign, progress = subject.campaign, subject.progress
    if notice.kind is NoticeKind.DELETED:
        name = blocks.escape(str(notice.payload.get("name") or ""))
        return Message(f"{_actor(notice)} deleted campaign #{notice.campaign_id} {name}.")
    assert campaign is not None and progress is not None, "the deliverer re-checks first"
    name = blocks.escape(campaign.name)
    if notice.kind in (NoticeKind.LAUNCH, NoticeKind.CARD):
        verb = "New security campaign" if notice.kind is NoticeKind.LAUNCH else "Security campaign"
        return Message(
            f"{verb} #{campaign.id}: {name}", campaign_views.campaign_view(campaign, progress)
        )
    if notice.kind is NoticeKind.EDITED:
        before = notice.payload.get("before") or {}
        after = notice.payload.get("after") or {}
        changes = {key: (before.get(key), after.get(key)) for key in after}
        actor = str(notice.payload.get("actor") or "cli")
        text = campaign_views.edit_announcement(campaign, changes, actor)
        return Message(text.replace(f"<@{actor}>", _actor(notice), 1))
    if notice.kind is NoticeKind.CLOSED:
        text = f"{_actor(notice)} closed campaign *#{campaign.id} {name}*."
        summary = campaign_views.report_blocks(campaign, progress)
        return Message(text, [blocks.section(text).to_dict(), *summary][: blocks.MESSAGE_BLOCKS])
    if notice.kind is NoticeKind.STATUS:
        return _status_message(notice, campaign.id, name, progress)
    if notice.kind is NoticeKind.REOPENED:
        return Message(f"{_actor(notice)} reopened campaign *#{campaign.id} {name}*.")
    counts = progress.counts
    return Message(
        f"Progress of campaign #{campaign.id} {name}: {counts.closed}/{counts.total} closed",
        campaign_views.report_blocks(campaign, progress),
    )


STATE_SAID = {
    "fixed": ":white_check_mark: was fixed",
    "dismissed": ":heavy_minus_sign: was dismissed",
    "resolved": ":white_check_mark: was resolved",
    "open": ":arrows_counterclockwise: is open again and still yours",
}


def _status_message(notice: Notice, number: int | None, name: str, progress: Progress) -> Message:
    alert = blocks.escape(str(notice.payload.get("alert") or "an alert"))
    state = str(notice.payload.get("state") or "")
    said = STATE_SAID.get(state, f"is now {blocks.escape(state)}")
    counts = progress.counts
    return Message(
        f"{alert} {said} — campaign #{number} {name}: {counts.closed}/{counts.total} closed."
    )
