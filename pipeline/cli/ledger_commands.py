"""Commands that look after the ledger itself (check, backup, restore, rebuild) and
the mail it holds (resend).

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
    from ..staff.journal import unapplied

    config = load_config(args.config)
    ledger = open_ledger(config, full_check=True)
    messages, outbox = ledger_counts(ledger.engine)
    claims = journal_dir(config) / CLAIMS
    print(f"台账检查通过：{describe_url(config.database_url)}")
    print(f"  邮件记录 {messages} 条，外发邮件 {outbox} 封；完整性检查：正常")
    print(f"  认领记录（用于重建）：{claims}{'' if claims.exists() else '（尚无）'}")
    print("  工作人员处理记录：台账中都有")
    for why in unapplied(ledger):
        print(f"  注意：有一条处理记录无法恢复，请在控制台重新处理：{why}")
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
    from ..ledger.errors import LedgerBehind, StaffWorkBehind
    from ..ledger.health import sqlite_path
    from ..ledger.open import open_ledger
    from ..rebuild import exclusive

    config = load_config(args.config)
    db = sqlite_path(config.database_url)
    if db is None:
        raise BackupError("PostgreSQL 台账请用 pg_restore 恢复（见 README“备份与恢复”）。")
    with exclusive(config):
        kept = restore_sqlite(Path(args.backup), db)
        print(f"已用 {args.backup} 恢复台账{f'；原台账已移到 {kept}' if kept else ''}。", flush=True)
        try:
            open_ledger(config, full_check=True)
        except StaffWorkBehind:
            # Staff worked after this backup was made: their work comes back now, so
            # restoring never undoes it (a removed account stays removed).
            replay_after_restore(config)
        except LedgerBehind:
            print(
                "备份之后还收到或发出过邮件：请接着运行 python run.py rebuild 补齐"
                "（同时恢复备份之后工作人员的处理；不会重复发信），完成前程序不会运行。"
            )
            return 0
    print("台账与认领、发件和工作人员处理记录一致，可以继续运行。")
    return 0


def replay_after_restore(config) -> None:
    """Apply the staff-journal entries the restored ledger lacks (nothing is sent)."""
    from ..ledger.open import connect, open_ledger
    from ..staff.journal import replay

    ledger = connect(config.database_url)
    try:
        applied, problems = replay(config, ledger)
    finally:
        ledger.engine.dispose()
    print(
        f"备份之后工作人员做过的处理已按处理记录恢复 {applied} 条（决定、更正、回复、评分、账号；不发送任何邮件）。"
    )
    for problem in problems:
        print(f"  {problem}")
    open_ledger(config, full_check=True)


def cmd_rebuild(args) -> int:
    from ..rebuild import rebuild

    config = load_config(args.config)
    print("正在从原始邮件和发件记录重建台账（不会发送任何邮件）……", flush=True)
    for line in rebuild(config):
        print(f"  {line}")
    print("完成。之后照常运行 once 或 serve 即可。")
    return 0


def cmd_resend(args) -> int:
    """List the failed mails, or send one (or a case's failed ones) again and say what happened."""
    from ..ledger.open import open_ledger
    from ..staff.resend import failed_mails, mails_for, resend_mail
    from ..staff.sending import MailNotSent

    config = load_config(args.config)
    ledger = open_ledger(config)
    if not args.mail:
        mails = failed_mails(ledger)
        if not mails:
            print("没有发送失败的邮件。")
        for m in mails:
            print(
                f"#{m.mail_id}  {m.kind_zh}  {m.case_no or ''}  「{m.subject}」  收件人：{'、'.join(m.recipients)}"
                f"\n      原因：{m.reason}"
            )
        if mails:
            print("重新发送：python run.py resend 编号 [--to 新地址]")
        return 0
    lines, delivered = [], True
    for mail in mails_for(ledger, args.mail):
        outcome = resend_mail(ledger, config, mail.mail_id, args.by, args.to or None)
        lines.append(f"邮件 #{mail.mail_id}「{mail.subject}」：{outcome.describe(config.tz)}")
        delivered &= outcome.delivered
    if not delivered:
        raise MailNotSent("\n".join(lines))
    print("\n".join(lines))
    return 0


COMMANDS = {
    "check": cmd_check,
    "backup": cmd_backup,
    "restore": cmd_restore,
    "rebuild": cmd_rebuild,
    "resend": cmd_resend,
}
