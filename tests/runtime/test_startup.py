"""`campaignbot run` stops with one clear line, never a traceback, when it cannot start."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.core.settings import Settings, describe_validation_error
from bot.runtime.lifespan import StartupError, serve
from tests.fakes.fixtures import SettingsFactory


@pytest.mark.parametrize(
    ("field", "value", "said"),
    [
        ("database_url", "not a url", "DATABASE_URL"),
        ("database_url", "mysql://root@localhost/db", "sqlite+aiosqlite"),
        ("database_url", "postgresql+asyncpg:///db", "needs a host"),
        ("slack_api_url", "slack.com/api", "SLACK_API_URL"),
        ("github_api_url", "https://ghe.example:99999/api/v3", "malformed port"),
    ],
)
def test_malformed_addresses_are_settings_problems(field: str, value: str, said: str) -> None:
    with pytest.raises(ValidationError) as refused:
        Settings(_env_file=None, **{field: value})  # type: ignore[call-arg]
    assert any(said in line for line in describe_validation_error(refused.value))


def test_plain_database_schemes_mean_their_async_drivers() -> None:
    settings = Settings(_env_file=None, database_url="postgresql://u@db/x")  # type: ignore[call-arg]
    assert settings.database_url == "postgresql+asyncpg://u@db/x"


def test_a_missing_or_bad_github_app_key_is_named(tmp_path: Path) -> None:
    app = {"github_app_id": 1, "github_app_installation_id": 2, "github_org": "acme"}
    with pytest.raises(ValidationError, match="cannot read"):
        Settings(_env_file=None, github_app_private_key_path=tmp_path / "nope.pem", **app)  # type: ignore[call-arg]
    bad = tmp_path / "bad.pem"
    bad.write_text("hello")
    with pytest.raises(ValidationError, match="not a PEM private key"):
        Settings(_env_file=None, github_app_private_key_path=bad, **app)  # type: ignore[call-arg]


async def test_a_busy_port_stops_the_bot_with_one_line(app_settings: SettingsFactory) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(StartupError, match=f"cannot listen on 127.0.0.1:{port}"):
            await serve(app_settings(port=port))


async def test_an_address_this_machine_lacks_stops_the_bot_with_one_line(
    app_settings: SettingsFactory,
) -> None:
    with pytest.raises(StartupError, match=r"cannot listen on 192\.0\.2\.1"):
        await serve(app_settings(host="192.0.2.1"))
