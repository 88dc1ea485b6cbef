"""The GitHub REST client against FakeGitHub: errors, auth with a token or a GitHub App, and
tokens kept out of errors, reprs and logs.

Nothing here really sleeps: the client gets a fake clock and a fake sleep that records each delay
and moves the clock on at once; the fake server reads the same clock.
"""

from __future__ import annotations

import logging
import traceback
from datetime import timedelta

import aiohttp
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from bot.core.settings import Settings
from bot.github.auth import AppAuth
from bot.github.client import GitHubClient
from bot.github.errors import (
    GitHubAuthError,
    GitHubNotFound,
    GitHubValidationError,
)
from tests.fakes.github import FakeGitHub, Fault
from tests.github.support import (
    START,
    FakeTime,
)

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
