"""One typed context per Slack request, and the one place user-facing errors are answered.

Listeners take a `SlackContext` instead of bolt's loose keyword arguments; `listener()` acks
commands and actions at once (Slack's 3 seconds), leaves view submissions to the handler (they
may answer with field errors), and turns a `CampaignError` into what the user should see.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from pydantic import ValidationError
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.models.attachments import Attachment
from slack_sdk.models.blocks import Block
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient, WebhookResponse

from bot.core.errors import CampaignError, FieldErrors
from bot.core.tasks import TaskTracker
from commands.shared.blocks import error_text, field_error_text

log = logging.getLogger(__name__)

DAMAGED = "That button or form is out of date or damaged; open it again from a fresh message."
FAILED = "Something went wrong on our side; it has been logged. Please try again in a moment."


@dataclass
class SlackContext:
    body: dict[str, Any]
    client: AsyncWebClient
    _ack: AsyncAck
    respond: AsyncRespond | None
    acked: bool = field(default=False)

    async def ack(self, **kwargs: Any) -> None:
        if not self.acked:
            self.acked = True
            await self._ack(**kwargs)

    @property
    def user_id(self) -> str:
        user = self.body.get("user")
        if isinstance(user, dict):
            return str(user.get("id", ""))
        return str(self.body.get("user_id", ""))

    @property
    def channel_id(self) -> str | None:
        channel = self.body.get("channel")
        if isinstance(channel, dict):
            return channel.get("id")
        return self.body.get("channel_id")

    @property
    def trigger_id(self) -> str | None:
        return self.body.get("trigger_id")

    @property
    def action(self) -> dict[str, Any]:
        actions = self.body.get("actions") or [{}]
        return dict(actions[0])

    @property
    def view(self) -> dict[str, Any]:
        return dict(self.body.get("view") or {})

    @property
    def is_view_submission(self) -> bool:
        return self.body.get("type") == "view_submission"

    async def tell(self, text: str, blocks: list[dict[str, Any]] | None = None) -> None:
        """Answer the user privately: through response_url when there is one, else ephemeral."""
        if self.respond is not None and self.body.get("response_url"):
            await self.respond(text=text, blocks=blocks, response_type="ephemeral")
            return
        channel = self.channel_id
        if channel:
            await self.client.chat_postEphemeral(
                channel=channel, user=self.user_id, text=text, blocks=blocks
            )
        else:
            dm = await self.client.conversations_open(users=self.user_id)
            await self.client.chat_postMessage(
                channel=dm["channel"]["id"], text=text, blocks=blocks
            )


class SessionRespond(AsyncRespond):
    """Bolt's `respond` on the app's one aiohttp session: Bolt's own opens a session, and so a
    connection (with Slack, a TLS handshake), for every reply."""

    def __init__(self, response_url: str | None, session: aiohttp.ClientSession | None) -> None:
        super().__init__(response_url=response_url)
        self.session = session

    async def __call__(
        self,
        text: str | dict[str, Any] = "",
        blocks: Sequence[dict[str, Any] | Block] | None = None,
        attachments: Sequence[dict[str, Any] | Attachment] | None = None,
        response_type: str | None = None,
        replace_original: bool | None = None,
        delete_original: bool | None = None,
        unfurl_links: bool | None = None,
        unfurl_media: bool | None = None,
        thread_ts: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> WebhookResponse:
        if self.response_url is None:
            raise ValueError("respond is unsupported here as there is no response_url")
        if isinstance(text, dict):
            return await super().__call__(text)  # a whole message: Bolt's way, rarely used
        message: dict[str, Any] = {"text": text}
        if blocks:
            message["blocks"] = _dicts(blocks)
        if attachments:
            message["attachments"] = _dicts(attachments)
        optional = {
            "response_type": response_type,
            "replace_original": replace_original,
            "delete_original": delete_original,
            "unfurl_links": unfurl_links,
            "unfurl_media": unfurl_media,
            "thread_ts": thread_ts,
            "metadata": metadata,
        }
        message |= {key: value for key, value in optional.items() if value is not None}
        client = AsyncWebhookClient(url=self.response_url, session=self.session)
        return await client.send_dict(message)


def _dicts(items: Sequence[Any]) -> list[dict[str, Any]]:
    return [item if isinstance(item, dict) else item.to_dict() for item in items]


Handler = Callable[[SlackContext], Awaitable[None]]
HomeRefresh = Callable[[str, AsyncWebClient], Awaitable[None]]
"""Re-publish a person's App Home after they changed something (wired in `commands.register`)."""


async def no_home_refresh(user_id: str, client: AsyncWebClient) -> None:
    del user_id, client


def listener(
    handler: Handler, tasks: TaskTracker, *, ack_first: bool = True
) -> Callable[..., Awaitable[None]]:
    """Adapt a `SlackContext` handler to bolt: acknowledgement, error answering, and tracking
    (so shutdown waits for work that goes on after the ack). After an early ack the work waits
    its turn (`TaskTracker.after_ack`): acknowledgements being sent go first."""

    async def bolt_listener(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, respond: AsyncRespond
    ) -> None:
        tasks.track_current()
        respond = SessionRespond(respond.response_url, client.session)
        ctx = SlackContext(body=body, client=client, _ack=ack, respond=respond)
        if not ack_first:
            await _answer(handler, ctx)
            return
        await ctx.ack()
        async with tasks.after_ack():  # other requests' acks first; a few at a time
            await _answer(handler, ctx)

    bolt_listener.__name__ = handler.__name__
    return bolt_listener


async def _answer(handler: Handler, ctx: SlackContext) -> None:
    """Run the handler; whatever goes wrong, the person gets an answer and the request its ack."""
    try:
        await handler(ctx)
    except CampaignError as exc:
        await answer_error(ctx, exc)
    except SlackApiError as exc:
        log.warning("Slack refused a call: %s", exc.response.get("error"))
        await ctx.ack()
        await ctx.tell(f"Slack refused that: {exc.response.get('error', 'unknown error')}.")
    except ValidationError:
        # A button value or private_metadata that is not what we wrote: forged or stale.
        await answer_error(ctx, CampaignError(DAMAGED))
    except Exception:  # the last resort: a person always gets an answer, the log the trace
        log.exception("listener %s failed", handler.__name__)
        await answer_error(ctx, CampaignError(FAILED))
    finally:
        await ctx.ack()


async def answer_error(ctx: SlackContext, exc: CampaignError) -> None:
    """Field errors go back onto the modal field; everything else is an ephemeral message."""
    if ctx.is_view_submission and not ctx.acked:
        field_id = _block_for(exc.field, field_blocks(ctx.view))
        fields = field_blocks(ctx.view)
        blocks = {field: _block_for(field, fields) for field in getattr(exc, "errors", {})}
        if isinstance(exc, FieldErrors) and all(blocks.values()):
            errors = {str(blocks[f]): field_error_text(text) for f, text in exc.errors.items()}
            await ctx.ack(response_action="errors", errors=errors)
            return
        text = field_error_text(exc.message)
        await ctx.ack(response_action="errors", errors={field_id or first_input(ctx.view): text})
        return
    await ctx.ack()
    await ctx.tell(f":warning: {error_text(exc.message)}")


def _block_for(field: str | None, blocks: set[str]) -> str | None:
    """The input block of a field: its own id, or a versioned one (`query.3f2a`)."""
    if field is None:
        return None
    if field in blocks:
        return field
    return next((block for block in sorted(blocks) if block.startswith(f"{field}.")), None)


def field_blocks(view: dict[str, Any]) -> set[str]:
    return {
        block.get("block_id", "")
        for block in view.get("blocks", [])
        if block.get("type") == "input"
    }


def first_input(view: dict[str, Any]) -> str:
    for block in view.get("blocks", []):
        if block.get("type") == "input":
            return str(block.get("block_id"))
    return "name"
