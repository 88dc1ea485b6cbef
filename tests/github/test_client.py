"""The GitHub REST client against FakeGitHub: paging, ETags, rate limits, retries, errors, auth.

Nothing here really sleeps: the client gets a fake clock and a fake sleep that records each delay
and moves the clock on at once; the fake server reads the same clock.
"""

from __future__ import annotations

import asyncio
import logging
import traceback
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import aiohttp
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from bot.core.settings import Settings
from bot.github.auth import AppAuth
from bot.github.client import GitHubClient, MemoryETagStore, has_write
from bot.github.errors import (
    GitHubAuthError,
    GitHubError,
    GitHubForbidden,
    GitHubNotFound,
    GitHubRateLimitError,
    GitHubResponseError,
    GitHubUnavailable,
    GitHubValidationError,
)
from bot.github.http import Page
from store.sync_state import ETagEntry
from tests.fakes.github import FakeGitHub, Fault
from tests.github.support import START, FakeTime, make_client

ALERTS = "/orgs/acme/code-scanning/alerts"
SECRETS = "/orgs/acme/secret-scanning/alerts"
REPOS = "/orgs/acme/repos"


async def collect(pages: AsyncIterator[Page]) -> list[Page]:
    return [page async for page in pages]


def seed_alerts(fake: FakeGitHub, count: int) -> None:
    for name in ("api", "web", "worker"):
        fake.add_repo(name)
    for i in range(count):
        fake.add_code_alert(
            ("api", "web", "worker")[i % 3],
            updated_at=START - timedelta(minutes=i),
        )


# ---- pagination ------------------------------------------------------------------------------


async def test_org_alerts_follow_cursor_links_page_by_page(
    client: GitHubClient, fake: FakeGitHub
) -> None:
    seed_alerts(fake, 250)

    pages = await collect(client.list_org_code_scanning_alerts("acme", state="open"))

    assert [len(page) for page in pages] == [100, 100, 50]
    keys = [(a["repository"]["full_name"], a["number"]) for page in pages for a in page]
    assert len(set(keys)) == 250
    updated = [a["updated_at"] for page in pages for a in page]
    assert updated == sorted(updated, reverse=True)  # sort=updated, direction=desc
    calls = fake.requests_to(ALERTS)
    assert len(calls) == 3
    assert calls[0].query == {
        "per_page": "100",
        "state": "open",
        "sort": "updated",
        "direction": "desc",
    }
    assert calls[1].query["after"] and "page" not in calls[1].query
    assert calls[2].query["after"] != calls[1].query["after"]


async def test_secret_alerts_ask_for_cursors_with_an_empty_after(
    client: GitHubClient, fake: FakeGitHub
) -> None:
    fake.add_repo("api")
    for _ in range(150):
        fake.add_secret_alert("api")

    pages = await collect(client.list_org_secret_scanning_alerts("acme"))

    assert [len(page) for page in pages] == [100, 50]
    first, second = fake.requests_to(SECRETS)
    assert first.query["after"] == ""
    assert second.query["after"]


async def test_repositories_follow_page_links(client: GitHubClient, fake: FakeGitHub) -> None:
    for i in range(205):
        fake.add_repo(f"repo-{i:03d}")

    pages = await collect(client.list_org_repositories("acme"))

    assert [len(page) for page in pages] == [100, 100, 5]
    assert len({r["full_name"] for page in pages for r in page}) == 205
    assert [r.query.get("page") for r in fake.requests_to(REPOS)] == [None, "2", "3"]


async def test_requests_carry_the_api_version_and_accept_headers(
    client: GitHubClient, fake: FakeGitHub
) -> None:
    fake.add_repo("api")

    await client.get_repository("acme/api")

    headers = fake.requests[-1].headers
    assert headers["accept"] == "application/vnd.github+json"
    assert headers["x-github-api-version"] == "2022-11-28"
    assert "authorization" not in headers  # the fake never records it


async def test_a_link_to_another_host_is_not_followed(
    client: GitHubClient, fake: FakeGitHub
) -> None:
    link = '<https://evil.example/orgs/acme/repos?page=2>; rel="next"'
    fake.fail_next(REPOS, Fault.response(200, [{"id": 1}], headers={"Link": link}))

    with pytest.raises(GitHubError, match="another host"):
        await collect(client.list_org_repositories("acme"))
    assert len(fake.requests) == 1


async def test_enterprise_server_base_url_with_api_v3(
    session: aiohttp.ClientSession, time: FakeTime
) -> None:
    async with FakeGitHub(prefix="/api/v3", clock=time.clock) as ghes:
        for i in range(120):
            ghes.add_repo(f"r{i}")
        client = make_client(session, ghes, time)

        pages = await collect(client.list_org_repositories("acme"))

    assert ghes.url.endswith("/api/v3")
    assert [len(page) for page in pages] == [100, 20]
    assert [r.path for r in ghes.requests] == [REPOS, REPOS]


# ---- conditional requests --------------------------------------------------------------------


async def test_unchanged_refetch_answers_304_for_every_page(
    client: GitHubClient, fake: FakeGitHub
) -> None:
    for i in range(150):
        fake.add_repo(f"repo-{i:03d}")
    first = await collect(client.list_org_repositories("acme"))

    again = await collect(client.list_org_repositories("acme"))

    assert [len(p) for p in first] == [100, 50]
    assert [(p.not_modified, len(p)) for p in again] == [(True, 0), (True, 0)]
    assert fake.not_modified == 2
    assert client.stats.not_modified == 2
    refetches = fake.requests_to(REPOS)[2:]
    assert all(r.headers["if-none-match"].startswith('W/"') for r in refetches)
    assert refetches[1].query["page"] == "2"  # the next page came from the stored entry


async def test_a_changed_page_comes_back_in_full(client: GitHubClient, fake: FakeGitHub) -> None:
    seed_alerts(fake, 120)
    await collect(client.list_org_code_scanning_alerts("acme"))
    fake.code_alert("api", 1)["updated_at"] = "2025-03-03T10:00:00Z"  # moves to the front

    again = await collect(client.list_org_code_scanning_alerts("acme"))

    assert not again[0].not_modified
    assert again[0][0]["number"] == 1


async def test_conditional_off_sends_no_etag(client: GitHubClient, fake: FakeGitHub) -> None:
    fake.add_repo("api")
    await collect(client.list_org_repositories("acme"))

    pages = await collect(client.list_org_repositories("acme", conditional=False))

    assert len(pages[0]) == 1
    assert "if-none-match" not in fake.requests[-1].headers


async def test_etag_store_is_pluggable(
    session: aiohttp.ClientSession, fake: FakeGitHub, time: FakeTime
) -> None:
    class RecordingStore(MemoryETagStore):
        def __init__(self) -> None:
            super().__init__()
            self.writes: list[str] = []

        async def set(self, url: str, entry: ETagEntry) -> None:
            self.writes.append(url)
            await super().set(url, entry)

    store = RecordingStore()
    fake.add_repo("api")
    client = make_client(session, fake, time, etags=store)

    await collect(client.list_org_teams("acme"))

    assert store.writes == [f"{fake.url}/orgs/acme/teams?per_page=100"]
    assert store.entries[store.writes[0]].etag.startswith('W/"')


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
    client: GitHubClient, fake: FakeGitHub, time: FakeTime
) -> None:
    fake.add_repo("api")
    fake.rate_remaining = 1  # the next answer says x-ratelimit-remaining: 0

    await client.get_repository("acme/api")
    assert time.sleeps == []
    await client.get_repository("acme/api")

    assert time.sleeps == [3601.0]  # the fake resets an hour on; no 403 was needed
    assert len(fake.requests) == 2


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


# ---- errors ----------------------------------------------------------------------------------


async def test_a_revoked_token_fails_at_once(
    client: GitHubClient, fake: FakeGitHub, time: FakeTime
) -> None:
    fake.add_repo("api")
    fake.revoke_token()

    with pytest.raises(GitHubAuthError, match="Bad credentials") as caught:
        await client.get_repository("acme/api")

    assert caught.value.status == 401
    assert len(fake.requests) == 1
    assert time.sleeps == []


async def test_not_found(client: GitHubClient) -> None:
    with pytest.raises(GitHubNotFound) as caught:
        await client.get_repository("acme/nope")
    assert caught.value.status == 404


async def test_code_assignee_without_write_access_is_refused(
    client: GitHubClient, fake: FakeGitHub
) -> None:
    fake.add_repo("api")
    fake.add_code_alert("api", number=7)
    fake.add_collaborator("api", "reader", "read")

    with pytest.raises(GitHubValidationError) as caught:
        await client.update_code_scanning_assignees("acme/api", 7, ["reader"])

    assert caught.value.message == "Validation Failed"
    assert caught.value.details == ["reader does not have write access to acme/api"]
    assert "reader does not have write access" in str(caught.value)
    assert fake.code_alert("api", 7)["assignees"] == []


async def test_code_assignees_are_set_and_cleared(client: GitHubClient, fake: FakeGitHub) -> None:
    fake.add_repo("api")
    fake.add_code_alert("api", number=7)
    fake.add_collaborator("api", "dev", "write")

    assigned = await client.update_code_scanning_assignees("acme/api", 7, ["dev"])
    cleared = await client.update_code_scanning_assignees("acme/api", 7, [])

    assert [u["login"] for u in assigned["assignees"]] == ["dev"]
    assert cleared["assignees"] == []
    assert [r.json for r in fake.requests_to("/repos/acme/api/code-scanning/alerts/7")] == [
        {"assignees": ["dev"]},
        {"assignees": []},
    ]


async def test_secret_assignee_is_set_refused_and_cleared(
    client: GitHubClient, fake: FakeGitHub
) -> None:
    fake.add_repo("api")
    fake.add_secret_alert("api", number=3)
    fake.add_collaborator("api", "dev", "maintain")
    fake.add_collaborator("api", "triager", "triage")

    assigned = await client.update_secret_scanning_assignee("acme/api", 3, "dev")
    with pytest.raises(GitHubValidationError, match="triager does not have write access"):
        await client.update_secret_scanning_assignee("acme/api", 3, "triager")
    cleared = await client.update_secret_scanning_assignee("acme/api", 3, None)

    assert assigned["assigned_to"]["login"] == "dev"
    assert cleared["assigned_to"] is None
    assert fake.requests[-1].json == {"assignee": None}


async def test_tokens_never_show_in_errors_reprs_or_logs(
    client: GitHubClient,
    fake: FakeGitHub,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    fake.add_repo("api")
    fake.add_code_alert("api", number=1)
    fake.fail_next("/repos/acme/api", Fault.server_error(500), Fault.secondary_limit(retry_after=1))
    await client.get_repository("acme/api")
    errors: list[BaseException] = []
    with pytest.raises(GitHubValidationError) as refused:
        await client.update_code_scanning_assignees("acme/api", 1, ["stranger"])
    errors.append(refused.value)
    fake.revoke_token()
    with pytest.raises(GitHubAuthError) as revoked:
        await client.get_repository("acme/api")
    errors.append(revoked.value)

    texts = [caplog.text, repr(client), repr(client._auth)]
    for error in errors:
        texts += [str(error), repr(error), "".join(traceback.format_exception(error))]
    assert caplog.text  # the retries were logged
    for text in texts:
        assert fake.token not in text


# ---- GitHub App ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def app_key() -> tuple[str, bytes]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private, public


async def test_app_installation_token_is_cached_then_refreshed(
    session: aiohttp.ClientSession,
    fake: FakeGitHub,
    time: FakeTime,
    app_key: tuple[str, bytes],
) -> None:
    private, public = app_key
    fake.register_app(42, public, installation_id=99)
    fake.add_repo("api")
    auth = AppAuth(42, private, 99, clock=time.clock)
    client = GitHubClient(session, auth, base_url=fake.url, sleep=time.sleep, clock=time.clock)
    token_path = "/app/installations/99/access_tokens"

    for _ in range(3):
        await client.get_repository("acme/api")
    assert len(fake.requests_to(token_path, "POST")) == 1
    assert auth.expires_at == START + timedelta(hours=1)

    time.advance(minutes=50)  # still more than five minutes left: cached
    await client.get_repository("acme/api")
    assert len(fake.issued_tokens) == 1

    time.advance(minutes=6)  # inside the refresh margin
    fake.revoke_token(fake.issued_tokens[0])
    await client.get_repository("acme/api")
    assert len(fake.issued_tokens) == 2
    assert fake.token not in repr(auth) and fake.issued_tokens[1] not in repr(client)


async def test_app_with_a_wrong_key_is_an_auth_error(
    session: aiohttp.ClientSession, fake: FakeGitHub, time: FakeTime, app_key: tuple[str, bytes]
) -> None:
    private, _ = app_key
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
    fake.register_app(
        42,
        other.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ),
        installation_id=99,
    )
    client = GitHubClient(
        session,
        AppAuth(42, private, 99, clock=time.clock),
        base_url=fake.url,
        sleep=time.sleep,
        clock=time.clock,
    )

    with pytest.raises(GitHubAuthError, match="installation token"):
        await client.get_repository("acme/api")
    assert len(fake.requests) == 1


async def test_client_from_settings_uses_the_token_and_api_url(
    session: aiohttp.ClientSession, fake: FakeGitHub, time: FakeTime
) -> None:
    fake.add_repo("api")
    settings = Settings(
        _env_file=None,
        github_org="acme",
        github_token=fake.token,
        github_api_url=fake.url,
    )

    client = GitHubClient.from_settings(session, settings, clock=time.clock, sleep=time.sleep)

    assert (await client.get_repository("acme/api"))["id"] == fake.repos["acme/api"]["id"]


async def test_client_from_settings_with_a_github_app(
    session: aiohttp.ClientSession, fake: FakeGitHub, time: FakeTime, app_key: tuple[str, bytes]
) -> None:
    private, public = app_key
    fake.register_app(42, public, installation_id=99)
    fake.add_repo("api")
    settings = Settings(
        _env_file=None,
        github_org="acme",
        github_app_id=42,
        github_app_installation_id=99,
        github_app_private_key=private,
        github_api_url=fake.url,
    )

    client = GitHubClient.from_settings(session, settings, clock=time.clock, sleep=time.sleep)
    await client.get_repository("acme/api")

    assert isinstance(client._auth, AppAuth)
    assert len(fake.issued_tokens) == 1
    assert private not in repr(client)


async def test_the_fake_accepts_token_and_bearer_and_refuses_the_rest(
    session: aiohttp.ClientSession, fake: FakeGitHub
) -> None:
    fake.add_repo("api")
    statuses = []
    for header in (f"token {fake.token}", f"Bearer {fake.token}", "token wrong", None):
        headers = {"Authorization": header} if header else {}
        async with session.get(f"{fake.url}/repos/acme/api", headers=headers) as response:
            statuses.append(response.status)
            body = await response.json()

    assert statuses == [200, 200, 401, 401]
    assert body["message"] == "Requires authentication"


# ---- people, branches, campaigns -------------------------------------------------------------


async def test_collaborator_permission_reads_the_role(
    client: GitHubClient, fake: FakeGitHub
) -> None:
    fake.add_repo("api")
    fake.add_collaborator("api", "admin-ann", "admin")
    fake.add_collaborator("api", "maint-max", "maintain")
    fake.add_collaborator("api", "writer-wu", "write")
    fake.add_collaborator("api", "triage-tom", "triage")
    fake.add_collaborator("api", "reader-rae", "read")
    fake.add_collaborator("api", "auditor-al", "security-auditor", base="write")
    fake.user("outsider")

    roles = {
        login: await client.collaborator_permission("acme/api", login)
        for login in (
            "admin-ann",
            "maint-max",
            "writer-wu",
            "triage-tom",
            "reader-rae",
            "auditor-al",
            "outsider",
        )
    }

    assert roles == {
        "admin-ann": "admin",
        "maint-max": "maintain",
        "writer-wu": "write",
        "triage-tom": "triage",
        "reader-rae": "read",
        "auditor-al": "write",  # a custom role answers with its base permission
        "outsider": "none",
    }
    assert [login for login, role in roles.items() if has_write(role)] == [
        "admin-ann",
        "maint-max",
        "writer-wu",
        "auditor-al",
    ]
    assert await client.has_write_access("acme/api", "maint-max")
    assert not await client.has_write_access("acme/api", "nobody-known")


async def test_create_branch_from_the_default_branch(
    client: GitHubClient, fake: FakeGitHub
) -> None:
    fake.add_repo("api", default_branch="trunk")
    head = fake.refs["acme/api"]["refs/heads/trunk"]

    ref = await client.create_branch("acme/api", "campaign/fix-xss-7")

    assert ref["ref"] == "refs/heads/campaign/fix-xss-7"
    assert ref["object"]["sha"] == head
    assert [(r.method, r.path) for r in fake.requests] == [
        ("GET", "/repos/acme/api"),
        ("GET", "/repos/acme/api/git/ref/heads/trunk"),
        ("POST", "/repos/acme/api/git/refs"),
    ]
    assert fake.requests[-1].json == {"ref": "refs/heads/campaign/fix-xss-7", "sha": head}
    with pytest.raises(GitHubValidationError, match="Reference already exists"):
        await client.create_branch("acme/api", "campaign/fix-xss-7")


def campaign_body(fake: FakeGitHub) -> dict[str, Any]:
    if "acme/api" not in fake.repos:
        fake.add_repo("api")
        fake.add_code_alert("api", number=1)
        fake.add_code_alert("api", number=2, state="fixed")
    return {
        "name": "Critical CodeQL alerts",
        "description": "Fix the critical ones before the audit.",
        "managers": ["octocat"],
        "ends_at": "2025-04-01T00:00:00Z",
        "code_scanning_alerts": [
            {"repository_id": fake.repos["acme/api"]["id"], "alert_numbers": [1, 2]}
        ],
    }


async def test_campaign_create_update_delete(
    client: GitHubClient, fake: FakeGitHub, time: FakeTime
) -> None:
    created = await client.create_campaign("acme", campaign_body(fake))

    assert created["number"] == 1
    assert created["state"] == "open"
    assert created["managers"][0]["login"] == "octocat"
    assert created["alert_stats"] == {"open_count": 1, "closed_count": 1, "in_progress_count": 0}

    time.advance(days=1)
    closed = await client.update_campaign("acme", 1, {"state": "closed", "name": "Done"})
    assert closed["state"] == "closed"
    assert closed["closed_at"] == "2025-03-04T09:00:00Z"
    assert closed["name"] == "Done"

    await client.delete_campaign("acme", 1)
    with pytest.raises(GitHubNotFound):
        await client.get_campaign("acme", 1)
    assert [r.method for r in fake.requests] == ["POST", "PATCH", "DELETE", "GET"]


async def test_campaign_validation_errors_carry_githubs_message(
    client: GitHubClient, fake: FakeGitHub
) -> None:
    body = {**campaign_body(fake), "query": "is:open"}
    with pytest.raises(GitHubValidationError, match='"query" is not a permitted key'):
        await client.create_campaign("acme", body)

    past = {**campaign_body(fake), "ends_at": "2020-01-01T00:00:00Z"}
    with pytest.raises(GitHubValidationError, match="must be in the future"):
        await client.create_campaign("acme", past)


async def test_campaigns_list_pages(client: GitHubClient, fake: FakeGitHub) -> None:
    for i in range(3):
        fake.add_campaign({"name": f"c{i}", "description": "d", "ends_at": "2025-04-01T00:00:00Z"})

    pages = await collect(client.list_org_campaigns("acme"))

    assert sorted(c["name"] for c in pages[0]) == ["c0", "c1", "c2"]


# ---- the fake's documents --------------------------------------------------------------------


async def test_documents_have_the_documented_shapes(client: GitHubClient, fake: FakeGitHub) -> None:
    fake.add_repo("api", topics=["payments"])
    fake.add_code_alert("api", classifications=["test"], assignees=["dev"])
    fake.add_secret_alert("api", publicly_leaked=True, assigned_to="dev")
    fake.set_properties("api", BusinessPriority="Urgent", languages=["python", "go"])
    fake.add_team("platform", repos={"api": "push"})

    code = (await collect(client.list_org_code_scanning_alerts("acme")))[0][0]
    secret = (await collect(client.list_org_secret_scanning_alerts("acme")))[0][0]
    props = (await collect(client.list_org_property_values("acme")))[0]
    teams = (await collect(client.list_org_teams("acme")))[0]
    team_repos = (await collect(client.list_team_repositories("acme", "platform")))[0]

    assert {"number", "state", "rule", "tool", "most_recent_instance", "repository"} <= set(code)
    assert {"id", "name", "severity", "security_severity_level", "tags"} <= set(code["rule"])
    assert set(code["tool"]) == {"name", "version", "guid"}
    assert code["most_recent_instance"]["location"]["path"] == "src/app.js"
    assert code["most_recent_instance"]["classifications"] == ["test"]
    assert code["assignees"][0]["login"] == "dev"
    assert code["repository"]["full_name"] == "acme/api"
    assert secret["secret_type_display_name"] and secret["provider_slug"] == "github"
    assert secret["publicly_leaked"] is True and secret["assigned_to"]["login"] == "dev"
    assert {"validity", "resolution", "multi_repo", "push_protection_bypassed"} <= set(secret)
    assert props == [
        {
            "repository_id": fake.repos["acme/api"]["id"],
            "repository_name": "api",
            "repository_full_name": "acme/api",
            "properties": [
                {"property_name": "BusinessPriority", "value": "Urgent"},
                {"property_name": "languages", "value": ["python", "go"]},
            ],
        }
    ]
    assert teams[0]["slug"] == "platform"
    assert team_repos[0]["role_name"] == "write" and team_repos[0]["topics"] == ["payments"]
