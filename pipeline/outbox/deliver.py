"""Send one outbox row, record what happened, and settle sends whose outcome is unknown.

A row goes pending -> sending (committed before DATA, with a lease) and then:
- sent: the server said 250;
- failed: a 5xx, or an address that is not one (never retried);
- pending again, later: a 4xx or an outage (the server did not take it);
- unknown: the text was handed over and no reply came, or the process died
  mid-send. The server may have the mail, so it is NOT sent again in this
  run. A later run settles it: found in the account's Sent folder -> sent;
  not there -> pending (it never arrived); no Sent folder to ask -> one
  resend, and if that is unknown too -> failed, for staff to check. A unit
  therefore gets at most two copies of a mail, one with a Sent folder.
Every change is journaled (ledger/journal.py) so a rebuild restores it.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Update, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session

from ..config import Config
from ..ledger import WORKER_ID, Ledger, OutboxRow, _pid_alive, utcnow
from ..ledger.journal import OUTBOX, stage
from ..ledger.outbox_journal import outbox_record
from .outcome import FAILED, QUEUED, SENT, UNKNOWN, SendOutcome

RETRY_DELAYS = (60, 300, 900, 3600)  # seconds between attempts after a temporary failure
UNKNOWN_RECHECK = timedelta(minutes=5)  # an unknown send is looked at again no sooner
MAX_UNKNOWN = 2  # unknown outcomes before we stop resending without proof
SENDING_MARK = "sending:"  # last_error while a row is `sending`: which worker holds it


def sending_lease(config: Config) -> timedelta:
    """Longest a live worker can need for one send (its tries, waits and timeouts)."""
    return timedelta(seconds=config.smtp.timeout_seconds * 4 + 60)


def sender_gone(row: OutboxRow) -> bool:
    """A `sending` row whose worker is dead (same host, pid gone) or whose lease ran out."""
    error = row.last_error or ""
    owner = error.removeprefix(SENDING_MARK) if error.startswith(SENDING_MARK) else ""
    host, _, pid = owner.rpartition(":")
    if owner and owner != WORKER_ID and host == socket.gethostname() and pid.isdigit():
        if not _pid_alive(int(pid)):
            return True
    return row.next_try_at <= utcnow()


def outcome_of(row: OutboxRow) -> SendOutcome:
    """The staff-facing outcome of a row as it stands."""
    state = {"sent": SENT, "failed": FAILED, "unknown": UNKNOWN, "sending": UNKNOWN}.get(row.state, QUEUED)
    reason = row.last_error or ""
    if row.state == "sending":
        reason = "另一个进程正在发送这封邮件"
    return SendOutcome(
        row.dedup_key,
        state,
        list(row.recipients or []),
        reason,
        row.next_try_at if state in (QUEUED, UNKNOWN) else None,
        row.subject,
        row.id,
    )


def deliver_one(
    ledger: Ledger, config: Config, sender, row_id: int, *, due_only: bool = True
) -> SendOutcome | None:
    """Send one pending row now; None when another worker took it first.

    The row is taken with a compare-and-set UPDATE and committed as `sending`
    before DATA, so two workers never send it twice and a crash leaves a
    trace that a later run settles (settle_uncertain).
    """
    with ledger.session() as s:  # write-first transaction: no stale SQLite snapshot
        where = [OutboxRow.id == row_id, OutboxRow.state == "pending"]
        if due_only:
            where.append(OutboxRow.next_try_at <= utcnow())
        taken = _rowcount(
            s,
            update(OutboxRow)
            .where(*where)
            .values(
                state="sending",
                attempts=OutboxRow.attempts + 1,
                last_error=SENDING_MARK + WORKER_ID,
                next_try_at=utcnow() + sending_lease(config),
            )
            .execution_options(synchronize_session=False),
        )
        if not taken:
            return None
        row = s.get_one(OutboxRow, row_id)
        stage(s, OUTBOX, outbox_record(row, "sending"))
        path, rcpts = Path(row.eml_path), list(row.recipients)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return record_result(ledger, config, row_id, _missing(path))
    try:
        result = sender.send(raw, config.smtp.from_addr, rcpts)
    except BaseException:
        # Raised before anything reached the server (a configuration error) or
        # by a bug: the mail is not sent, so it waits for the next flush.
        with ledger.session() as s:
            s.execute(
                update(OutboxRow)
                .where(OutboxRow.id == row_id, OutboxRow.state == "sending")
                .values(state="pending", next_try_at=utcnow(), last_error="发送前出错，未发送")
            )
        raise
    return record_result(ledger, config, row_id, result)


def _rowcount(session: Session, statement: Update) -> int:
    """Rows a compare-and-set UPDATE changed (an UPDATE's result is a CursorResult)."""
    return cast("CursorResult[Any]", session.execute(statement)).rowcount


def _missing(path: Path):
    from .smtp_send import SendResult

    return SendResult(False, True, None, f"邮件文件 {path} 不见了，无法发送")


def record_result(ledger: Ledger, config: Config, row_id: int, result) -> SendOutcome:
    with ledger.session() as s:
        row = s.get_one(OutboxRow, row_id)
        if result.ok:
            row.state, row.sent_at, row.last_error, row.unknown_sends = "sent", utcnow(), None, 0
            event = "sent"
        elif result.unknown:
            row.state, row.last_error = "unknown", result.detail
            row.unknown_sends = (row.unknown_sends or 0) + 1
            row.next_try_at = utcnow() + UNKNOWN_RECHECK
            event = "unknown"
        elif result.permanent:
            row.state, row.last_error = "failed", result.detail
            event = "failed"
            alert_if_packet(s, config, row)
        else:
            row.state, row.last_error = "pending", result.detail
            delay = RETRY_DELAYS[min(row.attempts - 1, len(RETRY_DELAYS) - 1)]
            row.next_try_at = utcnow() + timedelta(seconds=delay)
            event = "deferred"
        stage(s, OUTBOX, outbox_record(row, event))
        return outcome_of(row)


def settle_uncertain(
    ledger: Ledger, config: Config, already_sent: Callable[[str], bool | None] | None = None
) -> int:
    """Decide the rows whose last send may or may not have arrived; returns how many.

    Only rows from an earlier run: `unknown` rows once their recheck time has
    come, `sending` rows whose worker is gone. Never the send this run just made.
    """
    with ledger.session() as s:
        candidates = [
            (r.id, r.state, r.attempts, r.message_id)
            for r in s.scalars(select(OutboxRow).where(OutboxRow.state.in_(("sending", "unknown"))))
            if (r.state == "sending" and sender_gone(r))
            or (r.state == "unknown" and r.next_try_at <= utcnow())
        ]
    settled = 0
    for row_id, state, attempts, message_id in candidates:
        found = already_sent(message_id) if already_sent else None
        with ledger.session() as s:
            row = s.get(OutboxRow, row_id)
            if row is None or row.state != state or row.attempts != attempts:
                continue  # another worker settled or resent it meanwhile
            unknown = (row.unknown_sends or 0) + (1 if state == "sending" else 0)
            values, event = _settlement(found, unknown)
            changed = _rowcount(
                s,
                update(OutboxRow)
                .where(OutboxRow.id == row_id, OutboxRow.state == state, OutboxRow.attempts == attempts)
                .values(**values)
                .execution_options(synchronize_session=False),
            )
            if not changed:
                continue
            s.refresh(row)
            stage(s, OUTBOX, outbox_record(row, event))
            if row.state == "failed":
                alert_if_packet(s, config, row)
            settled += 1
    return settled


def _settlement(found: bool | None, unknown: int) -> tuple[dict, str]:
    now = utcnow()
    if found:
        return {"state": "sent", "sent_at": now, "last_error": None, "unknown_sends": 0}, "confirmed"
    if found is False:
        note = "已发送文件夹中没有这封邮件（上次发送没有送达），重新发送"
        return {"state": "pending", "next_try_at": now, "last_error": note, "unknown_sends": 0}, "requeued"
    if unknown < MAX_UNKNOWN:
        note = "上次发送结果不确定，且无法到已发送文件夹核实：按规则重发一次"
        return {
            "state": "pending",
            "next_try_at": now,
            "last_error": note,
            "unknown_sends": unknown,
        }, "requeued"
    note = (
        f"连续 {unknown} 次发送结果都无法确认（服务器可能已收下），为避免重复已停止重发："
        "请在发件邮箱的“已发送”中核实对方是否收到"
    )
    return {"state": "failed", "last_error": note, "unknown_sends": unknown}, "failed"


def alert_if_packet(s: Session, config: Config, row: OutboxRow) -> None:
    """The packet to the next level is the one mail whose failure staff must hear of at once."""
    if row.kind != "packet" or not config.this_level.staff:
        return
    from .compose import new_message
    from .queue import enqueue

    upstream = config.upstream.name if config.upstream else "上级"
    text = (
        f"发给{upstream}的上报材料包没有发出：\n\n主题：{row.subject}\n收件人：{'、'.join(row.recipients)}\n"
        f"原因：{row.last_error}\n\n系统不会自动重发这封邮件。请核实原因后在控制台重新发送（邮件编号 {row.id}；"
        "地址错了可改为新地址），每次重新发送都记录操作人、时间和前后的收件地址。\n"
        "（管理员也可以改正配置中的 upstream.addresses 后运行 python run.py packet --send，"
        f"或运行 python run.py resend {row.id} --to 新地址。）"
    )
    msg = new_message(config, config.this_level.staff, f"【紧急】上报{upstream}的材料包发送失败", text)
    enqueue(s, config, f"alert:packet-failed:{row.dedup_key}", "alert", msg)


def next_midnight(config: Config) -> datetime:
    now = datetime.now(config.tz)
    return (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
