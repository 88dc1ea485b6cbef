"""Pure Block Kit builders: values in, blocks out. Nothing here calls Slack or the database.

Limits kept here: 50 blocks per message, 100 per modal or Home tab, 3000 characters per section,
150 per header, 75 per button text, 3000 per private_metadata.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from typing import Any

from pydantic import BaseModel

from bot.campaigns.service import Preview
from bot.core import progress as progress_math
from bot.core import templates
from bot.core.models import (
    AlertKind,
    AlertStatus,
    Campaign,
    CampaignAlert,
    Progress,
    ProgressStatus,
)
from commands.campaigns.parsing import SUBCOMMANDS
from commands.shared import ids

Block = dict[str, Any]

MESSAGE_BLOCKS = 50
VIEW_BLOCKS = 100
TOP_REPOSITORIES = 10
ALERTS_PER_PAGE = 10

STATUS_LABEL = {
    ProgressStatus.ON_TRACK: ":large_green_circle: On track",
    ProgressStatus.AT_RISK: ":large_orange_circle: At risk",
    ProgressStatus.OVERDUE: ":red_circle: Overdue",
    ProgressStatus.DONE: ":white_check_mark: Done",
}
ALERT_STATUS_LABEL = {
    AlertStatus.IN_PROGRESS: ":hammer_and_wrench: in progress",
    AlertStatus.OPEN: ":o: open",
    AlertStatus.CLOSED: ":white_check_mark: closed",
}


def plain(text: str, limit: int = 3000) -> dict[str, Any]:
    return {"type": "plain_text", "text": clip(text, limit), "emoji": True}


def mrkdwn(text: str, limit: int = 3000) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": clip(text, limit)}


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def escape(text: str) -> str:
    """Slack's mrkdwn needs &, < and > escaped in user-supplied text."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def section(text: str, accessory: Block | None = None, block_id: str | None = None) -> Block:
    block: Block = {"type": "section", "text": mrkdwn(text)}
    if accessory is not None:
        block["accessory"] = accessory
    if block_id:
        block["block_id"] = block_id
    return block


def header(text: str) -> Block:
    return {"type": "header", "text": plain(text, 150)}


def context(*texts: str) -> Block:
    return {"type": "context", "elements": [mrkdwn(text) for text in texts[:10]]}


def divider() -> Block:
    return {"type": "divider"}


def button(
    text: str,
    action_id: str,
    value: str,
    style: str | None = None,
    confirm: Block | None = None,
) -> Block:
    element: Block = {
        "type": "button",
        "text": plain(text, 75),
        "action_id": action_id,
        "value": value[:2000],
    }
    if style:
        element["style"] = style
    if confirm:
        element["confirm"] = confirm
    return element


def actions(*elements: Block, block_id: str | None = None) -> Block:
    block: Block = {"type": "actions", "elements": list(elements)[:25]}
    if block_id:
        block["block_id"] = block_id
    return block


def encode(model: BaseModel) -> str:
    """private_metadata and button values: compact JSON of a pydantic model (≤ 3000 chars)."""
    text = model.model_dump_json(exclude_none=True)
    if len(text) > 3000:
        raise ValueError("metadata too large for Slack")
    return text


# -- campaign summaries -------------------------------------------------------------------------


def due_text(campaign: Campaign, progress: Progress) -> str:
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


def progress_section(progress: Progress) -> Block:
    bar = progress_math.progress_bar(progress)
    return section(
        f"`{bar}` *{progress.percent_closed}%* closed\n{counts_line(progress)}\n"
        f"{STATUS_LABEL[progress.status]}"
    )


def campaign_header_blocks(campaign: Campaign, progress: Progress) -> list[Block]:
    state = "" if campaign.state.value == "active" else " (closed)"
    about = [
        due_text(campaign, progress),
        f"Manager <@{campaign.manager}>",
        f"{campaign.alert_count} {campaign.kind.value} alerts",
    ]
    if campaign.contact_link:
        about.append(f"<{campaign.contact_link}|Contact>")
    return [
        header(f"#{campaign.id} {campaign.name}{state}"),
        section(escape(campaign.description)),
        progress_section(progress),
        context(*about),
    ]


def campaign_view(campaign: Campaign, progress: Progress, *, manage: bool = True) -> list[Block]:
    """The campaign view (`/campaign show`, the launch message): progress and repositories."""
    blocks = campaign_header_blocks(campaign, progress)
    if campaign.left_out:
        blocks.append(context(f"{campaign.left_out} alerts were left out at creation."))
    blocks.append(divider())
    repos = progress.repositories
    blocks.append(section(f"*Repositories* ({len(repos)})"))
    for repo in repos[:TOP_REPOSITORIES]:
        blocks.append(
            section(
                f"*{repo.name}*\n{repo.open} open · {repo.in_progress} in progress · "
                f"{repo.closed} closed",
                accessory=button(
                    "Alerts",
                    ids.EXPAND_REPOSITORY,
                    AlertPage(campaign=campaign.number, repository=repo.name).model_dump_json(),
                ),
            )
        )
    if len(repos) > TOP_REPOSITORIES:
        blocks.append(
            context(f"…and {len(repos) - TOP_REPOSITORIES} more repositories (most open first).")
        )
    buttons = [
        button("All alerts", ids.ALERT_PAGE, AlertPage(campaign=campaign.number).model_dump_json())
    ]
    if manage:
        buttons.append(button("Post report", ids.POST_REPORT, str(campaign.number)))
    blocks.append(actions(*buttons))
    return blocks[:MESSAGE_BLOCKS]


class AlertPage(BaseModel):
    """Which page of which alerts a button shows; round-trips through the button value."""

    campaign: int
    repository: str | None = None
    status: AlertStatus | None = None
    offset: int = 0


def alert_line(item: CampaignAlert) -> str:
    alert = item.alert
    title = escape(alert.title)
    link = f"<{alert.html_url}|{alert.reference}>" if alert.html_url else alert.reference
    detail = (
        alert.security_severity or alert.severity or ""
        if alert.kind is AlertKind.CODE
        else alert.validity or ""
    )
    where = f" · `{escape(alert.path)}`" if alert.path else ""
    who = f" · <@{item.assignee}>" if item.assignee else ""
    return f"{ALERT_STATUS_LABEL[item.status]} *{title}* {detail}\n{link}{where}{who}"


def alert_list(
    campaign: Campaign, items: Sequence[CampaignAlert], total: int, page: AlertPage
) -> list[Block]:
    """A page of alerts, in progress first, with previous / next buttons."""
    scope = [f"#{campaign.id} {escape(campaign.name)}"]
    if page.repository:
        scope.append(f"repo:{page.repository}")
    if page.status:
        scope.append(f"status:{page.status.value.replace('_', '-')}")
    shown_to = min(page.offset + len(items), total)
    blocks: list[Block] = [
        section(f"*Alerts* — {' · '.join(scope)}"),
        context(f"{page.offset + 1 if total else 0}–{shown_to} of {total}"),
    ]
    if not items:
        blocks.append(section("No alerts match."))
    blocks.extend(section(alert_line(item)) for item in items)
    nav = []
    if page.offset > 0:
        previous = page.model_copy(update={"offset": max(0, page.offset - ALERTS_PER_PAGE)})
        nav.append(button("◀ Previous", ids.ALERT_PAGE + ":prev", previous.model_dump_json()))
    if shown_to < total:
        following = page.model_copy(update={"offset": page.offset + ALERTS_PER_PAGE})
        nav.append(button("Next ▶", ids.ALERT_PAGE + ":next", following.model_dump_json()))
    nav.append(button("Back to campaign", ids.VIEW_CAMPAIGN, str(campaign.number)))
    blocks.append(actions(*nav))
    return blocks


def campaign_list(
    campaigns: Sequence[Campaign], progresses: Sequence[Progress], scope: str
) -> list[Block]:
    if not campaigns:
        hint = " `/campaign list all` includes closed ones." if scope == "active" else ""
        return [
            section(f"No {scope if scope != 'all' else ''} campaigns.{hint}".replace("  ", " "))
        ]
    blocks: list[Block] = [
        header(
            {"active": "Active campaigns", "all": "All campaigns", "closed": "Closed campaigns"}[
                scope
            ]
        )
    ]
    for campaign, progress in zip(campaigns, progresses, strict=True):
        state = "" if campaign.state.value == "active" else " · closed"
        blocks.append(
            section(
                f"*#{campaign.id} {escape(campaign.name)}*{state}\n"
                f"`{progress_math.progress_bar(progress, 10)}` {progress.percent_closed}% · "
                f"{counts_line(progress)}\n{due_text(campaign, progress)} · "
                f"{STATUS_LABEL[progress.status]}",
                accessory=button("View", ids.VIEW_CAMPAIGN, str(campaign.number)),
            )
        )
    return blocks[:MESSAGE_BLOCKS]


def report_blocks(campaign: Campaign, progress: Progress) -> list[Block]:
    """The progress summary posted to a channel."""
    blocks = campaign_header_blocks(campaign, progress)
    blocks.append(
        context(
            f"{progress.closed_in_period} closed in the last {progress.period_days} days · "
            f"burn rate {progress.burn_rate:.1f}/day · projected completion "
            f"{progress.projected_completion.isoformat() if progress.projected_completion else '—'}"
        )
    )
    busiest = [repo for repo in progress.repositories if repo.open + repo.in_progress][:5]
    if busiest:
        lines = "\n".join(
            f"• *{repo.name}*: {repo.open} open, {repo.in_progress} in progress" for repo in busiest
        )
        blocks.append(section(f"*Most open alerts*\n{lines}"))
    return blocks


# -- help, templates, previews ------------------------------------------------------------------


def help_blocks(note: str | None = None) -> list[Block]:
    lines = "\n".join(f"• {text}" for text in SUBCOMMANDS.values())
    blocks = [section(f"*Security campaigns* — `/campaign` subcommands:\n{lines}")]
    blocks.append(
        context(
            "CAMPAIGN is a number (`3`, `#3`) or the start of a name (quote it if it has spaces)."
        )
    )
    if note:
        blocks.insert(0, section(f":warning: {note}"))
    return blocks


def templates_blocks() -> list[Block]:
    blocks: list[Block] = [header("Campaign templates")]
    for kind, title in ((AlertKind.CODE, "Code"), (AlertKind.SECRET, "Secrets")):
        blocks.append(section(f"*{title}*"))
        for template in templates.by_kind(kind):
            blocks.append(
                section(
                    f"*{template.name}* — {template.description}\n`{template.query}`",
                    accessory=button("Use", ids.USE_TEMPLATE, template.slug),
                )
            )
    return blocks[:MESSAGE_BLOCKS]


def preview_text(preview: Preview) -> str:
    sel = preview.selection
    lines = [
        f"*{sel.alerts} alerts in {sel.repositories} repositories*"
        f" ({sel.code} code, {sel.secret} secret)"
    ]
    bd = preview.breakdown
    if bd.by_severity:
        lines.append(
            "By severity: " + ", ".join(f"{name} {count}" for name, count in bd.by_severity.items())
        )
    if bd.by_secret_type:
        lines.append(
            "By secret type: "
            + ", ".join(f"{name} {count}" for name, count in bd.by_secret_type.items())
        )
    if bd.top_repositories:
        lines.append(
            "Top repositories: "
            + ", ".join(f"{name} ({count})" for name, count in bd.top_repositories)
        )
    lines.extend(f"_Note: {note}_" for note in preview.notes)
    return "\n".join(lines)


def big_campaign_text(preview: Preview) -> str:
    sel = preview.selection
    return (
        ":warning: *This looks like a big campaign.* Refine the filter (by team, topic or "
        f"custom property), or continue with the first {sel.kept} alerts — those in the most "
        f"recently pushed repositories — and leave out {sel.left_out}."
    )


def preview_blocks(preview: Preview) -> list[Block]:
    blocks = [section(preview_text(preview))]
    if preview.selection.big:
        blocks.append(section(big_campaign_text(preview)))
    blocks.append(context(f"`{escape(preview.selection.query)}`"))
    return blocks


# -- modals -------------------------------------------------------------------------------------


class CreateModalMeta(BaseModel):
    channel: str | None = None


class CampaignMeta(BaseModel):
    campaign: int
    channel: str | None = None


def _input(
    block_id: str, label: str, element: Block, *, optional: bool = False, hint: str | None = None
) -> Block:
    element = {**element, "action_id": block_id}
    block: Block = {
        "type": "input",
        "block_id": block_id,
        "label": plain(label, 2000),
        "element": element,
        "optional": optional,
    }
    if hint:
        block["hint"] = plain(hint, 2000)
    return block


def _text_input(
    initial: str | None = None,
    *,
    multiline: bool = False,
    max_length: int | None = None,
    placeholder: str | None = None,
) -> Block:
    element: Block = {"type": "plain_text_input", "multiline": multiline}
    if initial:
        element["initial_value"] = initial
    if max_length:
        element["max_length"] = max_length
    if placeholder:
        element["placeholder"] = plain(placeholder, 150)
    return element


def _option(text: str, value: str) -> Block:
    return {"text": plain(text, 75), "value": value}


def template_select(initial: str | None) -> Block:
    groups = []
    for kind, label in ((AlertKind.CODE, "Code"), (AlertKind.SECRET, "Secrets")):
        options = [_option(t.name, t.slug) for t in templates.by_kind(kind)]
        groups.append({"label": plain(label, 75), "options": options})
    element: Block = {
        "type": "static_select",
        "placeholder": plain("Choose a template"),
        "option_groups": groups,
    }
    chosen = templates.find(initial) if initial else None
    if chosen is not None:
        element["initial_option"] = _option(chosen.name, chosen.slug)
    return element


def loading_modal(title: str = "Campaign") -> Block:
    return {
        "type": "modal",
        "callback_id": ids.LOADING_MODAL,
        "title": plain(title, 24),
        "close": plain("Cancel", 24),
        "blocks": [section(":hourglass_flowing_sand: Loading…")],
    }


def create_modal(
    meta: CreateModalMeta,
    *,
    query: str | None = None,
    template: str | None = None,
    manager: str | None = None,
    preview: Preview | None = None,
    preview_error: str | None = None,
    due_default: date | None = None,
) -> Block:
    """The create form. The preview section is updated in place (views.update)."""
    chosen = templates.find(template) if template else None
    if chosen is not None and not query:
        query = chosen.query
    if preview_error:
        result = section(f":warning: {escape(preview_error)}", block_id=ids.PREVIEW_RESULT)
    elif preview is not None:
        result = section(preview_text(preview), block_id=ids.PREVIEW_RESULT)
    else:
        result = section(
            "_Press Preview to see what the filter selects._", block_id=ids.PREVIEW_RESULT
        )
    blocks: list[Block] = [
        _input(
            ids.TEMPLATE,
            "Template",
            template_select(template),
            optional=True,
            hint="Or write a filter query below.",
        ),
        _input(
            ids.QUERY,
            "Filter query",
            _text_input(query, placeholder="is:open severity:critical"),
            optional=True,
            hint="GitHub's security overview syntax, e.g. "
            "is:open autofilter:true tag:external/cwe/cwe-079 team:web",
        ),
        actions(button("Preview", ids.PREVIEW_BUTTON, "preview"), block_id="preview_actions"),
        result,
    ]
    if preview is not None and preview.selection.big:
        blocks.append(section(big_campaign_text(preview)))
        blocks.append(
            _input(
                ids.BIG_CHOICE,
                "Big selection",
                {
                    "type": "checkboxes",
                    "options": [
                        _option(f"Continue with the first {preview.selection.kept}", "continue")
                    ],
                },
                optional=True,
            )
        )
    default_name = chosen.name if chosen else None
    due_element: Block = {"type": "datepicker"}
    if due_default:
        due_element["initial_date"] = due_default.isoformat()
    manager_element: Block = {"type": "users_select"}
    if manager:
        manager_element["initial_user"] = manager
    channel_element: Block = {
        "type": "conversations_select",
        "filter": {"include": ["public", "private"], "exclude_bot_users": True},
    }
    if meta.channel:
        channel_element["initial_conversation"] = meta.channel
    blocks += [
        divider(),
        _input(ids.NAME, "Campaign name", _text_input(default_name, max_length=50)),
        _input(
            ids.DESCRIPTION,
            "Short description",
            _text_input(chosen.description if chosen else None, multiline=True, max_length=255),
            hint="Up to 255 characters; links are welcome.",
        ),
        _input(ids.DUE_DATE, "Due date", due_element),
        _input(
            ids.MANAGER,
            "Campaign manager",
            manager_element,
            hint="A security manager: the contact for questions.",
        ),
        _input(ids.CHANNEL, "Channel for updates", channel_element, optional=True),
        _input(ids.CONTACT_LINK, "Contact link", {"type": "url_text_input"}, optional=True),
    ]
    return {
        "type": "modal",
        "callback_id": ids.CREATE_MODAL,
        "title": plain("New campaign", 24),
        "submit": plain("Create campaign", 24),
        "close": plain("Cancel", 24),
        "private_metadata": encode(meta),
        "blocks": blocks[:VIEW_BLOCKS],
    }


def edit_modal(campaign: Campaign) -> Block:
    channel_element: Block = {"type": "conversations_select"}
    if campaign.channel:
        channel_element["initial_conversation"] = campaign.channel
    link_element: Block = {"type": "url_text_input"}
    if campaign.contact_link:
        link_element["initial_value"] = campaign.contact_link
    return {
        "type": "modal",
        "callback_id": ids.EDIT_MODAL,
        "title": plain(f"Edit campaign #{campaign.id}", 24),
        "submit": plain("Save", 24),
        "close": plain("Cancel", 24),
        "private_metadata": encode(CampaignMeta(campaign=campaign.number)),
        "blocks": [
            context(f"`{escape(campaign.query)}` · {campaign.alert_count} alerts"),
            _input(ids.NAME, "Campaign name", _text_input(campaign.name, max_length=50)),
            _input(
                ids.DESCRIPTION,
                "Short description",
                _text_input(campaign.description, multiline=True, max_length=255),
            ),
            _input(
                ids.DUE_DATE,
                "Due date",
                {"type": "datepicker", "initial_date": campaign.due_date.isoformat()},
            ),
            _input(
                ids.MANAGER,
                "Campaign manager",
                {"type": "users_select", "initial_user": campaign.manager},
            ),
            _input(ids.CHANNEL, "Channel for updates", channel_element, optional=True),
            _input(ids.CONTACT_LINK, "Contact link", link_element, optional=True),
        ],
    }


def delete_modal(campaign: Campaign, channel: str | None) -> Block:
    return {
        "type": "modal",
        "callback_id": ids.DELETE_MODAL,
        "title": plain("Delete campaign", 24),
        "submit": plain("Delete for good", 24),
        "close": plain("Keep it", 24),
        "private_metadata": encode(CampaignMeta(campaign=campaign.number, channel=channel)),
        "blocks": [
            section(
                f":warning: Deleting *#{campaign.id} {escape(campaign.name)}* removes it and its "
                f"{campaign.alert_count} alert assignments for good. Closing keeps the history."
            ),
            _input(ids.CONFIRM_NAME, "Type the campaign's name to confirm", _text_input()),
        ],
    }


def confirm_state_change(campaign: Campaign, closing: bool) -> list[Block]:
    verb = "Close" if closing else "Reopen"
    consequence = (
        "It leaves developers' views; its history stays viewable and it can be reopened."
        if closing
        else "It counts against the limit of active campaigns again."
    )
    return [
        section(f"{verb} *#{campaign.id} {escape(campaign.name)}*? {consequence}"),
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


def edit_announcement(campaign: Campaign, changes: dict[str, tuple[Any, Any]], actor: str) -> str:
    labels = {
        "name": "name",
        "description": "description",
        "due_date": "due date",
        "manager": "manager",
        "channel": "channel",
        "contact_link": "contact link",
    }

    def show(field: str, value: Any) -> str:
        if value is None:
            return "—"
        if field == "manager":
            return f"<@{value}>"
        if field == "channel":
            return f"<#{value}>"
        return escape(str(value))

    lines = [f"• {labels[f]}: {show(f, old)} → {show(f, new)}" for f, (old, new) in changes.items()]
    return f"<@{actor}> updated campaign *#{campaign.id} {escape(campaign.name)}*:\n" + "\n".join(
        lines
    )


def dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def home_view(
    campaigns: Sequence[Campaign], progresses: Sequence[Progress], *, manager: bool
) -> Block:
    """The Home tab: a manager's control panel, or a developer's campaigns."""
    content: list[Block] = [header("Security campaigns")]
    if manager:
        content.append(actions(button("New campaign", ids.OPEN_CREATE, "new", style="primary")))
        content.append(
            context(f"{len(campaigns)} active campaigns. `/campaign help` lists every command.")
        )
    else:
        content.append(context("Active campaigns that touch your repositories."))
    if not campaigns:
        content.append(
            section(
                "Nothing here yet." if manager else "No active campaign touches your repositories."
            )
        )
    for campaign, progress in zip(campaigns, progresses, strict=True):
        content.append(divider())
        content.append(
            section(
                f"*#{campaign.id} {escape(campaign.name)}*\n"
                f"`{progress_math.progress_bar(progress, 16)}` {progress.percent_closed}% · "
                f"{counts_line(progress)}\n{due_text(campaign, progress)} · "
                f"{STATUS_LABEL[progress.status]}"
            )
        )
        controls = [button("View", ids.VIEW_CAMPAIGN, str(campaign.number))]
        if manager:
            controls += [
                button("Edit", ids.OPEN_EDIT, str(campaign.number)),
                button("Post report", ids.POST_REPORT, str(campaign.number)),
                button(
                    "Close",
                    ids.CONFIRM_CLOSE,
                    str(campaign.number),
                    style="danger",
                    confirm={
                        "title": plain("Close this campaign?", 100),
                        "text": plain(
                            f"#{campaign.id} {campaign.name} leaves developers' views; "
                            "you can reopen it later.",
                            300,
                        ),
                        "confirm": plain("Close", 30),
                        "deny": plain("Keep it", 30),
                    },
                ),
            ]
        content.append(actions(*controls))
    return {"type": "home", "blocks": content[:VIEW_BLOCKS]}
