"""The outbox: every outgoing mail is written to outbox/ as .eml, then sent,
then marked sent. A unique dedup key makes re-running never repeat a mail."""

from __future__ import annotations

import hashlib
import logging
import re
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import getaddresses

from sqlalchemy import String, cast, func, select
from sqlalchemy.orm import Session

from ..config import Config
from ..ledger import OutboxRow, utcnow
from ..ledger.journal import OUTBOX, stage
from ..ledger.outbox_journal import outbox_record
from .requeue import recipients_of, requeue

log = logging.getLogger(__name__)

__all__ = ["enqueue", "receipts_sent_recently", "sent_today"]


def _safe_key(key: str) -> str:
    """A file name for a dedup key: readable ASCII part plus a hash of the whole
    key, so keys differing only in Chinese (unit names) never share a file."""
    readable = re.sub(r"[^0-9A-Za-z_.-]+", "_", key).strip("_")[:100]
    return f"{readable}_{hashlib.sha256(key.encode()).hexdigest()[:10]}"


def enqueue(
    session: Session,
    config: Config,
    dedup_key: str,
    kind: str,
    msg: EmailMessage,
    case_no: str | None = None,
    *,
    again_by: str | None = None,
) -> OutboxRow | None:
    """Write the .eml and add the outbox row in the caller's transaction.

    Returns None when a mail with this key was already enqueued (idempotent).
    The file is written first: if we crash before commit, re-running rewrites
    the same file and inserts the row.

    `again_by` (a person asking for this mail again, e.g. `packet --send`): a mail
    with this key that failed, or waits for a retry addressed otherwise, is
    replaced by `msg` and queued again, recorded as that person's resend
    (requeue.py). A mail that went, or may have gone, is left alone.
    """
    query = select(OutboxRow).where(OutboxRow.dedup_key == dedup_key)
    existing = session.scalar(query.with_for_update() if again_by else query)
    if existing is not None:
        if again_by and (
            existing.state == "failed"
            or (existing.state == "pending" and existing.recipients != recipients_of(msg))
        ):
            requeue(session, config, existing, again_by, msg=msg)
            return existing
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
    given = [addr for _, addr in getaddresses(msg.get_all("To", []) + msg.get_all("Cc", [])) if addr]
    recipients = recipients_of(msg)
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
    if not recipients:  # never send to something that is not an address: staff see it in the digest
        row.state, row.last_error = "failed", f"收件地址无效（{'、'.join(given) or '空'}），未发送"
    session.add(row)
    session.flush()
    stage(session, OUTBOX, outbox_record(row, "enqueued"))
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


def sent_today(session: Session, config: Config) -> int:
    start = datetime.now(config.tz).replace(hour=0, minute=0, second=0, microsecond=0)
    return session.scalar(select(func.count(OutboxRow.id)).where(OutboxRow.sent_at >= start)) or 0
