"""The field rules of ARCHITECTURE §4 as pure checks: they raise `CampaignError` on their field."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from bot.core.days import parse_days
from bot.core.errors import CampaignError, Conflict
from bot.core.models import AlertKind, AlertRef, Campaign, CampaignState

NAME_MAX = 50
DESCRIPTION_MAX = 255

ALERT_REF = re.compile(r"^(?P<repo>[\w.\-]+(?:/[\w.\-]+)?)#(?P<kind>code|secret)-(?P<number>\d+)$")
LINK_MAX = 500
LINK_FORBIDDEN = frozenset('<>|"`\\')


def parse_alert_ref(text: str) -> AlertRef:
    """`OWNER/REPO#code-12` or `REPO#secret-7` → AlertRef, or a message saying what is expected."""
    match = ALERT_REF.match(text.strip())
    if match is None:
        raise CampaignError(
            f"“{text}” is not an alert reference: write OWNER/REPO#code-12 or REPO#secret-7"
        )
    return AlertRef(
        repository=match["repo"], kind=AlertKind(match["kind"]), number=int(match["number"])
    )


def check_text_fields(name: str | None, description: str | None) -> None:
    if name is not None and not 1 <= len(name) <= NAME_MAX:
        raise CampaignError(
            f"The name must be 1 to {NAME_MAX} characters (it has {len(name)}).", field="name"
        )
    if description is not None and not 1 <= len(description) <= DESCRIPTION_MAX:
        raise CampaignError(
            f"The short description must be 1 to {DESCRIPTION_MAX} characters "
            f"(it has {len(description)}).",
            field="description",
        )


def check_due_date(due: date, today: date) -> None:
    if due <= today:
        raise CampaignError(
            f"The due date must be in the future (after {today.isoformat()}).", field="due_date"
        )


def check_contact_link(link: str | None) -> None:
    """An https URL with a real host, parsed (not pattern-matched), with nothing that could close
    a Slack link early (`>`, `|`, `<`) or hide in one (spaces, control characters)."""
    if not link:
        return
    problem = "The contact link must be a web address starting with https://"
    if len(link) > LINK_MAX or any(ch in LINK_FORBIDDEN or ord(ch) < 33 for ch in link):
        raise CampaignError(
            f"{problem} (one address, at most {LINK_MAX} characters).", field="contact_link"
        )
    try:
        parts = urlsplit(link)
        host = parts.hostname
        parts.port  # noqa: B018 - raises on a malformed port
    except ValueError:
        raise CampaignError(problem, field="contact_link") from None
    if parts.scheme.lower() != "https" or not host or "." not in host or parts.username:
        raise CampaignError(problem, field="contact_link")


def check_timezone(timezone: str) -> None:
    try:
        ZoneInfo(timezone)
    except (KeyError, ValueError) as exc:
        raise CampaignError(f"Unknown time zone “{timezone}”.", field="timezone") from exc


def single_kind(code: int, secret: int) -> AlertKind:
    """A campaign holds one kind of alert, as GitHub's do."""
    if code and secret:
        raise CampaignError(
            f"The filter selects {code} code alerts and {secret} secret alerts; a campaign "
            "holds one kind. Add kind:code or kind:secret.",
            field="query",
        )
    return AlertKind.CODE if code else AlertKind.SECRET


def require_active(campaign: Campaign, action: str) -> None:
    if campaign.state is not CampaignState.ACTIVE:
        raise Conflict(
            f"Campaign #{campaign.id} “{campaign.name}” is closed; reopen it to {action} it."
        )


def field_problems(*checks: Callable[[], None]) -> list[CampaignError]:
    """Run independent field checks; return what each found, so a form shows them all at once."""
    problems: list[CampaignError] = []
    for check in checks:
        try:
            check()
        except CampaignError as problem:
            problems.append(problem)
    return problems


PULL_REQUEST_FIELD = "pull_request"


def pull_request_number(url: str, repository: str, alert_url: str | None = None) -> int:
    """The number of a pull request of `repository`, from its GitHub URL
    (`https://github.com/OWNER/REPO/pull/12`, trailing `/files` and the like allowed). A GitHub
    Enterprise Server's host is taken from the alert's own URL."""
    hosts = {"github.com", "www.github.com", urlsplit(alert_url or "").hostname}
    expected = f"https://github.com/{repository}/pull/NUMBER"
    parts = urlsplit(url.strip())
    path = [part for part in parts.path.split("/") if part]
    if (
        parts.scheme != "https"
        or parts.hostname not in hosts
        or len(path) < 4
        or path[2] != "pull"
        or not path[3].isascii()
        or not path[3].isdigit()
    ):
        raise CampaignError(
            f"That is not a pull request link; paste one like {expected}.",
            field=PULL_REQUEST_FIELD,
        )
    if f"{path[0]}/{path[1]}".lower() != repository.lower():
        raise CampaignError(
            f"That pull request is in {path[0]}/{path[1]}, but the alert is in {repository}.",
            field=PULL_REQUEST_FIELD,
        )
    return int(path[3])


def reminder_days(text: str) -> str:
    """`7, 1, 0` → `7,1,0`: days before the due date for channel reminders."""
    try:
        return ",".join(str(day) for day in parse_days(text))
    except ValueError as exc:
        raise CampaignError(str(exc), field="reminder_days") from exc


NUDGE_SEVERITIES = ("critical", "high", "medium", "low", "error", "warning", "note")
NUDGE_MAX_AGE_DAYS = 3650


def nudge_severities(text: str) -> str:
    """`Critical, high` → `critical,high`: reminder DMs only about alerts of these severities."""
    chosen = [part.strip().lower() for part in text.split(",") if part.strip()]
    unknown = [part for part in chosen if part not in NUDGE_SEVERITIES]
    if unknown or not chosen:
        raise CampaignError(
            f"Unknown severity “{', '.join(unknown) or text}”; choose from "
            f"{', '.join(NUDGE_SEVERITIES)}.",
            field="nudge_severities",
        )
    return ",".join(dict.fromkeys(chosen))


def nudge_min_age(days: int) -> int:
    if not 0 <= days <= NUDGE_MAX_AGE_DAYS:
        raise CampaignError(
            f"The minimum age is a number of days from 0 to {NUDGE_MAX_AGE_DAYS}.",
            field="nudge_min_age_days",
        )
    return days
