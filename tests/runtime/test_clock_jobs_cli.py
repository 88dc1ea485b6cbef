"""Issue 10's "Done means" on the command line, against the fake Slack: `jobs run reminders --at`
the day seven days before a campaign's due date posts one reminder in its channel and running it
again posts nothing; `jobs run digest --at` a Monday posts the digest with its burndown chart in
the thread; an assignee gets one DM three days before, at 09:00 in their own time zone."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from tests.commands.conftest import seed
from tests.delivery.test_cli_delivery import ADMIN, CHANNEL, Cli
from tests.fakes.slack import FakeSlack

DEV = "U00000DEV"
DUE = "2026-12-21"  # a Monday, three weeks after this session's clock


@pytest.fixture
async def cli(tmp_path: Path, fake_slack: FakeSlack) -> Cli:
    runner = Cli(tmp_path, fake_slack)
    await seed(runner.url)
    fake_slack.add_channel(CHANNEL, name="security")
    fake_slack.add_user(DEV, tz="Europe/Paris")
    fake_slack.add_user(ADMIN)
    return runner


async def launch(cli: Cli) -> Any:
    created = await cli.json(
        "create", "is:open severity:critical", "--name", "Critical <!here>", "--due", DUE,
        "--manager", ADMIN, "--channel", CHANNEL,
    )  # fmt: skip
    await cli.json("jobs", "run", "deliver")  # the launch card goes out first
    return created


def reminder_keys(result: Any) -> list[str]:
    return [item["key"] for item in result["sent"] if item["key"].startswith("reminder:")]


def posts(fake: FakeSlack, channel: str, marker: str) -> list[Any]:
    return [
        call
        for call in fake.calls("chat.postMessage", ok=True)
        if call.args["channel"] == channel and marker in str(call.args.get("text"))
    ]


async def test_a_reminder_seven_days_before_is_posted_once(cli: Cli, fake_slack: FakeSlack) -> None:
    await launch(cli)

    early = await cli.json("jobs", "run", "reminders", "--at", "2026-12-14T08:59Z")
    first = await cli.json("jobs", "run", "reminders", "--at", "2026-12-14T09:30Z")
    again = await cli.json("jobs", "run", "reminders", "--at", "2026-12-14T11:00Z")

    assert early["sent"] == []
    assert [item["key"] for item in first["sent"]] == [f"reminder:1:{CHANNEL}:due-7"]
    assert again["sent"] == [] and again["job"] == "reminders"
    [posted] = posts(fake_slack, CHANNEL, "due in 7 days")
    assert "<!here>" not in posted.args["text"]
    listed = await cli.json("jobs", "list")
    runs = {job["name"]: job for job in listed["jobs"]}
    assert runs["reminders"]["last_outcome"].startswith("sent 0")


async def test_a_dry_run_lists_the_reminder_and_sends_nothing(
    cli: Cli, fake_slack: FakeSlack
) -> None:
    await launch(cli)

    dry = await cli.json("jobs", "run", "reminders", "--at", "2026-12-20T09:00Z", "--dry-run")

    assert dry["sent"] == [
        {
            "key": f"reminder:1:{CHANNEL}:due-1",
            "kind": "reminder",
            "campaign": 1,
            "to": CHANNEL,
            "dry_run": True,
        }
    ]
    assert posts(fake_slack, CHANNEL, "due tomorrow") == []


async def test_the_monday_digest_posts_its_chart_in_the_thread(
    cli: Cli, fake_slack: FakeSlack
) -> None:
    await launch(cli)

    sunday = await cli.json("jobs", "run", "digest", "--at", "2026-12-06T12:00Z")
    monday = await cli.json("jobs", "run", "digest", "--at", "2026-12-07T09:05Z")
    again = await cli.json("jobs", "run", "digest", "--at", "2026-12-07T15:00Z")

    assert sunday["sent"] == [] and again["sent"] == []
    assert [item["key"] for item in monday["sent"]] == [f"digest:1:{CHANNEL}:2026-W50"]
    [_] = posts(fake_slack, CHANNEL, "Weekly progress")
    [digest_ts] = [
        ts
        for (channel, ts), message in fake_slack.messages.items()
        if channel == CHANNEL and "Weekly progress" in str(message.get("text"))
    ]
    [complete] = fake_slack.calls("files.completeUploadExternal", ok=True)
    assert complete.args["channel_id"] == CHANNEL
    assert complete.args["thread_ts"] == digest_ts
    [upload] = fake_slack.calls("upload")
    assert fake_slack.uploads[upload.args["file_id"]].startswith(b"\x89PNG")


async def test_an_assignee_gets_one_dm_three_days_before_at_nine_in_their_zone(
    cli: Cli, fake_slack: FakeSlack
) -> None:
    await launch(cli)
    await cli.json("assign", "1", "acme/web#code-1", DEV)
    dm = fake_slack.dm_channel(DEV)

    paris_eight = await cli.json("jobs", "run", "reminders", "--at", "2026-12-18T07:30Z")
    paris_nine = await cli.json("jobs", "run", "reminders", "--at", "2026-12-18T08:10Z")
    later = await cli.json("jobs", "run", "reminders", "--at", "2026-12-18T16:00Z")

    assert paris_eight["sent"] == [] and later["sent"] == []
    assert [item["key"] for item in paris_nine["sent"]] == [f"dm:{DEV}:2026-12-18"]
    [reminder] = [
        c for c in fake_slack.calls("chat.postMessage", ok=True) if c.args["channel"] == dm
    ]
    blocks = json.dumps(reminder.args["blocks"])
    assert "due in 3 days" in blocks and "Snooze 1 day" in blocks and "Snooze 1 week" in blocks


async def test_reminder_settings_are_edited_per_campaign(cli: Cli, fake_slack: FakeSlack) -> None:
    await launch(cli)

    code, _, err = await cli("edit", "1", "--reminder-days", "soon")
    assert code != 0 and "not a list of days before the due date" in err
    edited = await cli.json("edit", "1", "--reminder-days", "5, 2")
    assert edited["changes"]["reminder_days"] == [None, "5,2"]

    seven = await cli.json("jobs", "run", "reminders", "--at", "2026-12-14T09:30Z")
    five = await cli.json("jobs", "run", "reminders", "--at", "2026-12-16T09:30Z")
    assert reminder_keys(seven) == []  # (the edit's announcement went out with it)
    assert reminder_keys(five) == [f"reminder:1:{CHANNEL}:due-5"]

    await cli.json("edit", "1", "--no-reminders")
    two = await cli.json("jobs", "run", "reminders", "--at", "2026-12-19T09:30Z")
    assert reminder_keys(two) == []
    assert len(posts(fake_slack, CHANNEL, "due in")) == 1


async def test_two_processes_running_the_same_jobs_at_once_send_each_message_once(
    cli: Cli, fake_slack: FakeSlack
) -> None:
    """Two schedulers on one database (two `jobs run` processes at the same moment): the
    delivery keys and the outbox leases let each message out once."""
    await launch(cli)
    await cli.json("assign", "1", "acme/web#code-1", DEV)
    moment = "2026-12-18T08:10Z"  # due-3 for DEV in Paris; no channel slot

    first, second = await asyncio.gather(
        cli.json("jobs", "run", "reminders", "--at", moment),
        cli.json("jobs", "run", "reminders", "--at", moment),
    )
    monday = "2026-12-14T09:05Z"  # due-7 in the channel and the week's digest, both at once
    runs = await asyncio.gather(
        cli.json("jobs", "run", "reminders", "--at", monday),
        cli.json("jobs", "run", "digest", "--at", monday),
        cli.json("jobs", "run", "reminders", "--at", monday),
        cli.json("jobs", "run", "digest", "--at", monday),
    )

    sent = [item["key"] for run in (first, second, *runs) for item in run["sent"]]
    assert sorted(sent) == sorted(
        [
            f"dm:{DEV}:2026-12-18",
            f"reminder:1:{CHANNEL}:due-7",
            f"digest:1:{CHANNEL}:2026-W51",
        ]
    )
    dm = fake_slack.dm_channel(DEV)
    assert (
        len([c for c in fake_slack.calls("chat.postMessage", ok=True) if c.args["channel"] == dm])
        == 1
    )
    assert len(posts(fake_slack, CHANNEL, "due in 7 days")) == 1
    assert len(posts(fake_slack, CHANNEL, "Weekly progress")) == 1


async def test_a_429_storm_delays_the_digest_and_reminder_but_loses_nothing(
    cli: Cli, fake_slack: FakeSlack
) -> None:
    await launch(cli)
    fake_slack.rate_limit("chat.postMessage", times=12, retry_after=0)
    monday = "2026-12-14T09:05Z"  # the channel's due-7 reminder and the week's digest

    await cli.json("jobs", "run", "reminders", "--at", monday)
    await cli.json("jobs", "run", "digest", "--at", monday)
    await cli.json("jobs", "run", "deliver", "--at", "2026-12-14T09:30Z")  # what was left

    assert len(fake_slack.calls("chat.postMessage", ok=False)) == 12
    assert len(posts(fake_slack, CHANNEL, "due in 7 days")) == 1
    assert len(posts(fake_slack, CHANNEL, "Weekly progress")) == 1
    listed = await cli.json("jobs", "list")
    assert listed["outbox"]["pending"] == 0 and listed["outbox"]["failed"] == 0
