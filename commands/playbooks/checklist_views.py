"""The resolve form of a leaked secret's last checklist step. Pure."""

from __future__ import annotations

from slack_sdk.models.blocks import InputBlock, Option, PlainTextInputElement, StaticSelectElement
from slack_sdk.models.views import View

from bot.playbooks.checklist import MAX_COMMENT, RESOLUTIONS
from commands.alerts.modal_views import AlertMeta
from commands.shared import ids
from commands.shared.blocks import BlockDict, context, plain, section, user_text


def resolve_modal(meta: AlertMeta, missing: list[str]) -> BlockDict:
    """Resolve the secret on GitHub; names the steps not ticked yet, so nobody skips one by
    accident."""
    options = [Option(value=value, text=label) for value, label in RESOLUTIONS.items()]
    lead = f"Resolve *{user_text(meta.alert, 200)}* on GitHub (campaign #{meta.campaign})."
    if missing:
        lead += "\nNot ticked yet: " + ", ".join(user_text(step, 80) for step in missing) + "."
    return View(
        type="modal",
        callback_id=ids.RESOLVE_MODAL,
        title=plain("Resolve the secret"),
        submit=plain("Resolve"),
        close=plain("Cancel"),
        private_metadata=meta.model_dump_json(),
        blocks=[
            section(lead),
            InputBlock(
                block_id=ids.RESOLUTION,
                label=plain("Resolution"),
                element=StaticSelectElement(
                    action_id=ids.RESOLUTION, options=options, initial_option=options[0]
                ),
            ),
            InputBlock(
                block_id=ids.RESOLUTION_COMMENT,
                label=plain("Comment"),
                optional=True,
                element=PlainTextInputElement(
                    action_id=ids.RESOLUTION_COMMENT, multiline=True, max_length=MAX_COMMENT
                ),
            ),
            context("GitHub keeps the resolution and the comment on the alert."),
        ],
    ).to_dict()
