"""Settings from the environment (and `.env`), validated once at start (ARCHITECTURE §3)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.core.days import WEEKDAYS, parse_days

DATABASE_SCHEMES = frozenset({"sqlite", "sqlite+aiosqlite", "postgresql", "postgresql+asyncpg"})


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", env_ignore_empty=True)

    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_api_url: str = "https://slack.com/api/"

    database_url: str = "sqlite+aiosqlite:///campaignbot.db"

    github_org: str | None = None
    github_token: SecretStr | None = None
    github_app_id: int | None = None
    github_app_private_key: SecretStr | None = None
    github_app_private_key_path: Path | None = None
    github_app_installation_id: int | None = None
    github_api_url: str = "https://api.github.com"
    github_webhook_secret: SecretStr | None = None
    github_publish_campaigns: bool = False

    campaign_admins: str = ""
    campaign_admin_group: str | None = None
    campaign_timezone: str = "UTC"
    max_active_campaigns: int = Field(default=10, ge=1)
    max_campaign_alerts: int = Field(default=1000, ge=1)
    big_campaign_repositories: int = Field(default=100, ge=1)

    reminder_days: str = "7,1,0"
    """Channel reminders: days before the due date (then weekly while overdue)."""
    reminder_dm_days: str = "3,0"
    """Reminder DMs to assignees: days before the due date (then weekly, at most 4 weeks)."""
    reminder_hour: int = Field(default=9, ge=0, le=23)
    digest_day: str = "monday"
    digest_hour: int = Field(default=9, ge=0, le=23)
    reminder_catch_up_hours: int = Field(default=24, ge=1, le=24 * 7)
    digest_catch_up_hours: int = Field(default=48, ge=1, le=24 * 7)
    scheduler_interval_seconds: int = Field(default=300, ge=5, le=3600)
    """How often `campaignbot run` asks each clock job what is due."""

    playbook_guides_dir: Path | None = None
    """A folder of remediation guides (TOML) that replace or add to the built-in ones."""
    escalation_rules: Path | None = None
    """A TOML file of escalation rules and experts; without it, only the built-in rule applies."""
    escalation_channel: str | None = None
    """Where the built-in rule (an active, publicly leaked secret) escalates at once."""
    exception_max_days: int = Field(default=180, ge=1, le=3650)
    """The longest an exception may last before its alert is reopened."""
    exception_warn_days: int = Field(default=7, ge=0, le=90)
    """Days before an exception expires that its requester and the manager are warned."""

    host: str = "0.0.0.0"  # noqa: S104 - a server listens on all interfaces by default
    port: int = Field(default=3000, ge=1, le=65535)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    log_format: Literal["text", "json"] = "text"

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        """SQLite (aiosqlite) or PostgreSQL (asyncpg) URLs, checked by shape, not by connecting."""
        scheme, sep, rest = value.partition("://")
        if not sep or scheme not in DATABASE_SCHEMES:
            raise ValueError(
                "must look like sqlite+aiosqlite:///campaignbot.db or "
                "postgresql+asyncpg://USER@HOST:5432/DB"
            )
        if scheme.startswith("postgresql") and not rest.split("/", 1)[0]:
            raise ValueError("a PostgreSQL URL needs a host: postgresql+asyncpg://USER@HOST/DB")
        # The bot is asynchronous: the plain spellings mean their asyncio drivers.
        driver = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+asyncpg"}
        return f"{driver.get(scheme, scheme)}://{rest}"

    @field_validator("slack_api_url", "github_api_url")
    @classmethod
    def _web_address(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("https", "http") or not parts.hostname:
            raise ValueError(f"{value!r} is not an http(s) URL")
        try:
            parts.port  # noqa: B018 - raises on a malformed port
        except ValueError as exc:
            raise ValueError(f"{value!r} has a malformed port") from exc
        return value

    @field_validator("reminder_days", "reminder_dm_days")
    @classmethod
    def _day_list(cls, value: str) -> str:
        return ",".join(str(day) for day in parse_days(value))

    @field_validator("digest_day", mode="before")
    @classmethod
    def _weekday(cls, value: object) -> object:
        if isinstance(value, str) and value.strip().lower() in WEEKDAYS:
            return value.strip().lower()
        raise ValueError(f"{value!r} is not a day of the week (monday … sunday)")

    @field_validator("campaign_timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @model_validator(mode="after")
    def _private_key_readable(self) -> Settings:
        """A GitHub App key that is missing or not a PEM private key is a settings problem."""
        path = self.github_app_private_key_path
        if path is not None and self.github_app_private_key is None:
            try:
                pem = path.read_text()
            except OSError as exc:
                raise ValueError(
                    f"GITHUB_APP_PRIVATE_KEY_PATH: cannot read {path}: {exc.strerror}"
                ) from None
        elif self.github_app_private_key is not None:
            pem = self.github_app_private_key.get_secret_value()
        else:
            return self
        if "PRIVATE KEY-----" not in pem:
            raise ValueError("the GitHub App private key is not a PEM private key")
        return self

    @model_validator(mode="after")
    def _github_auth_complete(self) -> Settings:
        app_parts = [self.github_app_id, self.github_app_installation_id]
        if any(part is not None for part in app_parts) and not (
            all(part is not None for part in app_parts)
            and (self.github_app_private_key or self.github_app_private_key_path)
        ):
            raise ValueError(
                "GitHub App auth needs GITHUB_APP_ID, GITHUB_APP_INSTALLATION_ID and "
                "GITHUB_APP_PRIVATE_KEY (or GITHUB_APP_PRIVATE_KEY_PATH)"
            )
        return self

    @property
    def admin_ids(self) -> frozenset[str]:
        return frozenset(part.strip() for part in self.campaign_admins.split(",") if part.strip())

    @property
    def socket_mode(self) -> bool:
        return self.slack_app_token is not None

    @property
    def github_connected(self) -> bool:
        return bool(self.github_org) and (
            self.github_token is not None or self.github_app_id is not None
        )

    def problems_for_run(self) -> list[str]:
        """Everything `campaignbot run` needs that is missing or malformed, in one list."""
        problems: list[str] = []
        token = self.slack_bot_token.get_secret_value() if self.slack_bot_token else ""
        if not token:
            problems.append("SLACK_BOT_TOKEN is required")
        elif not token.startswith("xoxb-"):
            problems.append("SLACK_BOT_TOKEN must be a bot token starting with xoxb-")
        if self.slack_app_token is not None:
            if not self.slack_app_token.get_secret_value().startswith("xapp-"):
                problems.append("SLACK_APP_TOKEN must be an app-level token starting with xapp-")
        elif not self.slack_signing_secret:
            problems.append("SLACK_SIGNING_SECRET is required in HTTP mode (no SLACK_APP_TOKEN)")
        if not self.admin_ids and not self.campaign_admin_group:
            problems.append("CAMPAIGN_ADMINS or CAMPAIGN_ADMIN_GROUP must name a security manager")
        if self.github_token is not None and not self.github_org:
            problems.append("GITHUB_ORG is required when GITHUB_TOKEN is set")
        return problems


def describe_validation_error(error: ValidationError) -> list[str]:
    """Turn pydantic's errors into one line per setting, named as the environment variable."""
    lines = []
    for item in error.errors():
        name = "_".join(str(part) for part in item["loc"]).upper() or "settings"
        lines.append(f"{name}: {item['msg']}")
    return lines


def load_settings() -> Settings:
    return Settings()
