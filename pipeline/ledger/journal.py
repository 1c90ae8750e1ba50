"""Append-only journals beside the raw store: what the ledger knew, kept outside it.

Why: the ledger is one file (or one database). If it is lost, emptied or
damaged, the raw store still holds every message but not where it came from
or which case number it got, and the outbox .eml files do not say which were
sent. So every committed claim and every change of an outgoing mail is also
appended here, one JSON line each, after its transaction commits (a line is
always a fact the ledger held). `run.py rebuild` restores the ledger from
these lines with the same case numbers and without sending anything twice.

Lines are written with O_APPEND under an flock and fsynced; a reader skips a
torn last line. Files are owner-only (they name senders and addresses).
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import threading
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

CLAIMS = "claims.jsonl"
OUTBOX = "outbox.jsonl"
STREAMS = (CLAIMS, OUTBOX)
# Written by staff/journal.py (decisions, corrections, replies, scores, accounts, resends);
# read here too, because a ledger that lacks its entries must not start.
STAFF = "staff-journal.jsonl"
_STAGED = "journal:staged"


class Journal:
    """One directory of append-only JSON-lines files."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._lock = threading.Lock()

    def path(self, stream: str) -> Path:
        return self.directory / stream

    def append(self, stream: str, records: list[dict]) -> None:
        """Append records as lines in one write, then fsync: durable before we go on."""
        if not records:
            return
        data = "".join(json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n" for r in records)
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        with self._lock:
            fd = os.open(self.path(stream), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                os.write(fd, data.encode("utf-8"))
                os.fsync(fd)
            finally:
                os.close(fd)

    def read(self, stream: str) -> Iterator[dict]:
        """Every well-formed line in order; a torn or foreign line is skipped."""
        path = self.path(stream)
        if not path.exists():
            return
        with open(path, "rb") as fh:
            for raw in fh:
                try:
                    record = json.loads(raw)
                except ValueError:
                    continue
                if isinstance(record, dict):
                    yield record

    def last(self, stream: str, tail_bytes: int = 65536) -> dict | None:
        """The last well-formed line, reading only the end of the file (start-up check)."""
        records = self.tail(stream, tail_bytes)
        return records[-1] if records else None

    def tail(self, stream: str, tail_bytes: int = 65536) -> list[dict]:
        """The well-formed lines in the last `tail_bytes` of the file, in order (the first,
        probably cut, line of the chunk is skipped unless the chunk is the whole file)."""
        path = self.path(stream)
        try:
            with open(path, "rb") as fh:
                fh.seek(0, os.SEEK_END)
                size = fh.tell()
                fh.seek(max(0, size - tail_bytes))
                lines = fh.read().splitlines()
        except FileNotFoundError:
            return []
        if size > tail_bytes and lines:
            lines = lines[1:]
        records = []
        for raw in lines:
            try:
                record = json.loads(raw)
            except ValueError:
                continue
            if isinstance(record, dict):
                records.append(record)
        return records

    def exists(self) -> bool:
        return any(self.path(s).exists() for s in STREAMS)

    def is_empty(self) -> bool:
        return all(not self.path(s).exists() or self.path(s).stat().st_size == 0 for s in STREAMS)


def now_iso() -> str:
    return datetime.now().astimezone().isoformat(timespec="microseconds")


def stage(session: Session, stream: str, record: dict) -> None:
    """Queue a line to be written once this session's transaction commits."""
    record = {**record, "at": record.get("at") or now_iso()}
    session.info.setdefault(_STAGED, []).append((stream, record))


def write_staged(session: Session, journal: Journal | None) -> None:
    """after_commit hook: the transaction is durable, so its lines become facts.

    Best effort: a failure here (disk full) must not make the caller believe
    its committed transaction failed. It goes to the log file; the ledger is
    whole, only a later rebuild would miss these lines (README states it).
    """
    staged = session.info.pop(_STAGED, None)
    if not staged or journal is None:
        return
    by_stream: dict[str, list[dict]] = {}
    for stream, record in staged:
        by_stream.setdefault(stream, []).append(record)
    for stream, records in by_stream.items():
        try:
            journal.append(stream, records)
        except OSError:
            log.exception("journal %s: %d lines not written", stream, len(records))


def drop_staged(session: Session) -> None:
    """after_rollback hook: nothing happened, nothing to record."""
    session.info.pop(_STAGED, None)


# One journal per ledger URL in this process: set where the configuration is
# known (open_ledger), found again by every Ledger(url) the staff jobs create.
_registry: dict[str, Journal] = {}


def register(url: str, directory: Path) -> Journal:
    journal = _registry.get(url)
    if journal is None or journal.directory != directory:
        journal = _registry[url] = Journal(directory)
    return journal


def for_url(url: str) -> Journal | None:
    return _registry.get(url)
