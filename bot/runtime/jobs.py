"""The jobs of ARCHITECTURE §6, run the same way by `campaignbot jobs run NAME` and by the
scheduler inside `campaignbot run`: `reminders` and `digest` write what is due to the outbox,
`sync` pulls GitHub, `deliver` sends what the outbox holds. Each run is recorded (`jobs list`).

Inside `run`, APScheduler's `AsyncIOScheduler` calls each job every few minutes on the bot's loop;
the database decides what is due (a notice's key names its slot) and a lease in the `jobs` table
lets one replica run a job at a time, so two schedulers on one database send each message once.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.core.notices import Notice
from bot.delivery import deliverer as delivery
from bot.github.sync import sync
from bot.metrics import JOB_RUNS, JOB_SECONDS
from bot.services import Services
from store import jobs as job_store

log = logging.getLogger(__name__)

JOBS = ("reminders", "digest", "sync", "deliver", "escalations", "exceptions")
FIRST_RUN_DELAY = {"sync": timedelta(minutes=1)}
LEASE = timedelta(minutes=10)
"""How long a replica holds a job while it runs (a crashed one frees it after this)."""


@dataclass
class JobRunner:
    services: Services
    owner: str = field(default_factory=lambda: f"jobs-{uuid.uuid4().hex[:12]}")
    running: set[asyncio.Task[Any]] = field(default_factory=set)
    """Scheduled runs in progress, so a shutdown lets them finish."""
    stopping: bool = False
    """Set at shutdown: a run the scheduler had already submitted starts nothing."""

    async def run(
        self, name: str, now: datetime, *, dry_run: bool = False, deliver: bool = True
    ) -> dict[str, Any]:
        """One run, in §3's shape: `{"job", "at", "sent": [...], "skipped": [...]}`. Inside
        `campaignbot run` (`deliver=False`) the continuous deliverer sends what it wrote."""
        started = time.perf_counter()
        try:
            result = await self._work(name, now, dry_run=dry_run, deliver=deliver)
        except Exception:
            JOB_RUNS.labels(name, "failed").inc()
            JOB_SECONDS.labels(name, "failed").observe(time.perf_counter() - started)
            raise
        JOB_RUNS.labels(name, "ok").inc()
        JOB_SECONDS.labels(name, "ok").observe(time.perf_counter() - started)
        note = str(result.pop("note", "") or "")
        if not dry_run:
            outcome = f"sent {len(result['sent'])}, not sent {len(result['skipped'])}{note}"
            async with self.services.engine.begin() as conn:
                await job_store.record_run(conn, name, now, outcome)
        return result

    async def _work(
        self, name: str, now: datetime, *, dry_run: bool, deliver: bool
    ) -> dict[str, Any]:
        jobs = self.services.clock_jobs
        assert jobs is not None
        written: list[Notice] = []
        note = ""
        if name == "reminders":
            written = await jobs.reminders(now, write=not dry_run)
        elif name == "digest":
            written = await jobs.digest(now, write=not dry_run)
        elif name == "sync":
            note = await self._sync(dry_run)
        elif name == "escalations" and self.services.escalations is not None:
            written = await self.services.escalations.run(now, write=not dry_run)
        elif name == "exceptions" and self.services.exceptions is not None:
            written = await self.services.exceptions.run(now, write=not dry_run)
        if dry_run:
            return {"job": name, "at": now.isoformat(), "sent": _listed(written), "skipped": []}
        if not deliver:
            queued = [{"key": n.key, "reason": "queued for the deliverer"} for n in written]
            return {"job": name, "at": now.isoformat(), "sent": [], "skipped": queued}
        if self.services.deliverer is None:
            listed = _listed(written, dry_run=False)
            return {"job": name, "at": now.isoformat(), "sent": [], "skipped": listed, "note": note}
        result = delivery.summary(await self.services.deliverer.run_once(), now)
        return {"job": name, **{k: v for k, v in result.items() if k != "job"}, "note": note}

    async def _sync(self, dry_run: bool) -> str:
        services = self.services
        if services.github is None or not services.settings.github_org or dry_run:
            return "" if services.github else "; GitHub is not connected"
        report = await sync(
            services.engine,
            services.github,
            services.settings.github_org,
            clock=services.clock,
            on_changed=services.campaigns.alerts_changed,
        )
        await services.assignments.match_identities(services.github)
        return f"; synced: {report.changed_alerts} alerts changed"

    async def leased(self, name: str) -> None:
        """A scheduled run: only when this replica takes the job's lease."""
        if self.stopping:
            return
        task = asyncio.current_task()
        if task is not None:
            self.running.add(task)
        try:
            now = self.services.clock()
            async with self.services.engine.begin() as conn:
                if not await job_store.try_lease(conn, name, self.owner, now + LEASE, now):
                    log.debug("job %s runs on another replica", name)
                    return
            try:
                await self.run(name, now, deliver=False)
            except Exception:  # a failing job is logged and retried at its next tick
                log.exception("job %s failed", name)
                async with self.services.engine.begin() as conn:
                    await job_store.record_run(conn, name, now, "failed: see the log")
            async with self.services.engine.begin() as conn:
                await job_store.release(conn, name, self.owner)
        finally:  # cancelled at shutdown: the lease runs out by itself
            if task is not None:
                self.running.discard(task)

    async def finish(self, timeout: float) -> None:  # noqa: ASYNC109 - a bounded drain
        """At shutdown: no new run starts, and those in progress end (within `timeout`)."""
        self.stopping = True
        await asyncio.sleep(0)  # a run submitted just now starts, sees `stopping` and returns
        if self.running:
            _, late = await asyncio.wait(set(self.running), timeout=timeout)
            if late:
                log.warning("%d scheduled job runs still going at shutdown", len(late))


def _listed(notices: list[Notice], *, dry_run: bool = True) -> list[dict[str, Any]]:
    if not dry_run:
        return [
            {"key": n.key, "reason": "SLACK_BOT_TOKEN is not set: waiting in the outbox"}
            for n in notices
        ]
    return [
        {
            "key": n.key,
            "kind": n.kind.value,
            "campaign": n.campaign_id,
            "to": n.target,
            "dry_run": True,
        }
        for n in notices
    ]


def start_scheduler(runner: JobRunner, interval_seconds: int) -> AsyncIOScheduler:
    """Ask each clock job what is due every `interval_seconds` (the deliverer runs on its own,
    continuously; sync runs hourly). Coalesced, one instance at a time: a slow run never piles
    up behind itself."""
    scheduler = AsyncIOScheduler(timezone="UTC")
    every: dict[str, int] = {
        name: interval_seconds for name in ("reminders", "digest", "escalations", "exceptions")
    }
    if runner.services.github is not None:
        every["sync"] = max(3600, interval_seconds)
    for name, seconds in every.items():
        job: Callable[[], Awaitable[None]] = _bound(runner, name)
        scheduler.add_job(
            job,
            "interval",
            seconds=seconds,
            id=name,
            coalesce=True,
            max_instances=1,
            # Reminders and digests are asked at once (a restart catches up); the first sync
            # waits a minute, so a restart does not put a full pass on top of start-up.
            next_run_time=datetime.now().astimezone() + FIRST_RUN_DELAY.get(name, timedelta()),
        )
    scheduler.start()
    return scheduler


def _bound(runner: JobRunner, name: str) -> Callable[[], Awaitable[None]]:
    async def job() -> None:
        await runner.leased(name)

    job.__name__ = f"job_{name}"
    return job
