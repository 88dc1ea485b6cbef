"""Logging for `campaignbot run`: text or JSON lines on stderr, with every token redacted."""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import IO, Any

from bot.core.settings import Settings

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
