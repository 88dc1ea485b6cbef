"""The command line (ARCHITECTURE §3). Exit codes: 0 ok, 2 bad input, 1 failures outside the user's.

Every read command takes `--json` and then prints exactly one JSON document on stdout.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from datetime import date
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import typer
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.campaigns.service import CLI_ACTOR, CampaignService, CreateRequest
from bot.core import progress as progress_math
from bot.core.errors import CampaignError
from bot.core.models import Campaign, Progress
from bot.core.settings import Settings, describe_validation_error
from bot.ingest.importer import ImportFailed
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


def run_with_engine(work: Callable[[AsyncEngine, Settings], Awaitable[T]]) -> T:
    """Open the database (migrated, checked to be ours), run `work`, map errors to exit codes."""
    settings = load_settings()

    async def main() -> T:
        engine = create_engine(settings.database_url)
        try:
            await upgrade(engine)
            return await work(engine, settings)
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


def service(engine: AsyncEngine, settings: Settings) -> CampaignService:
    return CampaignService(engine, settings)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply schema migrations."""

    async def work(engine: AsyncEngine, settings: Settings) -> None:
        del engine, settings

    run_with_engine(work)
    typer.echo("database is up to date")


@app.command("run")
def run() -> None:
    """Run the bot: Slack (Socket Mode or HTTP), web endpoints and the scheduler."""
    from bot.runtime.app import run as run_bot

    try:
        run_bot()
    except NotOurDatabase as exc:
        fail(str(exc))


@app.command("import")
def import_(
    files: Annotated[list[Path], typer.Argument(help="GitHub REST JSON or SARIF 2.1.0 files.")],
    repository: Annotated[
        str | None,
        typer.Option(
            "--repo", help="OWNER/REPO for SARIF files that do not name their repository."
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Load alerts, repositories and custom properties from files, recognized by their content."""
    from bot.ingest.importer import import_files

    missing = [str(path) for path in files if not path.is_file()]
    if missing:
        fail(f"no such file: {', '.join(missing)}")

    async def work(engine: AsyncEngine, settings: Settings) -> Any:
        del settings
        return await import_files(engine, files, sarif_repository=repository)

    report = run_with_engine(work)
    if as_json:
        emit(report.model_dump())
    else:
        typer.echo(report.summary())


@app.command("preview")
def preview(
    query: Annotated[str, typer.Argument(help='A filter query, e.g. "is:open severity:critical".')],
    as_json: JsonOption = False,
) -> None:
    """What a filter selects: alerts and repositories, by kind, and the big-campaign verdict."""

    async def work(engine: AsyncEngine, settings: Settings) -> Any:
        return await service(engine, settings).preview(query)

    result = run_with_engine(work)
    sel = result.selection
    if as_json:
        emit(
            {
                "query": sel.query,
                "alerts": sel.alerts,
                "repositories": sel.repositories,
                "by_kind": {"code": sel.code, "secret": sel.secret},
                "big": sel.big,
                "kept": sel.kept,
                "left_out": sel.left_out,
                "notes": result.notes,
            }
        )
        return
    typer.echo(f"{sel.alerts} alerts in {sel.repositories} repositories")
    typer.echo(f"  code: {sel.code}   secret: {sel.secret}")
    if sel.big:
        typer.echo(
            f"This looks like a big campaign: a campaign would keep {sel.kept} alerts "
            f"and leave out {sel.left_out}."
        )
    for note in result.notes:
        typer.echo(f"note: {note}")


def campaign_json(campaign: Campaign, progress: Progress) -> dict[str, Any]:
    return {
        "number": campaign.number,
        "name": campaign.name,
        "state": campaign.state.value,
        "due_date": campaign.due_date.isoformat(),
        "alerts": progress.counts.total,
        "open": progress.counts.open,
        "in_progress": progress.counts.in_progress,
        "closed": progress.counts.closed,
        "status": progress.status.value,
        "days_left": progress.days_left,
        "repositories": [repo.model_dump() for repo in progress.repositories],
    }


@app.command("campaigns")
def campaigns(
    include_all: Annotated[bool, typer.Option("--all", help="Include closed campaigns.")] = False,
    as_json: JsonOption = False,
) -> None:
    """List campaigns (active ones, or all)."""

    async def work(engine: AsyncEngine, settings: Settings) -> Any:
        svc = service(engine, settings)
        found = await svc.list_campaigns(include_closed=include_all)
        return found, await svc.progress_many(found)

    found, progresses = run_with_engine(work)
    rows = [campaign_json(c, p) for c, p in zip(found, progresses, strict=True)]
    if as_json:
        for row in rows:
            row.pop("repositories")
        emit(rows)
        return
    if not rows:
        typer.echo("no campaigns" if include_all else "no active campaigns (--all shows closed)")
    for row in rows:
        typer.echo(
            f"#{row['number']:<3} {row['name']:<50} {row['state']:<6} due {row['due_date']}  "
            f"{row['closed']}/{row['alerts']} closed  {row['status']}"
        )


@app.command("create")
def create(
    query: Annotated[str, typer.Argument(help="The filter query (may be empty with --template).")],
    name: Annotated[str, typer.Option("--name", help="1–50 characters.")],
    due: Annotated[str, typer.Option("--due", help="Due date, YYYY-MM-DD, in the future.")],
    manager: Annotated[str, typer.Option("--manager", help="Slack user ID of a security manager.")],
    description: Annotated[str | None, typer.Option("--description")] = None,
    channel: Annotated[str | None, typer.Option("--channel", help="Slack channel ID.")] = None,
    template: Annotated[str | None, typer.Option("--template")] = None,
    contact_link: Annotated[str | None, typer.Option("--contact-link")] = None,
    continue_big: Annotated[
        bool, typer.Option("--continue", help="Keep the first 1000 alerts of a big selection.")
    ] = False,
) -> None:
    """Create a campaign under the same rules as the Slack modal; prints its number."""
    try:
        due_date = date.fromisoformat(due)
    except ValueError:
        fail(f"--due: “{due}” is not a date; write YYYY-MM-DD")

    async def work(engine: AsyncEngine, settings: Settings) -> Any:
        request = CreateRequest(
            name=name,
            description=description if description is not None else name,
            due_date=due_date,
            manager=manager,
            query=query or None,
            template=template,
            channel=channel,
            contact_link=contact_link,
            continue_big=continue_big,
        )
        return await service(engine, settings).create(CLI_ACTOR, request)

    created = run_with_engine(work)
    if created.left_out:
        typer.echo(
            f"kept {created.campaign.alert_count} alerts; {created.left_out} were left out",
            err=True,
        )
    typer.echo(created.campaign.number)


@app.command("show")
def show(
    campaign: Annotated[str, typer.Argument(help="Number (3 or #3) or a unique name prefix.")],
    as_json: JsonOption = False,
) -> None:
    """A campaign's progress, by repository."""

    async def work(engine: AsyncEngine, settings: Settings) -> Any:
        svc = service(engine, settings)
        found = await svc.resolve(campaign)
        return found, await svc.progress(found)

    found, prog = run_with_engine(work)
    if as_json:
        emit(campaign_json(found, prog))
        return
    counts = prog.counts
    typer.echo(f"#{found.number} {found.name}  ({found.state.value}, {found.kind.value})")
    typer.echo(f"  {found.description}")
    typer.echo(f"  query: {found.query}")
    typer.echo(
        f"  {progress_math.progress_bar(prog)}  {prog.percent_closed}% closed  "
        f"open {counts.open} · in progress {counts.in_progress} · closed {counts.closed}"
    )
    when = f"{prog.days_left} days left" if prog.days_left >= 0 else f"{-prog.days_left} days late"
    typer.echo(f"  due {found.due_date.isoformat()} ({when}) — {prog.status.value}")
    typer.echo(f"  burn rate {prog.burn_rate}/day; projected: {prog.projected_completion or '—'}")
    if found.left_out:
        typer.echo(f"  {found.left_out} alerts were left out when it was created")
    for repo in prog.repositories:
        typer.echo(
            f"    {repo.name:<45} open {repo.open:>4}  in progress {repo.in_progress:>4}  "
            f"closed {repo.closed:>4}"
        )


@app.command("sync")
def sync_(
    full: Annotated[
        bool, typer.Option("--full", help="Walk every page, not only what changed since last time.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Pull repositories, custom properties, teams and alerts from GitHub once."""
    from bot.github.errors import GitHubError

    settings = load_settings()
    if not settings.github_org:
        fail("GITHUB_ORG is not set: name the organization to sync")
    if settings.github_token is None and settings.github_app_id is None:
        fail(
            "no GitHub credentials: set GITHUB_TOKEN, or GITHUB_APP_ID, "
            "GITHUB_APP_INSTALLATION_ID and GITHUB_APP_PRIVATE_KEY"
        )

    async def work(engine: AsyncEngine, settings: Settings) -> Any:
        import aiohttp

        from bot.github.client import GitHubClient
        from bot.github.sync import sync

        async with aiohttp.ClientSession() as session:
            client = GitHubClient.from_settings(session, settings)
            return await sync(
                engine,
                client,
                settings.github_org or "",
                full=full,
                on_changed=_slack_refresher(engine, settings, session),
            )

    try:
        report = run_with_engine(work)
    except GitHubError as exc:
        fail(f"sync failed: {exc}", code=1)
    if as_json:
        emit(report.model_dump(mode="json"))
    else:
        typer.echo(report.summary())


def _slack_refresher(engine: AsyncEngine, settings: Settings, session: Any) -> Any:
    """With a Slack token, a sync also updates the launch messages of the campaigns it moved."""
    if settings.slack_bot_token is None:
        return None
    from bot.notify import Announcer
    from bot.runtime.app import build_slack_client

    announcer = Announcer(build_slack_client(settings, session), service(engine, settings))
    return announcer.alerts_changed


@app.command("demo")
def demo(
    seed: Annotated[int, typer.Option(help="Seed of the generated organization.")] = 7,
) -> None:
    """Fill the database with a realistic demo organization, for trying the bot out."""
    from bot.demo.setup import build_demo

    async def work(engine: AsyncEngine, settings: Settings) -> Any:
        return await build_demo(engine, settings, seed=seed)

    summary = run_with_engine(work)
    typer.echo(summary)


def main() -> None:
    app()
