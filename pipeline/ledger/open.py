"""Open the ledger for a configuration, checked: the one way the program starts on it.

Why one door: a damaged, emptied or outdated ledger must stop the program with
one Chinese sentence saying what to do, before any mail is fetched or sent.
The journal for this configuration is registered here, so every Ledger this
process creates for the same URL (the staff jobs make their own) writes it.
"""

from __future__ import annotations

import fcntl
import logging
import time
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from ..config import Config
from . import Ledger, MessageRow, OutboxRow, claim_record
from . import journal as journal_mod
from .errors import RESTORE_HINT, LedgerBusy, LedgerDamaged, LedgerUnreachable, short_db_error
from .health import (
    describe_url,
    raise_if_damaged,
    refuse_if_behind,
    refuse_if_empty,
    refuse_if_rebuilding,
    refuse_if_staff_behind,
    sqlite_path,
)
from .outbox_journal import outbox_record

log = logging.getLogger(__name__)

# URLs whose start-up checks passed in this process (serve checks once, at start).
_checked: set[str] = set()

# How long a start waits for another process's write lock (a migration, a rebuild, a
# long commit on a loaded machine) before saying so. A lock is not damage.
LOCK_WAIT_SECONDS = 600.0


def journal_dir(config: Config) -> Path:
    """data/journal: beside the raw store, so a backup of data/ carries both."""
    return config.path(config.storage.raw_dir).parent / "journal"


def open_ledger(config: Config, *, full_check: bool = False, recovering: bool = False) -> Ledger:
    """The ledger, after the checks; raises a LedgerError (Chinese) when it must not be used.

    `full_check`: PRAGMA integrity_check instead of quick_check (status, check).
    `recovering`: for rebuild, which repairs emptiness and gaps: only the
    database itself must open.
    """
    url = config.database_url
    journal = journal_mod.register(url, journal_dir(config))
    ledger = connect(url)
    if recovering or (url in _checked and not full_check):
        return ledger
    raise_if_damaged(ledger.engine, describe_url(url), full=full_check)
    refuse_if_rebuilding(ledger.engine)
    backfill_journal(ledger, journal)
    refuse_if_empty(config, ledger.engine, journal)
    refuse_if_behind(ledger.engine, journal)
    refuse_if_staff_behind(ledger.engine, journal, full=full_check, tz=config.tz)
    _checked.add(url)
    return ledger


def connect(url: str, lock_wait: float | None = None) -> Ledger:
    """Ledger(url), with a damaged file or an unreachable server said in Chinese.

    A SQLite file locked by another process (two workers starting together while one
    migrates; SQLite's own busy timeout ran out on a loaded machine) is waited for, up
    to `lock_wait` seconds, and never reported as damage."""
    path = sqlite_path(url)
    wait = LOCK_WAIT_SECONDS if lock_wait is None else lock_wait
    started = time.monotonic()
    pause = 0.5
    while True:
        try:
            return Ledger(url)
        except DBAPIError as exc:
            if path is not None and _locked(exc):
                waited = time.monotonic() - started
                if waited < wait:
                    log.info("ledger %s is locked by another process; waiting (%.0f s so far)", path, waited)
                    time.sleep(min(pause, max(wait - waited, 0.01)))
                    pause = min(pause * 2, 10.0)
                    continue
                raise LedgerBusy(
                    f"台账文件 {path} 被另一个进程锁住，等了 {round(waited / 60) or 1} 分钟仍未释放。"
                    "请确认没有卡住的 once、serve、rebuild 或 restore 在运行（python run.py status 可查看），然后重试。"
                ) from exc
            log.warning("ledger %s cannot be opened: %s", describe_url(url), exc)
            detail = short_db_error(exc)
            if path is not None:
                raise LedgerDamaged(
                    f"台账文件 {path} 无法打开（{detail}），可能已损坏。{RESTORE_HINT}"
                ) from exc
            raise LedgerUnreachable(
                f"无法连接台账数据库 {describe_url(url)}：{detail}。请确认数据库服务在运行、地址和账号正确。"
            ) from exc
        except SQLAlchemyError as exc:
            log.warning("ledger %s cannot be opened: %s", describe_url(url), exc)
            raise LedgerUnreachable(f"无法打开台账 {describe_url(url)}（{short_db_error(exc)}）。") from exc


def _locked(exc: DBAPIError) -> bool:
    """SQLite's 'database is locked' / 'database table is locked' (SQLITE_BUSY, SQLITE_LOCKED)."""
    return "is locked" in str(exc.orig or exc).lower()


def backfill_journal(ledger: Ledger, journal: journal_mod.Journal) -> None:
    """A ledger from before the journal existed: write its rows once, so a rebuild
    can restore it too. Under a lock, so two processes starting together write it once."""
    if journal.exists():
        return
    journal.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    with open(journal.directory / ".backfill.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if journal.exists():
            return
        with ledger.session() as s:
            claims = [claim_record(r) for r in s.scalars(select(MessageRow).order_by(MessageRow.id))]
            outbox = [
                outbox_record(r, "snapshot") for r in s.scalars(select(OutboxRow).order_by(OutboxRow.id))
            ]
        if not claims and not outbox:
            return
        now = journal_mod.now_iso()
        journal.append(journal_mod.CLAIMS, [{**c, "at": now} for c in claims])
        journal.append(journal_mod.OUTBOX, [{**o, "at": now} for o in outbox])
