"""The outbox and its deliverer: once and only once, whatever Slack, the clock or a crash does.

Real parts: the campaign service writes notices, a deliverer sends them through the Slack
messenger and slack_sdk's client to the fake Slack server; the clock is injected.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.campaigns.requests import CreateRequest, EditRequest
from bot.campaigns.service import CampaignService
from bot.core import notices
from bot.core.notices import NoticeKind, NoticeState
from bot.core.settings import Settings
from bot.delivery.deliverer import Deliverer
from bot.runtime.slack import build_slack_client
from bot.scheduler.jobs import ClockJobs
from commands.delivery.messenger import METADATA_EVENT, SlackMessenger
from store import alerts, outbox, repositories
from store import campaigns as campaign_store
from tests.builders import code_alert, repo
from tests.fakes.fixtures import BOT_TOKEN
from tests.fakes.slack import FakeSlack

ADMIN = "UADMIN"
CHANNEL = "C0SECURITY"
START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
ROOT = Path(__file__).resolve().parents[2]


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class World:
    engine: AsyncEngine
    settings: Settings
    clock: Clock
    slack: FakeSlack
    service: CampaignService
    deliverer: Deliverer

    def new_deliverer(self, owner: str) -> Deliverer:
        return Deliverer(
            self.engine, self.deliverer.messenger, self.service, clock=self.clock, owner=owner
        )

    async def create(self, name: str = "Critical", channel: str | None = CHANNEL) -> int:
        created = await self.service.create(
            ADMIN,
            CreateRequest(
                name=name,
                description="Fix them",
                due_date=date(2026, 12, 15),
                manager=ADMIN,
                query="is:open severity:critical",
                channel=channel,
            ),
        )
        return created.campaign.number

    def posts(self, ok: bool = True) -> list[dict[str, object]]:
        return [call.args for call in self.slack.calls("chat.postMessage", ok=ok)]

    def posted_keys(self) -> list[str]:
        keys = []
        for args in self.posts():
            metadata = args.get("metadata")
            assert isinstance(metadata, dict) and metadata["event_type"] == METADATA_EVENT
            keys.append(str(metadata["event_payload"]["key"]))
        return keys

    async def rows(self) -> dict[str, tuple[NoticeState, str | None]]:
        async with self.engine.connect() as conn:
            return {n.key: (n.state, n.reason) for n in await outbox.all_notices(conn)}


@pytest.fixture
async def world(engine: AsyncEngine, fake_slack: FakeSlack) -> AsyncIterator[World]:
    async with engine.begin() as conn:
        await repositories.upsert_many(conn, [repo("acme/web"), repo("acme/api")])
        await alerts.upsert_many(
            conn,
            [
                code_alert("acme/web", 1, security_severity="critical"),
                code_alert("acme/api", 1, security_severity="critical"),
            ],
        )
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        campaign_admins=ADMIN,
        slack_bot_token=BOT_TOKEN,
        slack_api_url=fake_slack.api_url,
    )
    clock = Clock()
    service = CampaignService(engine, settings, clock=clock)
    async with aiohttp.ClientSession() as session:
        messenger = SlackMessenger(build_slack_client(settings, session))
        deliverer = Deliverer(engine, messenger, service, clock=clock, owner="first")
        yield World(engine, settings, clock, fake_slack, service, deliverer)


async def test_a_new_campaign_posts_its_card_once_and_keeps_its_address(world: World) -> None:
    number = await world.create()

    first = await world.deliverer.run_once()
    again = await world.deliverer.run_once()

    assert [o.state for o in first] == ["sent"] and again == []
    assert world.posted_keys() == [f"launch:{number}:{CHANNEL}:-"]
    campaign = await world.service.resolve(str(number))
    [post] = world.slack.calls("chat.postMessage")
    assert campaign.announce_channel == CHANNEL
    assert campaign.announce_ts == world.slack.messages[(CHANNEL, campaign.announce_ts)]["ts"]
    assert "Critical" in json.dumps(post.args["blocks"])


async def test_a_429_storm_delays_the_card_but_it_is_posted_exactly_once(world: World) -> None:
    world.slack.rate_limit("chat.postMessage", times=5, retry_after=0)
    number = await world.create()

    outcomes = await world.deliverer.run_once()

    assert [o.state for o in outcomes] == ["retry", "sent"]
    assert len(world.slack.calls("chat.postMessage")) == 6  # 3 tries, then 3 more
    assert world.posted_keys() == [f"launch:{number}:{CHANNEL}:-"]
    # and the card is updated afterwards as usual
    await world.service.edit(ADMIN, str(number), EditRequest(name="Critical, renamed"))
    await world.deliverer.run_once()
    [update] = world.slack.calls("chat.update", ok=True)
    assert "Critical, renamed" in json.dumps(update.args["blocks"])


async def test_a_notice_slack_never_takes_ends_failed_with_the_reason(world: World) -> None:
    world.slack.rate_limit("chat.postMessage", times=1000, retry_after=0)
    number = await world.create()

    outcomes = await world.deliverer.run_once()

    assert outcomes[-1].state == "failed"
    state, reason = (await world.rows())[f"launch:{number}:{CHANNEL}:-"]
    assert state is NoticeState.FAILED and reason is not None and "429" in reason
    async with world.engine.connect() as conn:
        stats = await outbox.stats(conn)
    assert (stats.failed, stats.pending) == (1, 0)


async def test_a_channel_that_is_gone_fails_at_once_without_retrying(world: World) -> None:
    world.slack.fail("chat.postMessage", "channel_not_found")
    await world.create()

    [outcome] = await world.deliverer.run_once()

    assert outcome.state == "failed" and "channel_not_found" in (outcome.reason or "")
    assert len(world.slack.calls("chat.postMessage")) == 1


async def test_slack_down_is_retried_with_backoff_on_the_clock(world: World) -> None:
    world.slack.http_error("chat.postMessage", status=503, times=3)
    number = await world.create()

    [first] = await world.deliverer.run_once()
    assert first.state == "retry"
    assert await world.deliverer.run_once() == []  # not due before its backoff
    world.clock.advance(seconds=2)
    [second] = await world.deliverer.run_once()

    assert second.state == "sent"
    assert world.posted_keys() == [f"launch:{number}:{CHANNEL}:-"]


async def test_notices_for_a_campaign_deleted_first_are_dropped_with_the_reason(
    world: World,
) -> None:
    number = await world.create()
    await world.service.delete(ADMIN, str(number), confirm_name="Critical")

    await world.deliverer.run_once()

    rows = await world.rows()
    state, reason = rows[f"launch:{number}:{CHANNEL}:-"]
    assert state is NoticeState.DROPPED and reason and "deleted" in reason
    [post] = world.posts()
    assert "deleted campaign #1 Critical" in str(post["text"])


async def test_a_campaign_closed_before_its_launch_only_says_it_closed(world: World) -> None:
    number = await world.create()
    await world.service.close(ADMIN, str(number))

    await world.deliverer.run_once()

    state, _ = (await world.rows())[f"launch:{number}:{CHANNEL}:-"]
    assert state is NoticeState.DROPPED
    [post] = world.posts()
    assert "closed campaign" in str(post["text"]) and post["blocks"]


async def test_a_restart_between_commit_and_send_sends_once(world: World) -> None:
    number = await world.create()  # committed; the bot is killed before it sends anything

    restarted = world.new_deliverer("after-restart")
    await restarted.run_once()
    await restarted.run_once()

    assert world.posted_keys() == [f"launch:{number}:{CHANNEL}:-"]


async def test_a_lease_that_ran_out_after_the_send_finds_its_message_instead(
    world: World,
) -> None:
    number = await world.create()
    key = f"launch:{number}:{CHANNEL}:-"
    # The first deliverer claims and sends, then dies before recording it.
    now = world.clock()
    async with world.engine.begin() as conn:
        [claimed] = await outbox.claim(conn, "dead", now, now + timedelta(seconds=60), 10)
    subject = await world.deliverer._subject(claimed)
    sent = await world.deliverer.messenger.send(claimed, subject)

    world.clock.advance(seconds=61)
    [outcome] = await world.new_deliverer("survivor").run_once()

    assert outcome.state == "sent"
    assert world.posted_keys() == [key]  # found by its metadata, not posted again
    campaign = await world.service.resolve(str(number))
    assert (campaign.announce_channel, campaign.announce_ts) == (sent.channel, sent.ts)
    history = [call.args for call in world.slack.calls("conversations.history")]
    assert history and history[0]["include_all_metadata"] in (True, "true", "1", 1)


async def test_a_lease_that_ran_out_before_the_send_sends_once(world: World) -> None:
    number = await world.create()
    now = world.clock()
    async with world.engine.begin() as conn:
        await outbox.claim(conn, "dead", now, now + timedelta(seconds=60), 10)

    assert await world.new_deliverer("early").run_once() == []  # the lease still holds
    world.clock.advance(seconds=61)
    await world.new_deliverer("survivor").run_once()

    assert world.posted_keys() == [f"launch:{number}:{CHANNEL}:-"]


async def test_writing_the_same_notice_twice_keeps_one(world: World) -> None:
    now = world.clock()
    number = await world.create(channel=None)
    async with world.engine.begin() as conn:
        first = await outbox.enqueue(conn, [notices.report(number, CHANNEL, now, ADMIN)])
        second = await outbox.enqueue(conn, [notices.report(number, CHANNEL, now, ADMIN)])

    await world.deliverer.run_once()

    assert (first, second) == (1, 0)
    assert len(world.posts()) == 1


async def test_card_updates_are_moot_before_the_card_and_coalesce_after(world: World) -> None:
    number = await world.create()
    async with world.engine.connect() as conn:
        campaign = await campaign_store.get(conn, number)
    assert campaign is not None
    alert_ids = [alert_id for alert_id, _ in await _alert_ids(world.engine, number)]
    # Refreshes asked for before the card went out are moot: the card shows the state then.
    for _ in range(3):
        await world.service.alerts_changed(alert_ids)

    await world.deliverer.run_once()
    await world.service.alerts_changed(alert_ids)
    await world.deliverer.run_once()

    assert len(world.posts()) == 1
    assert len(world.slack.calls("chat.update", ok=True)) == 1


async def _alert_ids(engine: AsyncEngine, number: int) -> list[tuple[int, str]]:
    async with engine.connect() as conn:
        return await campaign_store.alert_ids(conn, number)


async def test_two_deliverer_processes_send_every_notice_exactly_once(world: World) -> None:
    number = await world.create(channel=None)
    now = world.clock()
    channels = [f"C{index:03d}" for index in range(12)]
    wanted = [
        notices.report(number, channel, now + timedelta(minutes=minute), ADMIN)
        for channel in channels
        for minute in range(3)
    ]
    async with world.engine.begin() as conn:
        await outbox.enqueue(conn, wanted)
        schema = "-"
        if conn.dialect.name == "postgresql":
            schema = str(await conn.scalar(text("SELECT current_schema()")))
    url = world.engine.url.render_as_string(hide_password=False)

    async def worker(owner: str) -> list[str]:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.delivery.worker",
            url,
            schema,
            world.slack.api_url,
            owner,
            cwd=ROOT,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await process.communicate()
        assert process.returncode == 0, err.decode()
        return list(json.loads(out))

    first, second = await asyncio.gather(worker("one"), worker("two"))

    assert sorted(world.posted_keys()) == sorted(n.key for n in wanted)  # each exactly once
    assert sorted(first + second) == sorted(n.key for n in wanted)
    assert first and second, "both processes took a share"
    rows = await world.rows()
    assert all(state is NoticeState.SENT for state, _ in rows.values())
    assert NoticeKind.REPORT.value in {key.split(":")[0] for key in rows}


async def test_reminders_and_a_digest_due_for_a_campaign_closed_before_the_send_are_dropped(
    world: World,
) -> None:
    """Due at 09:00, closed at 09:01, delivered at 09:02: the channel hears only the close."""
    number = await world.create()
    await world.deliverer.run_once()  # the launch card
    due = datetime(2026, 12, 14, 9, 0, tzinfo=UTC)  # a Monday, 1 day before: due-1 and digest
    world.clock.now = due
    jobs = ClockJobs(world.engine, world.service, world.settings, clock=world.clock)
    written = [*await jobs.reminders(), *await jobs.digest()]
    assert sorted(n.kind.value for n in written) == ["digest", "reminder"]

    await world.service.close(ADMIN, str(number))
    await world.deliverer.run_once()

    rows = await world.rows()
    for notice in written:
        state, reason = rows[notice.key]
        assert state is NoticeState.DROPPED and "closed" in str(reason)
    texts = [str(post["text"]) for post in world.posts()]
    assert not any("due tomorrow" in t or "Weekly progress" in t for t in texts)
    assert any("closed campaign" in t for t in texts)


async def test_an_escalation_about_an_alert_closed_before_the_send_is_dropped(
    world: World,
) -> None:
    from bot.core.models import AlertRef
    from bot.playbooks.escalation import alert_payload

    number = await world.create()
    await world.deliverer.run_once()  # the launch card
    async with world.engine.begin() as conn:
        [web] = await alerts.find(conn, AlertRef(repository="acme/web", kind="code", number=1))
        [api] = await alerts.find(conn, AlertRef(repository="acme/api", kind="code", number=1))
        told = [
            notices.Notice(
                key=notices.delivery_key(NoticeKind.ESCALATION, number, "C0LEADS", f"r:{a.id}"),
                kind=NoticeKind.ESCALATION,
                campaign_id=number,
                target="C0LEADS",
                payload=alert_payload("late", a, "overdue"),
                created_at=START,
            )
            for a in (web, api)
        ]
        await outbox.enqueue(conn, told)
        await alerts.set_states(conn, [(web.id or 0, "fixed", START)])

    outcomes = {o.notice.key: o for o in await world.deliverer.run_once()}

    assert outcomes[told[0].key].state == "dropped"
    assert "acme/web#code-1 was closed before this was sent" in str(outcomes[told[0].key].reason)
    assert outcomes[told[1].key].state == "sent"
