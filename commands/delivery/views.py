"""How each notice reads in Slack. Pure: a notice and what it is about in, text and blocks out.

The top-level `text` is what notifications and screen readers show; user text in it is escaped
like everywhere else, so a campaign named `<!channel>` never pings anyone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.core.models import Campaign, Progress
from bot.core.notices import Notice, NoticeKind
from bot.delivery.ports import Subject
from bot.playbooks.guides import GuideBook
from commands.campaigns import views as campaign_views
from commands.delivery import clock_views
from commands.playbooks import escalation_views, exception_views, guide_views
from commands.shared import blocks, ids


@dataclass(frozen=True)
class Message:
    text: str
    blocks: list[dict[str, Any]] | None = field(default=None)


def _actor(notice: Notice) -> str:
    actor = str(notice.payload.get("actor") or "")
    return "The command line" if actor in ("", "cli") else f"<@{actor}>"


def render(notice: Notice, subject: Subject, guides: GuideBook | None = None) -> Message:
    campaign, progress = subject.campaign, subject.progress
    if notice.kind is NoticeKind.REMINDER_DM:
        return Message(*clock_views.reminder_dm(notice, subject))
    if notice.kind is NoticeKind.DELETED:
        name = blocks.escape(str(notice.payload.get("name") or ""))
        return Message(f"{_actor(notice)} deleted campaign #{notice.campaign_id} {name}.")
    if campaign is not None and notice.kind is NoticeKind.LAUNCH_DM:
        return _launch_dm(notice, campaign, guides or GuideBook())
    if campaign is not None and notice.kind is NoticeKind.UNLINKED:
        return _unlinked(notice, campaign)
    if campaign is not None and notice.kind is NoticeKind.ESCALATION:
        return Message(*escalation_views.escalation_message(notice, campaign))
    if campaign is not None and notice.kind is NoticeKind.EXCEPTION:
        return Message(*exception_views.exception_message(notice, campaign))
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
    if notice.kind is NoticeKind.REMINDER:
        return Message(*clock_views.reminder(notice, campaign, progress))
    if notice.kind in (NoticeKind.DIGEST, NoticeKind.REPORT):
        weekly = notice.kind is NoticeKind.DIGEST
        return Message(*clock_views.digest(campaign, progress, subject.digest, weekly=weekly))
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


def _launch_dm(notice: Notice, campaign: Campaign, guides: GuideBook) -> Message:
    """A writer's launch DM: what the campaign asks, their repositories, the remediation guides
    its alerts need, **My alerts**."""
    name = blocks.escape(campaign.name)
    alerts = int(notice.payload.get("alerts") or 0)
    listed = [(str(repo), int(count)) for repo, count in notice.payload.get("repositories") or []]
    more = int(notice.payload.get("more_repositories") or 0)
    repositories = len(listed) + more
    plural = "s" if alerts != 1 else ""
    text = (
        f"Security campaign #{campaign.id} {name} needs you: {alerts} open alert{plural} in "
        f"{repositories} of your repositories, due {campaign.due_date.isoformat()}."
    )
    lines = [
        f"• `{blocks.user_text(repo, blocks.REPOSITORY_SHOWN)}` — {count} open alert"
        + ("s" if count != 1 else "")
        for repo, count in listed
    ]
    if more:
        lines.append(f"• and {more} more repositories")
    topics = [str(topic) for topic in notice.payload.get("topics") or []]
    found = [guide for guide in (guides.find(topic) for topic in topics) if guide is not None]
    guide_line = guide_views.guide_links_line(list({g.id: g for g in found}.values()))
    facts = [
        f"Due *{campaign.due_date.isoformat()}*",
        f"manager {blocks.mention(campaign.manager)}",
    ]
    if campaign.contact_link:
        facts.append(blocks.link(campaign.contact_link, "questions"))
    body = [
        blocks.header(f"Security campaign #{campaign.id}: {campaign.name}"),
        blocks.section(blocks.user_text(campaign.description, blocks.SECTION_TEXT - 200)),
        blocks.context(" · ".join(facts)),
        blocks.section(blocks.join_lines(["*Your repositories*", *lines])),
        *([blocks.section(guide_line)] if guide_line else []),
        blocks.context(
            "Claim an alert with *Assign to me*; *Start fix* makes its branch. "
            "`/campaign notify off` stops these messages."
        ),
        blocks.actions(
            blocks.button("My alerts", ids.MY_ALERTS, str(campaign.number), style="primary"),
            blocks.button("Open campaign", ids.VIEW_CAMPAIGN, str(campaign.number)),
        ),
    ]
    return Message(text, blocks.dicts(body))


def _unlinked(notice: Notice, campaign: Campaign) -> Message:
    """The manager's DM: writers nobody could tell, and the command that links each."""
    logins = [str(login) for login in notice.payload.get("logins") or []]
    more = int(notice.payload.get("more") or 0)
    count = len(logins) + more
    name = blocks.escape(campaign.name)
    text = (
        f"{count} writer{'s' if count != 1 else ''} of campaign #{campaign.id} {name} "
        "have no Slack identity, so they were not told it started."
    )
    shown = [blocks.user_text(login, 100) for login in logins]
    lines = [f"• `{login}` — `/campaign link @someone {login}`" for login in shown]
    if more:
        lines.append(f"• and {more} more")
    body = [
        blocks.section(text),
        blocks.section(blocks.join_lines(lines)),
        blocks.context(
            "Or import many at once: `campaignbot identities import people.csv` "
            "(columns github_login and slack_user_id or email)."
        ),
    ]
    return Message(text, blocks.dicts(body))
