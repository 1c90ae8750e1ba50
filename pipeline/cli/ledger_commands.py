"""Commands that look after the ledger itself: check, backup, restore, rebuild.

Kept apart from the command table (pipeline/cli/__init__.py), which merges
COMMANDS below into its own; their grammar is in parser.py.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from ..config import load_config


def cmd_check(args) -> int:
    """Full integrity check plus the start-up checks; exit 0 only when all pass."""
    from ..ledger.health import describe_url, ledger_counts
    from ..ledger.journal import CLAIMS
    from ..ledger.open import journal_dir, open_ledger

    config = load_config(args.config)
    ledger = open_ledger(config, full_check=True)
    messages, outbox = ledger_counts(ledger.engine)
    claims = journal_dir(config) / CLAIMS
    print(f"台账检查通过：{describe_url(config.database_url)}")
    print(f"  邮件记录 {messages} 条，外发邮件 {outbox} 封；完整性检查：正常")
    print(f"  认领记录（用于重建）：{claims}{'' if claims.exists() else '（尚无）'}")
    return 0


def cmd_backup(args) -> int:
    from ..ledger.backup import BackupError, backup_sqlite
    from ..ledger.health import describe_url, sqlite_path
    from ..ledger.open import open_ledger

    config = load_config(args.config)
    db = sqlite_path(config.database_url)
    if db is None:
        raise BackupError(
            f"台账在数据库服务器上（{describe_url(config.database_url)}）：请用 pg_dump 备份，"
            "例如 pg_dump -Fc -f ledger.dump <数据库地址>，恢复用 pg_restore --clean -d <数据库地址> ledger.dump。"
        )
    open_ledger(config, full_check=True)  # never keep a copy of a damaged or outdated ledger as "the backup"
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    target = (
        Path(args.to)
        if args.to
        else config.path(config.storage.raw_dir).parent / "backups" / f"ledger-{stamp}.sqlite3"
    )
    backup_sqlite(db, target)
    print(f"台账已备份到 {target}（SQLite 在线备份，运行中也可以做）")
    return 0


def cmd_restore(args) -> int:
    from ..ledger.backup import BackupError, restore_sqlite
    from ..ledger.errors import LedgerBehind
    from ..ledger.health import sqlite_path
    from ..ledger.open import open_ledger
    from ..rebuild import exclusive

    config = load_config(args.config)
    db = sqlite_path(config.database_url)
    if db is None:
        raise BackupError("PostgreSQL 台账请用 pg_restore 恢复（见 README“备份与恢复”）。")
    with exclusive(config):
        kept = restore_sqlite(Path(args.backup), db)
    print(f"已用 {args.backup} 恢复台账{f'；原台账已移到 {kept}' if kept else ''}。")
    try:
        open_ledger(config, full_check=True)
    except LedgerBehind:
        print("备份之后还处理过邮件：请接着运行 python run.py rebuild 补齐（不会重复发信）。")
        return 0
    print("台账与认领和发件记录一致，可以继续运行。")
    return 0


def cmd_rebuild(args) -> int:
    from ..rebuild import rebuild

    config = load_config(args.config)
    print("正在从原始邮件和发件记录重建台账（不会发送任何邮件）……", flush=True)
    for line in rebuild(config):
        print(f"  {line}")
    print("完成。之后照常运行 once 或 serve 即可。")
    return 0


COMMANDS = {"check": cmd_check, "backup": cmd_backup, "restore": cmd_restore, "rebuild": cmd_rebuild}
