"""Reading JSON files and recognizing what they hold: GitHub lists by their fields, SARIF by shape.

A list file is recognized from its first record. An alert list is then streamed (`stream_list`):
decoded a window of the file at a time and validated a chunk at a time, so
memory stays bounded whatever the file's size. Other lists are validated whole in pydantic-core.
A malformed file raises `ImportFailed` naming the record, numbered over the whole file.
"""

from __future__ import annotations

import json
import re
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter, ValidationError
from pydantic_core import from_json

from bot.github import payloads
from bot.ingest.errors import ImportFailed, json_type, record_failure


class FileKind(StrEnum):
    CODE_ALERTS = "code-scanning alerts"
    SECRET_ALERTS = "secret-scanning alerts"  # noqa: S105 - a name, not a password
    REPOSITORIES = "repositories"
    PROPERTY_VALUES = "custom property values"
    SARIF = "SARIF"
    EMPTY = "empty list"


RECOGNIZED = (
    "a code-scanning alert list (GET /orgs/{org}/code-scanning/alerts or "
    "/repos/{owner}/{repo}/code-scanning/alerts), "
    "a secret-scanning alert list (GET /orgs/{org}/secret-scanning/alerts or "
    "/repos/{owner}/{repo}/secret-scanning/alerts), "
    "a repository list (GET /orgs/{org}/repos), "
    "custom property values (GET /orgs/{org}/properties/values), "
    "or a SARIF 2.1.0 log"
)

PEEK_BYTES = 64 * 1024
"""How much of a list file is read to recognize it before validating the whole file in one pass."""


_ADAPTERS: dict[FileKind, TypeAdapter[Any]] = {
    FileKind.CODE_ALERTS: payloads.CODE_ALERTS,
    FileKind.SECRET_ALERTS: payloads.SECRET_ALERTS,
    FileKind.REPOSITORIES: payloads.REPOSITORIES,
    FileKind.PROPERTY_VALUES: payloads.PROPERTY_VALUES,
}


_SIGNALS: dict[FileKind, frozenset[str]] = {
    FileKind.CODE_ALERTS: frozenset(
        {"rule", "tool", "most_recent_instance", "instances_url", "fixed_at", "dismissed_reason"}
    ),
    FileKind.SECRET_ALERTS: frozenset(
        {
            "secret_type",
            "secret_type_display_name",
            "secret",
            "locations_url",
            "resolution",
            "resolved_at",
            "validity",
            "push_protection_bypassed",
        }
    ),
    FileKind.PROPERTY_VALUES: frozenset({"repository_full_name", "properties"}),
    FileKind.REPOSITORIES: frozenset(
        {"full_name", "private", "visibility", "default_branch", "topics", "pushed_at", "fork"}
    ),
}
_URL_HINTS = {"/code-scanning/": FileKind.CODE_ALERTS, "/secret-scanning/": FileKind.SECRET_ALERTS}


def item_kind(item: object) -> FileKind | None:
    """Which list an item belongs to, by the fields it has; None when nothing fits."""
    if not isinstance(item, dict):
        return None
    scores = {kind: len(signals.intersection(item)) for kind, signals in _SIGNALS.items()}
    for key in ("url", "html_url"):
        value = item.get(key)
        for hint, kind in _URL_HINTS.items():
            if isinstance(value, str) and hint in value:
                scores[kind] += 2
    if "number" in item:
        scores[FileKind.REPOSITORIES] = 0
    best = max(scores, key=lambda kind: scores[kind])
    return best if scores[best] > 0 else None


def _list_kind(items: list[Any], *, complete: bool) -> FileKind | None:
    if not items:
        return FileKind.EMPTY if complete else None
    return item_kind(items[0])


def _flatten_pages(data: object) -> object:
    """`gh api --paginate --slurp` gives a list of pages; join them into one list."""
    if isinstance(data, list) and data and all(isinstance(page, list) for page in data):
        return [item for page in data for item in page]
    return data


def is_sarif(data: dict[str, Any]) -> bool:
    schema = data.get("$schema")
    return (
        "runs" in data
        or (isinstance(schema, str) and "sarif" in schema.lower())
        or ("version" in data and str(data.get("version", "")).startswith("2."))
    )


def _describe_shape(data: object) -> str:
    if isinstance(data, dict):
        keys = ", ".join(sorted(data)[:8]) or "no keys"
        return f"a JSON object with {keys}"
    if isinstance(data, list):
        if not data:
            return "an empty list"
        first = data[0]
        if isinstance(first, dict):
            keys = ", ".join(sorted(first)[:8]) or "no keys"
            return f"a list of objects with {keys}"
        return f"a list of {json_type(first)}s"
    return f"a JSON {json_type(data)}"


def unrecognized(name: str, data: object) -> ImportFailed:
    return ImportFailed(
        f"{name}: not a file campaignbot can import: found {_describe_shape(data)}; "
        f"expected {RECOGNIZED}"
    )


def read_file(path: Path) -> bytes:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ImportFailed(f"{path}: cannot read the file: {exc.strerror or exc}") from exc
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    if first_byte(raw) is None:
        raise ImportFailed(f"{path}: the file is empty")
    return raw


def read_head(path: Path) -> tuple[bytes | None, bool]:
    """The first `PEEK_BYTES` of a file without a byte-order mark, and whether that is all of it.

    None when the head is only white space: then `read_file` reads the file whole and says why.
    """
    try:
        with path.open("rb") as file:
            head = file.read(PEEK_BYTES + 3)
            whole = not file.read(1)
    except OSError as exc:
        raise ImportFailed(f"{path}: cannot read the file: {exc.strerror or exc}") from exc
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    return (head if first_byte(head) is not None else None), whole


_NOT_SPACE = re.compile(rb"\S")


def first_byte(raw: bytes) -> bytes | None:
    """The first character that is not white space, without copying a 100 MB file to find it."""
    match = _NOT_SPACE.search(raw)
    return match.group() if match else None


def _json_failure(name: str, detail: str, *, truncated: bool | None = None) -> ImportFailed:
    """pydantic-core says "EOF while parsing …" when the text stops inside a value."""
    if truncated if truncated is not None else detail.startswith("EOF"):
        return ImportFailed(f"{name}: the file ends early — truncated? ({detail})")
    return ImportFailed(f"{name}: not JSON ({detail})")


def _documents(name: str, raw: bytes) -> object:
    """Several JSON documents one after the other (`gh api --paginate` pages) as one list."""
    text = raw.decode("utf-8", errors="replace")
    decoder = json.JSONDecoder()
    pages: list[Any] = []
    at = 0
    while at < len(text):
        while at < len(text) and text[at].isspace():
            at += 1
        if at == len(text):
            break
        try:
            page, at = decoder.raw_decode(text, at)
        except json.JSONDecodeError as exc:
            detail = f"{exc.msg} at line {exc.lineno} column {exc.colno}"
            ends_early = not text[exc.pos :].strip() or exc.msg.startswith("Unterminated")
            raise _json_failure(name, detail, truncated=ends_early) from exc
        pages.append(page)
    if all(isinstance(page, list) for page in pages):
        return [item for page in pages for item in page]
    raise unrecognized(name, pages[0] if len(pages) == 1 else pages)


def load(name: str, raw: bytes) -> object:
    try:
        return from_json(raw)
    except ValueError as exc:
        detail = str(exc)
        if detail.startswith("trailing characters"):
            return _documents(name, raw)
        raise _json_failure(name, detail) from exc


def _partial(raw: bytes) -> object:
    try:
        return _flatten_pages(from_json(raw, allow_partial=True))
    except ValueError:
        return None


# --- lists of GitHub records ----------------------------------------------------------------------


def validate_list(name: str, data: object) -> tuple[FileKind, list[Any]]:
    data = _flatten_pages(data)
    if not isinstance(data, list):
        raise unrecognized(name, data)
    kind = _list_kind(data, complete=True)
    if kind is None:
        raise unrecognized(name, data)
    if kind is FileKind.EMPTY:
        return kind, []
    try:
        return kind, _ADAPTERS[kind].validate_python(data)
    except ValidationError as exc:
        raise record_failure(name, exc, lambda: data) from exc


def validate_list_bytes(name: str, raw: bytes) -> tuple[FileKind, list[Any]]:
    """Recognize a list from its first record, then validate the whole file in pydantic-core."""
    head = raw[:PEEK_BYTES]
    try:
        peek = from_json(head, allow_partial=True)
    except ValueError as exc:
        raise _json_failure(name, str(exc)) from exc
    kind = _list_kind(peek, complete=len(head) == len(raw)) if isinstance(peek, list) else None
    if kind is None or kind is FileKind.EMPTY:
        return validate_list(name, load(name, raw))
    try:
        return kind, _ADAPTERS[kind].validate_json(raw)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        if first["type"] != "json_invalid":
            raise record_failure(name, exc, lambda: _partial(raw)) from exc
        detail = str((first.get("ctx") or {}).get("error", first["msg"]))
        if detail.startswith("trailing characters"):
            return validate_list(name, _documents(name, raw))
        raise _json_failure(name, detail) from exc


# --- streaming large alert lists ------------------------------------------------------------------
