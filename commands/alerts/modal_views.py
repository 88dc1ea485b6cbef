"""The alert modals: **Assign…** (a user picker) and **Link PR** (a pull request URL).

Pure: values in, view dicts out, through slack_sdk's View so its validators run. Which alert a
modal is about rides in private_metadata as `AlertMeta`.
"""

from __future__ import annotations

from pydantic import BaseModel, Field
from slack_sdk.models.blocks import Block, InputBlock, UrlInputElement, UserSelectElement
from slack_sdk.models.views import View

from commands.shared import ids
from commands.shared.blocks import (
    REPOSITORY_SHOWN,
    BlockDict,
    context,
    plain,
    section,
    shorten,
    user_text,
)


class AlertMeta(BaseModel):
    """Which alert of which campaign, and where to answer."""

    campaign: int = Field(ge=1)
    alert: str = Field(min_length=3, max_length=400)
    channel: str | None = None


def _reference(meta: AlertMeta) -> str:
    return user_text(shorten(meta.alert, REPOSITORY_SHOWN + 30), REPOSITORY_SHOWN + 30)


def _alert_modal(
    meta: AlertMeta, callback_id: str, title: str, submit: str, blocks: list[Block]
) -> BlockDict:
    return View(
        type="modal",
        callback_id=callback_id,
        title=plain(title),
        submit=plain(submit),
        close=plain("Cancel"),
        private_metadata=meta.model_dump_json(),
        blocks=blocks,
    ).to_dict()


def assign_modal(meta: AlertMeta) -> BlockDict:
    """Pick who fixes the alert (managers); GitHub checks their write access on submit."""
    picker = UserSelectElement(action_id=ids.ASSIGNEE, placeholder=plain("Choose a person"))
    return _alert_modal(
        meta,
        ids.ASSIGN_MODAL,
        "Assign alert",
        "Assign",
        [
            section(f"Who should fix *{_reference(meta)}* (campaign #{meta.campaign})?"),
            InputBlock(block_id=ids.ASSIGNEE, label=plain("Assignee"), element=picker),
            context("They need write access to the repository; GitHub has the last word."),
        ],
    )


def link_pr_modal(meta: AlertMeta, *, no_github: bool = False) -> BlockDict:
    """Paste the pull request that fixes the alert; it puts the alert in progress."""
    lead = "GitHub is not connected, so no branch can be made from here. " if no_github else ""
    url = UrlInputElement(
        action_id=ids.PULL_REQUEST, placeholder=plain("https://github.com/OWNER/REPO/pull/123")
    )
    return _alert_modal(
        meta,
        ids.LINK_PR_MODAL,
        "Link a pull request",
        "Link",
        [
            section(f"{lead}Which pull request fixes *{_reference(meta)}*?"),
            InputBlock(block_id=ids.PULL_REQUEST, label=plain("Pull request URL"), element=url),
        ],
    )
