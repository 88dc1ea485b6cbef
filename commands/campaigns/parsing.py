"""Slash-command text → a typed command. Pure: no Slack calls, no database.

Slack escapes the text (`should_escape: true` in the manifest), so mentions arrive as
`<@U123|name>`, channels as `<#C123|name>` and `&`, `<`, `>` as HTML entities.
"""

from __future__ import annotations

import html
import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict

from bot.core.errors import CampaignError
from bot.core.models import AlertStatus

USER_MENTION = re.compile(r"^<@(?P<id>[UW][A-Z0-9]+)(?:\|[^>]*)?>$")
CHANNEL_MENTION = re.compile(r"^<#(?P<id>[CG][A-Z0-9]+)(?:\|[^>]*)?>$")


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
    alert: str | None = None
    user: str | None = None
    login: str | None = None
    topic: str | None = None
    """`review secrets|code`: the kind; `guide TYPE`: the secret type, provider or CWE asked for."""


def split_words(text: str) -> list[str]:
    try:
        return shlex.split(text, posix=True)
    except ValueError as exc:
        raise CampaignError(f"Unbalanced quotes in “{text}”.") from exc


def usage(name: str) -> str:
    return f"Usage: `{SUBCOMMANDS[name].usage}`"


def parse_command(raw: str) -> Command:
    """Parse `/campaign` text; raise CampaignError with the usage line when it does not fit."""
    text = html.unescape(raw or "").strip()
    head, _, rest = text.partition(" ")
    name = head.lower()
    if name == "":
        return Command(name="help")
    spec = SUBCOMMANDS.get(name)
    if spec is None:
        return Command(name="help", note=f"Unknown subcommand “{head}”. Here is what I know:")
    return spec.parse(rest.strip())


GITHUB_LOGIN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$")


def _mention(word: str, name: str) -> str:
    user = parse_user(word)
    if user is None:
        raise CampaignError(f"“{word}” is not a person; mention them like @alice. {usage(name)}")
    return user


def _parse_assign(rest: str) -> Command:
    words = split_words(rest)
    if len(words) != 3:
        raise CampaignError(usage("assign"))
    campaign, alert, who = words
    return Command(name="assign", campaign=campaign, alert=alert, user=_mention(who, "assign"))


def _parse_unassign(rest: str) -> Command:
    words = split_words(rest)
    if len(words) != 2:
        raise CampaignError(usage("unassign"))
    return Command(name="unassign", campaign=words[0], alert=words[1])


def _parse_notify(rest: str) -> Command:
    choice = rest.strip().lower()
    if choice not in ("on", "off"):
        raise CampaignError(usage("notify"))
    return Command(name="notify", note=choice)


def _parse_link(rest: str) -> Command:
    words = split_words(rest)
    if len(words) != 2:
        raise CampaignError(usage("link"))
    user = _mention(words[0], "link")
    login = words[1].removeprefix("@")
    if not GITHUB_LOGIN.match(login):
        raise CampaignError(f"“{words[1]}” is not a GitHub login. {usage('link')}")
    return Command(name="link", user=user, login=login)


def _parse_campaign_command(name: str, rest: str) -> Command:
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


def _parse_preview(rest: str) -> Command:
    if not rest:
        raise CampaignError(usage("preview"))
    return Command(name="preview", query=rest)


def _parse_review(rest: str) -> Command:
    scope = rest.strip().lower()
    if scope in ("", "all"):
        return Command(name="review")
    if scope in ("secrets", "secret", "code"):
        return Command(name="review", topic="secret" if scope.startswith("secret") else "code")
    raise CampaignError(f"Unknown review “{rest}”. {usage('review')}")


def _parse_guide(rest: str) -> Command:
    topic = rest.strip()
    if not topic:
        raise CampaignError(f"Name a secret type, provider or CWE. {usage('guide')}")
    if len(topic) > 200:
        raise CampaignError(f"“{topic[:40]}…” is too long for a guide name. {usage('guide')}")
    return Command(name="guide", topic=topic)


def _takes_nothing(name: str) -> Callable[[str], Command]:
    def parse(rest: str) -> Command:
        _no_arguments(name, rest)
        return Command(name=name)

    return parse


def _takes_campaign(name: str) -> Callable[[str], Command]:
    return lambda rest: _parse_campaign_command(name, rest)


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


@dataclass(frozen=True)
class Subcommand:
    """One row of the table that drives parsing, routing (`handler`, a method of the command
    listener) and help."""

    name: str
    usage: str
    summary: str
    parse: Callable[[str], Command]
    handler: str
    managers: bool = False
    """Shown in the help of security managers and campaign managers only."""


def _table(*rows: Subcommand) -> dict[str, Subcommand]:
    return {row.name: row for row in rows}


SUBCOMMANDS: dict[str, Subcommand] = _table(
    Subcommand(
        "new",
        "/campaign new [QUERY | template NAME]",
        "create a campaign (opens the form)",
        _parse_new,
        "new",
        managers=True,
    ),
    Subcommand("list", "/campaign list [all | closed]", "campaigns", _parse_list, "list_"),
    Subcommand(
        "show",
        "/campaign show CAMPAIGN [repo:NAME] [status:open|in-progress|closed] [group:none]",
        "progress, by repository or as a list of alerts",
        _takes_campaign("show"),
        "show",
    ),
    Subcommand(
        "edit",
        "/campaign edit CAMPAIGN",
        "change name, description, due date, manager, channel",
        _takes_campaign("edit"),
        "edit",
        managers=True,
    ),
    Subcommand(
        "close",
        "/campaign close CAMPAIGN",
        "close a campaign",
        _takes_campaign("close"),
        "close",
        managers=True,
    ),
    Subcommand(
        "reopen",
        "/campaign reopen CAMPAIGN",
        "reopen a closed campaign",
        _takes_campaign("reopen"),
        "reopen",
        managers=True,
    ),
    Subcommand(
        "delete",
        "/campaign delete CAMPAIGN",
        "delete for good (asks for the name)",
        _takes_campaign("delete"),
        "delete",
        managers=True,
    ),
    Subcommand(
        "report",
        "/campaign report CAMPAIGN [#channel]",
        "the progress summary (managers post it in a channel)",
        _takes_campaign("report"),
        "report",
    ),
    Subcommand(
        "assign",
        "/campaign assign CAMPAIGN ALERT @user",
        "give an alert to someone (yourself, or anyone if you manage the campaign)",
        _parse_assign,
        "assign",
    ),
    Subcommand(
        "unassign",
        "/campaign unassign CAMPAIGN ALERT",
        "take an alert back from its assignee",
        _parse_unassign,
        "unassign",
    ),
    Subcommand("mine", "/campaign mine", "my open alerts", _takes_nothing("mine"), "mine"),
    Subcommand(
        "notify",
        "/campaign notify on | off",
        "direct messages about my alerts (launches, reminders, fixes)",
        _parse_notify,
        "notify",
    ),
    Subcommand(
        "link",
        "/campaign link @user GITHUB_LOGIN",
        "link a person to their GitHub login",
        _parse_link,
        "link",
        managers=True,
    ),
    Subcommand(
        "templates",
        "/campaign templates",
        "the predefined selections",
        _takes_nothing("templates"),
        "templates",
    ),
    Subcommand(
        "preview", "/campaign preview QUERY", "what a filter selects", _parse_preview, "preview"
    ),
    Subcommand(
        "review",
        "/campaign review [secrets | code]",
        "the urgent slices of the open alerts, each one click from a campaign",
        _parse_review,
        "review",
    ),
    Subcommand(
        "guide",
        "/campaign guide TYPE",
        "how to remediate a secret type, provider or CWE",
        _parse_guide,
        "guide",
    ),
    Subcommand("help", "/campaign help", "this list", _takes_nothing("help"), "help"),
)
