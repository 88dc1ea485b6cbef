"""`campaignbot jobs run NAME` and `jobs list`: the jobs of ARCHITECTURE §6, run by hand.

`reminders` and `digest` write what is due at `--at` to the outbox and send it; `sync` pulls
GitHub; `deliver` sends what the outbox holds, once, as the running bot would. A 429 is waited out
and what still fails stays in the outbox for a later run.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import typer

from bot.cli.common import JsonOption, emit, fail, jobs_app, parse_moment, run_with_services
from bot.core.clock import system_clock
from bot.runtime.jobs import JOBS, JobRunner
from bot.services import Services
from store import jobs as job_store
from store import outbox


@jobs_app.command("run")
def run_job(
    name: Annotated[str, typer.Argument(help="The job: reminders, digest, sync or deliver.")],
    at: Annotated[
        str | None, typer.Option("--at", help="Run as if the clock read this ISO-8601 moment.")
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="List what would be sent; send nothing.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Run one job once: what is due at --at is written to the outbox and sent."""
    if name not in JOBS:
        fail(f"unknown job “{name}”; the jobs are: {', '.join(JOBS)}")
    moment = parse_moment(at, "--at")
    clock = (lambda: moment) if moment is not None else system_clock

    async def work(services: Services) -> dict[str, Any]:
        now = services.clock()
        if dry_run and name == "deliver":
            async with services.engine.connect() as conn:
                due = await outbox.due(conn, now, limit=10_000)
            return {
                "job": name,
                "at": now.isoformat(),
                "sent": [
                    {
                        "key": n.key,
                        "kind": n.kind.value,
                        "campaign": n.campaign_id,
                        "to": n.target,
                        "dry_run": True,
                    }
                    for n in due
                ],
                "skipped": [],
            }
        if name == "deliver" and services.deliverer is None:
            fail("SLACK_BOT_TOKEN is not set: notices stay in the outbox until it is")
        return await JobRunner(services).run(name, now, dry_run=dry_run)

    result = run_with_services(work, clock=clock)
    if as_json:
        emit(result)
        return
    for item in result["sent"]:
        typer.echo(f"{'would send' if dry_run else 'sent'} {item['key']} to {item['to']}")
    for item in result["skipped"]:
        typer.echo(f"skipped {item['key']}: {item['reason']}")
    if not result["sent"] and not result["skipped"]:
        typer.echo("nothing to send")


@jobs_app.command("list")
def list_jobs(as_json: JsonOption = False) -> None:
    """The jobs with their last run, and the outbox: pending, failed, oldest pending."""

    async def work(services: Services) -> dict[str, Any]:
        async with services.engine.connect() as conn:
            runs = await job_store.last_runs(conn)
            stats = await outbox.stats(conn)
        return {
            "jobs": [
                {
                    "name": job,
                    "next_run": None,
                    "schedule": SCHEDULES[job].format(
                        every=services.settings.scheduler_interval_seconds
                    ),
                    "last_run": _iso(runs.get(job, (None, None))[0]),
                    "last_outcome": runs.get(job, (None, None))[1],
                }
                for job in JOBS
            ],
            "outbox": {
                "pending": stats.pending,
                "failed": stats.failed,
                "oldest_pending": _iso(stats.oldest_pending),
            },
        }

    result = run_with_services(work)
    if as_json:
        emit(result)
        return
    for job in result["jobs"]:
        typer.echo(
            f"{job['name']:<10} {job['schedule']}; last run {job['last_run'] or 'never'}"
            f" ({job['last_outcome'] or '—'})"
        )
    box = result["outbox"]
    typer.echo(
        f"outbox: {box['pending']} pending (oldest {box['oldest_pending'] or '—'}), "
        f"{box['failed']} failed"
    )


SCHEDULES = {
    "reminders": "every {every} s inside campaignbot run (09:00 local slots)",
    "digest": "every {every} s inside campaignbot run (Monday 09:00 slots)",
    "sync": "hourly inside campaignbot run, when GitHub is connected",
    "deliver": "continuous inside campaignbot run",
    "escalations": "every {every} s inside campaignbot run (rules in ESCALATION_RULES)",
    "exceptions": "every {every} s inside campaignbot run (expiry warnings and reopening)",
}


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None
