"""Webhooks that link fixes: a pull request or a branch that names an alert puts it in progress;
and the reference convention itself (which branch names and pull request texts name an alert).
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.core.models import AlertKind
from bot.github.references import Reference, branch_references, text_references
from store import schema
from tests.fakes.github import FakeGitHub
from tests.github.webhook_support import Hooks, webhook_org, xss_campaign

fake = webhook_org
"""The organization these tests deliver events about (not the empty `fake` of conftest.py)."""

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


# ---- the reference convention --------------------------------------------------------------------


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
