"""A unit fixes its submission by replying: "手机：13912345678" under our receipt.

What a reply may change, and the one code path that changes it — used by the
intake step (steps/apply_reply.py) when the reply comes in, by staff confirming
a proposed change (staff/reply_changes.py), and by the journal replay after a
rebuild:

- Only the unit's own address may change its case: an address on the roster for
  the case's unit, or the address staff assigned to that unit (指定单位). Anyone
  else's reply stays a letter for staff; nothing changes, nobody is told.
- A case still open (需补正, 待人工核对, 逾期, 超出名额) changes at once; an accepted or
  selected one only when staff confirm the proposal in the console. Withdrawn,
  rejected and superseded cases are not changed (a reply to a superseded version
  goes to the version that replaced it).
- After the deadline a reply can only fix the fields the last notice asked for.
- Each value is checked as the form would be. A value in the wrong format is kept
  in the record and still flagged when the field was already wrong (the unit sees
  its own text quoted back with the reason; staff see the latest word from the
  unit); it is not taken at all when the field held a valid value (a typo in a
  reply never spoils a correct record), and the notice says so.
- The values read from the document stay in `fields_read`; the field's source
  says 单位回复（日期）; each change is a correction row and an audit line, like
  a staff correction; the case is re-checked by the intake's fields rule and its
  status re-derived by the same function intake uses (rules.derive_status).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from ..config import Config
from ..ledger import CorrectionRow, DecisionRow, MessageRow, ReplyChangeRow, utcnow
from ..ledger.status_history import REPLY
from ..ledger.unit_addresses import sender_unit
from ..model import Status
from ..roster import Roster
from ..rules.audience import audience, derive_status
from ..rules.catalog import is_late
from . import form_reading
from .assessment import refresh_fields
from .cases import UNIT_REPLY

APPLIED, PROPOSED, CONFIRMED, DECLINED = "applied", "proposed", "confirmed", "declined"
STATE_ZH = {
    APPLIED: "已按回复更新",
    PROPOSED: "待工作人员确认",
    CONFIRMED: "工作人员已采用",
    DECLINED: "工作人员未采用",
}

# What became of one field a reply named.
TAKEN, FLAGGED, KEPT, SAME, NOT_ASKED, WAITING = "taken", "flagged", "kept", "same", "not_asked", "waiting"
OUTCOME_ZH = {
    TAKEN: "已更新",
    FLAGGED: "已更新，格式仍不正确",
    KEPT: "未更新：格式不正确，保留原内容",
    SAME: "与原内容相同",
    NOT_ASKED: "未更新：截止后只能更正要求补正的栏目",
    WAITING: "待工作人员确认",
}
CHANGES_FIELD = frozenset({TAKEN, FLAGGED})
DIRECT = frozenset({Status.NEEDS_FIX, Status.MANUAL_REVIEW, Status.LATE, Status.OVER_QUOTA})
MAX_HOPS = 5  # superseded-by / letter-to-case links followed to find the case a reply means
JOURNAL_KIND = "unit_reply"  # the staff journal's kind for a reply taken by intake (see steps/apply_reply.py)


@dataclass
class Change:
    field: str
    old: str
    new: str
    outcome: str
    why: str = ""  # the validation's sentence when the new value is malformed


@dataclass
class ReplyResult:
    """What a reply did to its case (or would do, waiting for staff)."""

    letter_no: str
    case_no: str
    state: str | None  # APPLIED | PROPOSED; None: nothing recorded (see `reason`)
    trusted: bool
    changes: list[Change] = field(default_factory=list)
    reason: str = ""  # why nothing changed, for the letter and the notice
    status: Status | None = None  # the case's status afterwards

    @property
    def changed(self) -> list[Change]:
        return [c for c in self.changes if c.outcome in CHANGES_FIELD]


def entry_id(letter_no: str) -> str:
    """The staff-journal id of the reply's outcome: fixed by the reply's own case number,
    so a rebuilt ledger recognises it (case numbers survive a rebuild)."""
    return f"unit-reply:{letter_no}"


# ---------------------------------------------------------------- which case, who may change it


def find_case(s: Session, case_no: str | None) -> MessageRow | None:
    """The case a reply means: the one it answers, or the version that replaced it, or — for
    an answer to our answer to a letter — the case that letter was about."""
    seen: set[str] = set()
    while case_no and case_no not in seen and len(seen) < MAX_HOPS:
        seen.add(case_no)
        row = s.scalar(select(MessageRow).where(MessageRow.case_no == case_no))
        if row is None:
            return None
        if row.status == Status.SUPERSEDED.value and row.superseded_by:
            case_no = row.superseded_by
        elif row.status == Status.CORRESPONDENCE.value and row.related_case:
            case_no = row.related_case
        else:
            return row
    return None


def may_change(s: Session, roster: Roster, case: MessageRow, sender: str) -> bool:
    """The unit's own registered address, or an address staff assigned to the unit."""
    sender = (sender or "").lower()
    if not sender or not case.unit:
        return False
    if sender_unit(s, roster, sender) == case.unit:
        return True
    assigned = (
        select(MessageRow.id)
        .join(DecisionRow, DecisionRow.case_no == MessageRow.case_no)
        .where(MessageRow.sender == sender, MessageRow.unit == case.unit, DecisionRow.action == "assign")
    )
    return bool(s.scalar(select(exists(assigned))))


def asked_fields(case: MessageRow) -> set[str]:
    """The fields the last notice asked the unit to fix (only a 需补正 notice asks)."""
    if case.status != Status.NEEDS_FIX.value:
        return set()
    scan = bool(case.is_scan)
    return {p["field"] for p in case.problems or [] if p.get("field") and audience(p, scan) == "unit"}


# ---------------------------------------------------------------- judging the values


def judge_values(
    config: Config, case: MessageRow, values: list, allowed: set[str] | None, strict: bool
) -> list[Change]:
    """Each value the reply gave, against the case as it is: taken, flagged, kept, same or
    not asked. `allowed`: the only fields that may change (after the deadline); `strict`:
    a malformed value is never taken (an accepted case keeps only valid values)."""
    spec = config.form
    fields = spec.ordered(case.fields)
    current = _field_problems(config, fields)
    changes: list[Change] = []
    for value in values:
        label, new = value.label, value.value
        old = fields.get(label, "")
        if " ".join(old.split()) == " ".join(new.split()):
            changes.append(Change(label, old, new, SAME))
            continue
        if allowed is not None and label not in allowed:
            changes.append(Change(label, old, new, NOT_ASKED))
            continue
        trial = {**fields, label: new}
        why = _field_problems(config, trial).get(label, "")
        if not why:
            outcome = TAKEN
        elif strict or (old.strip() and label not in current):
            outcome = KEPT
        else:
            outcome = FLAGGED
        changes.append(Change(label, old, new, outcome, why))
    return changes


def _field_problems(config: Config, fields: dict[str, str]) -> dict[str, str]:
    spec = config.form
    problems = form_reading.validate(fields, form_reading.normalize(fields, spec), spec)
    return {p.field: p.message for p in problems if p.field}


# ---------------------------------------------------------------- the one way a reply changes a case


def apply_changes(
    s: Session,
    config: Config,
    case: MessageRow,
    changes: list[Change],
    *,
    who: str,
    at: datetime,
    letter_no: str,
    confirmed_by: str = "",
) -> Status:
    """Write the taken and flagged values into `case` (already taken with cases.take), keep
    the history, re-check the changed fields and re-derive the status. Returns the status."""
    chosen = [c for c in changes if c.outcome in CHANGES_FIELD]
    before = Status(case.status)
    if not chosen:
        return before
    when = at.astimezone(config.tz).strftime("%Y-%m-%d")
    source = f"单位回复（{when}）" + (f"，{confirmed_by}确认" if confirmed_by else "")
    fields = dict(case.fields or config.form.empty_fields())
    if case.fields_read is None:
        case.fields_read = dict(case.fields or {})
    sources = dict(case.sources or {})
    labels = set()
    for c in chosen:
        fields[c.field] = c.new
        sources[c.field] = source
        labels.add(c.field)
        why = f"来信 {letter_no}" + (f"，{confirmed_by}确认" if confirmed_by else "")
        s.add(
            CorrectionRow(
                at=utcnow(), who=who, case_no=case.case_no, field=c.field, old=c.old, new=c.new, why=why
            )
        )
    case.fields, case.sources = fields, sources
    # What staff asked about these fields is answered by the unit's new value; the fields
    # rule says again whatever is still wrong with it.
    case.problems = [
        p for p in case.problems or [] if not (p.get("code") == "staff_request" and p.get("field") in labels)
    ]
    refresh_fields(s, config, case, only=labels)
    if before in DIRECT or before is Status.ACCEPTED:
        case.status = derive_status(case.problems, bool(case.is_scan)).value
    case.changed_at = utcnow()
    detail = "按单位回复更正：" + "；".join(f"「{c.field}」“{c.old or '（空）'}”→“{c.new}”" for c in chosen)
    detail += f"（来信 {letter_no}" + (f"，{confirmed_by}确认）" if confirmed_by else "）")
    status = Status(case.status)
    if status is not before:
        detail += f"；状态：{before.zh}→{status.zh}"
    s.add(
        DecisionRow(
            at=utcnow(), who=who, action=UNIT_REPLY, case_no=case.case_no, unit=case.unit, detail=detail
        )
    )
    s.flush()
    return status


def record(s: Session, result: ReplyResult, case: MessageRow, sender: str, at: datetime) -> ReplyChangeRow:
    row = ReplyChangeRow(
        letter_no=result.letter_no,
        case_no=case.case_no,
        at=at,
        sender=sender,
        unit=case.unit,
        trusted=result.trusted,
        state=result.state,
        changes=[asdict(c) for c in result.changes],
    )
    s.add(row)
    s.flush()
    return row


def changes_of(stored: list[dict] | None) -> list[Change]:
    """Changes as stored (ReplyChangeRow.changes, a journal entry)."""
    return [
        Change(**{k: c.get(k, "") for k in ("field", "old", "new", "outcome", "why")}) for c in stored or []
    ]


def take_reply(
    s: Session,
    config: Config,
    roster: Roster,
    case: MessageRow,
    letter_no: str,
    sender: str,
    at: datetime,
    values: list,
) -> ReplyResult:
    """Intake's part: judge the reply against `case` and apply it, propose it, or leave it
    to staff; records the reply (ReplyChangeRow) when it applied or proposed something."""
    from .cases import StaleCase, take

    trusted = may_change(s, roster, case, sender)
    result = ReplyResult(letter_no, case.case_no, None, trusted)
    status = Status(case.status)
    late = is_late(config, at) and not case.late_allowed
    allowed = asked_fields(case) if late else None
    if status not in DIRECT and status is not Status.ACCEPTED:
        result.reason = reply_reason(case)
        result.changes = [
            Change(v.label, (case.fields or {}).get(v.label, ""), v.value, KEPT) for v in values
        ]
        return result
    propose = not trusted or status is Status.ACCEPTED or bool(case.selected)
    result.changes = judge_values(config, case, values, allowed, strict=status is Status.ACCEPTED)
    if not any(c.outcome in CHANGES_FIELD for c in result.changes):
        result.status = status
        return result  # nothing to change (the same values, or not asked after the deadline)
    if propose:
        for c in result.changes:
            if c.outcome == TAKEN or (c.outcome == FLAGGED and not trusted):
                c.outcome = WAITING
        result.state = PROPOSED
        result.status = status
    else:
        for attempt in range(3):  # another worker's change of the same case in between: look again
            try:
                case = take(s, case.case_no, None, by=letter_no, at=at, source=REPLY)
                break
            except StaleCase:
                if attempt == 2:
                    raise
        result.state = APPLIED
        result.status = apply_changes(
            s, config, case, result.changes, who=case.unit or sender, at=at, letter_no=letter_no
        )
    record(s, result, case, sender, at)
    return result


# ---------------------------------------------------------------- words for the unit and for staff


def unit_lines(result: ReplyResult) -> list[str]:
    """What the notice answering the reply says about each value, first thing."""
    taken = [c for c in result.changes if c.outcome == TAKEN]
    lines: list[str] = []
    if result.state == PROPOSED:
        asked = "、".join(f"「{c.field}」改为“{c.new}”" for c in result.changes if c.outcome == WAITING)
        if asked:
            lines.append(
                f"您回复中要求的修改（{asked}）需经工作人员确认，确认后另行通知；在此之前以原内容为准。"
            )
    elif taken:
        lines.append("已根据您的回复更新：" + "；".join(f"{c.field} {c.new}" for c in taken) + "。")
    for c in result.changes:
        if c.outcome == FLAGGED:
            lines.append(
                f"已按您的回复把「{c.field}」改为“{c.new}”，但格式仍不正确，请再次更正（见下方问题）。"
            )
        elif c.outcome == KEPT:
            lines.append(
                f"未采用「{c.field}」“{c.new}”：格式不正确（{_short(c.why)}），仍为原内容“{c.old or '（空）'}”。"
            )
        elif c.outcome == NOT_ASKED:
            lines.append(
                f"未更改「{c.field}」：报送截止后只能按回执的要求补正，该栏未被要求修改；确需修改请联系工作人员。"
            )
    same = [c.field for c in result.changes if c.outcome == SAME]
    if same and not lines:
        lines.append(f"您回复的{'、'.join(same)}与原内容相同，无需更改。")
    elif same:
        lines.append(f"{'、'.join(same)}与原内容相同，未作更改。")
    if result.reason and not lines:
        lines.append(result.reason)
    return lines


def _short(why: str) -> str:
    """The validation sentence without its closing "please fix and resend"."""
    return why.split("，当前填写为")[0].strip("。") if why else "格式不正确"


def answers_itself(result: ReplyResult) -> bool:
    """The notice answering the reply is all it needs: nothing waits for staff."""
    return result.trusted and result.state != PROPOSED and not result.reason


def letter_message(result: ReplyResult) -> str:
    """The reply's own record (a letter, 来信): what it asked and what became of it."""
    asked = "、".join(c.field for c in result.changes)
    head = f"单位回复受理编号 {result.case_no}，正文中写了栏目更正（{asked}）"
    if not result.trusted:
        return (
            f"{head}，但发件地址不是该单位登记的邮箱（也不是工作人员指定给该单位的地址），未作修改；"
            "请核实后回复，确认属实的可在该报送页采用。"
        )
    if result.state == PROPOSED:
        return f"{head}：该报送已受理（或已选定上报），修改待工作人员在报送页确认。"
    if result.state == APPLIED:
        changed = "、".join(c.field for c in result.changed)
        return f"{head}：{'已更新 ' + changed if changed else '没有需要更改的内容'}，已回复单位。"
    return f"{head}：{result.reason or '未作修改'}"


def unused_lines(values: list, form_fields: dict[str, str] | None) -> list[str]:
    """A reply that carries files is a new submission: its "栏目：内容" lines are not applied.
    One sentence per line for the receipt, compared with the attached form when there is one."""
    lines: list[str] = []
    for v in values:
        if form_fields is None:
            lines.append(
                f"正文中的“{v.label}：{v.value}”未单独采用：本邮件附有文件，按新的报送处理；"
                "如只需更正个别栏目，请直接回复回执，在正文中写“栏目：新内容”，不附文件。"
            )
            continue
        attached = form_fields.get(v.label, "")
        if " ".join(attached.split()) == " ".join(v.value.split()):
            lines.append(f"正文中的“{v.label}：{v.value}”与附件中的推荐表一致。")
        else:
            lines.append(
                f"正文中的“{v.label}：{v.value}”未采用：以附件中的推荐表为准（附件中为“{attached or '（空）'}”）。"
            )
    return lines


def reply_reason(case: MessageRow) -> str:
    """Why a case cannot be changed by reply at all (its status)."""
    status = Status(case.status)
    return f"受理编号 {case.case_no} 当前为“{status.zh}”，不能按回复修改；如有需要，请联系工作人员。"


# ---------------------------------------------------------------- the staff journal's replay


def replay_entry(ledger, config: Config, entry: dict, entry_id: str) -> None:
    """Apply a reply's outcome from the staff journal (a rebuilt or restored ledger), in its
    place among the staff decisions: the recorded values, the same code path, nothing sent."""
    from ..ledger.staff_journal import AlreadyApplied, claim
    from .cases import DecisionError, take

    with ledger.session() as s:
        if not claim(s, entry_id):
            raise AlreadyApplied(entry_id)
        case = s.scalar(select(MessageRow).where(MessageRow.case_no == entry["case_no"]))
        if case is None:
            raise DecisionError(f"找不到受理编号 {entry['case_no']}")
        state = entry.get("state")
        letter_no = entry["letter_no"]
        held = s.scalar(select(ReplyChangeRow.id).where(ReplyChangeRow.letter_no == letter_no))
        if state is None or held is not None:
            return
        changes = changes_of(entry["changes"])
        at = datetime.fromisoformat(entry["arrival"])
        result = ReplyResult(letter_no, case.case_no, state, bool(entry.get("trusted", True)), changes)
        if state == APPLIED:
            case = take(s, case.case_no, None, by=letter_no, at=at, source=REPLY)
            who = entry.get("by") or case.unit or entry.get("sender", "")
            apply_changes(s, config, case, changes, who=who, at=at, letter_no=letter_no)
        record(s, result, case, entry.get("sender", ""), at)
