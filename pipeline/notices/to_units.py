"""Letters to a unit: the first receipt (回执) and every later notice.

Both are composed by one function from the submission's state at the time of
sending (status, the problems that still apply, the values staff corrected),
so a notice never repeats a problem that no longer applies, never says
已受理 next to "please resend", and reads as one letter (salutation first).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session, object_session

from ..config import Config
from ..ledger import MessageRow
from ..ledger.unit_addresses import remembered_for
from ..ledger.views import scanned_form_file, uncertain_fields
from ..model import Status
from ..outbox import enqueue, new_message
from ..reports.wording import quote_zh
from ..roster import Roster
from ..rules.audience import split
from ..rules.catalog import mostly_unsure, over_quota_for_sender, scan_unclear_note
from ..templating import render

RECEIPT = "receipt"  # the first answer to a unit's mail
DECISION = "decision"  # a later notice after a staff decision
REPLY = "reply"  # the answer to a unit's reply that fixed (or asked to fix) fields: intake/replies.py


@dataclass
class Notice:
    """A composed letter, before it is queued: what staff are shown to confirm."""

    to: list[str]
    subject: str
    text: str
    in_reply_to: str | None
    references: list[str]
    case_no: str


def notice_subject(kind: str, case_no: str, status: Status, subject: str) -> str:
    tag = "【回执】" if kind == RECEIPT else "【处理结果】"
    return f"{tag}{case_no} {status.zh}：{subject or '（无主题）'}"[:180]


def _fields_heading(
    status: Status,
    is_scan: bool,
    corrected: bool,
    title: str = "推荐表",
    by_reply: bool = False,
    ask_clearer: bool = False,
) -> str | None:
    if status is Status.ACCEPTED:
        if corrected or is_scan:
            return f"受理的{title}内容（已经工作人员核对）："
        return f"受理的{title}内容" + ("（含按贵单位回复更新的栏目）：" if by_reply else "：")
    if status is Status.NEEDS_FIX:
        return f"系统识别的{title}内容（请核对，补正时如有误请一并更正）："
    if status is Status.MANUAL_REVIEW:
        if is_scan:
            resend = "" if ask_clearer else "，无需重新发送"
            return f"系统从扫描件中识别的{title}内容（工作人员将对照原件核对{resend}）："
        return f"系统识别的{title}内容："
    return None


UNSURE = "（待工作人员对照原件核对）"
UNREAD = "（未能识别，待工作人员对照原件填写）"


def _as_read(fields: dict[str, str], status: Status, uncertain: list[str]) -> dict[str, str]:
    """The values a notice may show: a value read from a scan that staff still have to
    check is never presented as what the unit wrote (a garbled reading would look like
    the unit's own mistake); once staff accepted the submission they have checked it."""
    if status is Status.ACCEPTED:
        return fields
    return {
        label: (UNSURE if value else UNREAD) if label in uncertain else value
        for label, value in fields.items()
    }


def _unclear_now(config: Config, row: MessageRow, note: dict, unsure: list[str]) -> dict | None:
    """The request for a clearer copy as it stands now: with today's count of values to
    check, and gone once staff have checked all but half of them (any other note as is)."""
    if note.get("code") != "scan_unclear":
        return note
    scan = scanned_form_file(row)
    if scan is None or not mostly_unsure(config.form, len(unsure)):
        return None
    return scan_unclear_note(config.form, scan.name, len(unsure)).as_dict()


def on_roster(config: Config, row: MessageRow) -> bool:
    """Whether the mail came from an address or domain the roster gives its unit. Only
    then may a notice name the unit's other submissions: a sender staff assigned to
    the unit by hand is told about this mail alone, unless staff remembered the address
    for the unit (ledger/unit_addresses.py)."""
    if not row.unit:
        return False
    s = object_session(row)
    remembered = remembered_for(s, row.sender or "") if s is not None else {}
    return Roster(config.units).unit_for(row.sender or "", remembered) == row.unit


def _for_sender(config: Config, row: MessageRow, p, known: bool) -> dict:
    """A reason as the sender reads it: the recorded over-quota reason names the unit's other
    submissions; a sender the roster does not give the unit is told only that the quota is used."""
    if p.get("code") == "over_quota" and not known:
        return over_quota_for_sender(config.form, config.quota_for(row.unit)).as_dict()
    return p


def notice_text(
    config: Config,
    row: MessageRow,
    *,
    kind: str = RECEIPT,
    staff_note: str = "",
    superseded: list[str] = (),
    now: datetime | None = None,
    reply_lines: list[str] = (),
    replied_at: datetime | None = None,
) -> str:
    """The letter for `row` as it stands now (see the module docstring). `reply_lines`: what
    became of the "栏目：内容" lines of the unit's mail (intake/replies.py), said first."""
    tz = config.tz
    status = Status(row.status)
    groups = split(row.problems or [], bool(row.is_scan))
    notes = list(groups["note"])
    known = on_roster(config, row)
    if superseded:
        cases = f"（受理编号 {'、'.join(superseded)}）" if known else ""
        notes.append({"field": None, "message": f"本次发送为更正版本，已替换此前的报送{cases}。"})
    # Only a submission that is still open asks the unit for anything.
    to_fix = groups["unit"] if status is Status.NEEDS_FIX else []
    reasons = (
        [_for_sender(config, row, p, known) for p in groups["reason"]]
        if status in (Status.LATE, Status.OVER_QUOTA, Status.UNKNOWN_UNIT, Status.REJECTED)
        else []
    )
    if status in (Status.ACCEPTED, Status.WITHDRAWN, Status.SUPERSEDED, Status.REJECTED):
        notes = [n for n in notes if n.get("code") is None]  # nothing pending: no "staff will check"
    # A clearer copy asked for (rules.catalog.scan_unclear_note): that note says what the
    # plain scan note says and more; the letter then never says "no need to resend" beside it.
    # It is said as things stand now: once staff have checked most values, no longer.
    unsure = uncertain_fields(row)
    notes = [n for n in (_unclear_now(config, row, n, unsure) for n in notes) if n is not None]
    ask_clearer = status is Status.MANUAL_REVIEW and any(n.get("code") == "scan_unclear" for n in notes)
    if ask_clearer:
        notes = [n for n in notes if n.get("code") != "scan"]
    deadline = config.this_level.deadline
    now = now or datetime.now(tz)
    resend_by = f"在报送截止时间（{deadline.astimezone(tz):%m月%d日 %H:%M}）前" if now <= deadline else "尽快"
    sources = [str(v) for v in (row.sources or {}).values()]
    by_reply = any(v.startswith("单位回复") for v in sources)
    by_staff = any(v.startswith("工作人员") for v in sources) or (
        not by_reply and bool(row.fields_read and row.fields_read != row.fields)
    )
    heading = _fields_heading(status, bool(row.is_scan), by_staff, config.form.title, by_reply, ask_clearer)
    if kind == RECEIPT:
        opening = f"{config.this_level.name}已收到贵单位报送{quote_zh(config.campaign)}推荐材料的邮件，处理结果如下。"
    elif kind == REPLY:
        local = replied_at.astimezone(tz) if replied_at else None
        when = f"{local.month}月{local.day}日 {local:%H:%M}" if local else ""
        opening = f"已收到贵单位{when}关于{quote_zh(config.campaign)}推荐材料的回复，处理结果如下。"
    else:
        opening = f"关于贵单位报送的{quote_zh(config.campaign)}推荐材料，工作人员已处理，最新结果如下。"
    return render(
        "notice.txt.j2",
        salutation=row.unit or row.sender_name or row.sender,
        opening=opening,
        level_name=config.this_level.name,
        case_no=row.case_no,
        status=status.value,
        status_zh=status.zh,
        subject=row.subject,
        arrival=row.arrival.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
        deadline=deadline.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
        staff_note=" ".join((staff_note or "").split()),
        reply_lines=list(reply_lines),
        fix_by_reply=_reply_example(config, to_fix),
        to_fix=to_fix,
        reasons=reasons,
        notes=notes,
        ask_clearer=ask_clearer,
        resend_by=resend_by,
        superseded_by=row.superseded_by if known else None,
        fields_heading=heading if row.fields else None,
        fields=_as_read(config.form.ordered(row.fields), status, unsure),
        form_title=config.form.title,
        identity=config.form.identity_label,
        noun=config.form.noun,
        attachments=[{"name": a.name, "kind": config.form.kind_name(a.kind)} for a in row.attachments],
        contact=config.this_level.contact or "、".join(config.this_level.staff),
    )


def _reply_example(config: Config, to_fix: list) -> str:
    """An example "栏目：内容" line for the fields the unit must fix, when all of its fixes are
    fields (a missing picture or file still needs the file); "" otherwise."""
    from ..rules.audience import is_field_problem

    labels = [p.get("field") for p in to_fix if is_field_problem(p) or p.get("code") == "staff_request"]
    if not to_fix or len(labels) != len(to_fix) or not all(lbl in config.form.labels for lbl in labels):
        return ""
    examples = {"phone": "13912345678", "postcode": "100029", "email": "name@example.com"}
    label = labels[0]
    kind = config.form.field(label).kind.value
    return f"{label}：{examples.get(kind, '……')}"


def compose_notice(
    config: Config,
    row: MessageRow,
    *,
    kind: str,
    staff_note: str = "",
    superseded: list[str] = (),
    in_reply_to: str | None = None,
    references: list[str] | None = None,
    reply_lines: list[str] = (),
    replied_at: datetime | None = None,
    to: list[str] | None = None,
) -> Notice:
    """Subject, text and threading of the letter for `row` as it stands now (to its sender,
    unless `to` names who wrote the mail it answers)."""
    status = Status(row.status)
    text = notice_text(
        config,
        row,
        kind=kind,
        staff_note=staff_note,
        superseded=superseded,
        reply_lines=reply_lines,
        replied_at=replied_at,
    )
    return Notice(
        to=to if to is not None else ([row.sender] if row.sender else []),
        subject=notice_subject(kind, row.case_no, status, row.subject),
        text=text,
        in_reply_to=in_reply_to if in_reply_to is not None else row.message_id,
        references=list(references if references is not None else row.reply_to_ids or []),
        case_no=row.case_no,
    )


def enqueue_notice(s: Session, config: Config, notice: Notice, dedup_key: str, kind: str) -> bool:
    """Queue a composed notice (written to outbox/ first); False if this key was queued before."""
    msg = new_message(
        config,
        notice.to,
        notice.subject,
        notice.text,
        in_reply_to=notice.in_reply_to,
        references=notice.references,
        case_no=notice.case_no,
    )
    return enqueue(s, config, dedup_key, kind, msg, notice.case_no) is not None


def enqueue_receipt(
    s: Session,
    config: Config,
    row: MessageRow,
    in_reply_to: str,
    references: list[str],
    superseded: list[str] = (),
    notes: list[str] = (),
) -> bool:
    """The first answer to a unit's mail (one per case, whatever restarts happen); `notes`:
    what became of "栏目：内容" lines in a mail that came with files."""
    notice = compose_notice(
        config,
        row,
        kind=RECEIPT,
        superseded=superseded,
        in_reply_to=in_reply_to,
        references=references,
        reply_lines=notes,
    )
    return enqueue_notice(s, config, notice, f"receipt:{row.case_no}", "receipt")


def enqueue_reply_notice(
    s: Session,
    config: Config,
    case_no: str,
    letter_no: str,
    lines: list[str],
    parsed,
    arrival: datetime,
) -> bool:
    """The one notice answering a unit's reply that fixed (or asked to fix) fields of
    `case_no`: threaded to the reply, to its sender, `lines` (what became of each value)
    first, then the case as it stands after the reply. One per reply (`letter_no`)."""
    from sqlalchemy import select

    row = s.scalar(select(MessageRow).where(MessageRow.case_no == case_no))
    notice = compose_notice(
        config,
        row,
        kind=REPLY,
        in_reply_to=parsed.message_id,
        references=list(parsed.references),
        reply_lines=lines,
        replied_at=arrival,
        to=[parsed.from_addr],
    )
    return enqueue_notice(s, config, notice, f"reply-fix:{letter_no}", "notice")
