"""Webhooks about alerts and repositories: the stored alert and its campaign follow GitHub, a
late delivery undoes nothing, and assignees are told.

Each test waits for the app's own report that a delivery was processed (`on_webhook`), never
for time to pass.
"""

from __future__ import annotations

from datetime import timedelta

from bot.assignments.service import AssignmentService
from bot.core.models import AlertKind
from store import outbox, repositories
from tests.fakes.fixtures import ADMIN_ID
from tests.fakes.github import FakeGitHub
from tests.fakes.slack import FakeSlack
from tests.github.webhook_support import CHANNEL, Hooks, find, webhook_org, xss_campaign

fake = webhook_org
"""The organization these tests deliver events about (not the empty `fake` of conftest.py)."""

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


# ---- late deliveries and assignees ---------------------------------------------------------------


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
