"""Sending what a staff job enqueued, and saying honestly what happened."""

from __future__ import annotations

from datetime import datetime

from ..config import Config
from ..errors import UserFacingError
from ..ledger import Ledger


class MailNotSent(UserFacingError):
    """A staff command's mail did not go (queued, unknown or failed): exit non-zero."""

    exit_code = 5


def now_local(config: Config) -> datetime:
    """The campaign's now (config `clock` when set): staff jobs count days from it."""
    return config.now()


def send_and_report(config: Config, ledger: Ledger, keys: list[str], done: str) -> str:
    """Send the mails a staff job just enqueued; `done` plus what happened to each.

    What happened is told on `done`'s first line (its headline), as one sentence;
    further lines of `done` (such as units not reminded) follow unchanged.

    Raises MailNotSent with the same sentence when any of them did not go, so
    the command exits non-zero: the packet to the next level is the mail whose
    failure staff must hear about at once.
    """
    from ..outbox import send_now

    outcomes = send_now(ledger, config, keys)
    parts = [o.describe(config.tz) for o in outcomes]
    if len(outcomes) > 1:
        parts = [f"「{o.subject}」{p}" for o, p in zip(outcomes, parts, strict=True)]
    head, newline, rest = done.partition("\n")
    line = f"{head.rstrip('。')}；{'；'.join(parts)}" if parts else head
    line += newline + rest
    if all(o.delivered for o in outcomes):
        return line
    raise MailNotSent(line)


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
