"""`run.py test-connection`: prove every mailbox and the SMTP account work, sending nothing.

Here, above both mailbox/ and outbox/, because it checks both.

Named *_test.py for the CLI command it backs; import the module (not the
function) in tests so pytest does not collect `test_connection` itself.
"""

from __future__ import annotations

from ..config import Config
from ..mailbox import MailboxError, open_source
from ..outbox.smtp_send import SmtpConfigError, SmtpSender


def test_connection(config: Config) -> list[tuple[str, bool, str]]:
    """(name, ok, Chinese detail) for each mailbox and for SMTP."""
    results: list[tuple[str, bool, str]] = []
    for box in config.mailboxes:
        label = f"收件邮箱 {box.name}"
        try:
            source = open_source(box)
        except MailboxError as exc:
            results.append((label, False, str(exc)))
            continue
        try:
            if box.kind == "imap":
                results.append((label, True, source.check()))  # type: ignore[attr-defined]
            else:
                cursor = source.current_cursor()
                results.append((label, True, f"本地文件夹 {box.path} 中有 {cursor.last_uid} 封 .eml 邮件"))
        except MailboxError as exc:
            results.append((label, False, str(exc)))
        finally:
            source.close()
    results.append(("发信 SMTP", *_smtp(config)))
    return results


def _smtp(config: Config) -> tuple[bool, str]:
    if config.smtp.dry_run:
        return True, "dry_run：回执只写入 outbox 文件夹，不连接发信服务器"
    try:
        sender = SmtpSender(config.smtp)
        return True, sender.check()
    except SmtpConfigError as exc:
        return False, str(exc)
