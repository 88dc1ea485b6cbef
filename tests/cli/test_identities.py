"""`campaignbot identities import FILE.csv` and `campaignbot identities`: links checked line by
line before anything is written; e-mails looked up in Slack, never guessed."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.delivery.test_cli_delivery import Cli
from tests.fakes.slack import FakeSlack


@pytest.fixture
def cli(tmp_path: Path, fake_slack: FakeSlack) -> Cli:
    fake_slack.add_user("U0ALICE", email="alice@acme.example")
    return Cli(tmp_path, fake_slack)


async def test_a_csv_links_people_by_id_and_by_email(cli: Cli, tmp_path: Path) -> None:
    people = tmp_path / "people.csv"
    people.write_text(
        "github_login,slack_user_id,email\nbob-gh,U0BOB,\nalice-gh,,alice@acme.example\n"
    )

    imported = await cli.json("identities", "import", str(people))
    listed = await cli.json("identities")

    assert {(i["slack_user_id"], i["github_login"], i["source"]) for i in imported} == {
        ("U0BOB", "bob-gh", "csv"),
        ("U0ALICE", "alice-gh", "email"),
    }
    assert [i["slack_user_id"] for i in listed] == ["U0ALICE", "U0BOB"]


@pytest.mark.parametrize(
    ("content", "said"),
    [
        ("login,user\nbob,U0BOB\n", "the header must name github_login and slack_user_id or email"),
        (
            "github_login,slack_user_id\nbob,U0BOB\nbob,U0CAROL\n",
            "people.csv line 3: bob is already on line 2",
        ),
        (
            "github_login,slack_user_id\nbob,not-an-id\n",
            "line 2: “not-an-id” is not a Slack user ID",
        ),
        (
            "github_login,email\nbob,nobody@acme.example\n",
            "line 2: no Slack user has e-mail nobody@acme.example",
        ),
        (
            "github_login,slack_user_id\nbad/login,U0BOB\n",
            "line 2: “bad/login” is not a GitHub login",
        ),
    ],
)
async def test_a_bad_csv_is_refused_by_line_and_nothing_is_written(
    cli: Cli, tmp_path: Path, content: str, said: str
) -> None:
    people = tmp_path / "people.csv"
    people.write_text(content)

    code, out, err = await cli("identities", "import", str(people))

    assert code == 2 and said in err and out == ""
    assert len(err.strip().splitlines()) == 1
    assert await cli.json("identities") == []
