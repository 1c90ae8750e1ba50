"""Staff decisions and corrections: the one path the command line and the web
console both take.

A decision changes the ledger row, adds an audit row (decisions table) and,
when it changes what the unit was told, queues a notice composed from the
row's state *after* the decision (notices.py). `preview_decision` runs the
very same code in a transaction that is rolled back, so staff see the exact
notice before it is sent.

A decision applies to the state the person saw: it carries the row's version
as the page (or `show`) displayed it, and `take()` moves the version on with a
compare-and-swap UPDATE before anything else. Of two staff deciding the same
case at once, one wins; the other is told who changed it, and nothing is sent
for the second decision (StaleCase).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from ..campaign import FormSpec
from ..config import Config
from ..intake.assessment import reassess, refresh_fields
from ..intake.cases import ALLOW_LATE, other_accounts, supersede_older
from ..intake.cases import DecisionError as DecisionError  # where callers have always found them
from ..intake.cases import StaleCase as StaleCase
from ..intake.cases import stale_message as stale_message
from ..intake.cases import take as take
from ..ledger import CorrectionRow, DecisionRow, Ledger, MessageRow, unit_addresses, utcnow
from ..ledger import staff_journal as journal
from ..ledger.views import STAFF_CHECKED, STAFF_CORRECTED, uncertain_fields
from ..model import QUOTA_STATUSES, SCAN_NOTES, Problem, Status
from ..notices.to_units import DECISION, Notice, compose_notice, enqueue_notice
from ..roster import Roster
from ..rules.audience import audience, is_field_problem, split


@dataclass(frozen=True)
class Action:
    name: str  # canonical English name (CLI argument, audit `action`)
    zh: str  # what staff read
    help: str  # one sentence for --help and the console
    notify: bool  # does the unit get a notice?


ACTIONS: dict[str, Action] = {
    a.name: a
    for a in (
        Action("accept", "受理", "人工核对后受理（未解决的问题视为已豁免），通知单位", True),
        Action(
            "return",
            "退回补正",
            "退回单位补正：选择单位须修改的问题，可另加一条，通知单位",
            True,
        ),
        Action("reject", "不予受理", "不予受理并写明原因，通知单位", True),
        Action("withdraw", "撤回", "按单位要求撤回推荐，释放名额，通知单位", True),
        Action(ALLOW_LATE, "允许逾期", "准予逾期报送：重新核对并通知单位（以后来信也不再算逾期）", True),
        Action("assign", "指定单位", "把名单外的发件人指定为名单中的某单位，重新核对并通知", True),
        Action("select", "选定上报", "选定为上报上级的账号（受上级名额限制）", False),
        Action("unselect", "取消选定", "取消上报选定", False),
        Action("answered", "已回复", "标记来信已回复", False),
        Action("dismiss", "无需处理", "名单外发件人的邮件不是报送（如广告、群发），标记为无需处理", False),
        Action(
            "spam",
            "标记为垃圾邮件",
            "名单外发件人的垃圾邮件（如冒充的补贴通知）：不回复，移出待处理（可再“指定单位”恢复）",
            False,
        ),
    )
}

CHECK = "check"  # the audit action of a scanned value staff checked against the original and kept
SPAM = "spam"  # the problem code a spam mark records (a reason: rules/audience.py)


@dataclass
class DecisionRequest:
    action: str
    case_no: str
    by: str
    reason: str = ""
    unit: str | None = None
    fixes: list[str] = field(default_factory=list)  # keys from returnable() for "return"
    ask: str = ""  # one more problem in staff's words, for "return"
    notify: bool = True  # staff may decide silently (recorded in the audit row)
    # 指定单位: also remember the sender's address for the unit, so its later mail is recognised.
    remember: bool = False
    # The case's version the person saw (the console's page, `show`); None: as it is now.
    seen: int | None = None


@dataclass
class DecisionOutcome:
    case_no: str
    action: str
    status_before: Status
    status: Status
    summary: str  # one Chinese line for the terminal / a flash message
    notice: Notice | None  # the letter the unit gets (or would get, in a preview)
    audit: str
    warnings: list[str] = field(default_factory=list)  # for staff to see before confirming
    outbox_key: str | None = None  # the queued notice (apply_decision), to send and report on
    version: int = 0  # the case's version after the decision
    remembered: str | None = None  # 指定单位 with 记住: the address remembered for the unit
    remembered_after: int = 0  # the newest message row then (ledger/unit_addresses.py)


@dataclass(frozen=True)
class Returnable:
    """A problem staff may send back to the unit, worded for the unit."""

    key: str
    field: str | None
    message: str


def _row(s: Session, case_no: str, lock: bool = True) -> MessageRow:
    q = select(MessageRow).where(MessageRow.case_no == case_no)
    row = s.scalar(q.with_for_update() if lock else q)
    if row is None:
        raise DecisionError(f"找不到受理编号 {case_no}")
    return row


def returnable(row: MessageRow, form: FormSpec) -> list[Returnable]:
    """What staff can choose to send back: the unit's problems, and OCR gaps
    re-worded for the unit (they did fill the form in; staff could not read it)."""
    out: list[Returnable] = []
    for p in row.problems or []:
        who = audience(p, bool(row.is_scan))
        key = f"{p.get('code')}:{p.get('field') or ''}"
        if who == "unit":
            out.append(Returnable(key, p.get("field"), p.get("message", "")))
        elif who == "staff":
            f = p.get("field")
            out.append(
                Returnable(
                    key,
                    f,
                    f"{form.title}扫描件中「{f}」一栏无法辨认，请填写清楚或另发送可编辑的 Word/Excel {form.title}。",
                )
            )
    return out


def _audit(
    s: Session, req: DecisionRequest, row: MessageRow, detail: str, action: str | None = None
) -> DecisionRow:
    d = DecisionRow(
        at=utcnow(),
        who=req.by,
        action=action or req.action,
        case_no=row.case_no,
        unit=row.unit,
        detail=detail,
    )
    s.add(d)
    s.flush()
    return d


def _check_quota(config: Config, s: Session, row: MessageRow) -> None:
    others = other_accounts(s, row, config.form.identity_label)
    quota = config.quota_for(row.unit)
    if row.unit and len(others) >= quota:
        cases = "、".join(f"{o.case_no}（{Status(o.status).zh}）" for o in others)
        noun = config.form.noun
        raise DecisionError(f"{row.unit} 已有其他{noun}的推荐（{cases}），每单位限 {quota} 个；请先撤回。")


def _selection_lock(s: Session) -> None:
    """One selection change at a time, so two staff picking two accounts at once cannot
    both pass the upstream limit. SQLite already serialises writers (take() wrote
    first); PostgreSQL takes a transaction-scoped advisory lock."""
    if s.get_bind().dialect.name == "postgresql":
        s.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": SELECTION_LOCK})


SELECTION_LOCK = 0x54_4A_53_45  # "TJSE": the advisory lock key of the packet selection


def _remember_sender(s: Session, config: Config, row: MessageRow, req: DecisionRequest) -> str:
    """Remember the sender's address for the assigned unit; the audit's words for it."""
    address = unit_addresses.normalise(row.sender or "")
    configured = Roster(config.units).configured(address)
    if configured and configured != req.unit:
        raise DecisionError(f"{address} 在配置中是{configured}的地址，不能记为{req.unit}的地址。")
    if configured:
        return ""
    before = unit_addresses.remember(s, address, req.unit or "", req.by, row.case_no)
    moved = f"（原记为{before}的地址）" if before else ""
    return f"；记住发件地址 {address} 为{req.unit}的地址{moved}"


def _select(config: Config, s: Session, row: MessageRow, on: bool) -> None:
    if on == bool(row.selected):
        raise DecisionError(f"{row.case_no} {'已经选定上报' if on else '没有选定上报'}。")
    _selection_lock(s)
    if on:
        if config.upstream is None:
            raise DecisionError(f"配置中没有 upstream（上级），无需选定上报{config.form.noun}。")
        if row.status != Status.ACCEPTED.value:
            raise DecisionError(f"只能选定已受理的推荐（{row.case_no} 当前为“{Status(row.status).zh}”）")
        limit = config.upstream.accounts
        chosen = s.scalars(
            select(MessageRow.case_no).where(MessageRow.selected.is_(True), MessageRow.id != row.id)
        ).all()
        if len(chosen) >= limit:
            raise DecisionError(
                f"上级名额为 {limit} 个，已选定 {'、'.join(chosen)}；请先取消选定其他{config.form.noun}。"
            )
    row.selected = on


def _apply(s: Session, config: Config, req: DecisionRequest) -> tuple[DecisionOutcome, str | None]:
    """Change the row and audit it; returns the outcome and the notice's outbox key."""
    if req.action not in ACTIONS:
        raise DecisionError(
            f"未知的操作：{req.action}（可用：{'、'.join(f'{a.name}（{a.zh}）' for a in ACTIONS.values())}）"
        )
    action = ACTIONS[req.action]
    row = take(s, req.case_no, req.seen, by=req.by, at=config.now())
    before = Status(row.status) if row.status else Status.MANUAL_REVIEW
    detail = action.zh
    new_status: Status | None = None
    warnings: list[str] = []
    remembered: str | None = None
    remembered_after = 0
    spam_marked = any(p.get("code") == SPAM for p in row.problems or [])
    if req.action == "dismiss" and before is not Status.UNKNOWN_UNIT:
        raise DecisionError("只有名单外发件人的邮件可以标记为无需处理。")
    undo_spam = spam_marked and req.action == "assign"
    if before in (Status.DUPLICATE, Status.IGNORED) and req.action not in ("answered",) and not undo_spam:
        raise DecisionError(f"{row.case_no} 是“{before.zh}”的邮件，不能{action.zh}。")

    if req.action == "accept":
        if before is Status.ACCEPTED:
            raise DecisionError(f"{row.case_no} 已经受理。")
        if not row.unit:
            raise DecisionError(f"{row.case_no} 的发件人不在名单中：请先“指定单位”。")
        if not row.fields:
            raise DecisionError(
                f"{row.case_no} 没有读到{config.form.title}，不能受理；请退回补正或不予受理。"
            )
        waived = [
            p.get("message", "") for p in row.problems or [] if audience(p, bool(row.is_scan)) != "note"
        ]
        if waived:
            detail += "（豁免：" + "；".join(w for w in waived if w) + "）"
        _check_quota(config, s, row)
        empty = [label for label in config.form.required if not (row.fields or {}).get(label, "").strip()]
        if empty:
            warnings.append(f"以下必填栏目为空，受理后将以空白上报：{'、'.join(empty)}。如能确认，请先更正。")
        row.problems = []
        new_status = Status.ACCEPTED
    elif req.action == "return":
        if not row.unit:
            raise DecisionError(f"{row.case_no} 的发件人不在名单中：请先“指定单位”。")
        options = {r.key: r for r in returnable(row, config.form)}
        unknown = [k for k in req.fixes if k not in options]
        if unknown:
            raise DecisionError(f"没有这些问题：{'、'.join(unknown)}（可选：{'、'.join(options) or '无'}）")
        chosen = [Problem(options[k].field, "staff_request", options[k].message) for k in req.fixes]
        if req.ask.strip():
            chosen.append(Problem(None, "staff_request", " ".join(req.ask.split())))
        if not chosen:
            raise DecisionError("退回补正时请至少选择一个问题，或写明需要单位修改的内容。")
        keep = [
            p
            for p in row.problems or []
            if audience(p, bool(row.is_scan)) == "note" and p.get("code") not in SCAN_NOTES
        ]
        row.problems = [p.as_dict() for p in chosen] + keep
        detail += "：" + "；".join(p.message for p in chosen)
        new_status = Status.NEEDS_FIX
    elif req.action == "reject":
        if before is Status.REJECTED:
            raise DecisionError(f"{row.case_no} 已经不予受理。")
        message = f"原因：{req.reason.strip()}" if req.reason.strip() else "如有疑问，请联系学会工作人员。"
        row.problems = [Problem(None, "rejected", message).as_dict()]
        new_status = Status.REJECTED
        row.selected = False
    elif req.action == "withdraw":
        if before not in (*QUOTA_STATUSES, Status.LATE, Status.OVER_QUOTA):
            raise DecisionError(f"{row.case_no} 当前为“{before.zh}”，不能撤回。")
        row.problems = []
        new_status = Status.WITHDRAWN
        row.selected = False
    elif req.action == ALLOW_LATE:
        if before is not Status.LATE:
            raise DecisionError(f"{row.case_no} 的状态是“{before.zh}”，不是逾期。")
        row.late_allowed = True
        new_status = reassess(s, config, row)
    elif req.action == "assign":
        names = [u.name for u in config.units]
        if not req.unit or req.unit not in names:
            raise DecisionError(f"请指定名单中的单位：{'、'.join(names)}")
        if row.selected:
            raise DecisionError(f"{row.case_no} 已选定上报，请先取消选定再改单位。")
        detail += f"：{row.sender} → {req.unit}"
        row.unit = req.unit
        if req.remember and row.sender:
            said = _remember_sender(s, config, row, req)
            detail += said
            remembered = unit_addresses.normalise(row.sender) if said else None
            remembered_after = unit_addresses.newest_message(s)
        if undo_spam:
            row.problems = [p for p in row.problems or [] if p.get("code") != SPAM]
            detail += "（撤销垃圾邮件标记）"
        if before is Status.CORRESPONDENCE:
            new_status = before  # a letter stays a letter; it now has a unit
        else:
            new_status = reassess(s, config, row)
    elif req.action in ("select", "unselect"):
        _select(config, s, row, req.action == "select")
    elif req.action in ("answered", "dismiss"):
        row.answered = True
    elif req.action == SPAM:
        if row.unit:
            raise DecisionError(f"{row.case_no} 来自名单中的{row.unit}，不能标记为垃圾邮件。")
        spam = Problem(None, SPAM, "工作人员标记为垃圾邮件：不回复，不计入报送。")
        row.problems = [spam.as_dict(), *(row.problems or [])]
        row.answered = True
        row.selected = False
        new_status = Status.IGNORED

    if req.reason.strip() and req.action != "reject":
        detail += f"（{req.reason.strip()}）"
    elif req.action == "reject" and req.reason.strip():
        detail += f"：{req.reason.strip()}"
    if new_status is not None:
        row.status = new_status.value
        if new_status in QUOTA_STATUSES and before not in QUOTA_STATUSES:
            supersede_older(s, row, config.form.identity_label)
    row.changed_at = utcnow()  # the version moved on in take()
    status = Status(row.status)
    notify = action.notify and req.notify and bool(row.sender)
    if notify and req.action == "assign" and status is Status.CORRESPONDENCE:
        notify = False
    if not notify and action.notify:
        detail += "（未通知单位）"
    audit = _audit(s, req, row, detail)
    notice = None
    if notify:
        # A rejection's reason is already the letter's reason line.
        note = req.reason if req.action != "reject" else ""
        notice = compose_notice(config, row, kind=DECISION, staff_note=note)
    summary = f"{row.case_no}：{detail}；当前状态：{status.zh}"
    outcome = DecisionOutcome(row.case_no, req.action, before, status, summary, notice, detail, warnings)
    outcome.version = row.version or 0
    outcome.remembered = remembered
    outcome.remembered_after = remembered_after
    return outcome, (f"decision:{row.case_no}:{audit.id}" if notice else None)


def preview_decision(ledger: Ledger, config: Config, req: DecisionRequest) -> DecisionOutcome:
    """What the decision would do and the exact notice, changing nothing."""
    with ledger.scratch() as s:
        outcome, _ = _apply(s, config, req)
        return outcome


def apply_decision(
    ledger: Ledger, config: Config, req: DecisionRequest, *, replay: str | None = None
) -> DecisionOutcome:
    """Apply, audit and queue the notice, in one transaction; then journal it.

    `replay` (a journal entry's id, during a ledger rebuild) changes the ledger the
    same way but queues nothing: that notice went out when the decision was made.
    """
    entry_id = replay or journal.new_id()
    with ledger.session() as s:
        if not journal.claim(s, entry_id):
            raise journal.AlreadyApplied(entry_id)
        outcome, key = _apply(s, config, req)
        if outcome.notice is not None and key and not replay:
            enqueue_notice(s, config, outcome.notice, key, "notice")
            outcome.outbox_key = key
    if not replay:
        journal.record(
            config,
            "decision",
            entry_id,
            action=req.action,
            case_no=req.case_no,
            by=req.by,
            reason=req.reason,
            unit=req.unit,
            fixes=list(req.fixes),
            ask=req.ask,
            notify=req.notify,
            remember=req.remember,
            address=outcome.remembered,  # what a rebuild seeds before it reads the mail again
            after_message=outcome.remembered_after,
        )
    return outcome


# ---------------------------------------------------------------- corrections


@dataclass
class CorrectionOutcome:
    case_no: str
    field: str
    old: str
    new: str
    summary: str
    problems: list[str]  # what is still wrong with the field, for staff
    version: int = 0  # the case's version after the correction
    checked: bool = False  # the value was kept: staff checked it against the original


def correct_field(
    ledger: Ledger,
    config: Config,
    case_no: str,
    label: str,
    value: str,
    by: str,
    why: str = "",
    *,
    seen: int | None = None,
    replay: str | None = None,
) -> CorrectionOutcome:
    """Change one field's value; the original reading and every correction are kept.

    Nothing is sent: the corrected value is what every later output (notices,
    汇总表, 评分表, the packet's 推荐表) shows. The status is left as it is —
    staff decide (e.g. accept) when the record is right. `seen`: the case's
    version the person saw (see take()).

    The value unchanged on a field read from a scan that a person must check
    (ledger/views.uncertain_fields): staff checked it against the original and it
    was read right (核对无误). The value stays; its source says who checked it, so it
    is no longer listed as uncertain and the unit's notices show it. Unchanged on any
    other field, nothing is to be done and it is refused. A replayed entry with the
    value unchanged can only be such a check, and is recorded as one.
    """
    labels = config.form.labels
    if label not in labels:
        raise DecisionError(f"没有这个栏目：{label}（{config.form.title}的栏目：{'、'.join(labels)}）")
    value = (value or "").replace("\r\n", "\n").strip()  # a browser sends a text box's lines as CRLF
    entry_id = replay or journal.new_id()
    with ledger.session() as s:
        if not journal.claim(s, entry_id):
            raise journal.AlreadyApplied(entry_id)
        row = take(s, case_no, seen, by=by, at=config.now())
        if not row.fields and not row.fields_read:
            if Status(row.status) in (Status.CORRESPONDENCE, Status.IGNORED, Status.DUPLICATE):
                raise DecisionError(
                    f"{case_no} 不是报送（{Status(row.status).zh}），没有{config.form.title}可更正。"
                )
        fields = dict(row.fields or config.form.empty_fields())
        old = fields.get(label, "")
        checked = old.replace("\r\n", "\n").strip() == value
        if checked and not replay and label not in uncertain_fields(row):
            raise DecisionError(f"「{label}」的值没有变化。")
        sources = dict(row.sources or {})
        if checked:
            sources[label] = f"{STAFF_CHECKED}（{by}）"
            row.sources = sources
            detail = f"核对「{label}」无误：“{value or '（空）'}”"
        else:
            if row.fields_read is None:
                row.fields_read = dict(row.fields or {})
            fields[label] = value
            row.fields = fields
            sources[label] = f"{STAFF_CORRECTED}（{by}）"
            row.sources = sources
            refresh_fields(s, config, row)
            s.add(
                CorrectionRow(at=utcnow(), who=by, case_no=case_no, field=label, old=old, new=value, why=why)
            )
            detail = f"更正「{label}」：“{old or '（空）'}”→“{value or '（空）'}”"
        detail += f"（{why}）" if why else ""
        row.changed_at = utcnow()
        s.add(
            DecisionRow(
                at=utcnow(),
                who=by,
                action=CHECK if checked else "correct",
                case_no=case_no,
                unit=row.unit,
                detail=detail,
            )
        )
        still = [
            p.get("message", "") for p in row.problems if is_field_problem(p) and p.get("field") == label
        ]
        version = row.version or 0
    if not replay:
        extra = {"checked": True} if checked else {}
        journal.record(
            config, "correction", entry_id, case_no=case_no, field=label, value=value, by=by, why=why, **extra
        )
    summary = f"{case_no}：{detail}" + ("；该栏不再列为待核对" if checked else "")
    return CorrectionOutcome(case_no, label, old, value, summary, still, version, checked)


def staff_problems(row: MessageRow) -> dict[str, list[dict]]:
    """A row's problems by audience, for staff views."""
    return split(row.problems or [], bool(row.is_scan))
