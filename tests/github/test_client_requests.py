"""The GitHub REST client against FakeGitHub: paging, ETags, and what the endpoints send and
answer (people, branches, campaigns, the documents' shapes).

Nothing here really sleeps: the client gets a fake clock and a fake sleep that records each delay
and moves the clock on at once; the fake server reads the same clock.
"""

from __future__ import annotations

import aiohttp
import pytest

from bot.github.client import GitHubClient, MemoryETagStore, has_write
from bot.github.errors import (
    GitHubError,
    GitHubNotFound,
    GitHubValidationError,
)
from store.sync_state import ETagEntry
from tests.fakes.github import FakeGitHub, Fault
from tests.github.support import (
    ALERTS,
    REPOS,
    SECRETS,
    FakeTime,
    campaign_body,
    collect,
    make_client,
    seed_alerts,
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
