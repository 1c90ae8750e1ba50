"""Staff take (采用) or leave (不采用) a unit's reply that waits for them.

A reply that asks to change an accepted or selected case, or that came from an
address that is not the unit's, is kept as a proposal (reply_changes, state
"proposed"; intake/replies.py). One click in the console — or `run.py reply-fix`
— takes it: the values are judged again against the case as it is now and
written by the same code path intake uses (intake.replies.apply_changes), with
the staff member named in the history; the unit gets one notice. Like every
staff action it carries the case's version the person saw (take()) and is
journaled, so a rebuild replays it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..config import Config
from ..form.reply_lines import ReplyValue
from ..intake import replies
from ..intake.cases import touch
from ..ledger import DecisionRow, Ledger, MessageRow, ReplyChangeRow, utcnow
from ..ledger import staff_journal as journal
from ..model import Status
from ..notices.to_units import DECISION, Notice, compose_notice, enqueue_notice
from .decisions import DecisionError, take

DECLINE = "decline-reply"  # the audit action of a proposal staff did not take


@dataclass
class ReplyChangeView:
    """A reply's asked-for changes as staff see them on the case (and in `show`)."""

    letter_no: str
    case_no: str
    at: datetime
    sender: str
    trusted: bool
    state: str
    state_zh: str
    changes: list[replies.Change]
    decided_by: str | None = None
    note: str = ""

    @property
    def pending(self) -> bool:
        return self.state == replies.PROPOSED

    def lines(self) -> list[str]:
        """One line per field: 手机：“022-…”→“139…”（已更新）."""
        return [
            f"{c.field}：“{c.old or '（空）'}”→“{c.new}”（{replies.OUTCOME_ZH.get(c.outcome, c.outcome)}）"
            for c in self.changes
        ]


@dataclass
class ReplyDecision:
    letter_no: str
    case_no: str
    applied: bool
    summary: str
    notice: Notice | None
    outbox_key: str | None = None
    version: int = 0
    changes: list[replies.Change] = field(default_factory=list)


def view(row: ReplyChangeRow, config: Config) -> ReplyChangeView:
    return ReplyChangeView(
        row.letter_no,
        row.case_no,
        row.at.astimezone(config.tz),
        row.sender,
        bool(row.trusted),
        row.state,
        replies.STATE_ZH.get(row.state, row.state),
        replies.changes_of(row.changes),
        row.decided_by,
        row.note or "",
    )


def reply_changes_of(s: Session, config: Config, case_no: str) -> list[ReplyChangeView]:
    """Every reply that changed or asked to change `case_no`, oldest first."""
    rows = s.scalars(
        select(ReplyChangeRow).where(ReplyChangeRow.case_no == case_no).order_by(ReplyChangeRow.id)
    )
    return [view(r, config) for r in rows]


def pending_changes(ledger: Ledger, config: Config) -> list[ReplyChangeView]:
    """Every reply that waits for staff, oldest first."""
    with ledger.session() as s:
        rows = s.scalars(
            select(ReplyChangeRow).where(ReplyChangeRow.state == replies.PROPOSED).order_by(ReplyChangeRow.id)
        )
        return [view(r, config) for r in rows]


def decide_reply_change(
    ledger: Ledger,
    config: Config,
    letter_no: str,
    by: str,
    *,
    apply: bool,
    reason: str = "",
    seen: int | None = None,
    notify: bool = True,
    replay: str | None = None,
) -> ReplyDecision:
    """Take (`apply`) or leave the changes the reply `letter_no` asked for. `seen`: the case's
    version the person saw; `replay`: a journal entry's id (a rebuild: nothing is sent)."""
    entry_id = replay or journal.new_id()
    with ledger.session() as s:
        if not journal.claim(s, entry_id):
            raise journal.AlreadyApplied(entry_id)
        proposal = s.scalar(select(ReplyChangeRow).where(ReplyChangeRow.letter_no == letter_no))
        if proposal is None:
            raise DecisionError(f"来信 {letter_no} 没有要求修改报送的内容。")
        if proposal.state != replies.PROPOSED:
            raise DecisionError(
                f"来信 {letter_no} 的修改已处理：{replies.STATE_ZH.get(proposal.state, proposal.state)}。"
            )
        case = take(s, proposal.case_no, seen, by=by, at=config.now())
        letter = s.scalar(select(MessageRow).where(MessageRow.case_no == letter_no))
        if apply:
            changes = _apply(s, config, case, proposal, by)
            proposal.state = replies.CONFIRMED
            proposal.changes = [asdict(c) for c in changes]
            taken = "；".join(f"{c.field} {c.new}" for c in changes if c.outcome in replies.CHANGES_FIELD)
            summary = f"{case.case_no}：已采用来信 {letter_no} 的修改（{taken}）；当前状态：{Status(case.status).zh}"
            lines = [f"工作人员已按贵单位{_day(proposal.at, config)}的回复更新：{taken}。"]
            lines += [
                line
                for line in replies.unit_lines(
                    replies.ReplyResult(letter_no, case.case_no, None, True, changes)
                )
                if not line.startswith("已根据")
            ]
        else:
            proposal.state = replies.DECLINED
            asked = "、".join(f"「{c['field']}」改为“{c['new']}”" for c in proposal.changes or [])
            detail = f"不采用来信 {letter_no} 要求的修改（{asked}）" + (
                f"：{reason.strip()}" if reason.strip() else ""
            )
            s.add(
                DecisionRow(
                    at=utcnow(), who=by, action=DECLINE, case_no=case.case_no, unit=case.unit, detail=detail
                )
            )
            changes = replies.changes_of(proposal.changes)
            summary = f"{case.case_no}：{detail}"
            lines = [f"贵单位{_day(proposal.at, config)}回复中要求的修改（{asked}）未采用，仍以原内容为准。"]
        proposal.decided_by, proposal.decided_at, proposal.note = by, utcnow(), reason.strip()
        case.changed_at = utcnow()  # the version moved on in take()
        if letter is not None and not letter.answered:
            letter.answered = True
            touch(letter)
        notice, key = None, None
        # Leaving a stranger's reply tells no one: the unit did not write it.
        if notify and not replay and (apply or proposal.trusted):
            notice = _notice(config, case, proposal, letter, lines, reason)
            if notice is not None:
                key = f"reply-change:{letter_no}"
                enqueue_notice(s, config, notice, key, "notice")
        version = case.version or 0
    if not replay:
        journal.record(
            config,
            "reply_change",
            entry_id,
            letter_no=letter_no,
            case_no=proposal.case_no,
            apply=apply,
            by=by,
            reason=reason,
            notify=notify,
        )
    return ReplyDecision(letter_no, proposal.case_no, apply, summary, notice, key, version, changes)


def _apply(
    s: Session, config: Config, case: MessageRow, proposal: ReplyChangeRow, by: str
) -> list[replies.Change]:
    """Judge the asked-for values against the case as it is now, and write what may be taken."""
    status = Status(case.status)
    if status not in replies.DIRECT and status is not Status.ACCEPTED:
        raise DecisionError(f"{case.case_no} 当前为“{status.zh}”，不能按回复修改。")
    asked = [
        ReplyValue(c["field"], c["new"], "")
        for c in proposal.changes or []
        if c.get("outcome") != replies.SAME
    ]
    changes = replies.judge_values(config, case, asked, None, strict=status is Status.ACCEPTED)
    if not any(c.outcome in replies.CHANGES_FIELD for c in changes):
        why = "；".join(f"{c.field}：{replies.OUTCOME_ZH[c.outcome]}" for c in changes) or "没有内容"
        raise DecisionError(f"来信 {proposal.letter_no} 没有可以采用的修改（{why}）。")
    replies.apply_changes(
        s, config, case, changes, who=by, at=proposal.at, letter_no=proposal.letter_no, confirmed_by=by
    )
    return changes


def _day(at: datetime, config: Config) -> str:
    local = at.astimezone(config.tz)
    return f"{local.month}月{local.day}日"


def _notice(
    config: Config,
    case: MessageRow,
    proposal: ReplyChangeRow,
    letter: MessageRow | None,
    lines: list[str],
    reason: str,
) -> Notice | None:
    """To the unit: the reply's own sender when it is the unit's, else the case's registered
    sender (a stranger is never told of a change); threaded to what it answers."""
    if proposal.trusted and proposal.sender and letter is not None:
        to, in_reply_to, refs = [proposal.sender], letter.message_id, list(letter.reply_to_ids or [])
    elif case.sender:
        to, in_reply_to, refs = [case.sender], case.message_id, list(case.reply_to_ids or [])
    else:
        return None
    return compose_notice(
        config,
        case,
        kind=DECISION,
        staff_note=reason,
        in_reply_to=in_reply_to,
        references=refs,
        reply_lines=lines,
        to=to,
    )
