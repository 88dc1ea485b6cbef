"""Slash-command text → a typed command. Pure: no Slack calls, no database.

Slack escapes the text (`should_escape: true` in the manifest), so mentions arrive as
`<@U123|name>`, channels as `<#C123|name>` and `&`, `<`, `>` as HTML entities.
"""

from __future__ import annotations

import html
import re
import shlex
from typing import Literal

from pydantic import BaseModel, ConfigDict

from bot.core.errors import CampaignError
from bot.core.models import AlertStatus

USER_MENTION = re.compile(r"^<@(?P<id>[UW][A-Z0-9]+)(?:\|[^>]*)?>$")
CHANNEL_MENTION = re.compile(r"^<#(?P<id>[CG][A-Z0-9]+)(?:\|[^>]*)?>$")

SUBCOMMANDS: dict[str, str] = {
    "new": "`/campaign new [QUERY | template NAME]` — create a campaign (opens the form)",
    "list": "`/campaign list [all | closed]` — campaigns",
    "show": "`/campaign show CAMPAIGN [repo:NAME] [status:open|in-progress|closed] [group:none]` "
    "— progress, by repository or as a list of alerts",
    "edit": "`/campaign edit CAMPAIGN` — change name, description, due date, manager, channel",
    "close": "`/campaign close CAMPAIGN` — close a campaign",
    "reopen": "`/campaign reopen CAMPAIGN` — reopen a closed campaign",
    "delete": "`/campaign delete CAMPAIGN` — delete for good (asks for the name)",
    "report": "`/campaign report CAMPAIGN [#channel]` — post the progress summary now",
    "templates": "`/campaign templates` — the predefined selections",
    "preview": "`/campaign preview QUERY` — what a filter selects",
    "help": "`/campaign help` — this list",
}


class Command(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    campaign: str | None = None
    query: str | None = None
    template: str | None = None
    list_scope: Literal["active", "all", "closed"] = "active"
    channel: str | None = None
    repository: str | None = None
    status: AlertStatus | None = None
    group_none: bool = False
    note: str | None = None


def split_words(text: str) -> list[str]:
    try:
        return shlex.split(text, posix=True)
    except ValueError as exc:
        raise CampaignError(f"Unbalanced quotes in “{text}”.") from exc


def usage(name: str) -> str:
    return f"Usage: {SUBCOMMANDS[name]}"


def parse_command(raw: str) -> Command:
    """Parse `/campaign` text; raise CampaignError with the usage line when it does not fit."""
    text = html.unescape(raw or "").strip()
    head, _, rest = text.partition(" ")
    name = head.lower()
    rest = rest.strip()
    if name in ("", "help"):
        return Command(name="help")
    if name not in SUBCOMMANDS:
        return Command(name="help", note=f"Unknown subcommand “{head}”. Here is what I know:")
    if name == "new":
        return _parse_new(rest)
    if name in ("templates",):
        _no_arguments(name, rest)
        return Command(name=name)
    if name == "list":
        return _parse_list(rest)
    if name == "preview":
        if not rest:
            raise CampaignError(usage("preview"))
        return Command(name=name, query=rest)
    words = split_words(rest)
    if not words:
        raise CampaignError(f"Name a campaign. {usage(name)}")
    campaign, extra = words[0], words[1:]
    if name == "show":
        return _parse_show(campaign, extra)
    if name == "report":
        return _parse_report(campaign, extra)
    if extra:
        raise CampaignError(
            f"Too many arguments: “{' '.join(extra)}”. {usage(name)} "
            '(quote a name with spaces: "My campaign")'
        )
    return Command(name=name, campaign=campaign)


def _no_arguments(name: str, rest: str) -> None:
    if rest:
        raise CampaignError(f"`/campaign {name}` takes no arguments.")


def _parse_new(rest: str) -> Command:
    if rest.lower().startswith("template"):
        _, _, template = rest.partition(" ")
        if not template.strip():
            raise CampaignError("Name the template: `/campaign new template NAME`.")
        return Command(name="new", template=template.strip().strip('"'))
    return Command(name="new", query=rest or None)


def _parse_list(rest: str) -> Command:
    scope = rest.lower()
    if scope in ("", "active"):
        return Command(name="list")
    if scope in ("all", "closed"):
        return Command(name="list", list_scope=scope)
    raise CampaignError(f"Unknown list “{rest}”. {usage('list')}")


def _parse_show(campaign: str, filters: list[str]) -> Command:
    repository: str | None = None
    status: AlertStatus | None = None
    group_none = False
    for word in filters:
        key, sep, value = word.partition(":")
        key = key.lower()
        if not sep or not value:
            raise CampaignError(f"Unknown filter “{word}”. {usage('show')}")
        if key == "repo":
            repository = value
        elif key == "status":
            wanted = value.lower().replace("-", "_")
            try:
                status = AlertStatus(wanted)
            except ValueError:
                raise CampaignError(
                    f"status:{value} is not a status — valid: open, in-progress, closed."
                ) from None
        elif key == "group" and value.lower() == "none":
            group_none = True
        else:
            raise CampaignError(f"Unknown filter “{word}”. {usage('show')}")
    return Command(
        name="show",
        campaign=campaign,
        repository=repository,
        status=status,
        group_none=group_none or repository is not None or status is not None,
    )


def _parse_report(campaign: str, extra: list[str]) -> Command:
    if len(extra) > 1:
        raise CampaignError(f"Too many arguments. {usage('report')}")
    channel = None
    if extra:
        match = CHANNEL_MENTION.match(extra[0])
        if match is None:
            raise CampaignError(f"“{extra[0]}” is not a channel; mention it like #security.")
        channel = match["id"]
    return Command(name="report", campaign=campaign, channel=channel)


def parse_user(text: str) -> str | None:
    match = USER_MENTION.match(text.strip())
    return match["id"] if match else None
