"""People's time zones for reminder DMs: a few are asked one by one, many are read from the
member list a page at a time, and both are cached (against the fake Slack's real HTTP)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from slack_sdk.web.async_client import AsyncWebClient

from commands.shared.directory import ONE_BY_ONE, PAGE, SlackDirectory
from tests.fakes.fixtures import BOT_TOKEN
from tests.fakes.slack import FakeSlack

START = datetime(2026, 12, 1, 9, tzinfo=UTC)


class Clock:
    now = START

    def __call__(self) -> datetime:
        return self.now


def directory(fake_slack: FakeSlack, clock: Clock) -> SlackDirectory:
    web = AsyncWebClient(token=BOT_TOKEN, base_url=fake_slack.api_url)
    return SlackDirectory(web, frozenset(), None, clock=clock)


async def test_a_few_people_are_asked_one_by_one_and_remembered(fake_slack: FakeSlack) -> None:
    fake_slack.add_user("U1", tz="Europe/Paris")
    fake_slack.add_user("U2", tz="Asia/Tokyo")
    clock = Clock()
    slack = directory(fake_slack, clock)

    zones = await slack.timezones_of(["U1", "U2", "U9"])  # U9: Slack does not know them

    assert zones == {"U1": "Europe/Paris", "U2": "Asia/Tokyo"}
    assert len(fake_slack.calls("users.info")) == 3 and fake_slack.calls("users.list") == []
    assert await slack.timezones_of(["U1", "U2"]) == zones
    assert len(fake_slack.calls("users.info")) == 3  # cached
    clock.now += timedelta(hours=13)
    await slack.timezones_of(["U1"])
    assert len(fake_slack.calls("users.info")) == 4  # the cache lasts 12 hours


async def test_many_people_cost_a_page_of_the_member_list_not_a_call_each(
    fake_slack: FakeSlack,
) -> None:
    people = [f"U{n:05d}" for n in range(PAGE + 50)]
    for n, user in enumerate(people):
        fake_slack.add_user(user, tz="America/New_York" if n % 2 else "Europe/Berlin")
    fake_slack.add_user("UGONE", tz="Europe/Paris", deleted=True)
    slack = directory(fake_slack, Clock())

    zones = await slack.timezones_of([*people, "UGONE"])

    assert len(people) > ONE_BY_ONE
    assert len(fake_slack.calls("users.list")) == 2  # 250 members, 200 a page
    assert fake_slack.calls("users.info") == []
    assert zones[people[0]] == "Europe/Berlin" and zones[people[1]] == "America/New_York"
    assert len(zones) == len(people)  # the deactivated member is left out


async def test_a_member_list_slack_refuses_leaves_people_to_their_campaigns_zone(
    fake_slack: FakeSlack,
) -> None:
    people = [f"U{n:05d}" for n in range(ONE_BY_ONE + 1)]
    for user in people:
        fake_slack.add_user(user, tz="Europe/Paris")
    fake_slack.fail("users.list", "ratelimited", times=1)
    slack = directory(fake_slack, Clock())

    assert await slack.timezones_of(people) == {}
    assert len(await slack.timezones_of(people)) == len(people)  # asked again next time
