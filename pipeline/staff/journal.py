"""An append-only journal of what staff did (decisions, corrections, replies, scores,
console accounts).

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
"""

from __future__ import annotations

import json
import logging
import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from ..config import Config
from ..ledger.journal import STAFF as NAME  # one name for the writer and the start-up check

log = logging.getLogger(__name__)


def journal_path(config: Config) -> Path:
    folder = config.path(config.storage.raw_dir).parent / "journal"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    return folder / NAME


def new_id() -> str:
    return uuid.uuid4().hex


def claim(session, entry_id: str) -> bool:
    """Mark the entry as held by this ledger (in the caller's transaction); False if it already is."""
    from ..ledger import StaffEntryRow

    if session.get(StaffEntryRow, entry_id) is not None:
        return False
    session.add(StaffEntryRow(id=entry_id))
    return True


class AlreadyApplied(Exception):
    """The ledger already holds this journal entry: a replay skips it."""


def record(config: Config, kind: str, entry_id: str, **fields) -> None:
    """Append one entry (kind: decision | correction | reply | score | account)."""
    entry = {"kind": kind, "id": entry_id, "at": datetime.now(UTC).isoformat(timespec="seconds"), **fields}
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


def replay(config: Config, ledger) -> tuple[int, list[str]]:
    """Apply the journal entries this ledger does not hold yet; returns (applied, Chinese problems).

    Nothing is queued for sending: those mails were sent (or are in the outbox)
    when the entries were made. Entries the ledger holds are skipped, so a replay
    can be repeated and works on a restored older backup too.

    Accounts: only the journal's latest entry for each account sets its state (the
    earlier ones are marked held), so a replay can never re-enable an account that a
    later `user remove` disabled, whichever entries the restored ledger happened to hold.

    An entry that cannot be applied (its case is gone, say) is reported and noted in
    the ledger as unapplied: it no longer stops the program at start, and every later
    replay tries it again.
    """
    from ..errors import UserFacingError

    all_entries = list(entries(config))
    last_for_account = {e.get("name"): e.get("id") for e in all_entries if e.get("kind") == "account"}
    applied, problems = 0, []
    for number, entry in enumerate(all_entries, 1):
        kind, entry_id = entry.get("kind"), entry.get("id")
        if not entry_id:
            continue
        try:
            if kind == "account" and last_for_account.get(entry.get("name")) != entry_id:
                if not _hold(ledger, entry_id):  # superseded by a later change of the same account
                    continue
            elif not _apply(config, ledger, kind, entry, entry_id):
                continue
            applied += 1
            _forget_unapplied(ledger, entry_id)
        except AlreadyApplied:
            _forget_unapplied(ledger, entry_id)
            continue
        except (UserFacingError, KeyError, ValueError) as exc:
            why = str(exc) if isinstance(exc, UserFacingError) else "记录内容不完整"
            problems.append(f"处理记录第 {number} 条（{describe(entry, config.tz)}）未能恢复：{why}")
            _note_unapplied(ledger, entry_id, why)
    return applied, problems


def describe(entry: dict, tz=None) -> str:
    from ..ledger.health import describe_entry

    return describe_entry(entry, tz)


def _apply(config: Config, ledger, kind: str | None, entry: dict, entry_id: str) -> bool:
    """Apply one entry through the same code that made it; False for a kind this code does not know."""
    from .decisions import DecisionRequest, apply_decision, correct_field
    from .replies import reply_to_unit
    from .scoring import save_scores

    if kind == "decision":
        req = DecisionRequest(
            action=entry["action"],
            case_no=entry["case_no"],
            by=entry.get("by", "工作人员"),
            reason=entry.get("reason", ""),
            unit=entry.get("unit"),
            fixes=list(entry.get("fixes", [])),
            ask=entry.get("ask", ""),
            notify=entry.get("notify", True),
        )
        apply_decision(ledger, config, req, replay=entry_id)
    elif kind == "correction":
        correct_field(
            ledger,
            config,
            entry["case_no"],
            entry["field"],
            entry["value"],
            entry.get("by", "工作人员"),
            entry.get("why", ""),
            replay=entry_id,
        )
    elif kind == "reply":
        reply_to_unit(
            ledger, config, entry["case_no"], entry["text"], entry.get("by", "工作人员"), replay=entry_id
        )
    elif kind == "account":
        from ..web.auth import restore_account

        restore_account(ledger, entry, entry_id)
    elif kind == "score":
        save_scores(
            ledger, entry["reviewer"], entry["case_no"], entry["points"], config=config, replay=entry_id
        )
    else:
        return False
    return True


def _hold(ledger, entry_id: str) -> bool:
    """Mark an entry held without applying it; False if the ledger held it already."""
    with ledger.session() as s:
        return claim(s, entry_id)


def _note_unapplied(ledger, entry_id: str, why: str) -> None:
    from ..ledger.health import UNAPPLIED

    ledger.set_kv(UNAPPLIED + entry_id, why[:500])


def _forget_unapplied(ledger, entry_id: str) -> None:
    from ..ledger.health import UNAPPLIED

    ledger.delete_kv(UNAPPLIED + entry_id)


def unapplied(ledger) -> list[str]:
    """Why each entry a replay could not apply is still missing (for `check`)."""
    from sqlalchemy import select

    from ..ledger import KeyValueRow
    from ..ledger.health import UNAPPLIED

    with ledger.session() as s:
        return list(s.scalars(select(KeyValueRow.value).where(KeyValueRow.key.startswith(UNAPPLIED))))
