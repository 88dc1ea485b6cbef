"""Streaming an alert list: records decoded a window of the file at a time and validated a chunk
at a time, so memory stays bounded whatever the file's size. A malformed record
raises `ImportFailed` naming it, numbered over the whole file (see `documents` for the rest)."""

from __future__ import annotations

import re
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


_CUT = re.compile(rb"\}[ \t\n\r]*(?:,[ \t\n\r]*\{|\])")
"""Where a record may end: a closing brace before the next object or before the page's end.
Most such places inside a record (nested objects in arrays) or inside a string fail to parse as
the end of a list, so a cut is only taken when the text up to it parses."""
_WHITE = b" \t\n\r"


class _Records:
    """Records of `[...]` pages one after the other (or one `[[...], [...]]` list of pages),
    read from a sliding window of the file's bytes and decoded many at a time by pydantic-core.

    Each batch is the text from the current record to a place where a record may end (`_CUT`),
    decoded as one list: the last such place in the window when that parses (almost always),
    else the first one that does. Twice as fast as the standard library decoding each record
    alone. A page that is not a list of objects is `_Malformed`: the file is then read whole.
    """

    def __init__(self, path: Path) -> None:
        self.file = path.open("rb")
        self.buffer = b""
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
        self.eof = not block
        self.buffer = self.buffer[self.at :] + block
        self.at = 0
        return bool(block)

    def _char(self) -> int | None:
        """The next byte that is not white space (not consumed); None at the end."""
        while True:
            buffer, at = self.buffer, self.at
            while at < len(buffer) and buffer[at] in _WHITE:
                at += 1
            self.at = at
            if at < len(buffer):
                return buffer[at]
            if not self._more():
                return None

    def _expect(self, char: bytes) -> None:
        if self._char() != char[0]:
            raise _Malformed
        self.at += 1

    def _batch(self) -> list[Any]:
        """Records from the current one (a `{`) to a place where one ends, at least one."""
        while len(self.buffer) - self.at < READ_BYTES and self._more():
            pass
        while True:
            cuts = [match.start() + 1 for match in _CUT.finditer(self.buffer, self.at)]
            for cut in _tries(cuts):
                try:
                    records = from_json(b"[" + self.buffer[self.at : cut] + b"]")
                except ValueError:
                    continue
                self.at = cut
                return records
            if not self._more():
                raise _Malformed

    def _page(self) -> Iterator[list[Any]]:
        self._expect(b"[")
        while True:
            char = self._char()
            if char == ord("]"):
                self.at += 1
                return
            if char != ord("{"):
                raise _Malformed
            yield self._batch()
            char = self._char()
            if char == ord(","):
                self.at += 1
            elif char != ord("]"):
                raise _Malformed

    def records(self, slurp: bool) -> Iterator[list[Any]]:
        """Batches of records, in file order."""
        if not slurp:
            while self._char() is not None:
                yield from self._page()
            return
        self._expect(b"[")
        while True:
            yield from self._page()
            char = self._char()
            self.at += 1
            if char == ord("]"):
                break
            if char != ord(","):
                raise _Malformed
        if self._char() is not None:
            raise _Malformed


def _tries(cuts: list[int]) -> Iterator[int]:
    """The last two cuts (a big batch), then the others from the first on (a small one)."""
    yield from cuts[-1:-3:-1]
    yield from cuts[:-2]


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
            for batch in records.records(slurp):
                chunk += batch
                while len(chunk) >= size:
                    part, chunk = chunk[:size], chunk[size:]
                    yield _validate_chunk(name, adapter, part, done)
                    done += len(part)
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
