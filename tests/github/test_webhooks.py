"""`POST /github/webhooks` on the running app: signed deliveries from FakeGitHub's payloads.

Each test waits for the app's own report that a delivery was processed (`on_webhook`), never
for time to pass.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import aiohttp
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.assignments.service import AssignmentService
from bot.campaigns.requests import CreateRequest
from bot.campaigns.service import CampaignService
from bot.core.models import AlertKind, AlertRef, Campaign
from bot.github.auth import TokenAuth
from bot.github.client import GitHubClient
from bot.github.references import Reference, branch_references, text_references
from bot.github.sync import sync
from bot.github.webhooks import Outcome, signature_ok
from store import alerts, deliveries, outbox, repositories, schema
from store.engine import create_engine
from tests.fakes.fixtures import ADMIN_ID, RunningApp, StartApp
from tests.fakes.github import FakeGitHub
from tests.fakes.signing import github_headers
from tests.fakes.slack import FakeSlack

SECRET = "webhook-secret-0123456789"
HOOK = "/github/webhooks"
CHANNEL = "C0000SEC"


@dataclass
class Hooks:
    """The running app with webhooks on, its database, and a way to deliver and wait."""

    app: RunningApp
    http: aiohttp.ClientSession
    engine: AsyncEngine
    outcomes: asyncio.Queue[Outcome]

    async def deliver(
        self,
        event: str,
        payload: Any,
        *,
        delivery: str | None = None,
        secret: str = SECRET,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, dict[str, Any]]:
        body = json.dumps(payload)
        sent = (
            headers
            if headers is not None
            else github_headers(secret, body, event=event, delivery=delivery)
        )
        async with self.http.post(self.app.url + HOOK, data=body, headers=sent) as response:
            return response.status, await response.json()

    async def processed(self) -> Outcome:
        return await asyncio.wait_for(self.outcomes.get(), 10)

    async def apply(self, event: str, payload: Any) -> Outcome:
        status, _ = await self.deliver(event, payload)
        assert status == 202
        return await self.processed()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
async def fake() -> AsyncIterator[FakeGitHub]:
    async with FakeGitHub() as gh:
        gh.add_repo("web")
        gh.add_repo("api")
        for _ in range(3):
            gh.add_code_alert("web", rule_id="js/xss")
        gh.add_code_alert("api", rule_id="js/xss")
        gh.add_secret_alert("web")
        yield gh


@pytest.fixture
async def hooks(
    start_app: StartApp, http: aiohttp.ClientSession, fake: FakeGitHub
) -> AsyncIterator[Hooks]:
    outcomes: asyncio.Queue[Outcome] = asyncio.Queue()
    app = await start_app(
        github_webhook_secret=SECRET, github_org="acme", on_webhook=outcomes.put_nowait
    )
    engine = create_engine(app.settings.database_url)
    async with aiohttp.ClientSession() as session:  # fill the inventory as `campaignbot sync` does
        await sync(engine, GitHubClient(session, TokenAuth(fake.token), base_url=fake.url), "acme")
    yield Hooks(app, http, engine, outcomes)
    await engine.dispose()


async def find(engine: AsyncEngine, repository: str, kind: AlertKind, number: int) -> Any:
    async with engine.connect() as conn:
        found = await alerts.find(conn, AlertRef(repository=repository, kind=kind, number=number))
    return found[0] if found else None


async def xss_campaign(hooks: Hooks) -> tuple[CampaignService, Campaign]:
    service = CampaignService(hooks.engine, hooks.app.settings)
    created = await service.create(
        ADMIN_ID,
        CreateRequest(
            name="XSS",
            description="Fix cross-site scripting",
            due_date=date.today() + timedelta(days=30),
            manager=ADMIN_ID,
            query="is:open rule:js/xss",
            channel=CHANNEL,
        ),
    )
    return service, created.campaign


# ---- refusals ---------------------------------------------------------------------------------


async def test_a_bad_or_missing_signature_is_refused_with_401(
    hooks: Hooks, fake: FakeGitHub
) -> None:
    payload = fake.webhook_code_scanning_alert("fixed", "web", 1)
    body = json.dumps(payload)

    wrong, _ = await hooks.deliver("code_scanning_alert", payload, secret="not-the-secret")
    headers = github_headers(SECRET, body, event="code_scanning_alert")
    del headers["X-Hub-Signature-256"]
    missing, _ = await hooks.deliver("code_scanning_alert", payload, headers=headers)
    headers = github_headers(SECRET, body + " ", event="code_scanning_alert")
    tampered, _ = await hooks.deliver("code_scanning_alert", payload, headers=headers)

    assert (wrong, missing, tampered) == (401, 401, 401)
    async with hooks.engine.connect() as conn:
        assert (await conn.execute(select(schema.deliveries))).all() == []
    assert hooks.outcomes.empty()


async def test_a_replayed_delivery_is_processed_once(hooks: Hooks, fake: FakeGitHub) -> None:
    fake.set_code_alert_state("web", 1, "fixed")
    payload = fake.webhook_code_scanning_alert("fixed", "web", 1)

    first = await hooks.deliver("code_scanning_alert", payload, delivery="guid-1")
    outcome = await hooks.processed()
    again = await hooks.deliver("code_scanning_alert", payload, delivery="guid-1")

    assert first == (202, {"status": "queued"}) and again == (200, {"status": "duplicate"})
    assert outcome.result.status == "processed" and outcome.delivery == "guid-1"
    async with hooks.engine.connect() as conn:
        rows = (
            await conn.execute(select(schema.deliveries.c.key, schema.deliveries.c.status))
        ).all()
    assert rows == [("github:guid-1", "processed")]
    assert hooks.outcomes.empty()


async def test_unknown_events_and_actions_are_ignored_with_2xx(
    hooks: Hooks, fake: FakeGitHub
) -> None:
    star, body = await hooks.deliver("star", {"action": "created", "repository": {}})
    assert (star, body) == (200, {"status": "ignored"})

    payload = fake.webhook_code_scanning_alert("fixed", "web", 1)
    outcome = await hooks.apply("code_scanning_alert", {**payload, "action": "exploded"})
    assert outcome.result.status == "ignored"
    assert (await find(hooks.engine, "acme/web", AlertKind.CODE, 1)).state == "open"


# ---- alerts -----------------------------------------------------------------------------------


async def test_a_fixed_alert_moves_its_campaign_and_the_launch_message(
    hooks: Hooks, fake: FakeGitHub, fake_slack: FakeSlack
) -> None:
    service, campaign = await xss_campaign(hooks)
    await fake_slack.wait_for("chat.postMessage")  # the launch card, from the outbox
    before = await service.progress(campaign)

    fake.set_code_alert_state("web", 2, "fixed")
    outcome = await hooks.apply(
        "code_scanning_alert", fake.webhook_code_scanning_alert("fixed", "web", 2)
    )

    assert outcome.result.status == "processed"
    after = await service.progress(campaign)
    assert (before.counts.open, before.counts.closed) == (4, 0)
    assert (after.counts.open, after.counts.closed) == (3, 1)
    [update] = await fake_slack.wait_for("chat.update")
    [launched] = await service.list_campaigns()
    assert update.args["ts"] == launched.announce_ts and update.args["channel"] == CHANNEL
    alert = await find(hooks.engine, "acme/web", AlertKind.CODE, 2)
    assert (alert.state, alert.rule_id) == ("fixed", "js/xss")


async def test_alert_events_follow_the_alert_through_its_life(
    hooks: Hooks, fake: FakeGitHub
) -> None:
    fake.set_code_alert_state("web", 3, "dismissed", dismissed_reason="false positive")
    await hooks.apply(
        "code_scanning_alert", fake.webhook_code_scanning_alert("closed_by_user", "web", 3)
    )
    dismissed = await find(hooks.engine, "acme/web", AlertKind.CODE, 3)
    assert (dismissed.state, dismissed.dismissed_reason) == ("dismissed", "false positive")

    fake.set_code_alert_state("web", 3, "open")
    fake.code_alert("web", 3)["assignees"] = [fake.user("octocat")]
    await hooks.apply(
        "code_scanning_alert", fake.webhook_code_scanning_alert("updated_assignment", "web", 3)
    )
    reopened = await find(hooks.engine, "acme/web", AlertKind.CODE, 3)
    assert (reopened.state, reopened.assignees) == ("open", ["octocat"])

    fake.set_secret_alert_state("web", 1, "resolved", resolution="revoked")
    await hooks.apply(
        "secret_scanning_alert", fake.webhook_secret_scanning_alert("resolved", "web", 1)
    )
    secret = await find(hooks.engine, "acme/web", AlertKind.SECRET, 1)
    assert (secret.state, secret.resolution, secret.provider) == ("resolved", "revoked", "GitHub")


async def test_an_alert_fixed_on_another_branch_leaves_the_default_branch_alert_open(
    hooks: Hooks, fake: FakeGitHub
) -> None:
    payload = fake.webhook_code_scanning_alert("fixed", "web", 1)
    payload["ref"] = "refs/heads/feature"
    payload["alert"]["state"] = "fixed"

    outcome = await hooks.apply("code_scanning_alert", payload)

    assert outcome.result.status == "ignored" and "default branch" in outcome.result.note
    assert (await find(hooks.engine, "acme/web", AlertKind.CODE, 1)).state == "open"


async def test_an_event_for_a_repository_never_seen_creates_it(
    hooks: Hooks, fake: FakeGitHub
) -> None:
    repo = fake.add_repo("brand-new", topics=["go"], visibility="internal")
    fake.add_code_alert("brand-new", rule_id="js/sql-injection")

    outcome = await hooks.apply(
        "code_scanning_alert", fake.webhook_code_scanning_alert("created", "brand-new", 1)
    )

    assert outcome.result.status == "processed"
    async with hooks.engine.connect() as conn:
        created = await repositories.get(conn, "acme/brand-new")
    assert created is not None and created.github_id == repo["id"]
    assert (created.visibility, created.topics) == ("internal", ["go"])
    alert = await find(hooks.engine, "acme/brand-new", AlertKind.CODE, 1)
    assert alert is not None and alert.rule_id == "js/sql-injection"


# ---- fixes: pull requests and branches ----------------------------------------------------------


async def test_a_pull_request_naming_an_alert_puts_it_in_progress_until_closed_unmerged(
    hooks: Hooks, fake: FakeGitHub
) -> None:
    service, campaign = await xss_campaign(hooks)
    body = (
        "Escapes the output.\n\nFixes https://github.com/acme/web/security/code-scanning/1 "
        "and acme/api#code-1 (another repository: not this pull request's)."
    )

    opened = await hooks.apply(
        "pull_request", fake.webhook_pull_request("opened", "web", 7, body=body)
    )
    progress = await service.progress(campaign)
    assert opened.result.status == "processed" and len(opened.result.alert_ids) == 1
    assert (progress.counts.open, progress.counts.in_progress) == (3, 1)

    await hooks.apply("pull_request", fake.webhook_pull_request("closed", "web", 7, body=body))
    progress = await service.progress(campaign)
    assert (progress.counts.open, progress.counts.in_progress) == (4, 0)


async def test_a_merged_pull_request_from_a_fix_branch_keeps_its_link(
    hooks: Hooks, fake: FakeGitHub
) -> None:
    service, campaign = await xss_campaign(hooks)
    head = "fix/code-scanning-2"
    await hooks.apply("pull_request", fake.webhook_pull_request("opened", "web", 8, head=head))
    await hooks.apply(
        "pull_request", fake.webhook_pull_request("closed", "web", 8, head=head, merged=True)
    )

    progress = await service.progress(campaign)
    assert progress.counts.in_progress == 1


async def test_a_branch_named_for_an_alert_links_a_fix(hooks: Hooks, fake: FakeGitHub) -> None:
    service, campaign = await xss_campaign(hooks)

    branch = await hooks.apply("create", fake.webhook_create("web", "campaign/code-3"))
    tag = await hooks.apply("create", fake.webhook_create("web", "v1.0", ref_type="tag"))

    assert branch.result.status == "processed" and tag.result.status == "ignored"
    assert (await service.progress(campaign)).counts.in_progress == 1
    async with hooks.engine.connect() as conn:
        [link] = (await conn.execute(select(schema.fix_links))).mappings().all()
    assert (link["kind"], link["ref"]) == ("branch", "campaign/code-3")
    assert link["url"] == "https://github.com/acme/web/tree/campaign/code-3"


# ---- repositories -------------------------------------------------------------------------------


async def test_repository_renamed_archived_and_deleted(hooks: Hooks, fake: FakeGitHub) -> None:
    async with hooks.engine.connect() as conn:
        before = await repositories.get(conn, "acme/web")
    fake.rename_repo("web", "website")
    changes = {"repository": {"name": {"from": "web"}}}
    renamed_event = await hooks.apply(
        "repository", fake.webhook_repository("renamed", "website", changes=changes)
    )
    assert renamed_event.result.status == "processed"
    fake.repos["acme/website"]["archived"] = True
    await hooks.apply("repository", fake.webhook_repository("archived", "website"))

    async with hooks.engine.connect() as conn:
        renamed = await repositories.get(conn, "acme/website")
    assert before is not None and renamed is not None
    assert renamed.id == before.id and renamed.archived
    assert (await find(hooks.engine, "acme/website", AlertKind.CODE, 1)).is_open

    gone = fake.delete_repo("website")
    deleted = await hooks.apply("repository", fake.webhook_repository("deleted", gone))

    assert len(deleted.result.alert_ids) == 4  # three code alerts and a secret, all open
    alert = await find(hooks.engine, "acme/website", AlertKind.CODE, 1)
    assert (alert.state, alert.is_open) == ("removed", False)


async def test_a_repository_transferred_away_is_gone(hooks: Hooks, fake: FakeGitHub) -> None:
    fake.transfer_repo("api", "elsewhere")
    changes = {"owner": {"from": {"organization": {"login": "acme"}}}}

    outcome = await hooks.apply(
        "repository", fake.webhook_repository("transferred", "elsewhere/api", changes=changes)
    )

    assert outcome.result.status == "processed"
    alert = await find(hooks.engine, "acme/api", AlertKind.CODE, 1)
    assert alert.state == "removed"


# ---- pieces -------------------------------------------------------------------------------------


async def test_a_delivery_key_is_claimed_once(engine: AsyncEngine, now: Any) -> None:
    async with engine.begin() as conn:
        first = await deliveries.claim(conn, "github:abc", now)
        second = await deliveries.claim(conn, "github:abc", now)
    assert (first, second) == (True, False)


def test_signature_check_matches_githubs_test_vector() -> None:
    secret, body = b"It's a Secret to Everybody", b"Hello, World!"
    good = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
    assert signature_ok(secret, body, good)
    assert not signature_ok(secret, body, good[:-1] + "0")
    assert not signature_ok(secret, body, None)
    assert not signature_ok(secret, body, "sha1=" + "0" * 40)


@pytest.mark.parametrize(
    ("branch", "expected"),
    [
        ("fix/code-scanning-12", [Reference(AlertKind.CODE, 12)]),
        ("campaign/code-12", [Reference(AlertKind.CODE, 12)]),
        ("fix-secret-7", [Reference(AlertKind.SECRET, 7)]),
        ("refs/heads/alice/fix/secret-scanning-7-rotate", [Reference(AlertKind.SECRET, 7)]),
        ("fix/code-123x", [Reference(AlertKind.CODE, 123)]),
        ("prefix-fix/code-12", []),
        ("feature/code-12", []),
        ("fix/code-", []),
    ],
)
def test_branch_names_follow_the_reference_convention(
    branch: str, expected: list[Reference]
) -> None:
    assert branch_references(branch) == expected


def test_pull_request_text_names_alerts_of_its_own_repository() -> None:
    text = (
        "Fixes #code-3, ACME/Web#secret-4 and https://github.com/acme/web/security/code-scanning/5;"
        " not acme/api#code-6, https://github.com/acme/api/security/code-scanning/7, #code-x,"
        " issue #12 or word#code-8."
    )
    assert text_references(text, "acme/web") == [
        Reference(AlertKind.CODE, 3),
        Reference(AlertKind.CODE, 5),
        Reference(AlertKind.SECRET, 4),
    ]


async def test_a_late_older_delivery_does_not_undo_a_newer_state(
    hooks: Hooks, fake: FakeGitHub
) -> None:
    fixed_at = fake.clock() + timedelta(minutes=1)
    reopened_at = fixed_at + timedelta(minutes=5)
    fake.set_code_alert_state("web", 2, "fixed", at=fixed_at)
    late_fixed = fake.webhook_code_scanning_alert("fixed", "web", 2)
    fake.set_code_alert_state("web", 2, "open", at=reopened_at)
    reopened = fake.webhook_code_scanning_alert("reopened", "web", 2)

    await hooks.apply("code_scanning_alert", reopened)
    outcome = await hooks.apply("code_scanning_alert", late_fixed)

    assert outcome.result.status == "ignored" and "older than stored" in outcome.result.note
    alert = await find(hooks.engine, "acme/web", AlertKind.CODE, 2)
    assert alert.state == "open"


async def test_an_assignee_is_told_once_when_their_alert_is_fixed_and_when_it_reopens(
    hooks: Hooks, fake: FakeGitHub, fake_slack: FakeSlack
) -> None:
    fake_slack.add_user("U0DEV", name="dev")
    service, campaign = await xss_campaign(hooks)
    await AssignmentService(service).assign(ADMIN_ID, str(campaign.number), "web#code-2", "U0DEV")
    dm = fake_slack.dm_channel("U0DEV")

    def told(words: str) -> list[str]:
        texts = [c.args["text"] for c in fake_slack.calls("chat.postMessage", ok=True)]
        return [t for t in texts if words in t]

    fake.set_code_alert_state("web", 2, "fixed", at=fake.clock() + timedelta(minutes=1))
    fixed = fake.webhook_code_scanning_alert("fixed", "web", 2)
    await hooks.apply("code_scanning_alert", fixed)
    await hooks.apply("code_scanning_alert", fixed)  # GitHub delivers it again
    await fake_slack.wait_until(lambda: bool(told("was fixed")))
    fake.set_code_alert_state("web", 2, "open", at=fake.clock() + timedelta(minutes=5))
    await hooks.apply("code_scanning_alert", fake.webhook_code_scanning_alert("reopened", "web", 2))
    await fake_slack.wait_until(lambda: bool(told("is open again")))

    [fixed_dm] = [
        c for c in fake_slack.calls("chat.postMessage", ok=True) if "was fixed" in c.args["text"]
    ]
    assert fixed_dm.args["channel"] in ("U0DEV", dm)
    assert "acme/web#code-2" in fixed_dm.args["text"] and "1/4 closed" in fixed_dm.args["text"]
    assert len(told("is open again and still yours")) == 1


async def test_a_person_who_turned_notices_off_is_not_told(
    hooks: Hooks, fake: FakeGitHub, fake_slack: FakeSlack
) -> None:
    fake_slack.add_user("U0QUIET", name="quiet")
    service, campaign = await xss_campaign(hooks)
    assignments = AssignmentService(service)
    await assignments.assign(ADMIN_ID, str(campaign.number), "web#code-2", "U0QUIET")
    await assignments.set_notify("U0QUIET", False)

    fake.set_code_alert_state("web", 2, "fixed", at=fake.clock() + timedelta(minutes=1))
    outcome = await hooks.apply(
        "code_scanning_alert", fake.webhook_code_scanning_alert("fixed", "web", 2)
    )

    assert outcome.result.status == "processed"  # processed, and told to the service first
    async with hooks.engine.connect() as conn:
        kinds = [n.kind.value for n in await outbox.all_notices(conn)]
    assert "status" not in kinds and "launch" in kinds
