"""`campaignbot identities [--json]` and `campaignbot identities import FILE.csv`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from bot.cli.common import JsonOption, app, emit, fail, run_with_services
from bot.core.models import Identity
from bot.services import Services

identities_app = typer.Typer(
    help="Links between Slack users and GitHub logins.", invoke_without_command=True
)
app.add_typer(identities_app, name="identities")


def _rows(found: list[Identity]) -> list[dict[str, Any]]:
    return [identity.model_dump() for identity in found]


@identities_app.callback()
def identities(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """List the links (with no subcommand)."""
    if ctx.invoked_subcommand is not None:
        return

    async def work(services: Services) -> list[Identity]:
        return await services.assignments.list_identities()

    found = run_with_services(work)
    if as_json:
        emit(_rows(found))
        return
    if not found:
        typer.echo("no links yet: campaignbot identities import FILE.csv, or /campaign link")
    for identity in found:
        typer.echo(
            f"{identity.slack_user_id:<12} {identity.github_login or '—':<40} {identity.source}"
        )


@identities_app.command("import")
def import_identities(
    path: Annotated[Path, typer.Argument(help="CSV: github_login, and slack_user_id or email.")],
    as_json: JsonOption = False,
) -> None:
    """Link people from a CSV file; every line is checked first, nothing is half-written."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"{path}: cannot read the file: {getattr(exc, 'strerror', None) or exc}")

    async def work(services: Services) -> list[Identity]:
        return await services.assignments.import_identities(text, path.name)

    found = run_with_services(work)
    if as_json:
        emit(_rows(found))
    else:
        typer.echo(f"linked {len(found)} people")
