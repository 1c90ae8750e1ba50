"""Back up and restore a SQLite ledger safely while the program may be running.

Why not `cp`: copying ledger.sqlite3 mid-write can copy half a transaction,
and copying a backup over the ledger while an old ledger.sqlite3-wal lies
beside it makes SQLite replay that WAL into the restored file. SQLite's online
backup API copies a consistent snapshot; a restore moves the old file and its
-wal/-shm aside first. PostgreSQL ledgers are backed up with pg_dump.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from datetime import datetime
from pathlib import Path

from ..errors import UserFacingError, describe
from .health import SQLITE_MAGIC

log = logging.getLogger(__name__)

SIDE_FILES = ("-wal", "-shm")


class BackupError(UserFacingError):
    exit_code = 4


def backup_sqlite(db: Path, target: Path) -> Path:
    """Consistent copy of `db` at `target` (owner-only), checked before it is kept."""
    if not db.exists():
        raise BackupError(f"台账文件 {db} 不存在，没有可备份的内容。")
    tmp = target.with_name(target.name + ".tmp")
    try:
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp.unlink(missing_ok=True)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.close(fd)
    except OSError as exc:
        log.warning("cannot write the backup %s: %s", target, exc)
        raise BackupError(f"无法写入备份文件（{describe(exc)}），请换一个位置或文件名。") from exc
    try:
        _copy(db, tmp)
        _require_ok(tmp)
        tmp.replace(target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return target


def restore_sqlite(backup: Path, db: Path) -> Path | None:
    """Put `backup` in place of `db`; the replaced file (and its -wal/-shm) is kept
    as <name>.replaced-<time>. Returns that kept path, None if there was no ledger."""
    if not backup.is_file():
        raise BackupError(f"备份文件 {backup} 不存在。")
    with open(backup, "rb") as fh:
        if fh.read(len(SQLITE_MAGIC)) != SQLITE_MAGIC:
            raise BackupError(f"{backup} 不是 SQLite 台账备份。")
    _require_ok(backup)
    kept = set_aside(db, "replaced")
    db.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(db, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.close(fd)
    _copy(backup, db)
    return kept


def set_aside(db: Path, why: str) -> Path | None:
    """Rename the ledger and its -wal/-shm together (never delete evidence)."""
    if not db.exists():
        for suffix in SIDE_FILES:
            Path(str(db) + suffix).unlink(missing_ok=True)
        return None
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    kept = db.with_name(f"{db.name}.{why}-{stamp}")
    for suffix in ("", *SIDE_FILES):
        path = Path(str(db) + suffix)
        if path.exists():
            path.replace(Path(str(kept) + suffix))
    return kept


def _copy(src: Path, dst: Path) -> None:
    source = sqlite3.connect(src, timeout=30)
    target = sqlite3.connect(dst)
    try:
        source.backup(target)
    finally:
        target.close()
        source.close()


def _require_ok(path: Path) -> None:
    conn = sqlite3.connect(path, timeout=30)
    try:
        rows = [r[0] for r in conn.execute("PRAGMA integrity_check(5)")]
    except sqlite3.DatabaseError as exc:
        rows = [str(exc)]
    finally:
        conn.close()
    if rows != ["ok"]:
        log.warning("%s failed integrity_check: %s", path, rows)
        raise BackupError(f"{path} 未通过完整性检查（文件已损坏或不是台账，详见日志），不能用作备份。")
