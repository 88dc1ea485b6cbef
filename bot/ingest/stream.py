"""Streaming an alert list: records decoded one at a time from a sliding window of the file and
validated a chunk at a time, so memory stays bounded whatever the file's size. A malformed record
raises `ImportFailed` naming it, numbered over the whole file (see `documents` for the rest)."""

from __future__ import annotations

import codecs
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter, ValidationError
from pydantic_core import from_json

from bot.ingest.documents import (
    _ADAPTERS,
    FileKind,
    _flatten_pages,
    _json_failure,
    _list_kind,
    read_file,
    validate_list_bytes,
)
from bot.ingest.errors import record_failure

CHUNK_RECORDS = 2000
"""Records validated (and then written) at a time when a list file is streamed."""
READ_BYTES = 4 * 1024 * 1024
"""How much of a streamed file is decoded at a time."""

_SPACE = " \t\n\r"


def peek_list(name: str, raw_head: bytes, *, whole: bool) -> tuple[FileKind | None, bool]:
    """The kind of a list file from its first record, and whether it is a `--slurp` list of pages.

    None when the head alone does not tell (then the file is read whole, as before).
    """
    try:
        peek = from_json(raw_head, allow_partial=True)
    except ValueError as exc:
        raise _json_failure(name, str(exc)) from exc
    if not isinstance(peek, list):
        return None, False
    slurp = bool(peek) and all(isinstance(page, list) for page in peek)
    flat = _flatten_pages(peek)
    assert isinstance(flat, list)
    kind = _list_kind(flat, complete=whole)
    return (None if kind is FileKind.EMPTY else kind), slurp


class _Malformed(Exception):
    """The streamed text is not a plain list (or list of pages): read the file whole instead."""


class _Records:
    """Records of `[...]` pages one after the other (or one `[[...], [...]]` list of pages),
    decoded one at a time with the standard library's C scanner from a sliding window of text."""

    def __init__(self, path: Path) -> None:
        self.file = path.open("rb")
        self.decoder = codecs.getincrementaldecoder("utf-8")("strict")
        self.json = json.JSONDecoder()
        self.text = ""
        self.at = 0
        self.eof = False
        first = self.file.read(3)
        if first != b"\xef\xbb\xbf":
            self.file.seek(0)

    def close(self) -> None:
        self.file.close()

    def _more(self) -> bool:
        if self.eof:
            return False
        block = self.file.read(READ_BYTES)
        try:
            fresh = self.decoder.decode(block, final=not block)
        except UnicodeDecodeError as exc:
            raise _Malformed from exc
        self.eof = not block
        self.text = self.text[self.at :] + fresh
        self.at = 0
        return True

    def _char(self) -> str | None:
        """The next character that is not white space (not consumed); None at the end."""
        while True:
            text, at = self.text, self.at
            while at < len(text) and text[at] in _SPACE:
                at += 1
            self.at = at
            if at < len(text):
                return text[at]
            if not self._more():
                return None

    def _expect(self, char: str) -> None:
        if self._char() != char:
            raise _Malformed
        self.at += 1

    def _value(self) -> Any:
        while True:
            try:
                value, end = self.json.raw_decode(self.text, self.at)
            except json.JSONDecodeError as exc:
                if not self._more():
                    raise _Malformed from exc
                continue
            # A value that ends the text may go on in the next block: decode it again with more.
            if end == len(self.text) and not self.eof and self._more():
                continue
            self.at = end
            return value

    def _page(self) -> Iterator[Any]:
        self._expect("[")
        if self._char() == "]":
            self.at += 1
            return
        while True:
            yield self._value()
            char = self._char()
            self.at += 1
            if char == "]":
                return
            if char != ",":
                raise _Malformed

    def records(self, slurp: bool) -> Iterator[Any]:
        if not slurp:
            while self._char() is not None:
                yield from self._page()
            return
        self._expect("[")
        while True:
            yield from self._page()
            char = self._char()
            self.at += 1
            if char == "]":
                break
            if char != ",":
                raise _Malformed
        if self._char() is not None:
            raise _Malformed


def stream_list(
    name: str, path: Path, kind: FileKind, *, slurp: bool, size: int | None = None
) -> Iterator[list[Any]]:
    """Validated records of a list file, `size` at a time, without holding the whole file.

    Errors are those of `validate_list_bytes`, record numbers counted over the whole file: a file
    that is not a plain list of pages is handed to it whole, which says what is wrong.
    """
    size = size or CHUNK_RECORDS
    adapter = _ADAPTERS[kind]
    done = 0
    records = _Records(path)
    try:
        chunk: list[Any] = []
        try:
            for record in records.records(slurp):
                chunk.append(record)
                if len(chunk) == size:
                    yield _validate_chunk(name, adapter, chunk, done)
                    done += len(chunk)
                    chunk = []
        except (_Malformed, RecursionError):
            chunk = []
            fallback = True
        else:
            fallback = False
        if fallback:
            records.close()
            _, items = validate_list_bytes(name, read_file(path))
            rest = items[done:]
            for start in range(0, len(rest), size):
                yield rest[start : start + size]
            return
        if chunk:
            yield _validate_chunk(name, adapter, chunk, done)
    finally:
        records.close()


def _validate_chunk(name: str, adapter: TypeAdapter[Any], chunk: list[Any], done: int) -> list[Any]:
    try:
        return list(adapter.validate_python(chunk))
    except ValidationError as exc:
        raise record_failure(name, exc, lambda: chunk, offset=done) from exc
