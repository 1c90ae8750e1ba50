"""Send particular mails now (a staff command's digest or packet) and say what happened.

Why not flush(): flush sends in queue order and stops at the first outage,
so the packet could sit behind a receipt with 0 attempts while the command
said it had gone. Here the named mails are tried first, whatever their
retry time, and each comes back as a SendOutcome the caller must report.
"""

from __future__ import annotations

from sqlalchemy import select

from ..config import Config
from ..ledger import Ledger, OutboxRow
from .deliver import deliver_one, next_midnight, outcome_of
from .outcome import QUEUED, WRITTEN, SendOutcome
from .queue import sent_today


def send_now(ledger: Ledger, config: Config, keys: list[str], *, sender=None) -> list[SendOutcome]:
    """One outcome per dedup key, in order. Never raises for a delivery problem."""
    with ledger.session() as s:
        rows = {r.dedup_key: r for r in s.scalars(select(OutboxRow).where(OutboxRow.dedup_key.in_(keys)))}
    missing = [SendOutcome(k, QUEUED, reason="待发队列中没有这封邮件") for k in keys if k not in rows]
    if config.smtp.dry_run:
        return [
            SendOutcome(k, WRITTEN, list(r.recipients), subject=r.subject) for k, r in rows.items()
        ] + missing
    from .smtp_send import SmtpConfigError, SmtpSender

    own = sender is None
    outcomes: list[SendOutcome] = []
    try:
        if own:
            sender = SmtpSender(config.smtp)
        for key in keys:
            row = rows.get(key)
            if row is None:
                continue
            outcomes.append(_send_one(ledger, config, sender, row))
    except SmtpConfigError as exc:
        done = {o.dedup_key for o in outcomes}
        outcomes += [
            SendOutcome(k, QUEUED, list(r.recipients), f"发信设置有误：{exc}", subject=r.subject)
            for k, r in rows.items()
            if k not in done
        ]
    finally:
        if own and sender is not None:
            sender.close()
    return outcomes + missing


def _send_one(ledger: Ledger, config: Config, sender, row: OutboxRow) -> SendOutcome:
    if row.state == "pending":
        with ledger.session() as s:
            capped = sent_today(s, config) >= config.smtp.daily_cap
        if capped:
            reason = f"今天已发出 {config.smtp.daily_cap} 封，达到每日上限 smtp.daily_cap"
            return SendOutcome(
                row.dedup_key, QUEUED, list(row.recipients), reason, next_midnight(config), row.subject
            )
        outcome = deliver_one(ledger, config, sender, row.id, due_only=False)
        if outcome is not None:
            return outcome
    with ledger.session() as s:  # sent earlier, failed earlier, or taken by another worker
        return outcome_of(s.get_one(OutboxRow, row.id))
