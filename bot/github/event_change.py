"""What every webhook handler hands back to the dispatcher (bot.github.events).

In a module of its own so the handlers (bot.github.event_*) share it without importing the
dispatcher, which imports them all.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

Json = Mapping[str, Any]


class Malformed(Exception):
    """The payload cannot be read; the delivery is dropped (the next sync reconciles)."""


@dataclass
class Change:
    alert_ids: list[int] = field(default_factory=list)
    note: str = ""
    ignored: bool = False
    """Nothing in the delivery concerned the inventory (the note says why)."""


def text(value: Any) -> str:
    return value if isinstance(value, str) else ""
