"""What every command shares: the Typer app, exit codes, JSON output, and the services.

Exit codes: 0 ok, 2 bad input, 1 failures outside the user's control. Every read command takes
`--json` and then prints exactly one JSON document on stdout.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Annotated, Any, NoReturn, TypeVar

import aiohttp
import typer
from pydantic import ValidationError

from bot.core.clock import Clock, system_clock
from bot.core.errors import CampaignError
from bot.core.settings import Settings, describe_validation_error
from bot.ingest.errors import ImportFailed
from bot.runtime.container import build_services
from bot.runtime.slack import build_slack_client
from bot.services import Services
from store.engine import NotOurDatabase, create_engine
from store.migrate import upgrade

T = TypeVar("T")

app = typer.Typer(
    name="campaignbot",
    help="Security campaigns for GitHub alerts, run from Slack.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database maintenance.", no_args_is_help=True)
app.add_typer(db_app, name="db")
jobs_app = typer.Typer(help="Scheduled jobs: run one now, or list them.", no_args_is_help=True)
app.add_typer(jobs_app, name="jobs")

JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON document.")]


class BadInput(Exception):
    """A CLI-level input problem (exit code 2)."""


def fail(message: str, code: int = 2) -> NoReturn:
    typer.echo(f"campaignbot: {message}", err=True)
    raise typer.Exit(code)


def load_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        fail("bad settings: " + "; ".join(describe_validation_error(exc)))


def run_with_services(
    work: Callable[[Services], Awaitable[T]],
    *,
    clock: Clock = system_clock,
    settings: Settings | None = None,
) -> T:
    """Open the database (migrated, checked to be ours) and the services as `run` builds them,
    run `work`, and map errors to exit codes."""
    settings = settings or load_settings()

    async def main() -> T:
        engine = create_engine(settings.database_url)
        try:
            await upgrade(engine)
            async with aiohttp.ClientSession() as session:
                slack = (
                    build_slack_client(settings, session)
                    if settings.slack_bot_token is not None
                    else None
                )
                services = build_services(
                    settings, engine, session=session, slack=slack, clock=clock
                )
                return await work(services)
        finally:
            await engine.dispose()

    try:
        return asyncio.run(main())
    except (CampaignError, BadInput) as exc:
        fail(getattr(exc, "message", str(exc)))
    except NotOurDatabase as exc:
        fail(f"{settings.database_url}: {exc}")
    except ImportFailed as exc:
        fail(exc.message)
    except OSError as exc:
        fail(f"{exc}", code=1)


def emit(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")


def parse_moment(text: str | None, option: str) -> datetime | None:
    """An ISO-8601 moment (`2026-12-07T09:00+01:00`; a date means its midnight UTC)."""
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        fail(f"{option}: “{text}” is not an ISO-8601 date and time, e.g. 2026-12-07T09:00Z")
    if moment.tzinfo is None:
        from datetime import UTC

        moment = moment.replace(tzinfo=UTC)
    return moment
