"""Staff send a failed mail again — to the same address, or to a corrected one (issue 17.5).

The command line (`run.py resend`) and the console call these functions. Each
resend is recorded (who, when, old and new recipients, why it had not gone) by
outbox/requeue.py, then sent at once; what happened is told as honestly as
`packet --send` tells it (sent, queued and when, failed and why, unknown).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update

from ..config import Config
from ..ledger import Ledger, OutboxResendRow, OutboxRow
from ..outbox import send_now
from ..outbox.outcome import SendOutcome
from ..outbox.requeue import RESENDABLE, ResendRefused, checked_addresses, refusal, requeue

KIND_ZH = {
    "receipt": "回执",
    "notice": "通知",
    "reply": "回复",
    "reminder": "催报",
    "digest": "每日汇总",
    "packet": "上报材料包",
    "alert": "提醒",
}


@dataclass(frozen=True)
class MailSummary:
    """One outgoing mail as staff see it in a list of mails to resend."""

    mail_id: int
    kind: str
    case_no: str | None
    subject: str
    recipients: list[str]
    state: str
    reason: str
    created_at: datetime

    @property
    def kind_zh(self) -> str:
        return KIND_ZH.get(self.kind, self.kind)


def _summary(row: OutboxRow) -> MailSummary:
    return MailSummary(
        row.id,
        row.kind,
        row.case_no,
        row.subject,
        list(row.recipients or []),
        row.state,
        row.last_error or "",
        row.created_at,
    )


def failed_mails(ledger: Ledger) -> list[MailSummary]:
    """Mails that will not go by themselves (failed), newest first."""
    with ledger.session() as s:
        rows = s.scalars(select(OutboxRow).where(OutboxRow.state == "failed").order_by(OutboxRow.id.desc()))
        return [_summary(r) for r in rows]


def mails_for(ledger: Ledger, ref: str) -> list[MailSummary]:
    """The mails a staff member means by `ref`: a mail number (12 or #12), or a case
    number (its failed mails; if none failed, all its mails, so they can be told why not)."""
    ref = ref.strip()
    with ledger.session() as s:
        number = ref.removeprefix("#")
        if number.isdigit():
            row = s.get(OutboxRow, int(number))
            if row is None:
                raise ResendRefused(
                    f"没有编号为 {number} 的外发邮件（运行 python run.py resend 列出发送失败的邮件）。"
                )
            return [_summary(row)]
        rows = list(s.scalars(select(OutboxRow).where(OutboxRow.case_no == ref).order_by(OutboxRow.id)))
    if not rows:
        raise ResendRefused(f"受理编号 {ref} 没有外发邮件（邮件编号见 python run.py resend 的列表）。")
    failed = [r for r in rows if r.state == "failed"]
    return [_summary(r) for r in failed or rows]


def resend_mail(
    ledger: Ledger,
    config: Config,
    mail_id: int,
    by: str,
    to: list[str] | None = None,
    *,
    sender=None,
) -> SendOutcome:
    """Send one mail again now (to `to` instead of its recipients when given); recorded.

    Raises ResendRefused (Chinese) when it must not be sent again: it went already, or
    its last send may have arrived. A failed or waiting mail is queued again and sent at
    once; the outcome says what happened (never raises for a delivery problem).
    """
    new = checked_addresses(to) if to else None
    with ledger.session() as s:
        # Write first: the row is then read under the write lock (SQLite has no row locks; a
        # second staff member resending the same mail waits and then sees it queued or sent).
        touch = update(OutboxRow).where(OutboxRow.id == mail_id).values(attempts=OutboxRow.attempts)
        s.execute(touch.execution_options(synchronize_session=False))
        row = s.get(OutboxRow, mail_id, with_for_update=True, populate_existing=True)
        if row is None:
            raise ResendRefused(f"没有编号为 {mail_id} 的外发邮件。")
        why = refusal(row, config)
        if why:
            raise ResendRefused(why)
        if row.state not in RESENDABLE:
            raise ResendRefused(f"邮件 #{mail_id} 现在不能重新发送（状态：{row.state}）。")
        key = row.dedup_key
        if row.state == "failed" or (new and new != list(row.recipients or [])):
            requeue(s, config, row, by or "工作人员", new)
    return send_now(ledger, config, [key], sender=sender)[0]


def resends_of(ledger: Ledger, mail_id: int) -> list[OutboxResendRow]:
    """Every resend of one mail, oldest first (for its history in the console)."""
    with ledger.session() as s:
        key = s.scalar(select(OutboxRow.dedup_key).where(OutboxRow.id == mail_id))
        if key is None:
            return []
        return list(
            s.scalars(
                select(OutboxResendRow).where(OutboxResendRow.mail_key == key).order_by(OutboxResendRow.id)
            )
        )
