"""The GitHub REST client against FakeGitHub: rate limits, retries and the concurrency cap.

Nothing here really sleeps: the client gets a fake clock and a fake sleep that records each delay
and moves the clock on at once; the fake server reads the same clock.
"""

from __future__ import annotations

import asyncio
import logging

import aiohttp
import pytest

from bot.github.client import GitHubClient
from bot.github.errors import (
    GitHubForbidden,
    GitHubRateLimitError,
    GitHubResponseError,
    GitHubUnavailable,
)
from tests.fakes.github import FakeGitHub, Fault
from tests.github.support import (
    ALERTS,
    REPOS,
    FakeTime,
    campaign_body,
    collect,
    make_client,
    seed_alerts,
)

# ---- rate limits -----------------------------------------------------------------------------


async def test_secondary_limit_honours_retry_after(
    client: GitHubClient, fake: FakeGitHub, time: FakeTime
) -> None:
    fake.add_repo("api")
    fake.fail_next("/repos/acme/api", Fault.secondary_limit(retry_after=30))

    repo = await client.get_repository("acme/api")

    assert repo["full_name"] == "acme/api"
    assert time.sleeps == [30.0]
    assert len(fake.requests_to("/repos/acme/api")) == 2
    assert client.stats.rate_limited == 1


async def test_secondary_limit_without_retry_after_backs_off_from_a_minute(
    client: GitHubClient, fake: FakeGitHub, time: FakeTime
) -> None:
    fake.add_repo("api")
    fake.fail_next(
        "/repos/acme/api",
        Fault.secondary_limit(retry_after=None),
        Fault.secondary_limit(retry_after=None, status=429),
    )

    await client.get_repository("acme/api")

    assert time.sleeps == [60.0, 120.0]


async def test_primary_limit_waits_until_reset(
    client: GitHubClient, fake: FakeGitHub, time: FakeTime
) -> None:
    fake.add_repo("api")
    fake.fail_next("/repos/acme/api", Fault.primary_limit(reset_in=120))

    await client.get_repository("acme/api")

    assert time.sleeps == [121.0]  # until x-ratelimit-reset, plus a second for clock skew


async def test_the_last_request_of_the_hour_pauses_the_next_until_reset(
    client: GitHubClient, fake: FakeGitHub, time: FakeTime, caplog: pytest.LogCaptureFixture
) -> None:
    fake.add_repo("api")
    fake.rate_remaining = 1  # the next answer says x-ratelimit-remaining: 0

    await client.get_repository("acme/api")
    assert time.sleeps == []
    with caplog.at_level(logging.WARNING, logger="bot.github.retry"):
        await client.get_repository("acme/api")

    assert time.sleeps == [3601.0]  # the fake resets an hour on; no 403 was needed
    assert len(fake.requests) == 2
    assert "request limit is used up; waiting 60 min, until" in caplog.text  # said, not hung


async def test_rate_limit_gives_up_after_the_allowed_waits(
    session: aiohttp.ClientSession, fake: FakeGitHub, time: FakeTime
) -> None:
    fake.add_repo("api")
    fake.fail_next("/repos/acme/api", *[Fault.secondary_limit(retry_after=5)] * 3)
    client = make_client(session, fake, time, max_rate_limit_waits=2)

    with pytest.raises(GitHubRateLimitError, match="still rate limited"):
        await client.get_repository("acme/api")
    assert time.sleeps == [5.0, 5.0]


async def test_a_plain_403_is_forbidden_not_a_rate_limit(
    client: GitHubClient, fake: FakeGitHub, time: FakeTime
) -> None:
    body = {"message": "Resource not accessible by integration"}
    fake.fail_next("/repos/acme/api", Fault.response(403, body))

    with pytest.raises(GitHubForbidden, match="not accessible"):
        await client.get_repository("acme/api")
    assert time.sleeps == []


# ---- retries ---------------------------------------------------------------------------------


async def test_server_errors_are_retried_with_backoff(
    client: GitHubClient, fake: FakeGitHub, time: FakeTime
) -> None:
    fake.add_repo("api")
    fake.fail_next("/repos/acme/api", Fault.server_error(500), Fault.server_error(502))

    repo = await client.get_repository("acme/api")

    assert repo["name"] == "api"
    assert time.sleeps == [1.0, 2.0]
    assert client.stats.retries == 2


async def test_a_dropped_connection_is_retried(
    client: GitHubClient, fake: FakeGitHub, time: FakeTime
) -> None:
    seed_alerts(fake, 3)
    # aiohttp itself resends an idempotent request once after a disconnect; the second drop
    # reaches the client, which backs off and tries again.
    fake.fail_next(ALERTS, Fault.drop_connection(), Fault.drop_connection())

    pages = await collect(client.list_org_code_scanning_alerts("acme"))

    assert len(pages[0]) == 3
    assert time.sleeps == [1.0]
    assert len(fake.requests_to(ALERTS)) == 3


async def test_dropped_connections_that_persist_give_up(
    client: GitHubClient, fake: FakeGitHub, time: FakeTime
) -> None:
    fake.fail_next("/repos/acme/api", *[Fault.drop_connection()] * 10)

    with pytest.raises(GitHubUnavailable, match="connection problem"):
        await client.get_repository("acme/api")
    assert time.sleeps == [1.0, 2.0, 4.0, 8.0]


async def test_malformed_json_is_retried(
    client: GitHubClient, fake: FakeGitHub, time: FakeTime
) -> None:
    fake.add_repo("api")
    fake.fail_next(REPOS, Fault.malformed_json())

    pages = await collect(client.list_org_repositories("acme"))

    assert len(pages[0]) == 1
    assert time.sleeps == [1.0]


async def test_retries_give_up_with_a_clear_error(
    client: GitHubClient, fake: FakeGitHub, time: FakeTime
) -> None:
    fake.fail_next("/repos/acme/api", *[Fault.server_error(503)] * 6)

    with pytest.raises(GitHubUnavailable) as caught:
        await client.get_repository("acme/api")

    assert "gave up after 5 attempts" in str(caught.value)
    assert caught.value.status == 503
    assert "GET /repos/acme/api" in str(caught.value)
    assert len(fake.requests) == 5
    assert time.sleeps == [1.0, 2.0, 4.0, 8.0]


async def test_malformed_json_that_persists_is_a_response_error(
    session: aiohttp.ClientSession, fake: FakeGitHub, time: FakeTime
) -> None:
    fake.fail_next(REPOS, *[Fault.malformed_json()] * 2)
    client = make_client(session, fake, time, max_retries=1)

    with pytest.raises(GitHubResponseError, match="malformed JSON"):
        await collect(client.list_org_repositories("acme"))


async def test_a_post_is_not_repeated_after_a_server_error(
    client: GitHubClient, fake: FakeGitHub
) -> None:
    fake.fail_next("/orgs/acme/campaigns", Fault.server_error(502))

    with pytest.raises(GitHubUnavailable, match="may have been applied"):
        await client.create_campaign("acme", campaign_body(fake))
    assert len(fake.requests_to("/orgs/acme/campaigns", "POST")) == 1


async def test_concurrent_requests_are_capped(
    session: aiohttp.ClientSession, fake: FakeGitHub, time: FakeTime
) -> None:
    fake.add_repo("api")
    client = make_client(session, fake, time, max_concurrency=2)
    fake.hold = asyncio.Event()

    tasks = [asyncio.create_task(client.get_repository("acme/api")) for _ in range(6)]
    await asyncio.wait_for(fake.wait_in_flight(2), timeout=10)
    for _ in range(200):  # give any request beyond the cap every chance to arrive
        await asyncio.sleep(0)
    assert fake.in_flight == 2
    fake.hold.set()
    await asyncio.gather(*tasks)

    assert fake.max_in_flight == 2
    assert len(fake.requests) == 6
