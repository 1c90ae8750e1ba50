"""The staff journal: an append-only record of what staff did (decisions, corrections,
replies, scores, console accounts).

The ledger is the working state; this file is the evidence that survives it.
If the ledger is lost, a rebuild restores the messages from the raw store and
then replays this journal, so staff decisions, corrections and reviewers'
scores come back too. Replaying never sends anything: the notices were sent
(or are in the outbox) already.

One JSON object per line, written after the change is committed and fsynced;
the file is owner-only. The one gap: a process killed between the commit and
the write loses that one line (the ledger still has it).

Each entry has an id that is also stored in the ledger (staff_entries) in the
same transaction as the change, so a replay onto a restored older backup
applies exactly the entries the backup does not hold, and can be repeated.

This module only writes and reads the file; it sits beside the ledger so that
everything that journals (staff/ decisions, replies, scores; accounts/) can
use it without importing the layers above. The replay, which calls those
layers, is staff/journal.py.
"""

from __future__ import annotations

import json
import logging
import os
import uuid
from collections.abc import Iterator
from datetime import UTC
from pathlib import Path

from ..config import Config
from .journal import STAFF as NAME  # one name for the writer and the start-up check

log = logging.getLogger(__name__)


def journal_path(config: Config) -> Path:
    folder = config.path(config.storage.raw_dir).parent / "journal"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    return folder / NAME


def new_id() -> str:
    return uuid.uuid4().hex


def claim(session, entry_id: str) -> bool:
    """Mark the entry as held by this ledger (in the caller's transaction); False if it already is."""
    from .schema import StaffEntryRow

    if session.get(StaffEntryRow, entry_id) is not None:
        return False
    session.add(StaffEntryRow(id=entry_id))
    return True


class AlreadyApplied(Exception):
    """The ledger already holds this journal entry: a replay skips it."""


def record(config: Config, kind: str, entry_id: str, **fields) -> None:
    """Append one entry (kind: decision | correction | reply | score | account | unit_reply | reply_change | unit_address).

    `at` is the campaign's now (config.clock when set, else the real time): the moment the
    change counts from, which a replay gives the change again (status history, the digest)."""
    at = config.now().astimezone(UTC).isoformat(timespec="microseconds")
    entry = {"kind": kind, "id": entry_id, "at": at, **fields}
    line = (json.dumps(entry, ensure_ascii=False) + "\n").encode("utf-8", "replace")
    path = journal_path(config)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, line)
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError:  # the change itself is committed; say so in the log, do not undo it
        log.exception("could not write the staff journal %s", path)


def entries(config: Config) -> Iterator[dict]:
    path = journal_path(config)
    if not path.exists():
        return
    with path.open(encoding="utf-8", errors="replace") as fh:
        for number, line in enumerate(fh, 1):
            line = line.strip()
            if not line:
                continue
            try:
                yield json.loads(line)
            except json.JSONDecodeError:
                log.warning("staff journal line %d is damaged and is skipped", number)
