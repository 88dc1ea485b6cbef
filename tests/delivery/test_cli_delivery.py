"""Changes made from the command line are told exactly as those made in Slack (ARCHITECTURE §3).

The CLI runs as a real process (`python -m bot …`) against a SQLite file and the fake Slack; the
bot, where one runs, is `serve()` on the same file.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.commands.conftest import seed
from tests.fakes.fixtures import BOT_TOKEN, StartApp
from tests.fakes.slack import FakeSlack

ROOT = Path(__file__).resolve().parents[2]
ADMIN = "U0000ADMIN"
CHANNEL = "C0SECURITY"


class Cli:
    def __init__(self, tmp_path: Path, fake: FakeSlack) -> None:
        self.url = f"sqlite+aiosqlite:///{tmp_path}/cli.db"
        self.tmp_path = tmp_path
        self.env = {
            **os.environ,
            "DATABASE_URL": self.url,
            "CAMPAIGN_ADMINS": ADMIN,
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_API_URL": fake.api_url,
            "PYTHONPATH": str(ROOT),
        }

    async def __call__(self, *args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            *args,
            cwd=self.tmp_path,  # no stray .env
            env=env or self.env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await process.communicate()
        assert process.returncode is not None
        return process.returncode, out.decode(), err.decode()

    async def json(self, *args: str) -> Any:
        code, out, err = await self(*args, "--json")
        assert code == 0, err
        return json.loads(out)

    async def create(self, name: str = "Critical", channel: str = CHANNEL) -> Any:
        return await self.json(
            "create",
            "is:open severity:critical",
            "--name",
            name,
            "--due",
            "2099-01-31",
            "--manager",
            ADMIN,
            "--channel",
            channel,
        )


@pytest.fixture
async def cli(tmp_path: Path, fake_slack: FakeSlack) -> Cli:
    runner = Cli(tmp_path, fake_slack)
    await seed(runner.url)
    fake_slack.add_channel(CHANNEL, name="security")
    return runner


async def test_create_then_jobs_run_deliver_posts_the_card_once(
    cli: Cli, fake_slack: FakeSlack
) -> None:
    created = await cli.create()
    assert created == {"number": 1, "name": "Critical", "alerts": 9, "left_out": 0}
    assert fake_slack.calls("chat.postMessage") == []  # the CLI itself never calls Slack

    first = await cli.json("jobs", "run", "deliver")
    second = await cli.json("jobs", "run", "deliver")

    assert first["job"] == "deliver" and first["skipped"] == []
    assert first["sent"] == [
        {"key": f"launch:1:{CHANNEL}:-", "kind": "launch", "campaign": 1, "to": CHANNEL}
    ]
    assert second["sent"] == [] and second["skipped"] == []
    [post] = fake_slack.calls("chat.postMessage")
    assert post.args["channel"] == CHANNEL and "Critical" in post.args["text"]
    shown = await cli.json("jobs", "list")
    assert shown["outbox"] == {"pending": 0, "failed": 0, "oldest_pending": None}
    [deliver] = [job for job in shown["jobs"] if job["name"] == "deliver"]
    assert deliver["last_outcome"].startswith("sent 0")
    assert [job["name"] for job in shown["jobs"]] == [
        "reminders",
        "digest",
        "sync",
        "deliver",
        "escalations",
        "exceptions",
    ]


async def test_dry_run_lists_what_would_go_out_and_sends_nothing(
    cli: Cli, fake_slack: FakeSlack
) -> None:
    await cli.create()

    dry = await cli.json("jobs", "run", "deliver", "--dry-run", "--at", "2099-01-01T09:00Z")

    assert dry["at"].startswith("2099-01-01T09:00")
    assert [(s["key"], s["dry_run"]) for s in dry["sent"]] == [(f"launch:1:{CHANNEL}:-", True)]
    assert fake_slack.calls("chat.postMessage") == []
    listed = await cli.json("jobs", "list")
    assert listed["outbox"]["pending"] == 1 and listed["outbox"]["oldest_pending"]


async def test_edit_close_reopen_delete_are_announced_like_in_slack(
    cli: Cli, fake_slack: FakeSlack
) -> None:
    await cli.create()
    await cli.json("jobs", "run", "deliver")

    edited = await cli.json("edit", "1", "--name", "Critical before the audit")
    closed = await cli.json("close", "Critical")
    reopened = await cli.json("reopen", "#1")
    told = await cli.json("jobs", "run", "deliver")
    deleted = await cli.json("delete", "1", "--yes")
    last = await cli.json("jobs", "run", "deliver")

    assert edited["changes"] == {"name": ["Critical", "Critical before the audit"]}
    assert (closed["state"], reopened["state"], deleted["deleted"]) == ("closed", "active", True)
    kinds = [sent["kind"] for sent in told["sent"]]
    assert [kind for kind in kinds if kind != "card"] == ["edited", "closed", "reopened"]
    assert "card" in kinds  # the live card follows each change
    assert [sent["kind"] for sent in last["sent"]] == ["deleted"]
    texts = [call.args["text"] for call in fake_slack.calls("chat.postMessage")]
    assert texts[1].startswith("The command line updated campaign *#1 Critical before the audit*")
    assert "closed campaign" in texts[2] and "reopened campaign" in texts[3]
    assert "deleted campaign #1" in texts[4]
    [update, *_] = fake_slack.calls("chat.update")
    assert "Critical before the audit" in update.args["text"]


async def test_notices_of_a_campaign_deleted_before_delivery_are_dropped(
    cli: Cli, fake_slack: FakeSlack
) -> None:
    await cli.create()
    await cli.json("close", "1")
    await cli.json("delete", "1", "--yes")

    delivered = await cli.json("jobs", "run", "deliver")

    assert [sent["kind"] for sent in delivered["sent"]] == ["deleted"]
    dropped = {skipped["key"].split(":")[0]: skipped["reason"] for skipped in delivered["skipped"]}
    assert set(dropped) == {"launch", "closed"}
    assert all("was deleted before this was sent" in reason for reason in dropped.values())
    [post] = fake_slack.calls("chat.postMessage")
    assert "deleted campaign #1 Critical" in post.args["text"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["delete", "1"], "--yes"),
        (["jobs", "run", "digestx"], "unknown job"),
        (["jobs", "run", "deliver", "--at", "monday"], "ISO-8601"),
        (["edit", "1"], "nothing to change"),
        (["edit", "1", "--due", "soon"], "not a date"),
        (["close", "42"], "no campaign #42"),
    ],
)
async def test_bad_cli_input_gets_one_line_and_exit_code_2(
    cli: Cli, args: list[str], message: str
) -> None:
    await cli.create()
    code, out, err = await cli(*args)
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1 and out == ""


async def test_deliver_without_a_slack_token_says_the_notices_wait(cli: Cli) -> None:
    await cli.create()
    env = {k: v for k, v in cli.env.items() if k != "SLACK_BOT_TOKEN"}
    code, _, err = await cli("jobs", "run", "deliver", env=env)
    assert code == 2 and "SLACK_BOT_TOKEN" in err and "outbox" in err


async def test_a_running_bot_delivers_what_the_cli_created(
    cli: Cli, fake_slack: FakeSlack, start_app: StartApp
) -> None:
    await start_app(database_url=cli.url, campaign_admins=ADMIN)

    await cli.create()
    [post] = await fake_slack.wait_for("chat.postMessage")  # the bot polls the outbox

    assert post.args["metadata"]["event_payload"]["key"] == f"launch:1:{CHANNEL}:-"
