"""How the clock jobs' notices read: channel reminders, reminder DMs and the weekly digest.

Pure: a notice and what it is about in, text and blocks out. User text is escaped everywhere.
"""

from __future__ import annotations

from bot.core.models import Campaign, Progress
from bot.core.notices import Notice
from bot.core.playbooks import CHECKLIST
from bot.delivery.ports import Subject
from bot.reports.digest import DigestFacts
from commands.campaigns import views as campaign_views
from commands.shared import blocks, ids
from commands.shared.blocks import BlockDict


def _when(slot: str) -> str:
    """`due-7` → "due in 7 days"; `due-0` → "due today"; `overdue-14` → "14 days overdue"."""
    kind, _, days = slot.split(".", 1)[0].partition("-")
    count = int(days) if days.isdigit() else 0
    if kind == "overdue":
        return f"{count} days overdue"
    if count == 0:
        return "due today"
    return "due tomorrow" if count == 1 else f"due in {count} days"


def reminder(notice: Notice, campaign: Campaign, progress: Progress) -> tuple[str, list[BlockDict]]:
    """A channel reminder: how much is left and the campaign's button."""
    name = blocks.escape(campaign.name)
    when = _when(str(notice.payload.get("slot") or ""))
    counts = progress.counts
    left = counts.open + counts.in_progress
    text = (
        f":alarm_clock: Campaign #{campaign.id} {name} is {when}: {left} of {counts.total} "
        f"alerts still open ({counts.in_progress} in progress)."
    )
    body = [
        blocks.section(text),
        blocks.context(campaign_views.due_text(campaign, progress)),
        blocks.actions(
            blocks.button("Open campaign", ids.VIEW_CAMPAIGN, str(campaign.number)),
            blocks.button("My alerts", ids.MY_ALERTS, str(campaign.number)),
        ),
    ]
    return text, blocks.dicts(body)


def reminder_dm(notice: Notice, subject: Subject) -> tuple[str, list[BlockDict]]:
    """One person's reminder for the day: each campaign due for them, and the snooze buttons."""
    active = {campaign.number: campaign for campaign in subject.campaigns}
    lines, first = [], None
    for item in notice.payload.get("campaigns") or []:
        campaign = active.get(int(item.get("campaign") or 0))
        if campaign is None:
            continue
        first = first or campaign
        mine = int(item.get("open") or 0) + int(item.get("in_progress") or 0)
        lines.append(
            f"• *#{campaign.id} {blocks.user_text(campaign.name, blocks.NAME_SHOWN)}* — "
            f"{_when(str(item.get('slot') or ''))}: {mine} of your alerts still open "
            f"({int(item.get('in_progress') or 0)} in progress)"
        )
    text = f"Reminder: {len(lines)} campaign{'s' if len(lines) != 1 else ''} need your fixes."
    buttons = [
        blocks.button("Snooze 1 day", ids.SNOOZE_DAY, "1"),
        blocks.button("Snooze 1 week", ids.SNOOZE_WEEK, "7"),
    ]
    if first is not None:
        buttons.insert(0, blocks.button("My alerts", ids.MY_ALERTS, str(first.number)))
    body = [
        blocks.section(blocks.join_lines([f"*{text}*", *lines])),
        blocks.context("`/campaign mine` lists them all; `/campaign notify off` stops these."),
        blocks.actions(*buttons),
    ]
    return text, blocks.dicts(body)


def digest(
    campaign: Campaign, progress: Progress, facts: DigestFacts | None, *, weekly: bool = True
) -> tuple[str, list[BlockDict]]:
    """The weekly digest (and `/campaign report`): the summary, then what moved this week."""
    name = blocks.escape(campaign.name)
    counts = progress.counts
    title = "Weekly progress" if weekly else "Progress"
    text = (
        f"{title} of campaign #{campaign.id} {name}: {counts.closed}/{counts.total} "
        f"closed, {counts.open} open, {counts.in_progress} in progress"
    )
    summary = campaign_views.report_blocks(campaign, progress)
    if facts is None:
        return text, summary
    blockers = _blocker_lines(facts)
    if facts.quiet:
        quiet = (
            f"No change this week: still {counts.open + counts.in_progress} open, "
            f"{progress.days_left} days to the due date."
        )
        said = [*summary, blocks.section(blocks.join_lines([quiet, *blockers])).to_dict()]
        return f"{text}. {quiet}", said
    lines = [f"*This week*: {facts.closed_this_week} resolved"]
    if facts.milestones:
        lines.append(f":tada: passed {', '.join(f'{m}%' for m in facts.milestones)}")
    if facts.cleared:
        shown = ", ".join(f"`{blocks.user_text(name, 100)}`" for name in facts.cleared[:5])
        lines.append(f":white_check_mark: cleared: {shown}")
    if facts.top_fixers:
        fixers = ", ".join(f"{blocks.mention(u)} ({n})" for u, n in facts.top_fixers)
        lines.append(f":trophy: top fixers: {fixers}")
    if facts.stalled:
        shown = ", ".join(f"`{blocks.user_text(name, 100)}`" for name in facts.stalled[:5])
        more = f" and {len(facts.stalled) - 5} more" if len(facts.stalled) > 5 else ""
        lines.append(f":warning: no progress in 14 days: {shown}{more}")
    lines += blockers
    extra = [blocks.section(blocks.join_lines(lines)).to_dict()]
    return text, [*summary, *extra][: blocks.MESSAGE_BLOCKS]


def _blocker_lines(facts: DigestFacts) -> list[str]:
    """What holds the campaign up beyond stalled repositories: writers nobody can tell, and
    exceptions waiting for the manager; and, for secrets, where the checklist stands."""
    lines = _unreachable_line(facts)
    if facts.pending_exceptions:
        count = len(facts.pending_exceptions)
        shown = ", ".join(f"`{blocks.user_text(ref, 120)}`" for ref in facts.pending_exceptions[:5])
        more = f" and {count - 5} more" if count > 5 else ""
        lines.append(
            f":hourglass: {count} exception{'s' if count != 1 else ''} waiting for the "
            f"manager: {shown}{more}"
        )
    if facts.checklist:
        steps = " · ".join(
            f"{facts.checklist.get(step.value, 0)} {step.value}" for step, _ in CHECKLIST[:-1]
        )
        lines.append(f":ballot_box_with_check: checklist (open alerts past each step): {steps}")
    return lines


def _unreachable_line(facts: DigestFacts) -> list[str]:
    """Repositories nobody can be told about: their writers have no Slack identity."""
    if not facts.unreachable:
        return []
    shown = ", ".join(f"`{blocks.user_text(name, 100)}`" for name in facts.unreachable[:5])
    more = f" and {len(facts.unreachable) - 5} more" if len(facts.unreachable) > 5 else ""
    return [
        f":bust_in_silhouette: no writer linked to Slack: {shown}{more} "
        "(`/campaign link @someone LOGIN`)"
    ]
