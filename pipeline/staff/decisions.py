"""Staff decisions. Each is recorded in the audit log and shown in every output;
a decision that changes what a unit was told sends it a new notice."""

from __future__ import annotations

from sqlalchemy import select

from ..config import Config
from ..ledger import DecisionRow, Ledger, MessageRow, utcnow
from ..model import QUOTA_STATUSES, Status
from ..outbox import enqueue, new_message
from .notices import receipt_subject, receipt_text

# action -> (new status or None, audit text, notify the unit?)
ACTIONS: dict[str, tuple[Status | None, str, bool]] = {
    "accept": (Status.ACCEPTED, "人工核对后受理", True),
    "reject": (Status.REJECTED, "不予受理", True),
    "withdraw": (Status.WITHDRAWN, "标记为已撤回", True),
    "allow-late": (None, "允许逾期提交", True),
    "assign": (None, "指定发件人所属单位", True),
    "select": (None, "选定上报", False),
    "unselect": (None, "取消上报", False),
    "answered": (None, "来信已回复", False),
}


class DecisionError(Exception):
    """A decision that cannot be applied; the message says why in Chinese."""


def apply_decision(config: Config, args) -> str:
    ledger = Ledger(config.database_url)
    action = args.action
    new_status, label, notify = ACTIONS[action]
    with ledger.session() as s:
        row = s.scalar(select(MessageRow).where(MessageRow.case_no == args.case))
        if row is None:
            raise SystemExit(f"找不到受理编号 {args.case}")
        detail = label + (f"（{args.reason}）" if args.reason else "")
        if action == "assign":
            unit = _roster_unit(config, args.unit)
            row.unit = unit
            detail += f"：{row.sender} → {unit}"
            new_status = _status_after_assign(row)
        elif action == "allow-late":
            if row.status != Status.LATE.value:
                raise SystemExit(f"{args.case} 的状态是“{Status(row.status).zh}”，不是逾期")
            row.late_allowed = True
            new_status = _status_after_assign(row)
        elif action in ("select", "unselect"):
            _select(config, s, row, action == "select")
        elif action == "answered":
            row.answered = True
        s.add(
            DecisionRow(
                at=utcnow(), who=args.by, action=action, case_no=row.case_no, unit=row.unit, detail=detail
            )
        )
        if new_status is not None and new_status.value != row.status:
            _check_quota(config, s, row, new_status)
            row.status = new_status.value
            row.changed_at = utcnow()
            if new_status in QUOTA_STATUSES:
                _supersede_older(s, row)
        if notify and row.sender:
            text = receipt_text(config, row)
            if args.reason:
                text = f"工作人员意见：{args.reason}\n\n" + text
            status = Status(row.status)
            msg = new_message(
                config,
                [row.sender],
                receipt_subject(row.case_no, status, row.subject),
                text,
                in_reply_to=row.message_id,
                references=list(row.reply_to_ids or []),
                case_no=row.case_no,
            )
            n = s.scalar(select(DecisionRow.id).order_by(DecisionRow.id.desc()).limit(1)) or 0
            enqueue(s, config, f"decision:{row.case_no}:{n + 1}", "notice", msg, row.case_no)
        status_now = Status(row.status).zh
    if args.send and not config.smtp.dry_run:
        from ..outbox import flush
        from ..outbox.smtp_send import SmtpSender

        sender = SmtpSender(config.smtp)
        try:
            flush(ledger, config, sender)
        finally:
            sender.close()
    return f"{args.case}：{detail}；当前状态：{status_now}"


def _roster_unit(config: Config, name: str | None) -> str:
    names = [u.name for u in config.units]
    if not name or name not in names:
        raise SystemExit(f"请用 --unit 指定名单中的单位：{'、'.join(names)}")
    return name


def _status_after_assign(row: MessageRow) -> Status:
    """Re-decide a held message: valid → accepted, else needs_fix."""
    if not row.fields:
        return Status.NEEDS_FIX
    blocking = [p for p in row.problems if p.get("code") not in ("unknown_unit", "late", "scan")]
    return Status.NEEDS_FIX if blocking else Status.ACCEPTED


def _check_quota(config: Config, s, row: MessageRow, new_status: Status) -> None:
    if new_status is not Status.ACCEPTED or not row.unit:
        return
    others = s.scalars(
        select(MessageRow).where(
            MessageRow.unit == row.unit,
            MessageRow.status == Status.ACCEPTED.value,
            MessageRow.id != row.id,
            MessageRow.account_key != row.account_key,
        )
    ).all()
    if len(others) >= config.this_level.quota_per_unit:
        cases = "、".join(o.case_no for o in others)
        raise SystemExit(
            f"{row.unit} 已有受理的其他账号（{cases}），每单位限 {config.this_level.quota_per_unit} 个；请先撤回。"
        )


def _supersede_older(s, row: MessageRow) -> None:
    if not row.account_key:
        return
    for old in s.scalars(
        select(MessageRow).where(
            MessageRow.unit == row.unit,
            MessageRow.account_key == row.account_key,
            MessageRow.status.in_([status.value for status in QUOTA_STATUSES]),
            MessageRow.id != row.id,
            MessageRow.arrival < row.arrival,
        )
    ):
        old.status, old.superseded_by, old.changed_at = Status.SUPERSEDED.value, row.case_no, utcnow()


def _select(config: Config, s, row: MessageRow, on: bool) -> None:
    if on:
        if row.status != Status.ACCEPTED.value:
            raise SystemExit(f"只能选送已受理的推荐（{row.case_no} 当前为“{Status(row.status).zh}”）")
        limit = config.upstream.accounts if config.upstream else 1
        count = len(
            s.scalars(
                select(MessageRow.id).where(MessageRow.selected.is_(True), MessageRow.id != row.id)
            ).all()
        )
        if count >= limit:
            raise SystemExit(f"上级名额为 {limit} 个，已选定 {count} 个；请先 unselect 其他账号。")
    row.selected = on
    row.changed_at = utcnow()
