"""`POST /github/webhooks` on the running app: signed deliveries from FakeGitHub's payloads.
Here, what every delivery goes through: the signature, the delivery key, unknown events.

Each test waits for the app's own report that a delivery was processed (`on_webhook`), never
for time to pass.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.core.models import AlertKind
from bot.github.webhooks import signature_ok
from store import deliveries, schema
from tests.fakes.github import FakeGitHub
from tests.fakes.signing import github_headers
from tests.github.webhook_support import SECRET, Hooks, find, webhook_org

fake = webhook_org
"""The organization these tests deliver events about (not the empty `fake` of conftest.py)."""

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
