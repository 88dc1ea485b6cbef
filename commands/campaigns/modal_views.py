"""The campaign modals: create (with its preview), edit, delete, loading and message modals.

Pure: values in, view dicts out, built on slack_sdk's View so its validators check titles,
private_metadata and every block. What a modal must remember between Slack's calls rides in
private_metadata as a small pydantic model (CreateModalMeta, CampaignMeta).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from pydantic import BaseModel
from slack_sdk.models.blocks import (
    Block,
    CheckboxesElement,
    ConversationFilter,
    ConversationSelectElement,
    DatePickerElement,
    InputBlock,
    NumberInputElement,
    Option,
    OptionGroup,
    PlainTextInputElement,
    StaticSelectElement,
    UrlInputElement,
    UserSelectElement,
)
from slack_sdk.models.blocks.block_elements import InputInteractiveElement
from slack_sdk.models.views import View

from bot.campaigns.queries import Preview
from bot.core import templates
from bot.core.models import AlertKind, Campaign
from commands.campaigns.views import big_campaign_text, preview_text
from commands.shared import ids
from commands.shared.blocks import (
    NAME_SHOWN,
    OPTION_TEXT,
    QUERY_SHOWN,
    VIEW_BLOCKS,
    VIEW_TITLE,
    BlockDict,
    actions,
    button,
    context,
    divider,
    encode,
    error_text,
    plain,
    section,
    shorten,
    user_text,
)

NAME_MAX = 50
DESCRIPTION_MAX = 255


class CreateModalMeta(BaseModel):
    """The create modal's private_metadata: where `/campaign new` was typed."""

    channel: str | None = None


class CampaignMeta(BaseModel):
    """The edit and delete modals' private_metadata: which campaign, and where to answer."""

    campaign: int
    channel: str | None = None


def _modal(
    title: str,
    blocks: Sequence[Block | BlockDict],
    *,
    callback_id: str | None = None,
    submit: str | None = None,
    close: str = "Cancel",
    private_metadata: str | None = None,
) -> BlockDict:
    view = View(
        type="modal",
        callback_id=callback_id,
        title=plain(shorten(title, VIEW_TITLE)),
        submit=plain(submit) if submit else None,
        close=plain(close),
        private_metadata=private_metadata,
        blocks=list(blocks),
    )
    return view.to_dict()


def _input(
    block_id: str,
    label: str,
    element: InputInteractiveElement,
    *,
    optional: bool = False,
    hint: str | None = None,
    dispatch_action: bool = False,
) -> InputBlock:
    """An input block; its element's action id is the block id (one element per block)."""
    element.action_id = block_id
    return InputBlock(
        block_id=block_id,
        label=plain(label),
        element=element,
        optional=optional,
        hint=plain(hint) if hint else None,
        dispatch_action=dispatch_action or None,
    )


def query_block_id(version: str | None = None) -> str:
    """`query`, or `query.VERSION` once a template choice replaced the box's text."""
    return f"{ids.QUERY}.{version}" if version else ids.QUERY


def _text_input(
    initial: str | None = None,
    *,
    multiline: bool = False,
    max_length: int | None = None,
    placeholder: str | None = None,
) -> PlainTextInputElement:
    return PlainTextInputElement(
        initial_value=initial or None,
        multiline=multiline,
        max_length=max_length,
        placeholder=plain(placeholder) if placeholder else None,
    )


def _option(text: str, value: str) -> Option:
    return Option(text=plain(shorten(text, OPTION_TEXT)), value=value)


def _template_select(initial: str | None) -> StaticSelectElement:
    groups = [
        OptionGroup(
            label=plain(label), options=[_option(t.name, t.slug) for t in templates.by_kind(kind)]
        )
        for kind, label in ((AlertKind.CODE, "Code"), (AlertKind.SECRET, "Secrets"))
    ]
    chosen = templates.find(initial) if initial else None
    return StaticSelectElement(
        action_id=ids.TEMPLATE,
        placeholder=plain("Choose a template"),
        option_groups=groups,
        initial_option=_option(chosen.name, chosen.slug) if chosen is not None else None,
    )


def template_select(initial: str | None) -> BlockDict:
    """The template menu of the create modal, grouped Code / Secrets."""
    return _template_select(initial).to_dict()


def content_modal(title: str, content: Sequence[BlockDict]) -> BlockDict:
    """A read-only modal around message blocks (a button pressed in the App Home)."""
    return _modal(title, content[:VIEW_BLOCKS], close="Close")


def message_modal(title: str, text: str) -> BlockDict:
    """A modal that only says something went wrong (replaces a loading modal). `text` is a domain
    message: escaped, with the service's own mentions kept live."""
    return _modal(
        title,
        [section(f":warning: {shorten(error_text(text), 2900)}")],
        callback_id=ids.LOADING_MODAL,
        close="Close",
    )


def loading_modal(title: str = "Campaign") -> BlockDict:
    return _modal(
        title, [section(":hourglass_flowing_sand: Loading…")], callback_id=ids.LOADING_MODAL
    )


def create_modal(
    meta: CreateModalMeta,
    *,
    query: str | None = None,
    template: str | None = None,
    manager: str | None = None,
    preview: Preview | None = None,
    preview_error: str | None = None,
    due_default: date | None = None,
    query_version: str | None = None,
) -> BlockDict:
    """The create form. The preview section is updated in place (views.update). Choosing a
    template re-renders it with `query_version` set: a new block id for the query box, which is
    the only way to make Slack replace what was typed there with the template's query."""
    chosen = templates.find(template) if template else None
    if chosen is not None and not query:
        query = chosen.query
    if preview_error:
        result = section(f":warning: {user_text(preview_error, 2000)}", block_id=ids.PREVIEW_RESULT)
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
            _template_select(template),
            optional=True,
            hint="Choosing one puts its query below; or write your own.",
            dispatch_action=True,
        ),
        _input(
            query_block_id(query_version),
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
                CheckboxesElement(
                    options=[
                        _option(f"Continue with the first {preview.selection.kept}", "continue")
                    ]
                ),
                optional=True,
            )
        )
    blocks += [
        divider(),
        _input(
            ids.NAME,
            "Campaign name",
            _text_input(chosen.name if chosen else None, max_length=NAME_MAX),
        ),
        _input(
            ids.DESCRIPTION,
            "Short description",
            _text_input(
                chosen.description if chosen else None, multiline=True, max_length=DESCRIPTION_MAX
            ),
            hint="Up to 255 characters; links are welcome.",
        ),
        _input(
            ids.DUE_DATE,
            "Due date",
            DatePickerElement(initial_date=due_default.isoformat() if due_default else None),
        ),
        _input(
            ids.MANAGER,
            "Campaign manager",
            UserSelectElement(initial_user=manager or None),
            hint="A security manager: the contact for questions.",
        ),
        _input(
            ids.CHANNEL,
            "Channel for updates",
            ConversationSelectElement(
                initial_conversation=meta.channel or None,
                filter=ConversationFilter(include=["public", "private"], exclude_bot_users=True),
            ),
            optional=True,
        ),
        _input(ids.CONTACT_LINK, "Contact link", UrlInputElement(), optional=True),
    ]
    return _modal(
        "New campaign",
        blocks,
        callback_id=ids.CREATE_MODAL,
        submit="Create campaign",
        private_metadata=encode(meta),
    )


def edit_modal(campaign: Campaign) -> BlockDict:
    """The edit form, filled in with the campaign as it is."""
    blocks: list[Block] = [
        context(
            f"`{user_text(campaign.query, QUERY_SHOWN)}` · {campaign.alert_count} alerts",
        ),
        _input(ids.NAME, "Campaign name", _text_input(campaign.name, max_length=NAME_MAX)),
        _input(
            ids.DESCRIPTION,
            "Short description",
            _text_input(campaign.description, multiline=True, max_length=DESCRIPTION_MAX),
        ),
        _input(
            ids.DUE_DATE, "Due date", DatePickerElement(initial_date=campaign.due_date.isoformat())
        ),
        _input(ids.MANAGER, "Campaign manager", UserSelectElement(initial_user=campaign.manager)),
        _input(
            ids.CHANNEL,
            "Channel for updates",
            ConversationSelectElement(initial_conversation=campaign.channel or None),
            optional=True,
        ),
        _input(
            ids.CONTACT_LINK,
            "Contact link",
            UrlInputElement(initial_value=campaign.contact_link or None),
            optional=True,
        ),
        *_reminder_inputs(campaign),
    ]
    return _modal(
        f"Edit campaign #{campaign.id}",
        blocks,
        callback_id=ids.EDIT_MODAL,
        submit="Save",
        private_metadata=encode(CampaignMeta(campaign=campaign.number)),
    )


def _reminder_inputs(campaign: Campaign) -> list[Block]:
    """Channel reminders: on or off, the days before the due date, and where they go."""
    remind = Option(text=plain("Remind the channel before and after the due date"), value="on")
    return [
        _input(
            ids.REMINDERS,
            "Reminders",
            CheckboxesElement(
                options=[remind], initial_options=[remind] if campaign.reminders else None
            ),
            optional=True,
        ),
        _input(
            ids.REMINDER_DAYS,
            "Days before the due date",
            _text_input(campaign.reminder_days, max_length=40, placeholder="7,1,0"),
            optional=True,
            hint="Empty: the installation's default. Overdue campaigns are reminded weekly.",
        ),
        _input(
            ids.REMINDER_CHANNEL,
            "Reminder channel",
            ConversationSelectElement(initial_conversation=campaign.reminder_channel or None),
            optional=True,
            hint="Empty: the channel for updates.",
        ),
        _input(
            ids.NUDGE_SEVERITIES,
            "Reminder DMs only for severities",
            _text_input(campaign.nudge_severities, max_length=100, placeholder="critical,high"),
            optional=True,
            hint="Empty: every alert. critical, high, medium, low, error, warning, note.",
        ),
        _input(
            ids.NUDGE_MIN_AGE,
            "Reminder DMs only for alerts open at least (days)",
            NumberInputElement(
                is_decimal_allowed=False,
                min_value="0",
                max_value="3650",
                initial_value=(
                    str(campaign.nudge_min_age_days) if campaign.nudge_min_age_days else None
                ),
            ),
            optional=True,
        ),
    ]


def delete_modal(campaign: Campaign, channel: str | None) -> BlockDict:
    """Delete for good: the user types the campaign's name to confirm."""
    name = user_text(campaign.name, NAME_SHOWN)
    return _modal(
        "Delete campaign",
        [
            section(
                f":warning: Deleting *#{campaign.id} {name}* removes it and its "
                f"{campaign.alert_count} alert assignments for good. Closing keeps the history."
            ),
            _input(ids.CONFIRM_NAME, "Type the campaign's name to confirm", _text_input()),
        ],
        callback_id=ids.DELETE_MODAL,
        submit="Delete for good",
        close="Keep it",
        private_metadata=encode(CampaignMeta(campaign=campaign.number, channel=channel)),
    )
