"""The **Escalate** button through the running app (a signed click, the ephemeral answer, the
outbox rows), and the escalation message and button views."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.core.models import AlertStatus, Campaign, CampaignAlert, CampaignState
from bot.core.notices import Notice, NoticeKind
from bot.playbooks.escalation import alert_payload
from commands.alerts.views import escalate_button
from commands.playbooks.escalation_views import escalation_message
from commands.shared import ids
from commands.shared.context import DAMAGED
from store import outbox
from store.engine import create_engine
from tests.builders import secret_alert
from tests.commands.conftest import ADMIN, CHANNEL, DEV, MANAGER, SlackDriver, seed, text_of
from tests.commands.test_campaign_command import create_campaign
from tests.conftest import NOW
from tests.fakes.fixtures import StartApp
from tests.fakes.signing import SlackSigner
from tests.fakes.slack import FakeSlack

LEAD = "C0LEAD"
AWS_EXPERT = "U0AWSEXPERT"
WEB1 = "acme/web#secret-1"


@pytest.fixture
async def slack(
    start_app: StartApp, fake_slack: FakeSlack, slack_signer: SlackSigner, tmp_path: Path
) -> Any:
    """The bot over the seeded inventory, with a leadership channel and an AWS expert."""
    await seed(f"sqlite+aiosqlite:///{tmp_path}/t.db")
    rules = tmp_path / "escalation.toml"
    rules.write_text(f'[experts]\naws = ["{AWS_EXPERT}"]\n')
    for channel, name in ((CHANNEL, "security"), (LEAD, "security-leads")):
        fake_slack.add_channel(channel, name=name)
    for user in (ADMIN, MANAGER, DEV, AWS_EXPERT):
        fake_slack.add_user(user)
    app = await start_app(
        campaign_admins=f"{ADMIN},{MANAGER}",
        clock=lambda: NOW,
        escalation_channel=LEAD,
        escalation_rules=rules,
    )
    async with aiohttp.ClientSession() as http:
        yield SlackDriver(app, fake_slack, slack_signer, http)
    assert fake_slack.violations == []


async def escalation_rows(slack: SlackDriver) -> list[Notice]:
    engine = create_engine(slack.app.settings.database_url)
    try:
        async with engine.connect() as conn:
            return [n for n in await outbox.all_notices(conn) if n.kind is NoticeKind.ESCALATION]
    finally:
        await engine.dispose()


async def test_escalate_tells_the_clicker_who_heard_and_queues_one_notice_each(
    slack: SlackDriver,
) -> None:
    await create_campaign(slack, query="is:open kind:secret")

    reply = await slack.click(ids.ESCALATE, f"1:{WEB1}", user=ADMIN)

    assert reply is not None and reply["response_type"] == "ephemeral"
    assert reply["text"] == (
        f":rotating_light: You escalated {WEB1} in #1: told <@{MANAGER}>, <@{AWS_EXPERT}>, "
        f"<#{LEAD}>."
    )
    rows = await escalation_rows(slack)
    assert {row.key for row in rows} == {
        f"escalation:1:{target}:manual:{WEB1}" for target in (MANAGER, AWS_EXPERT, LEAD)
    }
    assert {row.payload["actor"] for row in rows} == {ADMIN}

    again = await slack.click(ids.ESCALATE, "1:web#secret-1", user=MANAGER)
    assert again is not None
    assert f"{WEB1} was already escalated by <@{ADMIN}> on 2026-11-02" in text_of(again)
    assert len(await escalation_rows(slack)) == 3


async def test_escalate_is_refused_to_outsiders_and_on_damaged_buttons(
    slack: SlackDriver,
) -> None:
    await create_campaign(slack, query="is:open kind:secret")

    outsider = await slack.click(ids.ESCALATE, f"1:{WEB1}", user=DEV)
    damaged = await slack.click(ids.ESCALATE, "one:acme/web#secret-1", user=ADMIN)

    assert outsider is not None and "Only people working on campaign #1" in text_of(outsider)
    assert damaged is not None and DAMAGED in text_of(damaged)
    assert await escalation_rows(slack) == []


# ---- the views -----------------------------------------------------------------------------


def campaign(**fields: Any) -> Campaign:
    values: dict[str, Any] = {
        "id": 3,
        "name": "Leaks <!channel>",
        "description": "d",
        "kind": "secret",
        "query": "kind:secret",
        "due_date": date(2026, 12, 1),
        "manager": MANAGER,
        "created_by": ADMIN,
        "created_at": NOW,
        "updated_at": NOW,
    }
    return Campaign(**(values | fields))


def test_an_escalation_message_escapes_what_it_quotes_and_links_the_alert() -> None:
    alert = secret_alert(
        "acme/<!here>",
        4,
        id=9,
        publicly_leaked=True,
        secret_type_display_name="Key <@U0BOSS>",
        html_url="https://github.com/acme/x/security/secret-scanning/4",
    )
    payload = alert_payload("leaks", alert, "it matches “<!everyone>”") | {"to": [LEAD]}
    notice = Notice(
        key="k", kind=NoticeKind.ESCALATION, campaign_id=3, target=LEAD, payload=payload,
        created_at=datetime(2026, 11, 2, tzinfo=UTC),
    )  # fmt: skip

    text, blocks = escalation_message(notice, campaign())

    shown = text + json.dumps(blocks, ensure_ascii=False)
    for raw in ("<!channel>", "<!here>", "<@U0BOSS>", "<!everyone>"):
        assert raw not in shown
    assert "&lt;!channel&gt;" in shown and "*publicly leaked*" in shown
    assert "<https://github.com/acme/x/security/secret-scanning/4|Key &lt;@U0BOSS&gt;>" in shown
    assert "rule `leaks`" in shown and f"<@{MANAGER}>" in shown
    assert blocks[-1]["elements"][0]["action_id"] == ids.VIEW_CAMPAIGN


def test_a_stalled_repository_and_a_manual_escalation_read_as_such() -> None:
    reason = "no alert of campaign #3 in acme/web was closed or got a fix in 14 days"
    payload = {"rule": "stalled", "repository": "acme/web", "open": 2, "reason": reason}
    stalled = Notice(
        key="k", kind=NoticeKind.ESCALATION, campaign_id=3, target=LEAD, payload=payload,
        created_at=NOW,
    )  # fmt: skip
    text, blocks = escalation_message(stalled, campaign())
    assert text.startswith(":rotating_light: No progress on acme/web")
    assert "2 open" in json.dumps(blocks) and "in 14 days" in json.dumps(blocks)

    manual = alert_payload("manual", secret_alert(id=1), "by hand", actor=DEV)
    notice = stalled.model_copy(update={"payload": manual})
    _, blocks = escalation_message(notice, campaign())
    assert f"<@{DEV}> escalated it by hand." in json.dumps(blocks) and "rule `" not in str(blocks)


def test_the_escalate_button_is_on_open_alerts_of_active_campaigns_only() -> None:
    item = CampaignAlert(campaign_id=3, alert=secret_alert(number=5), status=AlertStatus.OPEN)
    button = escalate_button(campaign(), item)
    assert button is not None
    shown = button.to_dict()
    assert shown["action_id"] == ids.ESCALATE and shown["value"] == "3:acme/web#secret-5"
    assert shown["text"]["text"] == "Escalate"
    closed = item.model_copy(update={"status": AlertStatus.CLOSED})
    assert escalate_button(campaign(), closed) is None
    assert escalate_button(campaign(state=CampaignState.CLOSED), item) is None
