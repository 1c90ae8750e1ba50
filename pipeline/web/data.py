"""What each console page shows, read from the ledger (plain functions, no HTTP).

The pages call these through a thread pool; they use the same views and
staff functions as the digest and the command line, so a unit's state, a
task's wording and a notice are the same wherever staff meet them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from ..config import Config
from ..ledger import CorrectionRow, DecisionRow, Ledger, MessageRow, OutboxRow
from ..ledger.views import to_view
from ..model import FORM_LABELS, Status
from ..reports.views import DigestData, SubmissionView, UnitRow, UnitState
from ..reports.wording import days_phrase
from ..rules.audience import split, staff_text
from ..staff.decisions import ACTIONS, returnable
from ..staff.digest import build_digest_data

PAGE_SIZE = 100


@dataclass
class Overview:
    data: DigestData
    units: list[UnitRow]  # filtered
    deadline_phrase: str
    upstream_phrase: str
    query: str
    state: str
    counts: dict[UnitState, int]


def overview(config: Config, ledger: Ledger, now: datetime, query: str = "", state: str = "") -> Overview:
    data, _ = build_digest_data(config, ledger, now, every_view=False, with_changes=False)
    q = query.strip().casefold()
    units = []
    for u in data.units:
        if state and u.state.value != state:
            continue
        if q:
            v = u.submission
            hay = [u.unit]
            if v is not None:
                hay += [v.case_no, v.fields.get("账号名称", ""), v.sender, v.status.zh, u.state.value]
            if not any(q in (h or "").casefold() for h in hay):
                continue
        units.append(u)
    up = data.upstream
    return Overview(
        data=data,
        units=units,
        deadline_phrase=days_phrase(now, data.deadline),
        upstream_phrase=days_phrase(now, up.deadline) if up else "",
        query=query,
        state=state,
        counts=data.state_counts,
    )


@dataclass
class MessageList:
    views: list[SubmissionView]
    total: int
    query: str
    status: str
    page: int
    pages: int


def messages(config: Config, ledger: Ledger, query: str = "", status: str = "", page: int = 1) -> MessageList:
    """Every message received, newest first, searched by unit, case, account, sender, subject."""
    with ledger.session() as s:
        q = select(MessageRow).where(MessageRow.state == "done")
        if status:
            q = q.where(MessageRow.status == status)
        text = query.strip()
        if text:
            like = f"%{text}%"
            q = q.where(
                or_(
                    MessageRow.case_no.ilike(like),
                    MessageRow.unit.ilike(like),
                    MessageRow.sender.ilike(like),
                    MessageRow.subject.ilike(like),
                    MessageRow.account_key.ilike(f"%{text.casefold()}%"),
                )
            )
        total = s.scalar(select(func.count()).select_from(q.subquery())) or 0
        pages = max(1, -(-total // PAGE_SIZE))
        page = min(max(1, page), pages)
        rows = s.scalars(
            q.order_by(MessageRow.arrival.desc(), MessageRow.id.desc())
            .options(selectinload(MessageRow.attachments))
            .offset((page - 1) * PAGE_SIZE)
            .limit(PAGE_SIZE)
        ).all()
        views = [to_view(r, config) for r in rows]
    return MessageList(views, total, query, status, page, pages)


@dataclass
class FileInfo:
    id: int
    name: str
    kind: str
    size: int
    sha256: str
    origin: str
    facts: dict
    is_video: bool


@dataclass
class FieldLine:
    label: str
    value: str
    read: str | None  # the original reading when staff changed it
    source: str
    problems: list[str]


@dataclass
class CaseView:
    row_id: int
    view: SubmissionView
    status: Status
    unit: str | None
    sender: str
    sender_name: str
    subject: str
    selected: bool
    answered: bool
    is_scan: bool
    superseded_by: str | None
    related_case: str | None
    groups: dict[str, list[str]]  # audience -> staff-readable problem lines
    returnable: list  # staff.decisions.Returnable
    fields: list[FieldLine]
    files: list[FileInfo]
    history: list[tuple[datetime, str, str, str]]  # (at, who, action, detail)
    letter: str = ""  # a correspondence's own text
    actions: list[str] = field(default_factory=list)  # decisions that make sense now
    others: list[tuple[str, str]] = field(default_factory=list)  # other messages of the unit: (case, status)
    notices: list[tuple[str, str, str]] = field(default_factory=list)  # (subject, state, when)
    version: int = 0  # sent back with every decision, correction and reply (staff.decisions.take)


def available_actions(row: MessageRow, config: Config) -> list[str]:
    """The decisions that make sense for a row in its current state (the console shows only these)."""
    status = Status(row.status)
    if status in (Status.DUPLICATE, Status.IGNORED, Status.SUPERSEDED):
        return []
    if status is Status.CORRESPONDENCE:
        return (["answered"] if not row.answered else []) + ([] if row.unit else ["assign"])
    out: list[str] = []
    if status is Status.UNKNOWN_UNIT:
        return ["assign", "reject", "dismiss"] if not row.answered else ["assign", "reject"]
    if status is not Status.ACCEPTED and row.fields:
        out.append("accept")
    if status in (Status.NEEDS_FIX, Status.MANUAL_REVIEW, Status.ACCEPTED, Status.LATE, Status.OVER_QUOTA):
        out.append("return")
    if status is Status.LATE:
        out.append("allow-late")
    if status is not Status.REJECTED:
        out.append("reject")
    if status in (Status.ACCEPTED, Status.NEEDS_FIX, Status.MANUAL_REVIEW, Status.LATE, Status.OVER_QUOTA):
        out.append("withdraw")
    if status is Status.ACCEPTED and config.upstream is not None:
        out.append("unselect" if row.selected else "select")
    return [a for a in out if a in ACTIONS]


def case_view(config: Config, ledger: Ledger, case_no: str) -> CaseView | None:
    from ..staff.replies import original_text

    with ledger.session() as s:
        row = s.scalar(
            select(MessageRow)
            .where(MessageRow.case_no == case_no)
            .options(selectinload(MessageRow.attachments))
        )
        if row is None:
            return None
        decisions = list(
            s.scalars(select(DecisionRow).where(DecisionRow.case_no == case_no).order_by(DecisionRow.id))
        )
        view = to_view(row, config, decisions)
        scan = bool(row.is_scan)
        groups = {k: [staff_text(p, scan) for p in v] for k, v in split(row.problems or [], scan).items()}
        by_field: dict[str, list[str]] = {}
        for p in row.problems or []:
            if p.get("field") in FORM_LABELS:
                by_field.setdefault(p["field"], []).append(staff_text(p, scan))
        read = row.fields_read or {}
        fields = (
            [
                FieldLine(
                    label,
                    (row.fields or {}).get(label, ""),
                    read.get(label, "")
                    if row.fields_read is not None
                    and read.get(label, "") != (row.fields or {}).get(label, "")
                    else None,
                    (row.sources or {}).get(label, ""),
                    by_field.get(label, []),
                )
                for label in FORM_LABELS
            ]
            if (row.fields or row.fields_read)
            else []
        )
        files = [
            FileInfo(a.id, a.name, a.kind, a.size, a.sha256, a.origin, dict(a.facts or {}), a.kind == "视频")
            for a in row.attachments
        ]
        history = [(d.at.astimezone(config.tz), d.who, d.action, d.detail) for d in decisions]
        others = []
        if row.unit:
            others = [
                (r.case_no, Status(r.status).zh)
                for r in s.scalars(
                    select(MessageRow)
                    .where(MessageRow.unit == row.unit, MessageRow.id != row.id, MessageRow.state == "done")
                    .order_by(MessageRow.arrival)
                )
            ]
        notices = [
            (
                o.subject,
                {"sent": "已发送", "failed": "发送失败", "pending": "待发送", "sending": "发送中"}.get(
                    o.state, o.state
                ),
                (o.sent_at or o.created_at).astimezone(config.tz).strftime("%m-%d %H:%M"),
            )
            for o in s.scalars(select(OutboxRow).where(OutboxRow.case_no == case_no).order_by(OutboxRow.id))
        ]
        status = Status(row.status)
        letter = (
            original_text(row.raw_path)
            if status in (Status.CORRESPONDENCE, Status.UNKNOWN_UNIT) or not row.fields
            else ""
        )
        return CaseView(
            row_id=row.id,
            view=view,
            status=status,
            unit=row.unit,
            sender=row.sender,
            sender_name=row.sender_name,
            subject=row.subject,
            selected=row.selected,
            answered=row.answered,
            is_scan=scan,
            superseded_by=row.superseded_by,
            related_case=row.related_case,
            groups=groups,
            returnable=returnable(row),
            fields=fields,
            files=files,
            history=history,
            letter=letter,
            actions=available_actions(row, config),
            others=others,
            notices=notices,
            version=row.version or 0,
        )


def attachment(ledger: Ledger, case_no: str, attachment_id: int):
    """(row of the attachment, its message's status) only if it belongs to `case_no`."""
    from ..ledger import AttachmentRow

    with ledger.session() as s:
        att = s.get(AttachmentRow, attachment_id)
        if att is None:
            return None
        msg = s.get(MessageRow, att.message_row)
        if msg is None or msg.case_no != case_no:
            return None
        return att, Status(msg.status)


def audit(
    config: Config, ledger: Ledger, query: str = ""
) -> list[tuple[datetime, str, str, str | None, str | None, str]]:
    """Every decision and correction, newest first: (at, who, action zh, case, unit, detail)."""
    names = {a.name: a.zh for a in ACTIONS.values()} | {
        "correct": "更正",
        "reply": "回复来信",
        "dismiss": "无需处理",
    }
    with ledger.session() as s:
        q = select(DecisionRow).order_by(DecisionRow.id.desc())
        if query.strip():
            like = f"%{query.strip()}%"
            q = q.where(
                or_(
                    DecisionRow.case_no.ilike(like),
                    DecisionRow.unit.ilike(like),
                    DecisionRow.who.ilike(like),
                    DecisionRow.detail.ilike(like),
                )
            )
        return [
            (d.at.astimezone(config.tz), d.who, names.get(d.action, d.action), d.case_no, d.unit, d.detail)
            for d in s.scalars(q.limit(1000))
        ]


def corrections_count(ledger: Ledger, case_no: str) -> int:
    with ledger.session() as s:
        return len(s.scalars(select(CorrectionRow.id).where(CorrectionRow.case_no == case_no)).all())
