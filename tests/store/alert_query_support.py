"""What the filter tests (tests/store/test_alert_query_*.py) share: the small organization's
alerts (the `org` fixture of tests/store/conftest.py stores them with its repositories, teams and
fix branches) and the alerts a filter selects from it."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.core.query.parser import parse
from store import alerts, schema
from store.alert_filter import compile_query
from tests.builders import code_alert, secret_alert
from tests.conftest import NOW


def days_ago(days: int) -> datetime:
    return NOW - timedelta(days=days)


CODE_ALERTS = [
    code_alert(
        "acme/web",
        1,
        created_at=days_ago(40),
        assignees=["Octocat"],
    ),
    code_alert(
        "acme/web",
        2,
        state="fixed",
        rule_id="js/sql-injection",
        rule_name="Database query built from user-controlled sources",
        security_severity="critical",
        tags=["security", "external/cwe/cwe-089"],
        created_at=days_ago(200),
    ),
    code_alert(
        "acme/web",
        3,
        rule_id="js/unused-local-variable",
        rule_name="Unused variable",
        security_severity=None,
        severity="note",
        tool="ESLint",
        tags=["maintainability"],
        classifications=["test"],
        created_at=days_ago(5),
    ),
    code_alert(
        "acme/api",
        1,
        rule_id="java/log-injection",
        rule_name="Log Injection",
        security_severity="medium",
        tags=["security", "external/cwe/cwe-117"],
        created_at=days_ago(400),
    ),
    code_alert(
        "acme/legacy",
        1,
        state="dismissed",
        rule_id="py/weak-crypto",
        rule_name="Weak cryptographic algorithm",
        security_severity="low",
        severity="warning",
        tags=["security", "external/cwe/cwe-327"],
        created_at=days_ago(800),
    ),
    code_alert(
        "acme/tools",
        1,
        classifications=["generated"],
        assignees=["hubot"],
        created_at=days_ago(20),
    ),
]
SECRET_ALERTS = [
    secret_alert("acme/web", 1, publicly_leaked=True, created_at=days_ago(3)),
    secret_alert(
        "acme/api",
        1,
        state="resolved",
        resolution="revoked",
        secret_type="github_personal_access_token",
        secret_type_display_name="GitHub Personal Access Token",
        provider="GitHub",
        provider_slug="github",
        validity="inactive",
        created_at=days_ago(100),
    ),
    secret_alert(
        "acme/api",
        2,
        state="resolved",
        resolution="false_positive",
        secret_type="password",
        secret_type_display_name="Password",
        provider=None,
        provider_slug=None,
        validity="unknown",
        generic=True,
        bypassed=True,
        multi_repo=True,
        created_at=days_ago(30),
    ),
    secret_alert(
        "acme/legacy",
        1,
        secret_type="slack_api_token",
        secret_type_display_name="Slack API Token",
        provider="Slack",
        provider_slug="slack",
        assignees=["alice"],
        created_at=days_ago(60),
    ),
    secret_alert("acme/tools", 1, validity=None, created_at=days_ago(1)),
]
EVERY_ALERT = {alert.reference.removeprefix("acme/") for alert in CODE_ALERTS + SECRET_ALERTS}
EVERY_CODE = {ref for ref in EVERY_ALERT if "#code-" in ref}
EVERY_SECRET = EVERY_ALERT - EVERY_CODE


async def selected(engine: AsyncEngine, text: str, now: datetime = NOW) -> set[str]:
    """The alerts `text` selects, named `repo#kind-number`."""
    async with engine.connect() as conn:
        ids = await conn.scalars(
            select(schema.alerts.c.id).where(compile_query(parse(text), now=now))
        )
        found = await alerts.get_many(conn, list(ids))
    return {alert.reference.removeprefix("acme/") for alert in found}
