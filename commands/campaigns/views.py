"""How campaigns read in messages: the campaign view, lists, reports, help, templates, previews.

Pure: values in, block dicts (or text) out. Nothing here calls Slack or the database. User text
(names, descriptions, queries, repository names) is escaped and shortened before it goes into
a block; slack_sdk's validators check the rest when the blocks become dicts.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from slack_sdk.models.blocks import Block

from bot.campaigns.queries import Preview
from bot.core import progress as progress_math
from bot.core import templates
from bot.core.models import AlertKind, Campaign, Progress, ProgressStatus
from bot.core.text import counted
from commands.alerts.views import AlertPage
from commands.campaigns.parsing import SUBCOMMANDS
from commands.shared import ids
from commands.shared.blocks import (
    MESSAGE_BLOCKS,
    NAME_SHOWN,
    QUERY_SHOWN,
    REPOSITORY_SHOWN,
    BlockDict,
    actions,
    button,
    channel_mention,
    context,
    dicts,
    divider,
    escape,
    header,
    join_lines,
    link,
    mention,
    section,
    shorten,
    user_text,
)

TOP_REPOSITORIES = 10

STATUS_LABEL = {
    ProgressStatus.ON_TRACK: ":large_green_circle: On track",
    ProgressStatus.AT_RISK: ":large_orange_circle: At risk",
    ProgressStatus.OVERDUE: ":red_circle: Overdue",
    ProgressStatus.DONE: ":white_check_mark: Done",
}


# -- campaign summaries -------------------------------------------------------------------------


def status_label(campaign: Campaign, progress: Progress) -> str:
    """Closed campaigns say when; a new campaign with no close yet says it is too early."""
    if campaign.state.value != "active":
        when = campaign.closed_at.date().isoformat() if campaign.closed_at else "—"
        done = " · all alerts closed" if progress.status is ProgressStatus.DONE else ""
        return f":lock: Closed on {when}{done}"
    if progress.too_early:
        return ":hourglass_flowing_sand: Too early to tell"
    return STATUS_LABEL[progress.status]


def due_text(campaign: Campaign, progress: Progress) -> str:
    if campaign.state.value != "active" or progress.status is ProgressStatus.DONE:
        return f"Due {campaign.due_date.isoformat()}"
    if progress.days_left > 1:
        left = f"{progress.days_left} days left"
    elif progress.days_left == 1:
        left = "1 day left"
    elif progress.days_left == 0:
        left = "due today"
    else:
        left = f"{-progress.days_left} days overdue"
    return f"Due {campaign.due_date.isoformat()} ({left})"


def counts_line(progress: Progress) -> str:
    counts = progress.counts
    return (
        f"*{counts.open}* open · *{counts.in_progress}* in progress · "
        f"*{counts.closed}* closed of {counts.total}"
    )


def progress_text(campaign: Campaign, progress: Progress) -> str:
    bar = progress_math.progress_bar(progress)
    return (
        f"`{bar}` *{progress.percent_closed}%* closed\n{counts_line(progress)}\n"
        f"{status_label(campaign, progress)}"
    )


def campaign_summary(campaign: Campaign, progress: Progress, *, bar_width: int) -> str:
    """A campaign in three lines (name, bar and counts, due date and status), for lists."""
    state = "" if campaign.state.value == "active" else " · closed"
    return (
        f"*#{campaign.id} {user_text(campaign.name, NAME_SHOWN)}*{state}\n"
        f"`{progress_math.progress_bar(progress, bar_width)}` {progress.percent_closed}% · "
        f"{counts_line(progress)}\n{due_text(campaign, progress)} · "
        f"{status_label(campaign, progress)}"
    )


def _header_blocks(campaign: Campaign, progress: Progress) -> list[Block]:
    state = "" if campaign.state.value == "active" else " (closed)"
    about = [
        due_text(campaign, progress),
        f"Manager {mention(campaign.manager)}",
        counted(campaign.alert_count, f"{campaign.kind.value} alert"),
    ]
    if campaign.contact_link:
        about.append(link(campaign.contact_link, "Contact"))
    blocks: list[Block] = [header(f"#{campaign.id} {shorten(campaign.name, NAME_SHOWN)}{state}")]
    if campaign.description.strip():
        blocks.append(section(user_text(campaign.description, 2000)))
    blocks += [section(progress_text(campaign, progress)), context(*about)]
    return blocks


def campaign_header_blocks(campaign: Campaign, progress: Progress) -> list[BlockDict]:
    """Name, description, progress bar and the facts line: the top of views and reports."""
    return dicts(_header_blocks(campaign, progress))


def campaign_view(
    campaign: Campaign, progress: Progress, *, manage: bool = True, repo_offset: int = 0
) -> list[BlockDict]:
    """The campaign view (`/campaign show`, the launch message): progress and repositories,
    ten at a time (most open first) with buttons to page through the rest."""
    blocks = _header_blocks(campaign, progress)
    if campaign.left_out:
        blocks.append(context(f"{counted(campaign.left_out, 'alert')} left out at creation."))
    blocks.append(divider())
    repos = progress.repositories
    blocks.append(section(f"*Repositories* ({len(repos)})"))
    repo_offset = max(0, min(repo_offset, max(len(repos) - 1, 0)))
    for repo in repos[repo_offset : repo_offset + TOP_REPOSITORIES]:
        value = AlertPage(campaign=campaign.number, repository=repo.name).button_value()
        blocks.append(
            section(
                f"*{user_text(repo.name, REPOSITORY_SHOWN)}*\n{repo.open} open · "
                f"{repo.in_progress} in progress · {repo.closed} closed",
                accessory=None if value is None else button("Alerts", ids.EXPAND_REPOSITORY, value),
            )
        )
    shown_to = min(repo_offset + TOP_REPOSITORIES, len(repos))
    if len(repos) > TOP_REPOSITORIES:
        blocks.append(context(f"Repositories {repo_offset + 1}–{shown_to} of {len(repos)}"))
    all_alerts = AlertPage(campaign=campaign.number).button_value()
    assert all_alerts is not None, "a campaign number alone always fits"
    buttons = [button("All alerts", ids.ALERT_PAGE, all_alerts)]
    if repo_offset > 0:
        back = max(repo_offset - TOP_REPOSITORIES, 0)
        buttons.append(
            button("Previous repositories", ids.REPOSITORY_PAGE, f"{campaign.number}:{back}")
        )
    if shown_to < len(repos):
        buttons.append(
            button("More repositories", ids.REPOSITORY_PAGE, f"{campaign.number}:{shown_to}")
        )
    if manage:
        buttons.append(button("Post report", ids.POST_REPORT, str(campaign.number)))
    blocks.append(actions(*buttons))
    return dicts(blocks)


def campaign_list(
    campaigns: Sequence[Campaign], progresses: Sequence[Progress], scope: str
) -> list[BlockDict]:
    """`/campaign list`: one section per campaign with a View button; the rest counted."""
    if not campaigns:
        hint = " `/campaign list all` includes closed ones." if scope == "active" else ""
        which = "" if scope == "all" else f"{scope} "
        return dicts([section(f"No {which}campaigns.{hint}")])
    title = {"active": "Active campaigns", "all": "All campaigns", "closed": "Closed campaigns"}
    blocks: list[Block] = [header(title.get(scope, "Campaigns"))]
    room = MESSAGE_BLOCKS - 2  # the header, and a line for those that do not fit
    pairs = list(zip(campaigns, progresses, strict=True))
    for campaign, progress in pairs[:room]:
        blocks.append(
            section(
                campaign_summary(campaign, progress, bar_width=10),
                accessory=button("View", ids.VIEW_CAMPAIGN, str(campaign.number)),
            )
        )
    if len(pairs) > room:
        blocks.append(
            context(f"…and {len(pairs) - room} more. `/campaign show CAMPAIGN` opens one.")
        )
    return dicts(blocks)


def report_blocks(campaign: Campaign, progress: Progress) -> list[BlockDict]:
    """The progress summary posted to a channel."""
    blocks = _header_blocks(campaign, progress)
    projected = progress.projected_completion
    blocks.append(
        context(
            f"{progress.closed_in_period} closed in the last {progress.period_days} days · "
            f"burn rate {progress.burn_rate:.1f}/day · projected completion "
            f"{projected.isoformat() if projected else '—'}"
        )
    )
    busiest = [repo for repo in progress.repositories if repo.open + repo.in_progress][:5]
    if busiest:
        lines = [
            f"• *{user_text(repo.name, REPOSITORY_SHOWN)}*: {repo.open} open, "
            f"{repo.in_progress} in progress"
            for repo in busiest
        ]
        blocks.append(section(join_lines(["*Most open alerts*", *lines])))
    return dicts(blocks)


# -- help, templates, previews ------------------------------------------------------------------


def help_blocks(note: str | None = None, *, manager: bool = True) -> list[BlockDict]:
    """The subcommands this person can use (managers see the managing ones too)."""
    lines = "\n".join(
        f"• `{row.usage}` — {row.summary}"
        for row in SUBCOMMANDS.values()
        if manager or not row.managers
    )
    blocks: list[Block] = []
    if note:
        blocks.append(section(f":warning: {user_text(note, 500)}"))
    blocks.append(section(f"*Security campaigns* — `/campaign` subcommands:\n{lines}"))
    blocks.append(
        context(
            "CAMPAIGN is a number (`3`, `#3`) or the start of a name (quote it if it has spaces)."
        )
    )
    return dicts(blocks)


def templates_blocks() -> list[BlockDict]:
    blocks: list[Block] = [header("Campaign templates")]
    for kind, title in ((AlertKind.CODE, "Code"), (AlertKind.SECRET, "Secrets")):
        blocks.append(section(f"*{title}*"))
        for template in templates.by_kind(kind):
            blocks.append(
                section(
                    f"*{escape(template.name)}* — {escape(template.description)}\n"
                    f"`{escape(template.query)}`",
                    accessory=button("Use", ids.USE_TEMPLATE, template.slug),
                )
            )
    return dicts(blocks)


def _counted(pairs: Sequence[tuple[str, int]], limit: int, *, brackets: bool = False) -> str:
    shown = pairs[:10]
    if brackets:
        return ", ".join(f"{user_text(name, limit)} ({count})" for name, count in shown)
    return ", ".join(f"{user_text(name, limit)} {count}" for name, count in shown)


def preview_text(preview: Preview) -> str:
    """What a filter selects, in mrkdwn; at most one section's worth (3000 characters)."""
    sel = preview.selection
    lines = [
        f"*{counted(sel.alerts, 'alert')} in "
        f"{counted(sel.repositories, 'repository', 'repositories')}*"
        f" ({sel.code} code, {sel.secret} secret)"
    ]
    bd = preview.breakdown
    if bd.by_severity:
        lines.append("By severity: " + _counted(list(bd.by_severity.items()), 30))
    if bd.by_secret_type:
        lines.append("By secret type: " + _counted(list(bd.by_secret_type.items()), 60))
    if bd.top_repositories:
        lines.append("Top repositories: " + _counted(list(bd.top_repositories), 80, brackets=True))
    lines.extend(f"_Note: {user_text(note, 300)}_" for note in preview.notes)
    return join_lines(lines)


def big_campaign_text(preview: Preview) -> str:
    sel = preview.selection
    return (
        ":warning: *This looks like a big campaign.* Refine the filter (by team, topic or "
        f"custom property), or continue with the first {sel.kept} alerts — those in the most "
        f"recently pushed repositories — and leave out {sel.left_out}."
    )


def preview_blocks(preview: Preview) -> list[BlockDict]:
    blocks: list[Block] = [section(preview_text(preview))]
    if preview.selection.big:
        blocks.append(section(big_campaign_text(preview)))
    blocks.append(context(f"`{user_text(preview.selection.query, QUERY_SHOWN)}`"))
    return dicts(blocks)


# -- confirmations and announcements ------------------------------------------------------------


def confirm_state_change(campaign: Campaign, closing: bool) -> list[BlockDict]:
    verb = "Close" if closing else "Reopen"
    consequence = (
        "It leaves developers' views; its history stays viewable and it can be reopened."
        if closing
        else "It counts against the limit of active campaigns again."
    )
    name = user_text(campaign.name, NAME_SHOWN)
    return dicts(
        [
            section(f"{verb} *#{campaign.id} {name}*? {consequence}"),
            actions(
                button(
                    verb,
                    ids.CONFIRM_CLOSE if closing else ids.CONFIRM_REOPEN,
                    str(campaign.number),
                    style="danger" if closing else "primary",
                ),
                button("Cancel", ids.CANCEL, str(campaign.number)),
            ),
        ]
    )


EDIT_LABELS = {
    "name": "name",
    "description": "description",
    "due_date": "due date",
    "manager": "manager",
    "channel": "channel",
    "contact_link": "contact link",
    "reminders": "reminders",
    "reminder_days": "reminder days",
    "reminder_channel": "reminder channel",
    "nudge_severities": "reminder DMs for severities",
    "nudge_min_age_days": "reminder DMs for alerts older than (days)",
}


def edit_announcement(campaign: Campaign, changes: dict[str, tuple[Any, Any]], actor: str) -> str:
    """`<@U1> updated campaign #3 Name:` and one `• field: old → new` line per change (mrkdwn)."""

    def show(field: str, value: Any) -> str:
        if value is None:
            return "—"
        if field == "manager":
            return mention(str(value))
        if field in ("channel", "reminder_channel"):
            return channel_mention(str(value))
        if isinstance(value, bool):
            return "on" if value else "off"
        return user_text(str(value), 300)

    lines = [
        f"• {EDIT_LABELS.get(field, field)}: {show(field, old)} → {show(field, new)}"
        for field, (old, new) in changes.items()
    ]
    name = user_text(campaign.name, NAME_SHOWN)
    return "\n".join([f"{mention(actor)} updated campaign *#{campaign.id} {name}*:", *lines])
