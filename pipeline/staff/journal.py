"""An append-only journal of what staff did (decisions, corrections, replies, scores).

The ledger is the working state; this file is the evidence that survives it.
If the ledger is lost, a rebuild restores the messages from the raw store and
then replays this journal, so staff decisions, corrections and reviewers'
scores come back too. Replaying never sends anything: the notices were sent
(or are in the outbox) already.

One JSON object per line, written after the change is committed and fsynced;
the file is owner-only. The one gap: a process killed between the commit and
the write loses that one line (the ledger still has it).
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from ..config import Config

log = logging.getLogger(__name__)

NAME = "staff-journal.jsonl"


def journal_path(config: Config) -> Path:
    folder = config.path(config.storage.raw_dir).parent / "journal"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    return folder / NAME


def record(config: Config, kind: str, **fields) -> None:
    """Append one entry (kind: decision | correction | reply | score)."""
    entry = {"kind": kind, "at": datetime.now(UTC).isoformat(timespec="seconds"), **fields}
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
    """Apply every journal entry to a rebuilt ledger; returns (applied, Chinese problems)."""
    from ..errors import UserFacingError
    from .decisions import DecisionRequest, apply_decision, correct_field
    from .scoring import save_scores

    applied, problems = 0, []
    for entry in entries(config):
        kind = entry.get("kind")
        try:
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
                apply_decision(ledger, config, req, replaying=True)
            elif kind == "correction":
                correct_field(
                    ledger,
                    config,
                    entry["case_no"],
                    entry["field"],
                    entry["value"],
                    entry.get("by", "工作人员"),
                    entry.get("why", ""),
                    replaying=True,
                )
            elif kind == "reply":
                from .replies import reply_to_unit

                reply_to_unit(
                    ledger,
                    config,
                    entry["case_no"],
                    entry["text"],
                    entry.get("by", "工作人员"),
                    replaying=True,
                )
            elif kind == "score":
                save_scores(
                    ledger,
                    entry["reviewer"],
                    entry["case_no"],
                    entry["points"],
                    config=config,
                    replaying=True,
                )
            else:
                continue
            applied += 1
        except (UserFacingError, KeyError) as exc:
            problems.append(
                f"处理记录第 {applied + len(problems) + 1} 条（{kind}，{entry.get('case_no', '')}）未能恢复：{exc}"
            )
    return applied, problems
