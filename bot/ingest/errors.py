"""Import errors in words a person can act on: the file, the record and what is wrong with it."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from bot.github import payloads


class ImportFailed(Exception):
    """A file cannot be imported; `message` names the file, the record and what is wrong."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


_TYPE_TAG = re.compile(r"\[|^(str|int|float|bool|list|dict|none|null)$")
_QUOTED = re.compile(r"'([^']*)'|\"([^\"]*)\"")


def json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def show(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        text = value if len(value) <= 60 else value[:57] + "..."
        return repr(text)
    if isinstance(value, dict | list):
        return f"a JSON {json_type(value)}"
    return repr(value)


def _where(loc: Sequence[int | str]) -> str:
    """A location as people write it: `most_recent_instance.classifications[0]`."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        elif not _TYPE_TAG.search(part):
            text += f".{part}" if text else part
    return text


def describe_error(error: ErrorDetails, loc: Sequence[int | str]) -> str:
    """One pydantic error as a short sentence: "missing field 'rule'"."""
    where = _where(loc)
    kind = error["type"]
    value = error.get("input")
    ctx = error.get("ctx") or {}
    if kind == "missing":
        return f"missing field '{where}'"
    if kind in ("literal_error", "enum"):
        expected = ", ".join(a or b for a, b in _QUOTED.findall(str(ctx.get("expected", ""))))
        return f"{where}: {show(value)} is not one of {expected}"
    if kind == "value_error":
        return f"{where}: {ctx.get('error', error['msg'])}" if where else str(ctx.get("error"))
    if kind.startswith(("datetime", "date_")):
        return f"{where}: {show(value)} is not a date-time (like 2024-05-01T12:00:00Z)"
    if kind.startswith("int_"):
        return f"{where}: {show(value)} is not a whole number"
    if kind.startswith("float_"):
        return f"{where}: {show(value)} is not a number"
    if kind.startswith("bool_"):
        return f"{where}: {show(value)} is not true or false"
    if kind.startswith("string_"):
        return f"{where}: expected text, got {show(value)}"
    if kind in ("list_type", "tuple_type"):
        return f"{where}: expected a list, got {show(value)}"
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        return f"{where}: expected an object, got {show(value)}"
    return f"{where}: {error['msg']}" if where else error["msg"]


def _identify(items: object, index: int) -> str:
    """How a person finds the record: the alert number and repository, or the repository."""
    if not isinstance(items, list) or not 0 <= index < len(items):
        return ""
    item = items[index]
    if not isinstance(item, dict):
        return ""
    repo = item.get("repository")
    name = repo.get("full_name") if isinstance(repo, dict) else None
    name = name or payloads.repository_from_url(_str(item.get("url")))
    name = name or payloads.repository_from_url(_str(item.get("html_url")))
    number = item.get("number")
    if isinstance(number, int) and not isinstance(number, bool):
        return f"alert #{number} in {name}" if name else f"alert #{number}"
    full_name = item.get("full_name") or item.get("repository_full_name")
    return f"repository {full_name}" if isinstance(full_name, str) else ""


def _str(value: object) -> str | None:
    return value if isinstance(value, str) else None


def more_problems(errors: list[ErrorDetails]) -> str:
    extra = len(errors) - 1
    return f" (and {extra} more problem{'s' if extra > 1 else ''})" if extra else ""


def record_failure(
    name: str, exc: ValidationError, items: Callable[[], object], *, offset: int = 0
) -> ImportFailed:
    """`offset`: how many records of the file come before `items` (a streamed chunk)."""
    errors = exc.errors(include_url=False)
    first = errors[0]
    loc = list(first["loc"])
    if loc and isinstance(loc[0], int):
        index = loc[0]
        who = _identify(items(), index)
        record = f"record [{offset + index}]" + (f" ({who})" if who else "")
        return ImportFailed(
            f"{name}: {record}: {describe_error(first, loc[1:])}{more_problems(errors)}"
        )
    return ImportFailed(f"{name}: {describe_error(first, loc)}{more_problems(errors)}")
