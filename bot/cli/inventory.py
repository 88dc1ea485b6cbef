"""Commands that fill and keep the inventory: database, files, GitHub sync, demo, and `run`."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated, Any

import typer

from bot.cli.common import JsonOption, app, db_app, emit, fail, load_settings, run_with_services
from bot.services import Services
from store.engine import NotOurDatabase


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply schema migrations."""

    async def work(services: Services) -> None:
        del services

    run_with_services(work)
    typer.echo("database is up to date")


@app.command("run")
def run() -> None:
    """Run the bot: Slack (Socket Mode or HTTP), web endpoints, the deliverer."""
    from bot.runtime.lifespan import run as run_bot

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

    async def work(services: Services) -> Any:
        return await import_files(services.engine, files, sarif_repository=repository)

    report = run_with_services(work)
    if as_json:
        emit(report.model_dump())
    else:
        typer.echo(report.summary())


@app.command("sync")
def sync_(
    full: Annotated[
        bool, typer.Option("--full", help="Walk every page, not only what changed since last time.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Pull repositories, custom properties, teams and alerts from GitHub once."""
    from bot.github.errors import GitHubError
    from bot.github.sync import sync

    settings = load_settings()
    _say_warnings()
    if not settings.github_org:
        fail("GITHUB_ORG is not set: name the organization to sync")
    if settings.github_token is None and settings.github_app_id is None:
        fail(
            "no GitHub credentials: set GITHUB_TOKEN, or GITHUB_APP_ID, "
            "GITHUB_APP_INSTALLATION_ID and GITHUB_APP_PRIVATE_KEY"
        )

    async def work(services: Services) -> Any:
        assert services.github is not None
        # Campaigns whose alerts moved get a refresh of their live card, through the outbox.
        report = await sync(
            services.engine,
            services.github,
            settings.github_org or "",
            full=full,
            on_changed=services.campaigns.alerts_changed,
        )
        matched = await services.assignments.match_identities(services.github)
        if matched is not None:
            report.linked_by_email = matched.linked
        return report

    try:
        report = run_with_services(work, settings=settings)
    except GitHubError as exc:
        fail(f"sync failed: {exc}", code=1)
    if as_json:
        emit(report.model_dump(mode="json"))
    else:
        typer.echo(report.summary())


@app.command("demo")
def demo(
    seed: Annotated[int, typer.Option(help="Seed of the generated organization.")] = 7,
) -> None:
    """Fill the database with a realistic demo organization, for trying the bot out."""
    from bot.demo.setup import build_demo

    async def work(services: Services) -> Any:
        return await build_demo(services.engine, services.settings, seed=seed)

    summary = run_with_services(work)
    typer.echo(summary)


def _say_warnings() -> None:
    """A long sync tells the person at the terminal why it waits (rate limits, retries)."""
    logger = logging.getLogger("bot.github")
    if any(getattr(handler, "_campaignbot_cli", False) for handler in logger.handlers):
        return
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("campaignbot: %(message)s"))
    handler.setLevel(logging.WARNING)
    handler._campaignbot_cli = True  # type: ignore[attr-defined]
    logger.addHandler(handler)
