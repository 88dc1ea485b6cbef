"""The runtime of `campaignbot run`: one event loop, one lifespan (ARCHITECTURE §1, §3).

Everything is opened inside the running loop and closed in reverse order: the database engine,
the one aiohttp session every Slack call shares, the Bolt app, Socket Mode or the HTTP endpoint,
and the web server that also answers `/healthz` and, with GITHUB_WEBHOOK_SECRET set,
`/github/webhooks`. With GitHub connected, assignments are checked and written back through the
GitHub client (and campaigns published, when GITHUB_PUBLISH_CAMPAIGNS is on).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import signal
import sys
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import IO, Any, Protocol

import aiohttp
from aiohttp import web
from pydantic import SecretStr, ValidationError
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

import commands
from bot.core.clock import Clock, system_clock
from bot.core.settings import Settings, describe_validation_error
from bot.github.client import GitHubClient
from bot.github.events import EventProcessor
from bot.github.gate import GitHubGate
from bot.github.publish import GitHubPublisher
from bot.github.webhooks import Outcome, WebhookReceiver
from bot.notify import Announcer
from bot.services import Services
from store.engine import create_engine, ping
from store.migrate import upgrade

log = logging.getLogger("campaignbot")

SLACK_EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"

# ---------------------------------------------------------------------------------------------
# Logging
# ---------------------------------------------------------------------------------------------

TOKEN_PATTERN = re.compile(
    r"(?<![A-Za-z0-9])(?P<prefix>xox[abposre]-|xapp-|gh[pousr]_|github_pat_)[A-Za-z0-9_\-]+"
)
REDACTED = "[REDACTED]"


def redact(message: str, secrets: Iterable[str] = ()) -> str:
    """Mask Slack and GitHub tokens by shape (keeping the kind: `xoxb-[REDACTED]`), then the
    given secrets by value."""
    message = TOKEN_PATTERN.sub(lambda m: m.group("prefix") + REDACTED, message)
    for secret in secrets:
        if secret:
            message = message.replace(secret, REDACTED)
    return message


class RedactingFilter(logging.Filter):
    """Rewrites each record so no handler ever writes a token, even in a traceback."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self._secrets = tuple(s for s in secrets if len(s) >= 8)
        self._formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage(), self._secrets)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = self._formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text, self._secrets)
        if record.stack_info:
            record.stack_info = redact(record.stack_info, self._secrets)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line, for log collectors."""

    def format(self, record: logging.LogRecord) -> str:
        document: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            document["exc_info"] = record.exc_text
        return json.dumps(document, ensure_ascii=False)


def _secret_values(settings: Settings) -> list[str]:
    fields = (
        settings.slack_bot_token,
        settings.slack_app_token,
        settings.slack_signing_secret,
        settings.github_token,
        settings.github_webhook_secret,
    )
    return [value.get_secret_value() for value in fields if value is not None]


def configure_logging(settings: Settings, stream: IO[str] | None = None) -> logging.Handler:
    """Send logs to stderr as text or JSON lines; replaces only the handler it installed before."""
    root = logging.getLogger()
    for existing in list(root.handlers):
        if getattr(existing, "_campaignbot", False):
            root.removeHandler(existing)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler._campaignbot = True  # type: ignore[attr-defined]
    handler.addFilter(RedactingFilter(_secret_values(settings)))
    if settings.log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    root.setLevel(settings.log_level)
    return handler


# ---------------------------------------------------------------------------------------------
# Settings check for `campaignbot run`
# ---------------------------------------------------------------------------------------------


def run_problems() -> tuple[Settings | None, list[str]]:
    """Every problem with the settings at once: malformed values, then what `run` needs."""
    try:
        return (settings := Settings()), settings.problems_for_run()
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


def run() -> None:
    """The whole of `campaignbot run`: check settings, set up logging, serve until a signal."""
    settings = check_run_settings()
    configure_logging(settings)
    asyncio.run(serve(settings))


# ---------------------------------------------------------------------------------------------
# Slack Web API client and the Bolt app
# ---------------------------------------------------------------------------------------------


def _secret(value: SecretStr | None) -> str | None:
    return value.get_secret_value() if value is not None else None


def slack_retry_handlers() -> list[AsyncRetryHandler]:
    """Retry what Slack asks us to (429 + Retry-After), dropped connections and 500/503."""
    return [
        AsyncConnectionErrorRetryHandler(max_retry_count=2),
        AsyncRateLimitErrorRetryHandler(max_retry_count=2),
        AsyncServerErrorRetryHandler(max_retry_count=2),
    ]


def build_slack_client(settings: Settings, session: aiohttp.ClientSession) -> AsyncWebClient:
    """One Web API client on the shared session (created in the running loop, closed by serve)."""
    return AsyncWebClient(
        token=_secret(settings.slack_bot_token),
        base_url=settings.slack_api_url,
        session=session,
        retry_handlers=slack_retry_handlers(),
    )


def describe_slack_request(body: Mapping[str, Any]) -> str:
    """What a request was about, for logs: kind, command or callback, user; never tokens or URLs."""
    parts = [str(body.get("type") or ("slash_command" if "command" in body else "request"))]
    if command := body.get("command"):
        parts.append(str(command))
    view = body.get("view")
    if isinstance(view, Mapping) and view.get("callback_id"):
        parts.append(f"view={view['callback_id']}")
    actions = body.get("actions")
    if isinstance(actions, list):
        ids = [str(a.get("action_id")) for a in actions if isinstance(a, Mapping)]
        parts.append("actions=" + ",".join(ids))
    event = body.get("event")
    if isinstance(event, Mapping) and event.get("type"):
        parts.append(f"event={event['type']}")
    user = body.get("user")
    user_id = user.get("id") if isinstance(user, Mapping) else body.get("user_id")
    if user_id:
        parts.append(f"user={user_id}")
    return " ".join(parts)


async def _log_listener_error(error: Exception, body: dict[str, Any]) -> None:
    """Last resort for listener failures; domain errors are answered by commands/ itself."""
    log.error(
        "Slack listener failed on %s: %s",
        describe_slack_request(body),
        type(error).__name__,
        exc_info=error,
    )


def build_bolt_app(settings: Settings, services: Services, client: AsyncWebClient) -> AsyncApp:
    """The Bolt app: single workspace, the token travels in `client`, listeners from commands/."""
    app = AsyncApp(
        name="campaignbot",
        client=client,
        signing_secret=_secret(settings.slack_signing_secret) or "",
    )
    commands.register(app, services)
    app.error(_log_listener_error)
    return app


# ---------------------------------------------------------------------------------------------
# Health
# ---------------------------------------------------------------------------------------------


class SlackLink(Protocol):
    async def connected(self) -> bool: ...


class SchedulerLike(Protocol):
    @property
    def running(self) -> bool: ...


class AuthTestLink:
    """HTTP mode: Slack counts as connected once `auth.test` succeeded; retried until it does."""

    def __init__(self, client: AsyncWebClient) -> None:
        self._client = client
        self.ok = False
        self.identity: dict[str, Any] = {}

    async def check(self) -> bool:
        try:
            response = await self._client.auth_test()
        except SlackApiError as exc:
            log.error("Slack auth.test failed: %s", exc.response.get("error"))
            return False
        except (aiohttp.ClientError, TimeoutError) as exc:
            log.error("Slack is unreachable: %s", type(exc).__name__)
            return False
        self.identity = {k: response.get(k) for k in ("team_id", "user_id", "bot_id", "url")}
        self.ok = True
        return True

    async def connected(self) -> bool:
        return self.ok or await self.check()


class _ConnectionState(Protocol):
    async def is_connected(self) -> bool: ...


class SocketHandler(Protocol):
    """What the watchdog needs of `AsyncSocketModeHandler` (and what test doubles provide)."""

    @property
    def client(self) -> _ConnectionState: ...

    async def connect_async(self) -> None: ...

    async def close_async(self) -> None: ...


class SocketModeWatchdog:
    """Keeps one Socket Mode connection alive: connects, then every `interval` seconds checks it
    and replaces a handler that stayed dead for `tolerance` checks (slack_sdk's own reconnect can
    get stuck on a closed session: python-slack-sdk #1913, #1922)."""

    def __init__(
        self,
        factory: Callable[[], SocketHandler],
        *,
        interval: float = 30.0,
        tolerance: int = 2,
    ) -> None:
        self._factory = factory
        self.interval = interval
        self.tolerance = tolerance
        self.handler: SocketHandler | None = None
        self.restarts = 0
        self._misses = 0
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Connect and watch in the background, so a Slack outage does not block startup."""
        self._task = asyncio.create_task(self._run(), name="socket-mode-watchdog")

    async def _run(self) -> None:
        while True:
            try:
                if self.handler is None:
                    await self._connect_new()
                else:
                    await self.check_once()
            except Exception:  # the watchdog must outlive any one failure
                log.exception("Socket Mode watchdog check failed")
            await asyncio.sleep(self.interval)

    async def _connect_new(self) -> None:
        self.handler = self._factory()
        await self.handler.connect_async()
        log.info("Socket Mode connected")

    async def check_once(self) -> bool:
        """One check; replaces the handler after `tolerance` consecutive dead checks."""
        if await self.connected():
            self._misses = 0
            return True
        self._misses += 1
        if self._misses >= self.tolerance:
            log.warning("Socket Mode connection is dead; reconnecting with a new handler")
            await self._close_handler()
            await self._connect_new()
            self.restarts += 1
            self._misses = 0
        return False

    async def connected(self) -> bool:
        return self.handler is not None and await self.handler.client.is_connected()

    async def _close_handler(self) -> None:
        handler, self.handler = self.handler, None
        if handler is not None:
            try:
                await handler.close_async()
            except Exception:  # a broken connection may fail to close; it is dropped anyway
                log.warning("closing the old Socket Mode handler failed", exc_info=True)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self._close_handler()


@dataclass
class Health:
    """What `/healthz` checks: the database answers, Slack is connected, the scheduler runs."""

    engine: AsyncEngine
    slack: SlackLink
    scheduler: SchedulerLike | None = None
    timeout: float = 5.0

    async def _database(self) -> str:
        try:
            async with asyncio.timeout(self.timeout):
                await ping(self.engine)
        except Exception as exc:  # any failure means "not healthy"; the type says which
            log.warning("health: database check failed: %s", exc)
            return f"failed ({type(exc).__name__})"
        return "ok"

    async def _slack(self) -> str:
        try:
            async with asyncio.timeout(self.timeout):
                return "ok" if await self.slack.connected() else "not connected"
        except TimeoutError:
            return "failed (timeout)"

    def _scheduler(self) -> str:
        if self.scheduler is None:
            return "not configured"
        return "ok" if self.scheduler.running else "not running"

    async def report(self) -> tuple[bool, dict[str, str]]:
        checks = {
            "database": await self._database(),
            "slack": await self._slack(),
            "scheduler": self._scheduler(),
        }
        healthy = all(value in ("ok", "not configured") for value in checks.values())
        return healthy, checks


# ---------------------------------------------------------------------------------------------
# Web application
# ---------------------------------------------------------------------------------------------


def _slack_events_handler(bolt_app: AsyncApp) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def slack_events(request: web.Request) -> web.Response:
        bolt_response = await bolt_app.async_dispatch(await to_bolt_request(request))
        return await to_aiohttp_response(bolt_response)

    return slack_events


def _health_handler(health: Health) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def healthz(_request: web.Request) -> web.Response:
        healthy, checks = await health.report()
        body: dict[str, Any] = {"status": "ok" if healthy else "unavailable", "checks": checks}
        if not healthy:
            body["failed"] = [
                name for name, value in checks.items() if value not in ("ok", "not configured")
            ]
        return web.json_response(body, status=200 if healthy else 503)

    return healthz


def build_web_app(
    bolt_app: AsyncApp | None,
    health: Health,
    *,
    extra_routes: Sequence[web.AbstractRouteDef] = (),
) -> web.Application:
    """The one aiohttp app: Slack's HTTP endpoint (HTTP mode only), health, and extra routes
    such as `/github/webhooks`."""
    app = web.Application(client_max_size=MAX_BODY_BYTES)
    routes: list[web.AbstractRouteDef] = [web.get(HEALTH_PATH, _health_handler(health))]
    if bolt_app is not None:
        routes.append(web.post(SLACK_EVENTS_PATH, _slack_events_handler(bolt_app)))
    app.add_routes([*routes, *extra_routes])
    return app


# ---------------------------------------------------------------------------------------------
# serve(): the lifespan
# ---------------------------------------------------------------------------------------------


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
    app_token = _secret(settings.slack_app_token)
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
    await web.TCPSite(runner, settings.host, settings.port).start()


def _github_client(
    settings: Settings, session: aiohttp.ClientSession, clock: Clock
) -> GitHubClient | None:
    """The GitHub client on the shared session, when GitHub is connected."""
    if not settings.github_connected:
        return None
    return GitHubClient.from_settings(session, settings, clock=clock)


def _github_services(settings: Settings, services: Services, github: GitHubClient | None) -> None:
    """Publishing to GitHub's campaigns API, when switched on."""
    if github is not None and settings.github_publish_campaigns and settings.github_org:
        services.campaigns.observers.append(
            GitHubPublisher(services.engine, github, settings.github_org, services.campaigns)
        )


def _start_webhooks(
    settings: Settings,
    engine: AsyncEngine,
    announcer: Announcer,
    stack: AsyncExitStack,
    clock: Clock,
    on_webhook: Callable[[Outcome], Any] | None,
) -> list[web.RouteDef]:
    """`POST /github/webhooks` and its worker, when GITHUB_WEBHOOK_SECRET is set. Pushed on the
    stack before the web server, so the worker drains after the server stops accepting."""
    secret = _secret(settings.github_webhook_secret)
    if not secret:
        return []
    processor = EventProcessor(
        engine, org=settings.github_org, clock=clock, on_changed=announcer.alerts_changed
    )
    receiver = WebhookReceiver(engine, secret, processor, clock=clock, on_processed=on_webhook)
    receiver.start()
    stack.push_async_callback(receiver.stop)
    return [receiver.route()]


MAX_BODY_BYTES = 25 * 1024 * 1024
"""GitHub webhook payloads can reach 25 MB; aiohttp's default limit is 1 MB."""


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
    log.info("%s", _describe_start(settings))
    async with AsyncExitStack() as stack:
        engine = create_engine(settings.database_url)
        stack.push_async_callback(engine.dispose)
        await upgrade(engine)
        session = aiohttp.ClientSession()
        stack.push_async_callback(session.close)
        client = build_slack_client(settings, session)
        github = _github_client(settings, session, clock)
        gate = GitHubGate(engine, github) if github is not None else None
        services = Services(settings=settings, engine=engine, clock=clock, gate=gate)
        # Runs after the web server stops taking requests, before the session and engine close:
        # listener work that goes on after Slack's ack finishes instead of being cut off.
        stack.push_async_callback(services.tasks.drain, shutdown_timeout)
        _github_services(settings, services, github)
        bolt_app = build_bolt_app(settings, services, client)
        slack = await _start_slack(settings, bolt_app, client, stack, watchdog_interval)
        announcer = Announcer(client, services.campaigns)
        webhooks = _start_webhooks(settings, engine, announcer, stack, clock, on_webhook)
        web_app = build_web_app(
            None if settings.socket_mode else bolt_app,
            Health(engine=engine, slack=slack),
            extra_routes=webhooks,
        )
        await _start_web(web_app, settings, stack, shutdown_timeout)
        stack.enter_context(_stop_on_signals(stop))
        log.info("campaignbot ready on %s:%s", settings.host, settings.port)
        if ready is not None:
            ready.set()
        await stop.wait()
        log.info("campaignbot stopping")
    log.info("campaignbot stopped")
