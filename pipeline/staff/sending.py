"""Sending what a staff job enqueued, and saying honestly what happened."""

from __future__ import annotations

from datetime import datetime

from ..config import Config
from ..ledger import Ledger


def now_local(config: Config) -> datetime:
    return datetime.now(config.tz)


def sent_to(config: Config, addresses: list[str]) -> str:
    if config.smtp.dry_run:
        return f"；邮件已写入 outbox（试运行，未发送给 {'、'.join(addresses)}）"
    return f"，已发送给 {'、'.join(addresses)}"


def flush_if(config: Config, ledger: Ledger, send: bool) -> dict:
    if not send or config.smtp.dry_run:
        return {}
    from ..outbox import flush
    from ..outbox.smtp_send import SmtpSender

    sender = SmtpSender(config.smtp)
    try:
        return flush(ledger, config, sender)
    finally:
        sender.close()
