"""Put a failed (or waiting) mail back in the queue, to the same or to corrected recipients.

Why not by itself: a mail refused for good (550: no such user) would only be
refused again, so the program never retries it. A person decides to send it
again — after correcting the address, or after the other side fixed its
mailbox — and that decision is recorded: who, when, the recipients before and
after, and why it had not gone (outbox_resends; the case's audit for a unit's
mail; the outbox journal, from which a rebuild restores both). The row keeps
its dedup key and Message-ID: it is the same mail, still not delivered.
"""

from __future__ import annotations

from datetime import datetime
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import format_datetime, getaddresses
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..config import Config
from ..errors import UserFacingError
from ..ledger import DecisionRow, MessageRow, OutboxResendRow, OutboxRow, utcnow
from ..ledger.journal import OUTBOX, now_iso, stage
from ..ledger.outbox_journal import outbox_record
from ..message.address import valid_address

# A mail in these states may be sent again by staff; sent, sending and unknown may not.
RESENDABLE = ("failed", "pending")
RESEND_EVENT = "resend"


class ResendRefused(UserFacingError):
    """This mail cannot be sent again as asked (Chinese reason)."""


def recipients_of(msg: EmailMessage) -> list[str]:
    """The real addresses of To and Cc, in order, once each (what enqueue sends to)."""
    given = [addr for _, addr in getaddresses(msg.get_all("To", []) + msg.get_all("Cc", [])) if addr]
    return list(dict.fromkeys(a for a in (valid_address(x) for x in given) if a))


def checked_addresses(texts: list[str]) -> list[str]:
    """Staff's new addresses ("a@x.cn, b@y.cn" or several values), each a real address."""
    parts = [p.strip() for t in texts for p in t.replace("，", ",").replace("；", ",").split(",")]
    parts = [p for p in parts if p]
    if not parts:
        raise ResendRefused("请给出新的收件地址。")
    bad = [p for p in parts if not valid_address(p)]
    if bad:
        raise ResendRefused(f"“{'、'.join(bad)}”不是有效的邮箱地址，请写成 用户名@域名 的形式。")
    return list(dict.fromkeys(a for a in (valid_address(p) for p in parts) if a))


def refusal(row: OutboxRow, config: Config) -> str | None:
    """Why this mail must not be sent again now, or None."""
    if row.state == "sent":
        when = f"于 {row.sent_at.astimezone(config.tz):%Y-%m-%d %H:%M} " if row.sent_at else ""
        return f"邮件 #{row.id}「{row.subject}」已{when}发给 {'、'.join(row.recipients)}，不再重发。"
    if row.state in ("sending", "unknown"):
        return (
            f"邮件 #{row.id}「{row.subject}」的上次发送结果还不确定（服务器可能已收下）：为避免对方收到两份，"
            "程序会在下次运行时先核实再决定是否重发，请稍后再看。"
        )
    return None


def requeue(
    s: Session,
    config: Config,
    row: OutboxRow,
    by: str,
    recipients: list[str] | None = None,
    msg: EmailMessage | None = None,
) -> OutboxResendRow:
    """In the caller's transaction, with `row` locked: pending again, due now, recorded.

    `recipients`: the corrected addresses (the stored mail is readdressed: To is
    replaced, Cc dropped). `msg`: a freshly composed replacement of the same mail
    (packet --send after the upstream address was corrected in the configuration).
    """
    why = refusal(row, config)
    if why:
        raise ResendRefused(why)
    old = list(row.recipients or [])
    path = Path(row.eml_path)
    if msg is not None:
        data = msg.as_bytes(policy=SMTP_POLICY)
        new = recipients_of(msg)
        row.subject = str(msg["Subject"])
        row.message_id = str(msg["Message-ID"]).strip("<>")
    else:
        try:
            data = path.read_bytes()
        except FileNotFoundError as exc:
            raise ResendRefused(f"邮件 #{row.id} 的文件 {path} 不见了，无法重新发送。") from exc
        new = recipients or old
        data = readdressed(data, new if recipients else None)
    if not new:
        raise ResendRefused(f"邮件 #{row.id}「{row.subject}」没有有效的收件地址：请用 --to 给出新地址。")
    _write(path, data)
    at = now_iso()
    record = OutboxResendRow(
        mail_key=row.dedup_key,
        at=datetime.fromisoformat(at),
        who=by,
        old_recipients=old,
        new_recipients=new,
        previous_state=row.state,
        previous_error=row.last_error,
    )
    s.add(record)
    audit_resend(s, row, record)
    row.recipients, row.state, row.last_error = new, "pending", None
    row.next_try_at, row.unknown_sends = utcnow(), 0
    stage(s, OUTBOX, resend_record(row, record, at))
    return record


def readdressed(data: bytes, recipients: list[str] | None) -> bytes:
    """The stored mail dated now (it goes out now), and to `recipients` when given."""
    msg = message_from_bytes(data, _class=EmailMessage, policy=SMTP_POLICY)
    if recipients:
        del msg["To"]
        del msg["Cc"]
        msg["To"] = ", ".join(recipients)
    del msg["Date"]
    msg["Date"] = format_datetime(datetime.now().astimezone())
    return msg.as_bytes(policy=SMTP_POLICY)


def _write(path: Path, data: bytes) -> None:
    tmp = path.with_suffix(".eml.tmp")
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        tmp.write_bytes(data)
        tmp.replace(path)
    except OSError:
        tmp.unlink(missing_ok=True)
        raise


def resend_detail(subject: str, old: list[str], new: list[str], previous_error: str | None) -> str:
    """The audit line: what was sent again, to whom, and why it had not gone."""
    to = "、".join(new)
    change = f"，收件人由 {'、'.join(old) or '（无）'} 改为 {to}" if new != old else f"给 {to}"
    why = f"（上次未发出：{' '.join((previous_error or '').split())[:200]}）" if previous_error else ""
    return f"重新发送「{subject}」{change}{why}"


def audit_resend(s: Session, row: OutboxRow, record: OutboxResendRow) -> None:
    """A unit's mail: the resend shows in the case's history like any staff action."""
    if not row.case_no:
        return
    unit = s.scalar(select(MessageRow.unit).where(MessageRow.case_no == row.case_no))
    s.add(
        DecisionRow(
            at=record.at,
            who=record.who,
            action="resend",
            case_no=row.case_no,
            unit=unit,
            detail=resend_detail(
                row.subject, record.old_recipients, record.new_recipients, record.previous_error
            ),
        )
    )


def resend_record(row: OutboxRow, record: OutboxResendRow, at: str) -> dict:
    """The outbox journal line: the row as it now is, plus the resend (a rebuild restores both)."""
    return {
        **outbox_record(row, RESEND_EVENT),
        "at": at,
        "by": record.who,
        "old_recipients": list(record.old_recipients),
        "previous_state": record.previous_state,
        "previous_error": record.previous_error,
    }
