"""Fixtures for Slack-facing tests; loaded by tests/conftest.py (`pytest_plugins`).

- `fake_slack`: a started `FakeSlack`.
- `slack_signer`: a `SlackSigner` for `SIGNING_SECRET` (what `app_settings` configures).
- `app_settings(**overrides)`: `Settings` for `serve()` against the fake, a temp SQLite file
  and a free port; `.env` files are not read.
- `start_app(**overrides)`: starts `serve()` and waits until it is ready; stopped at teardown
  (`on_webhook=` receives each processed GitHub delivery's outcome).
- `running_app`: `await start_app()` in HTTP mode; `.url` is its base URL.
- autouse: SLACK_* and proxy variables are removed from the environment, because AsyncApp and
  AsyncWebClient read them (SLACK_CLIENT_ID/SECRET switch on OAuth; HTTPS_PROXY even for localhost).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot.core.clock import Clock, system_clock
from bot.core.settings import Settings
from bot.runtime.lifespan import serve
from tests.fakes.constants import ADMIN_ID, BOT_TOKEN, SIGNING_SECRET, free_port
from tests.fakes.constants import APP_TOKEN as APP_TOKEN
from tests.fakes.signing import SlackSigner
from tests.fakes.slack import FakeSlack

START_TIMEOUT = 15.0

PROXY_VARIABLES = (
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "http_proxy",
    "https_proxy",
    "ALL_PROXY",
    "all_proxy",
)


@pytest.fixture(autouse=True)
def _clean_slack_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in list(os.environ):
        if name.startswith("SLACK_") or name in PROXY_VARIABLES:
            monkeypatch.delenv(name)
    yield


@pytest.fixture
async def fake_slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as fake:
        yield fake


@pytest.fixture
def slack_signer() -> SlackSigner:
    return SlackSigner(SIGNING_SECRET)


SettingsFactory = Callable[..., Settings]


@pytest.fixture
def app_settings(fake_slack: FakeSlack, tmp_path: Path) -> SettingsFactory:
    """Build Settings for the app under test; keyword overrides use field names."""

    def make(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "slack_bot_token": BOT_TOKEN,
            "slack_signing_secret": SIGNING_SECRET,
            "slack_api_url": fake_slack.api_url,
            "database_url": f"sqlite+aiosqlite:///{tmp_path}/t.db",
            "campaign_admins": ADMIN_ID,
            "host": "127.0.0.1",
            "port": free_port(),
        }
        values.update(overrides)
        return Settings(_env_file=None, **values)

    return make


@dataclass
class RunningApp:
    """A `serve()` running in the test's loop."""

    url: str
    settings: Settings
    stop: asyncio.Event
    task: asyncio.Task[None]

    async def shutdown(self) -> None:
        """Set `stop` and wait for serve() to return (re-raising what it raised)."""
        self.stop.set()
        await asyncio.wait_for(asyncio.shield(self.task), START_TIMEOUT)


async def _wait_ready(ready: asyncio.Event, task: asyncio.Task[None]) -> None:
    waiter = asyncio.create_task(ready.wait())
    done, _ = await asyncio.wait(
        {task, waiter}, timeout=START_TIMEOUT, return_when="FIRST_COMPLETED"
    )
    waiter.cancel()
    if task in done:
        task.result()  # raises what serve() raised
        raise AssertionError("serve() returned before it was ready")
    if not done:
        task.cancel()
        raise AssertionError(f"serve() was not ready within {START_TIMEOUT}s")


StartApp = Callable[..., Awaitable[RunningApp]]


@pytest.fixture
async def start_app(app_settings: SettingsFactory) -> AsyncIterator[StartApp]:
    """`await start_app(**settings_overrides, watchdog_interval=...)` → a ready RunningApp."""
    started: list[RunningApp] = []

    async def start(
        *,
        watchdog_interval: float = 30.0,
        clock: Clock = system_clock,
        on_webhook: Callable[[Any], Any] | None = None,
        **overrides: Any,
    ) -> RunningApp:
        settings = app_settings(**overrides)
        ready, stop = asyncio.Event(), asyncio.Event()
        task = asyncio.create_task(
            serve(
                settings,
                ready=ready,
                stop=stop,
                watchdog_interval=watchdog_interval,
                clock=clock,
                on_webhook=on_webhook,
            )
        )
        await _wait_ready(ready, task)
        app = RunningApp(f"http://{settings.host}:{settings.port}", settings, stop, task)
        started.append(app)
        return app

    yield start
    for app in started:
        if not app.task.done():
            await app.shutdown()


@pytest.fixture
async def running_app(start_app: StartApp) -> RunningApp:
    """The bot in HTTP mode against `fake_slack`; `running_app.url` is its base URL."""
    return await start_app()
