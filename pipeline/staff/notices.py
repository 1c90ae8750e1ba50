"""Receipts (回执): one per submission message, threaded to the unit's mail."""

from __future__ import annotations

from sqlalchemy.orm import Session

from ..config import Config
from ..ledger import MessageRow
from ..model import FORM_LABELS, ParsedMessage, Status
from ..outbox import enqueue, new_message
from ..templating import render


def receipt_subject(case_no: str, status: Status, subject: str) -> str:
    return f"【回执】{case_no} {status.zh}：{subject or '（无主题）'}"[:180]


def receipt_text(config: Config, row: MessageRow, superseded: list[str] = ()) -> str:
    tz = config.tz
    status = Status(row.status)
    problems = list(row.problems)
    if superseded:
        problems.append(
            {
                "field": None,
                "message": f"本次发送为更正版本，已替换此前的报送（受理编号 {'、'.join(superseded)}）。",
            }
        )
    return render(
        "receipt.txt.j2",
        unit=row.unit,
        sender=row.sender_name or row.sender,
        level_name=config.this_level.name,
        campaign=config.campaign,
        case_no=row.case_no,
        status=status.value,
        status_zh=status.zh,
        subject=row.subject,
        arrival=row.arrival.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
        deadline=config.this_level.deadline.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
        problems=problems,
        fields={label: row.fields.get(label, "") for label in FORM_LABELS} if row.fields else {},
        attachments=[{"name": a.name, "kind": a.kind} for a in row.attachments],
        contact=config.this_level.contact or "、".join(config.this_level.staff),
    )


def enqueue_receipt(
    s: Session, config: Config, row: MessageRow, parsed: ParsedMessage, superseded: list[str] = ()
) -> None:
    status = Status(row.status)
    msg = new_message(
        config,
        [parsed.from_addr],
        receipt_subject(row.case_no, status, parsed.subject),
        receipt_text(config, row, superseded),
        in_reply_to=parsed.message_id,
        references=parsed.references,
        case_no=row.case_no,
    )
    enqueue(s, config, f"receipt:{row.case_no}", "receipt", msg, row.case_no)
