"""`run.py rebuild`: restore a lost, emptied, damaged or outdated ledger from the
raw store and the journals, with the same case numbers and without sending anything.

Why it is safe to run at any time (it only adds what is missing):
- claims come back from data/journal/claims.jsonl with their row ids and
  arrival times, so each message gets its old case number (TJ-date-id);
- outgoing mail comes back from data/journal/outbox.jsonl in its last known
  state: sent stays sent, failed stays failed, a send cut off mid-way is
  `unknown` (settled by the next run: Sent folder, else one resend);
- the restored claims are then processed by the normal intake steps in claim
  order; a receipt whose dedup key is already in the outbox is not enqueued
  again, so nothing already sent is sent twice. The rebuild itself sends nothing.

The work is a list of steps (STEPS). A later step, such as replaying a
journal of staff decisions, is added by passing a longer list to rebuild().
"""

from __future__ import annotations

import fcntl
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select, text

from .config import Config
from .errors import UserFacingError
from .ledger import Ledger, MailboxStateRow, MessageRow, OutboxResendRow, OutboxRow, utcnow
from .ledger.backup import set_aside
from .ledger.errors import LedgerDamaged
from .ledger.health import REBUILDING, describe_url, raise_if_damaged, sqlite_path
from .ledger.journal import CLAIMS, OUTBOX, Journal
from .ledger.open import connect, journal_dir, open_ledger
from .ledger.outbox_journal import journal_is_ahead, last_states

LONG_AGO = datetime(2000, 1, 1, tzinfo=UTC)  # a restored claim is stale at once: processed now


class RebuildBlocked(UserFacingError):
    exit_code = 4


@dataclass
class RebuildContext:
    config: Config
    ledger: Ledger
    journal: Journal


RestoreStep = Callable[[RebuildContext], str]


def rebuild(config: Config, steps: Sequence[RestoreStep] | None = None) -> list[str]:
    """Run the restore steps; returns one Chinese line per step (and per repair)."""
    lines: list[str] = []
    with exclusive(config):
        kept = set_aside_if_damaged(config)
        if kept:
            lines.append(f"损坏的台账文件已移到 {kept}（保留备查），在原位置新建台账。")
        ledger = open_ledger(config, recovering=True)
        raise_if_damaged(ledger.engine, describe_url(config.database_url))
        journal = Journal(journal_dir(config))
        ctx = RebuildContext(config, ledger, journal)
        require_claims(ctx)
        ledger.set_kv(REBUILDING, datetime.now(config.tz).isoformat(timespec="seconds"))
        for step in steps if steps is not None else STEPS:
            lines.append(step(ctx))
        ledger.delete_kv(REBUILDING)
    lines.append("重建过程中没有发送任何邮件。")
    return lines


@contextmanager
def exclusive(config: Config) -> Iterator[None]:
    """No poll may run while the ledger is rebuilt: hold every mailbox lock."""
    from .worker import mailbox_lock

    lock_dir = config.path("data/locks")
    lock_dir.mkdir(parents=True, exist_ok=True)
    with open(lock_dir / "rebuild.lock", "w") as fh, ExitStack() as stack:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise RebuildBlocked("另一个 rebuild 正在运行，请等它结束。") from exc
        for box in config.mailboxes:
            if not stack.enter_context(mailbox_lock(config, box.name)):
                raise RebuildBlocked(
                    f"邮箱 {box.name} 正在被另一个进程（once 或 serve）读取：请先停止它们，再运行 rebuild。"
                )
        yield


def set_aside_if_damaged(config: Config) -> Path | None:
    """A SQLite ledger that does not open or fails quick_check is moved aside, kept."""
    path = sqlite_path(config.database_url)
    if path is None or not path.exists() or path.stat().st_size == 0:
        return None
    ledger = None
    try:
        ledger = connect(config.database_url)
        raise_if_damaged(ledger.engine, str(path))
        return None
    except LedgerDamaged:
        if ledger is not None:
            ledger.engine.dispose()
            ledger = None
        return set_aside(path, "damaged")
    finally:
        if ledger is not None:
            ledger.engine.dispose()


def require_claims(ctx: RebuildContext) -> None:
    """Without the claims journal the old case numbers are gone: refuse rather than renumber."""
    raw_dir = ctx.config.path(ctx.config.storage.raw_dir)
    if _resolved_claims(ctx.journal) or not raw_dir.is_dir() or next(raw_dir.glob("*/*.eml"), None) is None:
        return
    raise RebuildBlocked(
        f"{ctx.journal.path(CLAIMS)} 中没有认领记录，无法按原来的受理编号重建 {raw_dir} 中的邮件："
        "请从备份恢复台账（见 README“备份与恢复”）。若确实要从头处理（每封邮件会得到新的受理编号、"
        "各单位会再收到一次回执），请先把 data/raw、data/journal 和 outbox 移到别处。"
    )


# ---------------------------------------------------------------- steps


def restore_claims(ctx: RebuildContext) -> str:
    """Message rows from the claims journal, with their ids (so their case numbers)."""
    claims = _resolved_claims(ctx.journal)
    raw_dir = ctx.config.path(ctx.config.storage.raw_dir)
    with ctx.ledger.session() as s:
        ids = set(s.scalars(select(MessageRow.id)))
        keys = {tuple(k) for k in s.execute(select(*_KEY_COLUMNS))}
        restored = missing_raw = present = 0
        for c in claims:
            if c["id"] in ids or _key(c) in keys:
                present += 1
                continue
            raw = raw_dir / c["sha256"][:2] / f"{c['sha256']}.eml"
            if not raw.exists() and Path(c.get("raw") or "").exists():
                raw = Path(c["raw"])
            if not raw.exists():
                missing_raw += 1
                continue
            s.add(
                MessageRow(
                    id=c["id"],
                    mailbox=c["mailbox"],
                    folder=c["folder"],
                    uidvalidity=c["uidvalidity"],
                    uid=c["uid"],
                    raw_sha256=c["sha256"],
                    raw_path=str(raw),
                    arrival=datetime.fromisoformat(c["arrival"]),
                    state="claimed",
                    claimed_by="rebuild",
                    claimed_at=LONG_AGO,
                    attempts=0,
                    part_of=c.get("part_of"),  # a mail's later account: processed with the mail
                )
            )
            restored += 1
        s.flush()
        _advance_sequence(s, "messages")
    line = f"从认领记录恢复 {restored} 封邮件（受理编号不变）"
    if present:
        line += f"，{present} 封台账中已有"
    if missing_raw:
        line += f"，{missing_raw} 封的原始邮件已不在 {raw_dir}，无法恢复"
    return line


_KEY_COLUMNS = (MessageRow.mailbox, MessageRow.folder, MessageRow.uidvalidity, MessageRow.uid)


def _key(c: dict) -> tuple:
    return (c["mailbox"], c["folder"], c["uidvalidity"], c["uid"])


def _resolved_claims(journal: Journal) -> list[dict]:
    """Last line per row id, then last per mailbox UID: one claim per message, in id order."""
    by_id: dict[int, dict] = {}
    order: list[dict] = []
    for record in journal.read(CLAIMS):
        if not all(
            k in record for k in ("id", "mailbox", "folder", "uidvalidity", "uid", "sha256", "arrival")
        ):
            continue
        by_id[record["id"]] = record
        order.append(record)
    by_key: dict[tuple, dict] = {}
    for record in order:
        if by_id.get(record["id"]) is record:
            by_key[_key(record)] = record
    return sorted(by_key.values(), key=lambda r: r["id"])


def restore_outbox(ctx: RebuildContext) -> str:
    """Outgoing mail in its last journaled state; never pending when it may have gone.

    A row the ledger holds in an older state (a restored backup) takes the journal's:
    a mail that failed there and was sent again later is sent, to the new address.
    """
    from .outbox.queue import _safe_key

    records = list(ctx.journal.read(OUTBOX))
    latest = last_states(records)
    out_dir = ctx.config.path(ctx.config.storage.outbox_dir)
    counts = {"sent": 0, "failed": 0, "unknown": 0, "pending": 0}
    corrected = 0
    with ctx.ledger.session() as s:
        rows = {r.dedup_key: r for r in s.scalars(select(OutboxRow))}
        for key, rec in latest.items():
            state, unknown = rec["state"], rec.get("unknown_sends") or 0
            if state == "sending":  # cut off mid-send: the server may have it
                state, unknown = "unknown", unknown + 1
            eml = out_dir / str(rec.get("kind") or "mail") / f"{_safe_key(key)}.eml"
            if not eml.exists() and rec.get("eml") and Path(rec["eml"]).exists():
                eml = Path(rec["eml"])
            detail = rec.get("detail")
            if state in ("pending", "unknown") and not eml.exists():
                state, detail = "failed", f"邮件文件 {eml} 不见了，无法发送"
            recipients = list(rec.get("recipients") or [])
            row = rows.get(key)
            if row is None:
                s.add(
                    OutboxRow(
                        dedup_key=key,
                        kind=rec.get("kind") or "mail",
                        case_no=rec.get("case_no"),
                        recipients=recipients,
                        subject=rec.get("subject") or "",
                        message_id=rec.get("message_id") or "",
                        eml_path=str(eml),
                        state=state,
                        attempts=rec.get("attempts") or 0,
                        unknown_sends=unknown,
                        last_error=None if state == "sent" else detail,
                        created_at=_when(rec.get("created_at")) or utcnow(),
                        next_try_at=utcnow(),
                        sent_at=_when(rec.get("sent_at")) if state == "sent" else None,
                    )
                )
                counts[state if state in counts else "pending"] += 1
            elif journal_is_ahead(row.state, row.recipients, {**rec, "state": state}):
                # A ledger restored from an older backup: the journal knows what happened since.
                row.state, row.recipients, row.unknown_sends = state, recipients, unknown
                row.subject = rec.get("subject") or row.subject
                row.message_id = rec.get("message_id") or row.message_id
                row.last_error = None if state == "sent" else detail
                row.sent_at = _when(rec.get("sent_at")) if state == "sent" else None
                row.next_try_at = utcnow()
                corrected += 1
        s.flush()
        _advance_sequence(s, "outbox")
    line = (
        f"从发件记录恢复 {sum(counts.values())} 封外发邮件：已发送 {counts['sent']}、失败 {counts['failed']}、"
        f"结果不确定 {counts['unknown']}、尚未发出 {counts['pending']}"
    )
    if corrected:
        line += f"；{corrected} 封按发件记录改为之后的状态（已发送、失败或重新发送）"
    return line


def restore_resends(ctx: RebuildContext) -> str:
    """Who sent which failed mail again, to which addresses (after reprocess: a unit's
    mail gets its audit line with the case's unit)."""
    with ctx.ledger.session() as s:
        restored = _restore_resends(s, list(ctx.journal.read(OUTBOX)))
    return f"恢复 {restored} 条重新发送的记录（操作人、时间、原地址和新地址）"


def _restore_resends(s, records: list[dict]) -> int:
    """Every resend the journal recorded and the ledger lacks (who, when, old and new
    recipients), with the case's audit line for a unit's mail."""
    from .outbox.requeue import RESEND_EVENT, audit_resend

    held = {(r.mail_key, r.at) for r in s.scalars(select(OutboxResendRow))}
    rows = {r.dedup_key: r for r in s.scalars(select(OutboxRow))}
    restored = 0
    for rec in records:
        at = _when(rec.get("at"))
        row = rows.get(rec.get("key"))
        if rec.get("event") != RESEND_EVENT or at is None or row is None or (row.dedup_key, at) in held:
            continue
        record = OutboxResendRow(
            mail_key=row.dedup_key,
            at=at,
            who=rec.get("by") or "工作人员",
            old_recipients=list(rec.get("old_recipients") or []),
            new_recipients=list(rec.get("recipients") or []),
            previous_state=rec.get("previous_state") or "failed",
            previous_error=rec.get("previous_error"),
        )
        s.add(record)
        audit_resend(s, _AsOf(row, rec), record)
        restored += 1
    return restored


class _AsOf:
    """The row's case and subject as they were when the resend was journaled."""

    def __init__(self, row: OutboxRow, rec: dict) -> None:
        self.case_no = row.case_no
        self.subject = rec.get("subject") or row.subject


def _when(value: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if value else None
    except ValueError:
        return None


def seed_unit_addresses(ctx: RebuildContext) -> str:
    """The addresses staff remembered for units, before the mail is read again: the unit's
    later mail from such an address is recognised as it was (指定单位 → 记住)."""
    from .ledger.staff_journal import entries
    from .ledger.unit_addresses import seed_from_journal

    with ctx.ledger.session() as s:
        added = seed_from_journal(s, entries(ctx.config))
    return f"恢复工作人员记住的单位发件地址 {added} 个"


def reprocess(ctx: RebuildContext) -> str:
    """Judge the restored messages again through the normal pipeline, in claim order."""
    from .intake import Intake

    done = Intake(ctx.config, ctx.ledger).resume_stale()
    with ctx.ledger.session() as s:
        left = s.scalar(select(func.count(MessageRow.id)).where(MessageRow.state == "claimed")) or 0
    line = f"重新读取并判定 {done} 封邮件；回执已在发件记录中的不会再生成或再发"
    if left:
        line += f"；{left} 封未能处理完，下次运行 once 时继续"
    return line


def restore_mailbox_state(ctx: RebuildContext) -> str:
    """Where each mailbox was read up to: the newest UIDVALIDITY and its highest claimed UID."""
    newest: dict[str, tuple[int, int]] = {}
    for c in _resolved_claims(ctx.journal):
        uv, top = newest.get(c["mailbox"], (c["uidvalidity"], 0))
        if c["uidvalidity"] != uv:
            uv, top = c["uidvalidity"], 0
        newest[c["mailbox"]] = (uv, max(top, c["uid"]))
    with ctx.ledger.session() as s:
        for name, (uv, top) in newest.items():
            row = s.get(MailboxStateRow, name)
            if row is None:
                s.add(
                    MailboxStateRow(name=name, uidvalidity=uv, last_uid=top, failures_in_row=0, alerted=False)
                )
            elif row.uidvalidity in (None, uv):
                row.uidvalidity, row.last_uid = uv, max(row.last_uid or 0, top)
    return f"恢复 {len(newest)} 个邮箱的读取位置"


def _advance_sequence(s, table: str) -> None:
    """PostgreSQL: after inserts with explicit ids, the id sequence must move past them."""
    if s.get_bind().dialect.name != "postgresql":
        return
    s.execute(
        text(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
            f"GREATEST((SELECT COALESCE(MAX(id), 0) FROM {table}), 1))"
        )
    )


def replay_staff(ctx: RebuildContext) -> str:
    """Staff decisions, corrections, replies and scores from the staff journal (nothing is sent)."""
    from .staff.journal import replay

    applied, problems = replay(ctx.config, ctx.ledger)
    line = f"按工作人员处理记录恢复 {applied} 条（决定、更正、回复、评分、控制台账号）"
    return line + "".join(f"\n    {p}" for p in problems)


STEPS: list[RestoreStep] = [
    restore_claims,
    restore_outbox,
    seed_unit_addresses,
    reprocess,
    replay_staff,
    restore_resends,
    restore_mailbox_state,
]
