"""`campaignbot import`: GitHub REST JSON exports and SARIF 2.1.0 logs, recognized by their content.

Two phases. First every file is recognized, and all but alert lists are read and validated
(`plan_files`; `parse_files` reads alert lists too, `parse_documents` takes data already in memory
such as the demo organization). Then everything is written in one transaction (`write`): alert
lists, the large files, are streamed there, read, validated and laid out as rows (`rows`, no
`Alert` model per record) `CHUNK_RECORDS` at a time in a thread, and upserted chunk by chunk through
one `store.bulk.AlertWriter`, so a 100 MB export never sits in memory whole. A malformed
record anywhere raises `ImportFailed` inside that transaction, which rolls back: nothing is written,
and the error names the file, the record and the problem in words a person can act on. Later records
win across chunks as within one: a later chunk's upsert overwrites the row, and the report counts
each alert once.

Recognized content (each as the API returns it, a `gh api --paginate` concatenation of pages, or a
`--slurp` list of pages):
- code-scanning alert lists, organization or repository level;
- secret-scanning alert lists, organization or repository level;
- repository lists (`GET /orgs/{org}/repos`);
- custom property values (`GET /orgs/{org}/properties/values`);
- SARIF 2.1.0 logs: each result is a code alert numbered per repository by its fingerprint.

Re-importing updates and never duplicates: GitHub alerts are keyed by repository, kind and number;
SARIF results by their fingerprint, which keeps its alert number and first-seen date.

This module holds the two phases; reading and recognizing files is `documents`, SARIF is `sarif`,
and the wording of failures is `errors`.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.core.clock import system_clock
from bot.core.models import Alert, AlertKind, Repository
from bot.github import payloads
from bot.github.rows import alert_rows
from bot.ingest.documents import (
    FileKind,
    first_byte,
    is_sarif,
    load,
    read_file,
    read_head,
    unrecognized,
    validate_list,
    validate_list_bytes,
)
from bot.ingest.errors import ImportFailed
from bot.ingest.report import FileSummary, ImportReport
from bot.ingest.sarif import parse_sarif
from bot.ingest.stream import peek_list, stream_list
from store import alerts as alert_store
from store import bulk, fingerprints
from store import repositories as repository_store
from store.alert_rows import AlertKey, AlertRows

CODE = AlertKind.CODE.value
SECRET = AlertKind.SECRET.value


@dataclass
class Batch:
    """Everything parsed from the files, validated and ready to write. Later records win."""

    files: list[FileSummary] = field(default_factory=list)
    repositories: dict[str, Repository] = field(default_factory=dict)
    properties: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    alerts: dict[AlertKey, payloads.AlertItem] = field(default_factory=dict)
    """Validated GitHub alert payloads by key; written as rows (`rows.alert_rows`)."""
    github_ids: dict[str, int | None] = field(default_factory=dict)
    sarif: dict[tuple[str, str], Alert] = field(default_factory=dict)
    """(repository, fingerprint) → a code alert still without its number."""

    def add_alerts(self, items: Sequence[payloads.AlertItem]) -> None:
        for item in items:
            name = item.repository_full_name or ""
            kind = (
                AlertKind.CODE if isinstance(item, payloads.CodeScanningAlert) else AlertKind.SECRET
            )
            self.alerts[(name.lower(), kind.value, item.number)] = item
            if item.repository_github_id is not None:
                self.github_ids[name] = item.repository_github_id

    def add_repositories(self, items: Sequence[payloads.RepositoryItem]) -> None:
        for item in items:
            repo = item.to_repository()
            self.repositories[repo.full_name.lower()] = repo

    def add_properties(self, items: Sequence[payloads.RepositoryPropertyValues]) -> None:
        for item in items:
            self.properties[item.repository_full_name] = item.values()

    def add_sarif(self, alerts: Iterable[Alert]) -> None:
        for alert in alerts:
            assert alert.fingerprint is not None
            self.sarif[(alert.repository.lower(), alert.fingerprint)] = alert


def _add(batch: Batch, kind: FileKind, items: list[Any]) -> None:
    if kind in (FileKind.CODE_ALERTS, FileKind.SECRET_ALERTS):
        batch.add_alerts(items)
    elif kind is FileKind.REPOSITORIES:
        batch.add_repositories(items)
    elif kind is FileKind.PROPERTY_VALUES:
        batch.add_properties(items)


# --- parse phase ----------------------------------------------------------------------------------


def _check_repository_argument(sarif_repository: str | None) -> None:
    if sarif_repository is not None and not payloads.is_full_name(sarif_repository):
        raise ImportFailed(f"--repo: {sarif_repository!r} is not a repository (OWNER/REPO)")


def _parse_data(
    batch: Batch, name: str, data: object, sarif_repository: str | None, now: datetime
) -> None:
    if isinstance(data, dict):
        if not is_sarif(data):
            raise unrecognized(name, data)
        alerts = parse_sarif(name, data, sarif_repository, now)
        batch.add_sarif(alerts)
        batch.files.append(FileSummary(path=name, kind=FileKind.SARIF, records=len(alerts)))
        return
    kind, items = validate_list(name, data)
    _add(batch, kind, items)
    batch.files.append(FileSummary(path=name, kind=kind, records=len(items)))


def _parse_file(batch: Batch, path: Path, sarif_repository: str | None, now: datetime) -> None:
    raw = read_file(path)
    name = str(path)
    if first_byte(raw) == b"[":
        kind, items = validate_list_bytes(name, raw)
        _add(batch, kind, items)
        batch.files.append(FileSummary(path=name, kind=kind, records=len(items)))
        return
    _parse_data(batch, name, load(name, raw), sarif_repository, now)


def parse_files(
    paths: Sequence[Path], *, sarif_repository: str | None = None, now: datetime | None = None
) -> Batch:
    """Read, recognize and validate every file; raise `ImportFailed` on the first bad one."""
    _check_repository_argument(sarif_repository)
    batch = Batch()
    moment = now or system_clock()
    with bulk.no_gc():
        for path in paths:
            _parse_file(batch, Path(path), sarif_repository, moment)
    return batch


@dataclass
class Stream:
    """An alert list file to be read, validated and written a chunk at a time."""

    path: Path
    kind: FileKind
    slurp: bool
    summary: FileSummary


STREAMED = (FileKind.CODE_ALERTS, FileKind.SECRET_ALERTS)


def plan_files(
    paths: Sequence[Path], *, sarif_repository: str | None = None, now: datetime | None = None
) -> tuple[Batch, list[Stream]]:
    """Like `parse_files`, but alert lists are only recognized here and streamed by `write`.

    Repository lists, custom property values and SARIF logs are read whole into the batch.
    """
    _check_repository_argument(sarif_repository)
    batch = Batch()
    streams: list[Stream] = []
    moment = now or system_clock()
    with bulk.no_gc():
        for given in paths:
            path = Path(given)
            head, whole = read_head(path)
            if head is not None and first_byte(head) == b"[":
                kind, slurp = peek_list(str(path), head, whole=whole)
                if kind in STREAMED:
                    assert kind is not None
                    summary = FileSummary(path=str(path), kind=kind, records=0)
                    batch.files.append(summary)
                    streams.append(Stream(path, kind, slurp, summary))
                    continue
            _parse_file(batch, path, sarif_repository, moment)
    return batch, streams


def parse_documents(
    documents: Iterable[tuple[str, object]],
    *,
    sarif_repository: str | None = None,
    now: datetime | None = None,
) -> Batch:
    """Like `parse_files`, for JSON already in memory: (name for messages, decoded JSON) pairs."""
    _check_repository_argument(sarif_repository)
    batch = Batch()
    moment = now or system_clock()
    with bulk.no_gc():
        for name, data in documents:
            _parse_data(batch, name, data, sarif_repository, moment)
    return batch


# --- write phase ----------------------------------------------------------------------------------


async def _number_sarif(conn: AsyncConnection, sarif: Iterable[Alert]) -> list[Alert]:
    """Give SARIF alerts their numbers: a known fingerprint keeps its number and first-seen date."""
    by_repo: dict[str, list[Alert]] = {}
    for alert in sarif:
        by_repo.setdefault(alert.repository, []).append(alert)
    if not by_repo:
        return []
    ids = await repository_store.ensure(conn, {name: None for name in by_repo})
    numbered: list[Alert] = []
    for name, items in by_repo.items():
        repository_id = ids[name.lower()]
        known = await fingerprints.known(
            conn, repository_id, [a.fingerprint for a in items if a.fingerprint]
        )
        following = await alert_store.next_number(conn, repository_id, AlertKind.CODE)
        for alert in items:
            assert alert.fingerprint is not None
            if alert.fingerprint in known:
                alert.number, alert.created_at = known[alert.fingerprint]
            else:
                alert.number, following = following, following + 1
            numbered.append(alert)
    return numbered


class _Alerts:
    """GitHub-numbered alerts written so far, a chunk at a time, counted as one batch would be.

    A later chunk overwrites an alert an earlier one wrote (later records win); the upsert counts
    that as an update, so it is taken off: each alert is counted once, as new or updated by what
    the database held before the import.
    """

    def __init__(self, report: ImportReport, writer: bulk.AlertWriter) -> None:
        self.report = report
        self.writer = writer
        self.seen: set[AlertKey] = set()

    async def write(self, rows: AlertRows) -> None:
        await self.writer.stage(rows)
        await self.applied(rows)

    async def applied(self, rows: AlertRows) -> None:
        """Apply the staged `rows` and count them."""
        result = await self.writer.apply()
        seen, again, code = self.seen, 0, 0
        for key in rows.keys:
            if key in seen:
                again += 1
                continue
            seen.add(key)
            code += key[1] == CODE
        self.report.code += code
        self.report.secret += len(rows.keys) - again - code
        self.report.inserted += result.inserted
        self.report.updated += result.updated - again


def _chunks(stream: Stream, convert: bulk.Converter) -> Generator[AlertRows, None, None]:
    """Rows of a streamed file a chunk at a time, values already as the driver binds them."""
    records = 0
    for items in stream_list(str(stream.path), stream.path, stream.kind, slurp=stream.slurp):
        records += len(items)
        rows = alert_rows(items)
        rows.values = convert(rows.values)
        yield rows
    stream.summary.records = records


def _next_chunk(chunks: Generator[AlertRows, None, None]) -> AlertRows | None:
    with bulk.no_gc():
        return next(chunks, None)


SWITCH_INTERVAL = 0.0005
"""Seconds a thread holds the GIL when another wants it, while a file streams (Python's default:
0.005). The database's thread gives the GIL up inside each statement and waits for it back
after; with the reading thread busy, each wait lasted the whole interval, several per chunk."""


@contextlib.contextmanager
def _quick_switches() -> Iterator[None]:
    before = sys.getswitchinterval()
    sys.setswitchinterval(min(before, SWITCH_INTERVAL))
    try:
        yield
    finally:
        sys.setswitchinterval(before)


async def _write_stream(stream: Stream, alerts: _Alerts) -> None:
    """Stream a file: its next chunk is read, validated and laid out in a thread while the
    database applies this one (set-based statements, which leave the GIL to the reader)."""
    with _quick_switches():
        await _pipeline(stream, alerts)


async def _pipeline(stream: Stream, alerts: _Alerts) -> None:
    chunks = _chunks(stream, alerts.writer.convert)
    pending = asyncio.ensure_future(asyncio.to_thread(_next_chunk, chunks))
    try:
        while (chunk := await pending) is not None:
            await alerts.writer.stage(chunk, converted=True)
            pending = asyncio.ensure_future(asyncio.to_thread(_next_chunk, chunks))
            await alerts.applied(chunk)
    finally:
        if not pending.done():
            # The write failed: let the thread finish its chunk, then close the file.
            await asyncio.wait([pending])
        if pending.done() and not pending.cancelled():
            pending.exception()  # retrieved: the write's failure is the one raised
        with contextlib.suppress(ValueError):  # still running in its thread after a cancel
            chunks.close()


ANALYZE_FROM = 2000
"""Imports writing this many alerts refresh the planner's statistics afterwards."""


async def write(
    conn: AsyncConnection, batch: Batch, streams: Sequence[Stream] = (), *, analyze: bool = True
) -> ImportReport:
    """Write a parsed batch, and stream alert list files, on the caller's connection (one
    transaction: all or nothing; a bad record in a stream raises `ImportFailed` mid-write).

    `analyze`: after many alerts, refresh the planner's statistics in the transaction (the
    caller may rather vacuum after the commit, as `import_files` does)."""
    report = ImportReport(files=list(batch.files))
    if batch.repositories:
        await repository_store.upsert_many(conn, list(batch.repositories.values()))
        report.repositories = len(batch.repositories)
    if batch.properties:
        await repository_store.set_properties(conn, batch.properties)
        report.properties = len(batch.properties)
    async with bulk.AlertWriter(conn) as writer:
        alerts = _Alerts(report, writer)
        if batch.alerts:
            with bulk.no_gc():
                rows = alert_rows(batch.alerts.values())
            rows.github_ids.update(batch.github_ids)
            await alerts.write(rows)
        for stream in streams:
            await _write_stream(stream, alerts)
        # After the GitHub-numbered alerts, so new SARIF numbers follow theirs.
        sarif = await _number_sarif(conn, batch.sarif.values())
        result = await writer.write_alerts(sarif)
    report.inserted += result.inserted
    report.updated += result.updated
    report.code += len(sarif)
    if analyze and report.alerts >= ANALYZE_FROM:
        await bulk.analyze(conn)
    return report


async def import_files(
    engine: AsyncEngine,
    paths: Sequence[Path],
    sarif_repository: str | None = None,
    *,
    now: datetime | None = None,
) -> ImportReport:
    """Import files, recognized by content, in one transaction; `ImportFailed` writes nothing.

    `sarif_repository` (OWNER/REPO) names the repository of SARIF logs, overriding their
    `versionControlProvenance`; `now` dates SARIF results whose log records no run time.
    """
    batch, streams = await asyncio.to_thread(
        plan_files, paths, sarif_repository=sarif_repository, now=now
    )
    # The cyclic collector stays paused while streaming (see `bulk.no_gc`): re-enabled between
    # chunks, each of its full passes over the live objects cost more than the chunk's upsert.
    with bulk.no_gc():
        async with engine.begin() as conn:
            report = await write(conn, batch, streams, analyze=False)
    if report.alerts >= ANALYZE_FROM:
        await bulk.vacuum(engine)
    return report
