"""The outbox: every outgoing mail is written to outbox/ as .eml, then sent,
then marked sent. A unique dedup key makes re-running never repeat a mail."""

from __future__ import annotations

import hashlib
import logging
import re
import socket
from collections.abc import Callable
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import getaddresses
from pathlib import Path

from sqlalchemy import String, cast, func, select, update
from sqlalchemy.orm import Session

from ..config import Config
from ..ledger import WORKER_ID, Ledger, OutboxRow, _pid_alive, utcnow

log = logging.getLogger(__name__)

RETRY_DELAYS = (60, 300, 900, 3600)  # seconds between attempts after a temporary failure


def _safe_key(key: str) -> str:
    """A file name for a dedup key: readable ASCII part plus a hash of the whole
    key, so keys differing only in Chinese (unit names) never share a file."""
    readable = re.sub(r"[^0-9A-Za-z_.-]+", "_", key).strip("_")[:100]
    return f"{readable}_{hashlib.sha256(key.encode()).hexdigest()[:10]}"


def enqueue(
    session: Session, config: Config, dedup_key: str, kind: str, msg: EmailMessage, case_no: str | None = None
) -> OutboxRow | None:
    """Write the .eml and add the outbox row in the caller's transaction.

    Returns None when a mail with this key was already enqueued (idempotent).
    The file is written first: if we crash before commit, re-running rewrites
    the same file and inserts the row.
    """
    existing = session.scalar(select(OutboxRow).where(OutboxRow.dedup_key == dedup_key))
    if existing is not None:
        return None
    out_dir = config.path(config.storage.outbox_dir) / kind
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{_safe_key(dedup_key)}.eml"
    data = msg.as_bytes(policy=SMTP_POLICY)  # CRLF line ends: sent byte for byte
    tmp = path.with_suffix(".eml.tmp")
    try:
        tmp.write_bytes(data)
        tmp.replace(path)
    except OSError:
        # Disk full (ENOSPC/EFBIG) mid-write: leave no half-written file; the
        # caller's transaction rolls back, so the message is processed again.
        tmp.unlink(missing_ok=True)
        raise
    recipients = [addr for _, addr in getaddresses(msg.get_all("To", []) + msg.get_all("Cc", [])) if addr]
    row = OutboxRow(
        dedup_key=dedup_key,
        kind=kind,
        case_no=case_no,
        recipients=recipients,
        subject=str(msg["Subject"]),
        message_id=str(msg["Message-ID"]).strip("<>"),
        eml_path=str(path),
        state="pending",
        attempts=0,
        created_at=utcnow(),
        next_try_at=utcnow(),
    )
    session.add(row)
    session.flush()
    return row


def receipts_sent_recently(session: Session, address: str, within: timedelta) -> int:
    """Receipts to one address in the window: the last guard against mail loops."""
    since = utcnow() - within
    query = select(OutboxRow.recipients).where(OutboxRow.kind == "receipt", OutboxRow.created_at >= since)
    if address.isascii() and not any(c in address for c in '"\\'):
        # Narrow in SQL first (the JSON text holds a plain ASCII address verbatim):
        # during a large backlog, scanning every recent receipt per message is quadratic.
        query = query.where(
            func.lower(cast(OutboxRow.recipients, String)).contains(address.lower(), autoescape=True)
        )
    rows = session.scalars(query).all()
    return sum(1 for r in rows if address.lower() in (x.lower() for x in r))


def _message_id_of(ledger: Ledger, row_id: int) -> str:
    with ledger.session() as s:
        return s.get(OutboxRow, row_id).message_id


def sent_today(session: Session, config: Config) -> int:
    start = datetime.now(config.tz).replace(hour=0, minute=0, second=0, microsecond=0)
    return session.scalar(select(func.count(OutboxRow.id)).where(OutboxRow.sent_at >= start)) or 0


SendFn = Callable[[bytes, str, list[str]], "object"]


SENDING_MARK = "sending:"  # last_error while a row is `sending`: which worker holds it


def _sending_lease(config: Config) -> timedelta:
    """Longest a live worker can need for one send (its tries, waits and timeouts)."""
    return timedelta(seconds=config.smtp.timeout_seconds * 4 + 60)


def _sender_gone(row: OutboxRow) -> bool:
    """A `sending` row whose worker is dead (same host, pid gone) or whose lease ran out."""
    owner = (
        (row.last_error or "").removeprefix(SENDING_MARK)
        if (row.last_error or "").startswith(SENDING_MARK)
        else ""
    )
    host, _, pid = owner.rpartition(":")
    if owner and owner != WORKER_ID and host == socket.gethostname() and pid.isdigit():
        if not _pid_alive(int(pid)):
            return True
    return row.next_try_at <= utcnow()


def flush(
    ledger: Ledger, config: Config, sender, *, already_sent: Callable[[str], bool] | None = None
) -> dict:
    """Send every due pending mail. Returns counts {sent, failed, deferred}.

    A row is marked `sending` (by this worker, with a lease) and committed
    before DATA, so after a crash we know the server may have it:
    `already_sent(message_id)` (a look in the account's Sent folder) decides
    before it is sent again. Rows another live worker is sending are left
    alone, and a row is taken with a compare-and-set UPDATE, so two workers
    sharing a ledger never send one mail twice.
    """
    counts = {"sent": 0, "failed": 0, "deferred": 0}
    if config.smtp.dry_run:
        return counts
    with ledger.session() as s:
        stale = [
            r.id for r in s.scalars(select(OutboxRow).where(OutboxRow.state == "sending")) if _sender_gone(r)
        ]
    for row_id in stale:
        sent = bool(already_sent and already_sent(_message_id_of(ledger, row_id)))
        with ledger.session() as s:
            s.execute(
                update(OutboxRow)
                .where(OutboxRow.id == row_id, OutboxRow.state == "sending")
                .values(
                    state="sent" if sent else "pending",
                    sent_at=utcnow() if sent else None,
                    next_try_at=utcnow(),
                    last_error=None if sent else "上次发送被中断，已重新排队",
                )
            )
    while True:
        with ledger.session() as s:
            if sent_today(s, config) >= config.smtp.daily_cap:
                pending = s.scalar(select(func.count(OutboxRow.id)).where(OutboxRow.state == "pending")) or 0
                counts["deferred"] += pending
                log.warning("daily sending cap reached; %d mails wait for tomorrow", pending)
                break
            row_id = s.scalar(
                select(OutboxRow.id)
                .where(OutboxRow.state == "pending", OutboxRow.next_try_at <= utcnow())
                .order_by(OutboxRow.id)
                .limit(1)
            )
        if row_id is None:
            break
        with ledger.session() as s:  # write-first transaction: no stale SQLite snapshot
            taken = s.execute(
                update(OutboxRow)
                .where(OutboxRow.id == row_id, OutboxRow.state == "pending")
                .values(
                    state="sending",
                    attempts=OutboxRow.attempts + 1,
                    last_error=SENDING_MARK + WORKER_ID,
                    next_try_at=utcnow() + _sending_lease(config),
                )
                .execution_options(synchronize_session=False)
            ).rowcount
            if not taken:
                continue  # another worker took it between our SELECT and UPDATE
            row = s.get(OutboxRow, row_id)
            path, rcpts = Path(row.eml_path), list(row.recipients)
        result = sender.send(path.read_bytes(), config.smtp.from_addr, rcpts)
        with ledger.session() as s:
            row = s.get(OutboxRow, row_id)
            if result.ok:
                row.state, row.sent_at, row.last_error = "sent", utcnow(), None
                counts["sent"] += 1
            elif result.permanent:
                row.state, row.last_error = "failed", result.detail
                counts["failed"] += 1
            else:
                row.state, row.last_error = "pending", result.detail
                delay = RETRY_DELAYS[min(row.attempts - 1, len(RETRY_DELAYS) - 1)]
                row.next_try_at = utcnow() + timedelta(seconds=delay)
                counts["deferred"] += 1
        if not result.ok and not result.permanent:
            # The server is down or refusing for now (the sender already retried):
            # trying every other mail too would block the cycle for minutes.
            # They stay pending and go out on a later flush.
            with ledger.session() as s:
                rest = (
                    s.scalar(
                        select(func.count(OutboxRow.id)).where(
                            OutboxRow.state == "pending", OutboxRow.next_try_at <= utcnow()
                        )
                    )
                    or 0
                )
            counts["deferred"] += rest
            log.warning(
                "SMTP temporarily failing (%s); %d more mails wait for the next flush", result.detail, rest
            )
            break
    return counts
