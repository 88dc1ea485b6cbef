"""Assignments when GitHub is connected: linked login, write access, write-back, refusals; and
"Start fix" branches."""

from __future__ import annotations

import asyncio
from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.assignments.service import AssignmentService
from bot.campaigns.requests import CreateRequest
from bot.campaigns.service import CampaignService
from bot.core.errors import CampaignError
from bot.core.models import Campaign, Identity
from bot.core.settings import Settings
from bot.github.client import GitHubClient
from bot.github.gate import GitHubGate
from bot.github.sync import sync
from store import identities, schema
from tests.fakes.github import FakeGitHub, Fault
from tests.github.support import FakeTime

ADMIN = "UADMIN"
DEV = "UDEV"
READER = "UREADER"
STRANGER = "USTRANGER"
CODE_PATCH = "/repos/acme/web/code-scanning/alerts/1"


@pytest.fixture(autouse=True)
def organization(fake: FakeGitHub) -> None:
    """One repository with two code alerts and a secret; a writer and a reader."""
    fake.add_repo("web")
    fake.add_code_alert("web", rule_id="js/xss")
    fake.add_code_alert("web", rule_id="js/xss")
    fake.add_secret_alert("web")
    fake.add_collaborator("web", "dev-login", "write")
    fake.add_collaborator("web", "reader-login", "read")


@pytest.fixture
async def service(engine: AsyncEngine, client: GitHubClient, time: FakeTime) -> CampaignService:
    await sync(engine, client, "acme", clock=time.clock)
    async with engine.begin() as conn:
        await identities.save(conn, Identity(slack_user_id=DEV, github_login="dev-login"))
        await identities.save(conn, Identity(slack_user_id=READER, github_login="reader-login"))
    settings = Settings(_env_file=None, campaign_admins=ADMIN)
    return CampaignService(engine, settings, clock=time.clock)


@pytest.fixture
def assignments(
    service: CampaignService, engine: AsyncEngine, client: GitHubClient
) -> AssignmentService:
    return AssignmentService(service, GitHubGate(engine, client))


async def campaign(service: CampaignService, query: str = "is:open kind:code") -> Campaign:
    created = await service.create(
        ADMIN,
        CreateRequest(
            name="Campaign",
            description="Fix these",
            due_date=date(2025, 6, 1),
            manager=ADMIN,
            query=query,
        ),
    )
    return created.campaign


async def assignee(service: CampaignService, found: Campaign) -> str | None:
    rows, _ = await service.alerts(found)
    return next(row.assignee for row in rows if row.alert.number == 1)


async def test_assigning_a_code_alert_writes_the_assignee_back(
    service: CampaignService, fake: FakeGitHub, assignments: AssignmentService
) -> None:
    found = await campaign(service)

    await assignments.assign(ADMIN, "1", "acme/web#code-1", DEV)
    assert [u["login"] for u in fake.code_alert("web", 1)["assignees"]] == ["dev-login"]
    assert await assignee(service, found) == DEV

    await assignments.unassign(ADMIN, "1", "acme/web#code-1")
    assert fake.code_alert("web", 1)["assignees"] == []
    assert fake.requests_to(CODE_PATCH, "PATCH")[-1].json == {"assignees": []}


async def test_assigning_a_secret_alert_writes_the_single_assignee(
    service: CampaignService, fake: FakeGitHub, assignments: AssignmentService
) -> None:
    await campaign(service, "is:open kind:secret")

    await assignments.assign(
        DEV, "1", "web#secret-1", DEV
    )  # developers may take an alert themselves
    assert fake.secret_alert("web", 1)["assigned_to"]["login"] == "dev-login"

    await assignments.unassign(DEV, "1", "web#secret-1")
    assert fake.secret_alert("web", 1)["assigned_to"] is None


async def test_githubs_refusal_keeps_nothing_and_says_why(
    service: CampaignService, fake: FakeGitHub, assignments: AssignmentService
) -> None:
    found = await campaign(service)
    error = {"resource": "CodeScanningAlert", "field": "assignees", "code": "invalid",
             "message": "dev-login cannot be assigned: the repository is locked"}  # fmt: skip
    fake.fail_next(
        CODE_PATCH,
        Fault.response(422, {"message": "Validation Failed", "errors": [error]}),
        method="PATCH",
    )

    with pytest.raises(CampaignError, match=r"GitHub refused .* repository is locked"):
        await assignments.assign(ADMIN, "1", "acme/web#code-1", DEV)

    assert await assignee(service, found) is None
    assert [event.action for event in await service.history(found)] == ["created"]
    assert fake.code_alert("web", 1)["assignees"] == []


async def test_an_assignee_without_write_access_is_refused_before_any_write(
    service: CampaignService, fake: FakeGitHub, assignments: AssignmentService
) -> None:
    found = await campaign(service)

    with pytest.raises(CampaignError, match="no write access to acme/web"):
        await assignments.assign(ADMIN, "1", "acme/web#code-1", READER)

    assert fake.requests_to(CODE_PATCH, "PATCH") == []
    assert await assignee(service, found) is None


async def test_an_assignee_without_a_linked_login_is_told_how_to_link(
    service: CampaignService, fake: FakeGitHub, assignments: AssignmentService
) -> None:
    await campaign(service)

    with pytest.raises(CampaignError) as raised:
        await assignments.assign(ADMIN, "1", "acme/web#code-1", STRANGER)

    assert "/campaign link" in raised.value.message and "GITHUB_LOGIN" in raised.value.message
    assert fake.requests == [r for r in fake.requests if r.method == "GET"]


async def test_start_fix_creates_a_branch_from_the_default_head_and_links_it(
    service: CampaignService,
    engine: AsyncEngine,
    assignments: AssignmentService,
    fake: FakeGitHub,
) -> None:
    found = await campaign(service)

    _, _, link = await assignments.start_fix(DEV, "1", "acme/web#code-2")
    _, _, again = await assignments.start_fix(DEV, "1", "acme/web#code-2")  # there: linked

    refs = fake.refs["acme/web"]
    assert refs["refs/heads/fix/code-scanning-2"] == refs["refs/heads/main"]
    assert link is not None and again is not None
    assert link.ref == again.ref == "fix/code-scanning-2"
    assert link.url == "https://github.com/acme/web/tree/fix/code-scanning-2"
    progress = await service.progress(found)
    assert (progress.counts.open, progress.counts.in_progress) == (1, 1)
    async with engine.connect() as conn:
        assert len((await conn.execute(select(schema.fix_links))).all()) == 1
    # Starting work on a free alert claimed it, on GitHub too.
    assert fake.code_alert("web", 2)["assignees"][0]["login"] == "dev-login"


async def test_concurrent_clicks_give_one_assignment_and_one_write_back(
    service: CampaignService, fake: FakeGitHub, assignments: AssignmentService, engine: AsyncEngine
) -> None:
    """A double click, and a second person clicking at the same moment: one assignee, one
    PATCH to GitHub; the latecomer is told whose it is."""
    await campaign(service)
    async with engine.begin() as conn:
        await identities.save(conn, Identity(slack_user_id="UDEV2", github_login="dev2-login"))
    fake.add_collaborator("web", "dev2-login", "write")

    results = await asyncio.gather(
        assignments.assign(DEV, "1", "acme/web#code-1", DEV),
        assignments.assign(DEV, "1", "acme/web#code-1", DEV),
        assignments.assign("UDEV2", "1", "acme/web#code-1", "UDEV2"),
        return_exceptions=True,
    )

    refused = [r for r in results if isinstance(r, BaseException)]
    assert all(isinstance(r, CampaignError) and "is already" in r.message for r in refused)
    assert 1 <= len(refused) <= 2  # the other person (and, if they won, both of DEV's clicks)
    [patch] = fake.requests_to(CODE_PATCH, "PATCH")
    [login] = patch.json["assignees"]
    assert [user["login"] for user in fake.code_alert("web", 1)["assignees"]] == [login]
    stored = await assignee(service, await service.resolve("1"))
    assert stored == {"dev-login": DEV, "dev2-login": "UDEV2"}[login]


async def test_many_people_claiming_at_once_all_get_their_alert(
    service: CampaignService,
    fake: FakeGitHub,
    assignments: AssignmentService,
    engine: AsyncEngine,
    client: GitHubClient,
    time: FakeTime,
) -> None:
    """More concurrent claims than the connection pool holds (15): each holds one connection
    while it waits for the write lock, so none may need a second one under it."""
    people = 24
    for n in range(people):
        fake.add_code_alert("web", rule_id="js/sqli")
        fake.add_collaborator("web", f"dev{n}-login", "write")
    await sync(engine, client, "acme", clock=time.clock)
    async with engine.begin() as conn:
        for n in range(people):
            await identities.save(
                conn, Identity(slack_user_id=f"U{n:04d}", github_login=f"dev{n}-login")
            )
    await campaign(service, "is:open rule:js/sqli")

    await asyncio.wait_for(
        asyncio.gather(
            *(
                assignments.assign(f"U{n:04d}", "1", f"acme/web#code-{n + 3}", f"U{n:04d}")
                for n in range(people)
            )
        ),
        timeout=20,
    )

    rows, _ = await service.alerts(await service.resolve("1"), limit=100)
    assert sorted(row.assignee or "" for row in rows) == [f"U{n:04d}" for n in range(people)]
    patches = [r for r in fake.requests if r.method == "PATCH"]
    assert len(patches) == people


async def test_linking_a_login_github_does_not_know_is_refused(
    service: CampaignService, assignments: AssignmentService, engine: AsyncEngine, fake: FakeGitHub
) -> None:
    fake.user("new-login")

    with pytest.raises(CampaignError, match="GitHub has no user “nobody-here”"):
        await assignments.link(ADMIN, STRANGER, "nobody-here")
    async with engine.connect() as conn:
        assert await identities.get(conn, STRANGER) is None

    await assignments.link(ADMIN, STRANGER, "new-login")
    async with engine.connect() as conn:
        linked = await identities.get(conn, STRANGER)
    assert linked is not None and linked.github_login == "new-login"
