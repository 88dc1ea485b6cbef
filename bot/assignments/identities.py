"""Identities from a CSV file: a GitHub login and a Slack user ID or e-mail per line.

Every line is checked before anything is written, and problems are reported by line; then all
links are written in one transaction. E-mail addresses are looked up in Slack, never guessed.
"""

from __future__ import annotations

import csv
import io
import re
from typing import Protocol

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.core.errors import CampaignError
from bot.core.models import Identity
from store import identities
from store.engine import write_transaction

LOGIN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$")
SLACK_USER = re.compile(r"^[UW][A-Z0-9]{2,20}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PROBLEMS_SHOWN = 20


class EmailLookup(Protocol):
    """Who has this e-mail in the workspace (Slack's `users.lookupByEmail`)."""

    async def user_for_email(self, email: str) -> str | None: ...


class IdentityRow(BaseModel):
    line: int
    github_login: str
    slack_user_id: str | None = None
    email: str | None = None


def parse_csv(text: str, name: str) -> list[IdentityRow]:
    """Rows of the file, or one error listing every problem by line."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = {column.strip().lower() for column in reader.fieldnames or []}
    if "github_login" not in header or not header & {"slack_user_id", "email"}:
        raise CampaignError(
            f"{name}: the header must name github_login and slack_user_id or email "
            f"(found: {', '.join(sorted(header)) or 'nothing'})"
        )
    rows: list[IdentityRow] = []
    problems: list[str] = []
    seen_logins: dict[str, int] = {}
    seen_users: dict[str, int] = {}
    for number, raw in enumerate(reader, start=2):
        record = {(k or "").strip().lower(): (v or "").strip() for k, v in raw.items()}
        login = record.get("github_login", "").removeprefix("@")
        user = record.get("slack_user_id") or None
        email = record.get("email") or None
        if not login and not user and not email:
            continue  # a blank line
        where = f"{name} line {number}"
        if not LOGIN.match(login):
            problems.append(f"{where}: “{login}” is not a GitHub login")
        elif login.lower() in seen_logins:
            problems.append(f"{where}: {login} is already on line {seen_logins[login.lower()]}")
        if user is not None and not SLACK_USER.match(user):
            problems.append(f"{where}: “{user}” is not a Slack user ID (U…)")
        if user is None and (email is None or not EMAIL.match(email)):
            problems.append(f"{where}: give a slack_user_id or a valid email")
        if user is not None and user in seen_users:
            problems.append(f"{where}: {user} is already on line {seen_users[user]}")
        seen_logins.setdefault(login.lower(), number)
        if user is not None:
            seen_users.setdefault(user, number)
        rows.append(IdentityRow(line=number, github_login=login, slack_user_id=user, email=email))
    _raise(problems)
    return rows


def _raise(problems: list[str]) -> None:
    if not problems:
        return
    more = len(problems) - PROBLEMS_SHOWN
    tail = f"; and {more} more" if more > 0 else ""
    raise CampaignError("; ".join(problems[:PROBLEMS_SHOWN]) + tail + ". Nothing was imported.")


async def import_rows(
    engine: AsyncEngine, rows: list[IdentityRow], name: str, emails: EmailLookup | None
) -> list[Identity]:
    """Resolve e-mails, check against the links already stored, write all in one transaction."""
    problems: list[str] = []
    found: list[Identity] = []
    for row in rows:
        user = row.slack_user_id
        if user is None and row.email is not None:
            if emails is None:
                problems.append(f"{name} line {row.line}: looking up an e-mail needs Slack")
                continue
            user = await emails.user_for_email(row.email)
            if user is None:
                problems.append(f"{name} line {row.line}: no Slack user has e-mail {row.email}")
                continue
        assert user is not None
        source = "csv" if row.slack_user_id else "email"
        found.append(
            Identity(
                slack_user_id=user, github_login=row.github_login, email=row.email, source=source
            )
        )
    _raise(problems)
    async with write_transaction(engine) as conn:
        for identity in found:
            taken = await identities.by_login(conn, identity.github_login or "")
            if taken is not None and taken.slack_user_id != identity.slack_user_id:
                problems.append(
                    f"{name}: {identity.github_login} is already linked to {taken.slack_user_id}"
                )
        _raise(problems)
        await identities.save_many(conn, found)
    return found
