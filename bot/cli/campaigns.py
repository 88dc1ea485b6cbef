"""Campaign commands: the same changes as in Slack, under the same rules, announced the same way.

The command line acts as a security manager (whoever can open the database owns the data). Its
changes write their notices to the outbox; `campaignbot run` or `jobs run deliver` sends them.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import typer

from bot.campaigns.ports import CLI_ACTOR
from bot.campaigns.requests import CreateRequest, EditRequest
from bot.cli.common import JsonOption, app, emit, fail, run_with_services
from bot.core import progress as progress_math
from bot.core.models import Campaign, Progress
from bot.core.text import counted
from bot.services import Services

CampaignArgument = Annotated[str, typer.Argument(help="Number (3 or #3) or a unique name prefix.")]


@app.command("preview")
def preview(
    query: Annotated[str, typer.Argument(help='A filter query, e.g. "is:open severity:critical".')],
    as_json: JsonOption = False,
) -> None:
    """What a filter selects: alerts and repositories, by kind, and the big-campaign verdict."""

    async def work(services: Services) -> Any:
        return await services.campaigns.preview(query)

    result = run_with_services(work)
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
    repositories = counted(sel.repositories, "repository", "repositories")
    typer.echo(f"{counted(sel.alerts, 'alert')} in {repositories}")
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

    async def work(services: Services) -> Any:
        svc = services.campaigns
        found = await svc.list_campaigns(include_closed=include_all)
        return found, await svc.progress_many(found, repositories=False)

    found, progresses = run_with_services(work)
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
    as_json: JsonOption = False,
) -> None:
    """Create a campaign under the same rules as the Slack modal; its launch goes to the outbox."""
    try:
        due_date = date.fromisoformat(due)
    except ValueError:
        fail(f"--due: “{due}” is not a date; write YYYY-MM-DD")

    async def work(services: Services) -> Any:
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
        return await services.campaigns.create(CLI_ACTOR, request)

    created = run_with_services(work)
    campaign = created.campaign
    if as_json:
        emit(
            {
                "number": campaign.number,
                "name": campaign.name,
                "alerts": campaign.alert_count,
                "left_out": created.left_out,
            }
        )
        return
    if created.left_out:
        typer.echo(
            f"kept {campaign.alert_count} alerts; {created.left_out} were left out", err=True
        )
    typer.echo(f"campaign #{campaign.number}: {campaign.name}")


@app.command("show")
def show(
    campaign: Annotated[str, typer.Argument(help="Number (3 or #3) or a unique name prefix.")],
    as_json: JsonOption = False,
) -> None:
    """A campaign's progress, by repository."""

    async def work(services: Services) -> Any:
        svc = services.campaigns
        found = await svc.resolve(campaign)
        return found, await svc.progress(found)

    found, prog = run_with_services(work)
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


def _date(text: str | None, option: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        fail(f"{option}: “{text}” is not a date; write YYYY-MM-DD")


@app.command("edit")
def edit(
    campaign: CampaignArgument,
    name: Annotated[str | None, typer.Option("--name", help="1–50 characters.")] = None,
    due: Annotated[str | None, typer.Option("--due", help="YYYY-MM-DD, in the future.")] = None,
    manager: Annotated[str | None, typer.Option("--manager", help="Slack user ID.")] = None,
    description: Annotated[str | None, typer.Option("--description")] = None,
    channel: Annotated[str | None, typer.Option("--channel", help="Slack channel ID.")] = None,
    contact_link: Annotated[str | None, typer.Option("--contact-link")] = None,
    reminders: Annotated[
        bool | None, typer.Option("--reminders/--no-reminders", help="Channel reminders.")
    ] = None,
    reminder_days: Annotated[
        str | None, typer.Option("--reminder-days", help="Days before the due date: 7,1,0.")
    ] = None,
    reminder_channel: Annotated[
        str | None, typer.Option("--reminder-channel", help="Slack channel ID for reminders.")
    ] = None,
    nudge_severities: Annotated[
        str | None,
        typer.Option("--nudge-severities", help="Reminder DMs only for these: critical,high."),
    ] = None,
    nudge_min_age: Annotated[
        int | None,
        typer.Option("--nudge-min-age", help="Reminder DMs only for alerts open this many days."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Change fields of an active campaign; the change is announced in its channel."""
    fields: dict[str, Any] = {
        "name": name,
        "due_date": _date(due, "--due"),
        "manager": manager,
        "description": description,
        "channel": channel,
        "contact_link": contact_link,
        "reminders": reminders,
        "reminder_days": reminder_days,
        "reminder_channel": reminder_channel,
        "nudge_severities": nudge_severities,
        "nudge_min_age_days": nudge_min_age,
    }
    wanted = {key: value for key, value in fields.items() if value is not None}
    if not wanted:
        fail(
            "nothing to change: give --name, --due, --manager, --description, --channel, "
            "--contact-link, --reminders/--no-reminders, --reminder-days, --reminder-channel, "
            "--nudge-severities or --nudge-min-age"
        )

    async def work(services: Services) -> Any:
        return await services.campaigns.edit(CLI_ACTOR, campaign, EditRequest(**wanted))

    edited = run_with_services(work)
    changes = {key: [_plain(old), _plain(new)] for key, (old, new) in edited.changes.items()}
    if as_json:
        emit({"number": edited.campaign.number, "name": edited.campaign.name, "changes": changes})
        return
    if not changes:
        typer.echo(f"campaign #{edited.campaign.number}: nothing changed")
    for key, (old, new) in changes.items():
        typer.echo(f"campaign #{edited.campaign.number}: {key}: {old} → {new}")


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def _state_change(verb: str, campaign: str, as_json: bool) -> None:
    async def work(services: Services) -> Campaign:
        change = services.campaigns.close if verb == "close" else services.campaigns.reopen
        return await change(CLI_ACTOR, campaign)

    changed = run_with_services(work)
    if as_json:
        emit({"number": changed.number, "name": changed.name, "state": changed.state.value})
    else:
        typer.echo(f"campaign #{changed.number}: {changed.name} is {changed.state.value}")


@app.command("close")
def close(campaign: CampaignArgument, as_json: JsonOption = False) -> None:
    """Close a campaign: its channel gets the final summary, then reminders and digests stop."""
    _state_change("close", campaign, as_json)


@app.command("reopen")
def reopen(campaign: CampaignArgument, as_json: JsonOption = False) -> None:
    """Reopen a closed campaign (it counts against the active limit again)."""
    _state_change("reopen", campaign, as_json)


@app.command("delete")
def delete(
    campaign: CampaignArgument,
    yes: Annotated[bool, typer.Option("--yes", help="Confirm: deletion is permanent.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Delete a campaign for good (its audit trail stays); needs --yes."""
    if not yes:
        fail("deleting is permanent: add --yes to confirm")

    async def work(services: Services) -> Campaign:
        found = await services.campaigns.resolve(campaign)
        return await services.campaigns.delete(CLI_ACTOR, campaign, confirm_name=found.name)

    deleted = run_with_services(work)
    if as_json:
        emit({"number": deleted.number, "name": deleted.name, "deleted": True})
    else:
        typer.echo(f"campaign #{deleted.number}: {deleted.name} deleted")


@app.command("assign")
def assign(
    campaign: CampaignArgument,
    alert: Annotated[str, typer.Argument(help="OWNER/REPO#code-12 or REPO#secret-7.")],
    user: Annotated[str, typer.Argument(help="Slack user ID of the assignee.")],
    as_json: JsonOption = False,
) -> None:
    """Assign an alert (e.g. from CODEOWNERS), with the same write-access check and write-back."""

    async def work(services: Services) -> Any:
        return await services.assignments.assign(CLI_ACTOR, campaign, alert, user)

    found, assigned = run_with_services(work)
    if as_json:
        emit({"campaign": found.number, "alert": assigned.reference, "assignee": user})
    else:
        typer.echo(f"campaign #{found.number}: {assigned.reference} assigned to {user}")


@app.command("unassign")
def unassign(
    campaign: CampaignArgument,
    alert: Annotated[str, typer.Argument(help="OWNER/REPO#code-12 or REPO#secret-7.")],
    as_json: JsonOption = False,
) -> None:
    """Remove an alert's assignee (also on GitHub when it is connected)."""

    async def work(services: Services) -> Any:
        return await services.assignments.unassign(CLI_ACTOR, campaign, alert)

    found, unassigned, before = run_with_services(work)
    if as_json:
        emit({"campaign": found.number, "alert": unassigned.reference, "was": before})
    else:
        typer.echo(f"campaign #{found.number}: {unassigned.reference} unassigned (was {before})")
