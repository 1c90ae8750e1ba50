"""What each console page shows, read from the ledger (plain functions, no HTTP).

The pages call these through a thread pool; they use the same views and
staff functions as the digest and the command line, so a unit's state, a
task's wording and a notice are the same wherever staff meet them.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from pathlib import Path

from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from ..campaign import FieldSpec, Kind
from ..config import Config
from ..form.normalize import to_date
from ..intake.cases import active_rows
from ..ledger import AttachmentRow, CorrectionRow, DecisionRow, Ledger, MessageRow, OutboxRow
from ..ledger.views import to_view
from ..model import QUOTA_STATUSES, Status
from ..reports.views import DigestData, SubmissionView, UnitRow, UnitState
from ..reports.wording import days_phrase
from ..rules.audience import split, staff_text
from ..staff.decisions import ACTIONS, SPAM, returnable
from ..staff.digest import build_digest_data
from .scan_marks import FieldMark, field_marks

PAGE_SIZE = 100
MAIL_STATES = {"sent": "已发送", "failed": "发送失败", "pending": "待发送", "sending": "发送中"}
INLINE_KINDS = ("推荐表", "图片")  # shown in the case page at once; other files on request


@dataclass(frozen=True)
class MailLine:
    """One outgoing mail as a page lists it; a failed one has a button to send it again."""

    id: int
    subject: str
    to: str
    state: str  # in Chinese
    when: str
    error: str  # why it has not gone (failed mails)
    failed: bool


def mail_line(row: OutboxRow, config: Config, fmt: str = "%m-%d %H:%M") -> MailLine:
    return MailLine(
        id=row.id,
        subject=row.subject,
        to="、".join(row.recipients or []),
        state=MAIL_STATES.get(row.state, row.state),
        when=(row.sent_at or row.created_at).astimezone(config.tz).strftime(fmt),
        error=(row.last_error or "") if row.state == "failed" else "",
        failed=row.state == "failed",
    )


def failed_mails(config: Config, ledger: Ledger) -> list[MailLine]:
    """Mails that will not go by themselves, newest first (staff send them again)."""
    with ledger.session() as s:
        rows = s.scalars(select(OutboxRow).where(OutboxRow.state == "failed").order_by(OutboxRow.id.desc()))
        return [mail_line(r, config, "%Y-%m-%d %H:%M") for r in rows]


@dataclass
class Overview:
    data: DigestData
    units: list[UnitRow]  # filtered
    deadline_phrase: str
    upstream_phrase: str
    query: str
    state: str
    counts: dict[UnitState, int]
    failed: list[MailLine] = field(default_factory=list)
    shared: list[SharedAccount] = field(default_factory=list)  # one account, several units
    # Cases the overview offers to accept or remind together (待人工核对/需补正): case -> version
    # as the page showed it, sent back with the choice (staff.decisions.take).
    pickable: dict[str, int] = field(default_factory=dict)


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
                hay += [v.case_no, v.sender, v.subject, v.status.zh, u.state.value]
                hay += list(v.fields.values())  # every field: 联系人, 手机, 账号ID…
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
        failed=failed_mails(config, ledger),
        shared=shared_accounts(config, ledger),
        pickable=_versions(
            ledger, [u.submission.case_no for u in units if u.state in BULK_STATES and u.submission]
        ),
    )


BULK_STATES = (UnitState.REVIEW, UnitState.NEEDS_FIX)


def _versions(ledger: Ledger, cases: list[str]) -> dict[str, int]:
    if not cases:
        return {}
    with ledger.session() as s:
        rows = s.execute(select(MessageRow.case_no, MessageRow.version).where(MessageRow.case_no.in_(cases)))
        return {case: version or 0 for case, version in rows}


@dataclass
class MessageList:
    views: list[SubmissionView]
    total: int
    query: str
    status: str
    page: int
    pages: int
    found_in: dict[str, str] = field(default_factory=dict)  # case -> where the words were found


@functools.lru_cache(maxsize=4096)
def _mail_text(raw_path: str) -> str:
    """A mail's own text for search (raw copies never change, so read each once)."""
    from ..staff.replies import original_text

    return original_text(raw_path, 20000).casefold()


def found_in(row: MessageRow, needle: str, form_labels: list[str]) -> str:
    """Where `needle` (casefolded) occurs in a message: the place staff would look, or ""."""
    places = [
        ("受理编号", row.case_no),
        ("单位", row.unit),
        ("发件人", f"{row.sender_name} {row.sender}"),
        ("主题", row.subject),
        ("账号", row.account_key),
    ]
    fields = row.fields or {}
    read = row.fields_read or {}
    places += [(label, f"{fields.get(label, '')} {read.get(label, '')}") for label in form_labels]
    places += [(label, f"{value}") for label, value in fields.items() if label not in form_labels]
    places += [("附件", " ".join(a.name for a in row.attachments))]
    for where, text in places:
        if text and needle in str(text).casefold():
            return where
    if row.raw_path and needle in _mail_text(row.raw_path):
        return "邮件正文"
    return ""


def messages(config: Config, ledger: Ledger, query: str = "", status: str = "", page: int = 1) -> MessageList:
    """Every message received, newest first. A search looks in every field of the form (as
    read and as corrected), the case number, unit, sender, subject, attachment names and the
    mail's own text, and says where it found each."""
    text = query.strip()
    needle = text.casefold()
    labels = list(config.form.labels)
    with ledger.session() as s:
        q = select(MessageRow).where(MessageRow.state == "done")
        if status:
            q = q.where(MessageRow.status == status)
        q = q.order_by(MessageRow.arrival.desc(), MessageRow.id.desc()).options(
            selectinload(MessageRow.attachments)
        )
        where: dict[str, str] = {}
        if text:
            rows = []
            for row in s.scalars(q):
                place = found_in(row, needle, labels)
                if place:
                    rows.append(row)
                    where[row.case_no or ""] = place
            total = len(rows)
            pages = max(1, -(-total // PAGE_SIZE))
            page = min(max(1, page), pages)
            rows = rows[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
        else:
            total = s.scalar(select(func.count()).select_from(q.subquery())) or 0
            pages = max(1, -(-total // PAGE_SIZE))
            page = min(max(1, page), pages)
            rows = list(s.scalars(q.offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)))
        views = [to_view(r, config) for r in rows]
    return MessageList(views, total, query, status, page, pages, where)


# Statuses of a nomination that still stands (a unit's current choice).
STANDING = (Status.ACCEPTED, Status.NEEDS_FIX, Status.MANUAL_REVIEW, Status.LATE, Status.OVER_QUOTA)


@dataclass(frozen=True)
class SharedAccount:
    """One account several units nominate: staff settle with them which one it belongs to."""

    account: str  # the account as written (its link or ID)
    name: str  # its name, as the first unit wrote it
    cases: tuple[tuple[str, str, str], ...]  # (case, unit, status zh)


def _link_key(value: str) -> str:
    """An account's link as one thing however it is written (scheme, www., case, trailing /)."""
    v = value.strip().casefold()
    v = re.sub(r"^[a-z]+://", "", v)
    v = re.sub(r"^(www\.|m\.)", "", v)
    return v.rstrip("/")


def shared_accounts(config: Config, ledger: Ledger) -> list[SharedAccount]:
    """Accounts that standing nominations from more than one unit name: the same account
    name (intake's key) or the same link (6 units naming one weibo.com/u/… differently)."""
    link = next((f.label for f in config.form.fields if f.kind is Kind.URL), None)
    with ledger.session() as s:
        rows = s.scalars(
            select(MessageRow)
            .where(
                MessageRow.state == "done",
                MessageRow.unit.is_not(None),
                MessageRow.status.in_([st.value for st in STANDING]),
            )
            .order_by(MessageRow.arrival, MessageRow.id)
        ).all()
    groups: dict[tuple[str, str], list[MessageRow]] = {}
    for r in rows:
        fields = r.fields or {}
        if r.account_key:
            groups.setdefault(("name", r.account_key), []).append(r)
        if link and _link_key(fields.get(link, "")):
            groups.setdefault(("link", _link_key(fields[link])), []).append(r)
    out: list[SharedAccount] = []
    seen: set[tuple[str, ...]] = set()
    for group in groups.values():
        cases = tuple(r.case_no or "" for r in group)
        if len({r.unit for r in group}) < 2 or cases in seen:
            continue
        seen.add(cases)
        first = group[0].fields or {}
        out.append(
            SharedAccount(
                account=(first.get(link, "") if link else "") or (group[0].account_key or ""),
                name=first.get(config.form.identity_label, ""),
                cases=tuple((r.case_no or "", r.unit or "", Status(r.status).zh) for r in group),
            )
        )
    return out


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
    shown_kind: str = ""  # the kind as the campaign says it (申报表 for its form)


@dataclass
class FieldLine:
    label: str
    value: str
    read: str | None  # the original reading when staff changed it
    source: str
    problems: list[str]
    multiline: bool = False  # corrected in a text box of several lines
    mark: FieldMark | None = None  # read from a scan: to check, and where on the original


def is_multiline(spec: FieldSpec) -> bool:
    """Long text, and text fields as wide as an address, are corrected in a box of several lines."""
    return spec.kind is Kind.LONG_TEXT or (spec.kind is Kind.TEXT and spec.sheet_width >= 18)


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
    # The unit's cases holding a quota place, when they are more than its quota and this is
    # one of them (the photo with an unchecked name beside the Word file: rules.replaced_by).
    crowded: list[tuple[str, str]] = field(default_factory=list)  # (case, status)
    quota: int = 1
    notices: list[MailLine] = field(default_factory=list)  # mails to the unit about this case
    version: int = 0  # sent back with every decision, correction and reply (staff.decisions.take)
    # Replies of the unit that changed this case or ask to (on a letter: what it asked).
    reply_changes: list = field(default_factory=list)  # staff.reply_changes.ReplyChangeView


def for_reviewer(view: CaseView) -> CaseView:
    """A case as a reviewer sees it: the nomination and its files, nothing of the mail that
    brought it (who sent it from which address, its subject and text), the staff's notes,
    the notices to the unit or the unit's other mail. Each role sees what it needs."""
    return replace(
        view,
        sender="",
        sender_name="",
        subject="",
        letter="",
        groups={key: [] for key in view.groups},
        history=[],
        others=[],
        notices=[],
        superseded_by=None,
        related_case=None,
        reply_changes=[],
    )


def available_actions(row: MessageRow, config: Config) -> list[str]:
    """The decisions that make sense for a row in its current state (the console shows only these)."""
    status = Status(row.status)
    if status is Status.IGNORED and any(p.get("code") == SPAM for p in row.problems or []):
        return ["assign"]  # marked spam by mistake: assigning the unit undoes it
    if status in (Status.DUPLICATE, Status.IGNORED, Status.SUPERSEDED):
        return []
    # A stranger's mail that is no submission may be marked spam (no reply, out of the to-do list).
    spam = [] if row.unit else [SPAM]
    if status is Status.CORRESPONDENCE:
        return (["answered"] if not row.answered else []) + ([] if row.unit else ["assign", *spam])
    out: list[str] = []
    if status is Status.UNKNOWN_UNIT:
        return ["assign", "reject", "dismiss", *spam] if not row.answered else ["assign", "reject", *spam]
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


def field_lines(config: Config, row: MessageRow, problems: dict[str, list[str]]) -> list[FieldLine]:
    """Every field of the campaign's form, in form order: the value now, what was read when
    staff changed it, where it was read, and its problems; from a scan, whether staff must
    check it and where it lies on the original."""
    now, read = row.fields or {}, row.fields_read or {}
    marks = field_marks(config, row)
    lines = []
    for spec in config.form.fields:
        label = spec.label
        value = now.get(label, "")
        was = read.get(label, "") if row.fields_read is not None and read.get(label, "") != value else None
        source = (row.sources or {}).get(label, "")
        lines.append(
            FieldLine(
                label, value, was, source, problems.get(label, []), is_multiline(spec), marks.get(label)
            )
        )
    return lines


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
            if p.get("field") in config.form.by_label:
                by_field.setdefault(p["field"], []).append(staff_text(p, scan))
        fields = field_lines(config, row, by_field) if (row.fields or row.fields_read) else []
        files = [
            FileInfo(
                a.id,
                a.name,
                a.kind,
                a.size,
                a.sha256,
                a.origin,
                dict(a.facts or {}),
                a.kind == "视频",
                config.form.kind_name(a.kind),
            )
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
        crowded: list[tuple[str, str]] = []
        quota = config.quota_for(row.unit)
        if row.unit and Status(row.status) in QUOTA_STATUSES:
            held = active_rows(s, row.unit)
            if len(held) > quota and any(r.id == row.id for r in held):
                crowded = [(r.case_no, Status(r.status).zh) for r in held]
        notices = [
            mail_line(o, config)
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
            returnable=returnable(row, config.form),
            fields=fields,
            files=files,
            history=history,
            letter=letter,
            actions=available_actions(row, config),
            others=others,
            crowded=crowded,
            quota=quota,
            notices=notices,
            version=row.version or 0,
            reply_changes=reply_changes_about(s, config, case_no),
        )


def reply_changes_about(s, config: Config, case_no: str) -> list:
    """The unit's replies that changed (or ask to change) `case_no`; on a letter, its own."""
    from ..ledger import ReplyChangeRow
    from ..staff.reply_changes import view

    rows = s.scalars(
        select(ReplyChangeRow)
        .where(or_(ReplyChangeRow.case_no == case_no, ReplyChangeRow.letter_no == case_no))
        .order_by(ReplyChangeRow.id)
    )
    return [view(r, config) for r in rows]


def attachment(ledger: Ledger, case_no: str, attachment_id: int):
    """(row of the attachment, its message's status) only if it belongs to `case_no`."""
    with ledger.session() as s:
        att = s.get(AttachmentRow, attachment_id)
        if att is None:
            return None
        msg = s.get(MessageRow, att.message_row)
        if msg is None or msg.case_no != case_no:
            return None
        return att, Status(msg.status)


def read_day(text: str) -> date | None:
    """A date as staff type it: 2021-07-20, 2021/7/20, 2021.7.20, 2021年7月20日, 20210720
    (the form's own date reading, form/normalize.to_date); a month alone is not a day."""
    iso = to_date(text)
    return date.fromisoformat(iso) if iso is not None and len(iso) == 10 else None


@dataclass(frozen=True)
class AuditFilter:
    """What the 处理记录 page (and its .xlsx) shows: all conditions given must hold."""

    q: str = ""  # any words: case, unit, person, content
    who: str = ""  # exactly this person
    action: str = ""  # exactly this action (its English name)
    case: str = ""  # a case number, or part of one
    since: date | None = None  # local dates, both included
    until: date | None = None
    unread: tuple[str, ...] = ()  # dates typed that are not dates: not filtered by, and said so

    @classmethod
    def from_query(cls, params) -> AuditFilter:
        typed = {key: params.get(key, "").strip() for key in ("since", "until")}
        days = {key: read_day(text) for key, text in typed.items()}
        return cls(
            q=params.get("q", "").strip(),
            who=params.get("who", "").strip(),
            action=params.get("action", "").strip(),
            case=params.get("case", "").strip(),
            since=days["since"],
            until=days["until"],
            unread=tuple(text for key, text in typed.items() if text and days[key] is None),
        )

    @property
    def any(self) -> bool:
        return any((self.q, self.who, self.action, self.case, self.since, self.until))


AUDIT_NAMES = {a.name: a.zh for a in ACTIONS.values()} | {
    "correct": "更正",
    "check": "核对无误",
    "reply": "回复来信",
    "dismiss": "无需处理",
    "forget_address": "移除单位的发件地址",
}
AUDIT_LIMIT = 1000  # rows on the page; the .xlsx holds every matching row


def audit(
    config: Config, ledger: Ledger, wanted: AuditFilter | str = "", *, limit: int | None = AUDIT_LIMIT
) -> list[tuple[datetime, str, str, str | None, str | None, str]]:
    """Every decision and correction that matches, newest first: (at, who, action zh, case, unit, detail)."""
    if isinstance(wanted, str):
        wanted = AuditFilter(q=wanted)
    with ledger.session() as s:
        q = select(DecisionRow).order_by(DecisionRow.id.desc())
        if wanted.q:
            like = f"%{wanted.q}%"
            q = q.where(
                or_(
                    DecisionRow.case_no.ilike(like),
                    DecisionRow.unit.ilike(like),
                    DecisionRow.who.ilike(like),
                    DecisionRow.detail.ilike(like),
                )
            )
        if wanted.who:
            q = q.where(DecisionRow.who == wanted.who)
        if wanted.action:
            q = q.where(DecisionRow.action == wanted.action)
        if wanted.case:
            q = q.where(DecisionRow.case_no.ilike(f"%{wanted.case}%"))
        if wanted.since:
            q = q.where(DecisionRow.at >= datetime.combine(wanted.since, time.min, config.tz))
        if wanted.until:
            q = q.where(
                DecisionRow.at < datetime.combine(wanted.until + timedelta(days=1), time.min, config.tz)
            )
        if limit is not None:
            q = q.limit(limit)
        return [
            (
                d.at.astimezone(config.tz),
                d.who,
                AUDIT_NAMES.get(d.action, d.action),
                d.case_no,
                d.unit,
                d.detail,
            )
            for d in s.scalars(q)
        ]


def audit_choices(ledger: Ledger) -> tuple[list[str], list[tuple[str, str]]]:
    """The people and the actions the audit holds, for the filter's lists."""
    with ledger.session() as s:
        people = sorted(s.scalars(select(DecisionRow.who).distinct()))
        actions = sorted(s.scalars(select(DecisionRow.action).distinct()))
    return people, [(a, AUDIT_NAMES.get(a, a)) for a in actions]


def corrections_count(ledger: Ledger, case_no: str) -> int:
    with ledger.session() as s:
        return len(s.scalars(select(CorrectionRow.id).where(CorrectionRow.case_no == case_no)).all())


def inline_previews(config: Config, ledger: Ledger, view: CaseView) -> dict:
    """Page images of the form and the pictures (rendered once, then cached), by attachment id."""
    from .previews import build_preview, stored_file

    out = {}
    for f in view.files:
        if f.kind not in INLINE_KINDS:
            continue
        with ledger.session() as s:
            att = s.get(AttachmentRow, f.id)
            path = stored_file(config, att.path if att else None)
        if path is not None:
            out[f.id] = build_preview(config, f.sha256, path, f.name)
    return out


def raw_mail_path(config: Config, ledger: Ledger, case_no: str) -> Path | None:
    """The stored .eml of a case, only if it is a regular file inside the raw store."""
    with ledger.session() as s:
        raw = s.scalar(select(MessageRow.raw_path).where(MessageRow.case_no == case_no))
    if not raw:
        return None
    path = Path(raw)
    raw_root = config.path(config.storage.raw_dir).resolve()
    if path.is_symlink() or not path.resolve().is_relative_to(raw_root) or not path.is_file():
        return None
    return path


@dataclass(frozen=True)
class RememberedAddress:
    address: str
    by: str
    at: datetime
    case_no: str | None


@dataclass(frozen=True)
class RosterUnit:
    """One roster unit as the 单位名单 page shows it."""

    name: str
    quota: int
    addresses: list[str]  # from the configuration
    domains: list[str]  # from the configuration
    remembered: list[RememberedAddress]  # staff remembered them (指定单位)


def roster(config: Config, ledger: Ledger) -> list[RosterUnit]:
    """Every roster unit with its configured addresses and domains and the remembered ones."""
    from ..ledger.unit_addresses import all_remembered

    with ledger.session() as s:
        by_unit: dict[str, list[RememberedAddress]] = {}
        for r in all_remembered(s):
            by_unit.setdefault(r.unit, []).append(
                RememberedAddress(r.address, r.added_by, r.added_at.astimezone(config.tz), r.case_no)
            )
    return [
        RosterUnit(
            u.name, config.quota_for(u.name), list(u.addresses), list(u.domains), by_unit.get(u.name, [])
        )
        for u in config.units
    ]
