"""The lifespan of `campaignbot run`: one event loop, everything opened and closed in order.

Opened inside the running loop and closed in reverse: the database engine, the one aiohttp session
every Slack and GitHub call shares, the services (from the composition root), the deliverer, the
Bolt app, Socket Mode or the HTTP endpoint, and the web server that also answers `/healthz` and,
with GITHUB_WEBHOOK_SECRET set, `/github/webhooks`.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
import sys
from collections.abc import Callable, Iterator
from contextlib import AsyncExitStack
from typing import Any

import aiohttp
from aiohttp import web
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from pydantic import ValidationError
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from bot.core.clock import Clock, system_clock
from bot.core.settings import Settings, describe_validation_error
from bot.delivery.deliverer import Deliverer
from bot.github.access import WritersRefresher
from bot.github.events import EventProcessor
from bot.github.webhooks import Outcome, WebhookReceiver
from bot.playbooks.escalation_rules import rules_problems
from bot.runtime.container import build_services
from bot.runtime.jobs import JobRunner, start_scheduler
from bot.runtime.logs import configure_logging
from bot.runtime.slack import AuthTestLink, build_bolt_app, build_slack_client, secret_of
from bot.runtime.socket_mode import SocketModeWatchdog
from bot.runtime.web import SLACK_EVENTS_PATH, Health, SlackLink, build_web_app
from bot.services import Services
from store.engine import NotOurDatabase, create_engine
from store.migrate import upgrade

log = logging.getLogger("campaignbot")


def run_problems() -> tuple[Settings | None, list[str]]:
    """Every problem with the settings at once: malformed values, then what `run` needs."""
    try:
        settings = Settings()
        return settings, settings.problems_for_run() + rules_problems(settings)
    except ValidationError as exc:
        problems = describe_validation_error(exc)
        broken = {str(item["loc"][0]) for item in exc.errors() if item["loc"]}
    defaults = {name: Settings.model_fields[name].default for name in broken}
    with contextlib.suppress(ValidationError):  # a model-level error cannot be defaulted away
        problems += Settings(**defaults).problems_for_run()
    return None, problems


def check_run_settings() -> Settings:
    """Load the settings for `run`; on any problem print one message naming all and exit 2."""
    settings, problems = run_problems()
    if settings is None or problems:
        print("campaignbot run: fix these settings: " + "; ".join(problems), file=sys.stderr)
        raise SystemExit(2)
    return settings


class StartupError(Exception):
    """Something outside the settings' syntax stops the bot from starting; said in one line."""


def run() -> None:
    """The whole of `campaignbot run`: check settings, set up logging, serve until a signal."""
    settings = check_run_settings()
    configure_logging(settings)
    try:
        asyncio.run(serve(settings))
    except (StartupError, NotOurDatabase) as exc:
        print(f"campaignbot run: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    except (OSError, DBAPIError) as exc:
        print(f"campaignbot run: cannot open the database: {_first_line(exc)}", file=sys.stderr)
        raise SystemExit(2) from None


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc)
    return text.splitlines()[0] if text else type(exc).__name__


@contextlib.contextmanager
def _stop_on_signals(stop: asyncio.Event) -> Iterator[None]:
    """SIGTERM/SIGINT set `stop`. The handlers go first at shutdown, so a second signal during
    the drain ends the process at once. Outside the main thread (or on Windows) none are set."""
    loop = asyncio.get_running_loop()
    installed: list[signal.Signals] = []
    for sig in (signal.SIGTERM, signal.SIGINT):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError, ValueError):
            continue
        installed.append(sig)
    try:
        yield
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)


@contextlib.contextmanager
def _start_up_objects_frozen() -> Iterator[None]:
    """What start-up built (modules, schemas, compiled statements, the app) lives as long as
    the bot: kept out of the cyclic collector's way, so a full collection does not stop the
    loop, and every acknowledgement waiting on it, to scan it all again. Thawed at shutdown."""
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _describe_start(settings: Settings) -> str:
    database = make_url(settings.database_url).render_as_string(hide_password=True)
    mode = "Socket Mode" if settings.socket_mode else f"HTTP on {SLACK_EVENTS_PATH}"
    return (
        f"campaignbot starting: Slack {mode} via {settings.slack_api_url}, "
        f"web server on {settings.host}:{settings.port}, database {database}, "
        f"GitHub {'connected' if settings.github_connected else 'not configured'}"
    )


async def _start_slack(
    settings: Settings,
    bolt_app: AsyncApp,
    client: AsyncWebClient,
    stack: AsyncExitStack,
    watchdog_interval: float,
) -> SlackLink:
    """Socket Mode when an app token is set (watched), else check the bot token with auth.test."""
    app_token = secret_of(settings.slack_app_token)
    if app_token:
        watchdog = SocketModeWatchdog(
            lambda: AsyncSocketModeHandler(bolt_app, app_token=app_token, web_client=client),
            interval=watchdog_interval,
        )
        watchdog.start()
        stack.push_async_callback(watchdog.close)
        return watchdog
    link = AuthTestLink(client)
    if await link.check():
        identity = link.identity
        log.info("Slack connected: team %s, bot user %s", identity["team_id"], identity["user_id"])
    return link


async def _start_web(
    web_app: web.Application, settings: Settings, stack: AsyncExitStack, shutdown_timeout: float
) -> None:
    """Listen on HOST:PORT; cleanup stops accepting, then lets in-flight requests finish."""
    runner = web.AppRunner(web_app, shutdown_timeout=shutdown_timeout)
    await runner.setup()
    stack.push_async_callback(runner.cleanup)
    try:
        await web.TCPSite(runner, settings.host, settings.port).start()
    except OSError as exc:  # a busy port, an address this machine does not have
        raise StartupError(
            f"cannot listen on {settings.host}:{settings.port}: {exc.strerror or exc}"
        ) from None


def _start_webhooks(
    settings: Settings,
    services: Services,
    stack: AsyncExitStack,
    on_webhook: Callable[[Outcome], Any] | None,
) -> list[web.RouteDef]:
    """`POST /github/webhooks` and its worker, when GITHUB_WEBHOOK_SECRET is set. Pushed on the
    stack before the web server, so the worker drains after the server stops accepting."""
    secret = secret_of(settings.github_webhook_secret)
    if not secret:
        return []
    processor = EventProcessor(
        services.engine,
        org=settings.github_org,
        clock=services.clock,
        on_changed=services.campaigns.alerts_changed,
        writers=WritersRefresher(services.engine, services.github) if services.github else None,
    )
    receiver = WebhookReceiver(
        services.engine, secret, processor, clock=services.clock, on_processed=on_webhook
    )
    receiver.start()
    stack.push_async_callback(receiver.stop)
    return [receiver.route()]


def _start_scheduler(services: Services, stack: AsyncExitStack) -> AsyncIOScheduler:
    """The clock jobs (reminders, digests, hourly sync) on the bot's loop; stopped before the
    deliverer's last round, so what they wrote is still sent."""
    runner = JobRunner(services)
    scheduler = start_scheduler(runner, services.settings.scheduler_interval_seconds)

    async def stop() -> None:
        # APScheduler's shutdown cancels the jobs it runs, and a database call cancelled halfway
        # can leave its connection unclosable: stop submitting, let runs end, then shut down.
        scheduler.pause()
        await runner.finish(timeout=10.0)
        scheduler.shutdown(wait=False)

    stack.push_async_callback(stop)
    return scheduler


def _start_deliverer(
    deliverer: Deliverer | None, stack: AsyncExitStack, shutdown_timeout: float
) -> None:
    """Deliver notices continuously; at shutdown, one last round sends what is already due."""
    if deliverer is None:
        return
    stop = asyncio.Event()
    task = asyncio.create_task(deliverer.run_forever(stop), name="deliverer")

    async def finish() -> None:
        stop.set()
        await task
        try:
            async with asyncio.timeout(shutdown_timeout):
                await deliverer.run_once()
        except TimeoutError:
            log.warning("notices still unsent at shutdown stay in the outbox for the next start")

    stack.push_async_callback(finish)


async def serve(
    settings: Settings,
    *,
    ready: asyncio.Event | None = None,
    stop: asyncio.Event | None = None,
    watchdog_interval: float = 30.0,
    shutdown_timeout: float = 10.0,
    clock: Clock = system_clock,
    on_webhook: Callable[[Outcome], Any] | None = None,
) -> None:
    """Run the bot until SIGTERM/SIGINT or `stop`; everything opened here is closed in reverse."""
    stop = stop or asyncio.Event()
    if problems := rules_problems(settings):  # checked before anything opens
        raise StartupError(problems[0])
    log.info("%s", _describe_start(settings))
    async with AsyncExitStack() as stack:
        engine = create_engine(settings.database_url)
        stack.push_async_callback(engine.dispose)
        await upgrade(engine)
        session = aiohttp.ClientSession()
        stack.push_async_callback(session.close)
        client = build_slack_client(settings, session)
        services = build_services(settings, engine, session=session, slack=client, clock=clock)
        # Closed in reverse: after the web server stops taking requests, listener work that goes
        # on after Slack's ack finishes, then the deliverer sends what that work wrote.
        _start_deliverer(services.deliverer, stack, shutdown_timeout)
        scheduler = _start_scheduler(services, stack)
        stack.push_async_callback(services.tasks.drain, shutdown_timeout)
        bolt_app = build_bolt_app(settings, services, client)
        slack = await _start_slack(settings, bolt_app, client, stack, watchdog_interval)
        webhooks = _start_webhooks(settings, services, stack, on_webhook)
        web_app = build_web_app(
            None if settings.socket_mode else bolt_app,
            Health(engine=engine, slack=slack, scheduler=scheduler, clock=clock),
            signing_secret=secret_of(settings.slack_signing_secret) or "",
            extra_routes=webhooks,
            tasks=services.tasks,
        )
        await _start_web(web_app, settings, stack, shutdown_timeout)
        stack.enter_context(_stop_on_signals(stop))
        stack.enter_context(_start_up_objects_frozen())
        log.info("campaignbot ready on %s:%s", settings.host, settings.port)
        if ready is not None:
            ready.set()
        await stop.wait()
        log.info("campaignbot stopping")
    log.info("campaignbot stopped")
