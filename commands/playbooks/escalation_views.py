"""How an escalation reads in Slack, and the **Escalate** button of an alert card. Pure.

Everything from GitHub or the rules file (titles, repositories, the rule's query, the campaign's
name) is escaped: a secret type or repository named `<!channel>` pings nobody.
"""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import Block

from bot.core.models import Campaign
from bot.core.notices import Notice
from commands.shared import ids
from commands.shared.blocks import (
    MESSAGE_BLOCKS,
    NAME_SHOWN,
    REPOSITORY_SHOWN,
    actions,
    button,
    context,
    dicts,
    escape,
    link,
    mention,
    section,
    shorten,
    user_text,
)

MANUAL = "manual"
SIREN = ":rotating_light:"


def escalation_message(notice: Notice, campaign: Campaign) -> tuple[str, list[dict[str, Any]]]:
    """An ESCALATION notice: what is raised and where, why, and a way to the campaign."""
    payload = notice.payload
    name = user_text(campaign.name, NAME_SHOWN)
    where = f"campaign #{campaign.number} {name}"
    repository = user_text(str(payload.get("repository") or ""), REPOSITORY_SHOWN)
    reason = user_text(str(payload.get("reason") or ""), 1000)
    actor = str(payload.get("actor") or "")
    if payload.get("alert"):
        title = str(payload.get("title") or payload["alert"])
        reference = shorten(str(payload["alert"]), REPOSITORY_SHOWN + 30)
        text = f"{SIREN} Escalated: {user_text(title, 200)} in {repository} — {where}"
        what = (
            f"{SIREN} *Escalated: {link(_url(payload), shorten(title, 200))}*\n"
            f"`{escape(reference)}` in {where}"
        )
        facts = _alert_facts(payload)
    else:
        text = f"{SIREN} No progress on {repository} — {where}"
        what = f"{SIREN} *No progress on `{repository}`*\n{where}"
        facts = [f"{int(payload.get('open') or 0)} open"]
        if payload.get("last_progress"):
            facts.append(f"last progress {escape(str(payload['last_progress'])[:10])}")
    why = f"*Why:* {reason}" if reason else ""
    if actor:
        why = f"{mention(actor)} escalated it by hand."
    rule = str(payload.get("rule") or "")
    if rule and rule != MANUAL:
        facts.append(f"rule `{user_text(rule, 40)}`")
    facts += [
        f"manager {mention(campaign.manager)}",
        f"due {campaign.due_date.isoformat()}",
    ]
    body: list[Block] = [section(what)]
    if why:
        body.append(section(why))
    body.append(context(" · ".join(facts)))
    body.append(
        actions(button("Open campaign", ids.VIEW_CAMPAIGN, str(campaign.number), style="primary"))
    )
    return text, dicts(body[:MESSAGE_BLOCKS])


def _url(payload: dict[str, Any]) -> str | None:
    url = payload.get("html_url")
    return url if isinstance(url, str) and url.startswith(("https://", "http://")) else None


def _alert_facts(payload: dict[str, Any]) -> list[str]:
    facts = []
    if payload.get("validity"):
        facts.append(f"validity *{user_text(str(payload['validity']), 20)}*")
    if payload.get("publicly_leaked"):
        facts.append("*publicly leaked*")
    if payload.get("severity"):
        facts.append(f"severity *{user_text(str(payload['severity']), 20)}*")
    return facts
