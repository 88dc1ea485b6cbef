"""`campaignbot sync` when GitHub fails: a failed page keeps what was committed and the next sync
finishes the job, a rate limit is waited out, a revoked token is a clear error.

The client gets the fake clock and the fake sleep of tests/github/support.py, so rate limits and
retries never really wait; the fake server reads the same clock.
"""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.core.models import Alert, AlertKind
from bot.github.client import GitHubClient
from bot.github.errors import GitHubAuthError, GitHubUnavailable
from bot.github.sync import sync
from store import alerts, schema
from tests.fakes.github import FakeGitHub, Fault
from tests.github.support import ALERTS, START, FakeTime
from tests.github.sync_support import count, find, org


async def test_a_page_failing_midway_keeps_what_was_committed_and_the_rerun_completes(
    engine: AsyncEngine, client: GitHubClient, fake: FakeGitHub, time: FakeTime
) -> None:
    org(fake, time, code=350)
    fake.fail_next(ALERTS, *[Fault.server_error()] * 5, after=2)

    with pytest.raises(GitHubUnavailable):
        await sync(engine, client, "acme", clock=time.clock)
    assert await count(engine, schema.alerts) == 200  # two pages committed

    report = await sync(engine, client, "acme", clock=time.clock)

    assert report.complete
    assert (report.code_alerts.not_modified, report.code_alerts.inserted) == (2, 150)
    assert await count(engine, schema.alerts, schema.alerts.c.kind == "code") == 350
    assert await count(engine, schema.alerts) == 380


async def test_an_alert_page_of_malformed_json_is_asked_again(
    engine: AsyncEngine, client: GitHubClient, fake: FakeGitHub, time: FakeTime
) -> None:
    """Alert pages are validated straight from their JSON body (the client's `decode`); a body
    that is not JSON is still retried like any answer that cannot be read."""
    org(fake, time, code=250)
    fake.fail_next(ALERTS, Fault.malformed_json(), after=1)

    report = await sync(engine, client, "acme", clock=time.clock)

    assert report.complete and report.skipped_total == 0
    assert (report.code_alerts.pages, report.code_alerts.items) == (3, 250)
    assert len(fake.requests_to(ALERTS)) == 4
    assert await count(engine, schema.alerts, schema.alerts.c.kind == "code") == 250


async def test_a_failed_pass_leaves_no_staged_rows_for_the_next_writer(
    engine: AsyncEngine, client: GitHubClient, fake: FakeGitHub, time: FakeTime
) -> None:
    """Each alert list is written on one connection, its pages committed one by one; when the
    list fails, that connection is dropped, so the tag sets it had staged (committed with the
    pages) cannot end up on another alert through the pool."""
    org(fake, time, code=350)
    fake.fail_next(ALERTS, *[Fault.server_error()] * 5, after=2)
    with pytest.raises(GitHubUnavailable):
        await sync(engine, client, "acme", clock=time.clock)

    connections = [await engine.connect() for _ in range(3)]
    try:
        for number, conn in enumerate(connections, start=900):
            alert = Alert(
                repository="acme/web",
                kind=AlertKind.CODE,
                number=number,
                state="open",
                created_at=START,
                tags=["only-this"],
                assignees=["someone"],
            )
            await alerts.upsert_many(conn, [alert])
            await conn.commit()
    finally:
        for conn in connections:
            await conn.close()
    for number in range(900, 903):
        stored = await find(engine, "acme/web", AlertKind.CODE, number)
        assert (stored.tags, stored.assignees) == (["only-this"], ["someone"])


async def test_an_interrupted_incremental_sync_is_finished_by_the_next(
    engine: AsyncEngine, client: GitHubClient, fake: FakeGitHub, time: FakeTime
) -> None:
    org(fake, time, code=300, secret=0)
    await sync(engine, client, "acme", clock=time.clock)
    time.advance(hours=1)
    for number in range(1, 101):
        for repo in ("web", "api", "legacy"):
            fake.set_code_alert_state(repo, number, "dismissed", at=time.now)
        time.advance(seconds=1)
    fake.fail_next(ALERTS, *[Fault.server_error()] * 5, after=1)

    with pytest.raises(GitHubUnavailable):
        await sync(engine, client, "acme", clock=time.clock)
    report = await sync(engine, client, "acme", clock=time.clock)

    assert report.code_alerts.not_modified == 1  # page 1, committed by the failed run
    assert await count(engine, schema.alerts, schema.alerts.c.state == "dismissed") == 300


async def test_a_secondary_rate_limit_mid_sync_is_waited_out(
    engine: AsyncEngine, client: GitHubClient, fake: FakeGitHub, time: FakeTime
) -> None:
    org(fake, time)
    fake.fail_next(ALERTS, Fault.secondary_limit(retry_after=45), after=1)

    report = await sync(engine, client, "acme", clock=time.clock)

    assert report.complete and 45 in time.sleeps
    assert await count(engine, schema.alerts, schema.alerts.c.kind == "code") == 250


async def test_a_revoked_token_is_a_clear_error_after_one_request(
    engine: AsyncEngine, client: GitHubClient, fake: FakeGitHub, time: FakeTime
) -> None:
    org(fake, time)
    fake.revoke_token()

    with pytest.raises(GitHubAuthError, match="invalid, expired or revoked"):
        await sync(engine, client, "acme", clock=time.clock)

    assert len(fake.requests) == 1 and time.sleeps == []
