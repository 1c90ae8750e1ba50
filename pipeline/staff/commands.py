"""The staff commands of `run.py` (decide, show, reply, reply-fix): thin wrappers that
print what the shared staff functions did, in Chinese."""

from __future__ import annotations

import sys

from ..campaign import FormSpec
from ..config import Config
from ..ledger import CorrectionRow, DecisionRow, Ledger, MessageRow
from ..model import Status
from ..rules.audience import split, staff_text
from .decisions import (
    DecisionError,
    DecisionRequest,
    apply_decision,
    correct_field,
    preview_decision,
    returnable,
)
from .sending import send_and_report


def _fix_keys(row: MessageRow, picks: list[str], form: FormSpec) -> list[str]:
    """--fix takes the numbers `show` prints (1, 2…) or the keys themselves."""
    options = returnable(row, form)
    keys = []
    for pick in picks:
        if pick.isdigit() and 1 <= int(pick) <= len(options):
            keys.append(options[int(pick) - 1].key)
        else:
            keys.append(pick)
    return keys


def _print_notice(notice, out) -> None:
    print(f"\n—— 通知单位的邮件（收件人：{'、'.join(notice.to)}）——", file=out)
    print(f"主题：{notice.subject}\n", file=out)
    print(notice.text.rstrip(), file=out)
    print("—— 邮件结束 ——", file=out)


def decide(config: Config, args, out=None) -> int:
    out = out or sys.stdout
    ledger = Ledger(config.database_url)
    if args.action == "correct":
        if not args.field:
            raise DecisionError("更正时请用 --field 指定栏目、--value 给出正确的值。")
        result = correct_field(
            ledger, config, args.case, args.field, args.value or "", args.by, args.reason, seen=args.seen
        )
        print(result.summary, file=out)
        for problem in result.problems:
            print(f"  该栏仍有问题：{problem}", file=out)
        return 0
    fixes: list[str] = []
    if args.fix:
        with ledger.session() as s:
            row = s.query(MessageRow).filter(MessageRow.case_no == args.case).one_or_none()
            if row is None:
                raise DecisionError(f"找不到受理编号 {args.case}")
            fixes = _fix_keys(row, args.fix, config.form)
    req = DecisionRequest(
        action=args.action,
        case_no=args.case,
        by=args.by,
        reason=args.reason or "",
        unit=args.unit,
        fixes=fixes,
        ask=args.ask or "",
        notify=not args.no_notify,
        remember=bool(getattr(args, "remember", False)),
        seen=args.seen,
    )
    if args.preview:
        outcome = preview_decision(ledger, config, req)
        print(f"预览（未作任何改动）：{outcome.summary}", file=out)
        for warning in outcome.warnings:
            print(f"注意：{warning}", file=out)
        if outcome.notice:
            _print_notice(outcome.notice, out)
        else:
            print("此操作不通知单位。", file=out)
        return 0
    outcome = apply_decision(ledger, config, req)
    print(outcome.summary, file=out)
    for warning in outcome.warnings:
        print(f"注意：{warning}", file=out)
    if outcome.notice:
        print(f"已写入发件箱：{outcome.notice.subject}（收件人：{'、'.join(outcome.notice.to)}）", file=out)
        if args.send and outcome.outbox_key:
            print(send_and_report(config, ledger, [outcome.outbox_key], "通知单位"), file=out)
        elif not config.smtp.dry_run:
            print("下次运行 once/serve 时发出（或加 --send 立即发送）。", file=out)
    return 0


def show(config: Config, args, out=None) -> int:
    """Everything staff need to decide on one case, in the terminal."""
    out = out or sys.stdout
    ledger = Ledger(config.database_url)
    with ledger.session() as s:
        row = s.query(MessageRow).filter(MessageRow.case_no == args.case).one_or_none()
        if row is None:
            raise DecisionError(f"找不到受理编号 {args.case}")
        tz = config.tz
        status = Status(row.status)
        print(f"{row.case_no}  {status.zh}{'  【已选定上报】' if row.selected else ''}", file=out)
        print(
            f"版本：{row.version or 0}（decide、reply 加 --seen {row.version or 0}：期间别人处理过就不作改动）",
            file=out,
        )
        print(f"单位：{row.unit or '（不在名单中）'}    发件人：{row.sender_name} <{row.sender}>", file=out)
        print(f"主题：{row.subject}", file=out)
        print(f"到达：{row.arrival.astimezone(tz):%Y-%m-%d %H:%M}（北京时间）", file=out)
        groups = split(row.problems or [], bool(row.is_scan))
        for title, key in (
            ("原因", "reason"),
            ("单位须补正", "unit"),
            ("工作人员须核对", "staff"),
            ("说明", "note"),
        ):
            if groups[key]:
                print(f"\n{title}：", file=out)
                for p in groups[key]:
                    print(f"  - {staff_text(p, bool(row.is_scan))}", file=out)
        options = returnable(row, config.form)
        if options:
            print("\n可退回补正的问题（decide 退回补正 编号 --fix 序号）：", file=out)
            for i, r in enumerate(options, 1):
                print(f"  {i}. {r.message}", file=out)
        if row.fields:
            print(f"\n{config.form.title}内容（来源）：", file=out)
            for label in config.form.labels:
                value = (row.fields or {}).get(label, "")
                source = (row.sources or {}).get(label, "")
                print(f"  {label}：{value or '（空）'}" + (f"    ← {source}" if source else ""), file=out)
        if row.attachments:
            print("\n附件：", file=out)
            for a in row.attachments:
                print(f"  - {a.name}（{config.form.kind_name(a.kind)}）  {a.path}", file=out)
        history = (
            s.query(DecisionRow).filter(DecisionRow.case_no == row.case_no).order_by(DecisionRow.id).all()
        )
        if history:
            print("\n处理记录：", file=out)
            for d in history:
                print(f"  {d.at.astimezone(tz):%Y-%m-%d %H:%M} {d.who}：{d.detail}", file=out)
        from .reply_changes import reply_changes_of

        answers = reply_changes_of(s, config, row.case_no)
        if answers:
            print("\n单位回复中的修改：", file=out)
            for v in answers:
                flag = "" if v.trusted else "（发件地址不是该单位登记的邮箱）"
                print(
                    f"  来信 {v.letter_no}（{v.at:%Y-%m-%d %H:%M}，{v.sender}{flag}）：{v.state_zh}", file=out
                )
                for line in v.lines():
                    print(f"    {line}", file=out)
                if v.pending:
                    print(f"    采用：python run.py reply-fix {v.letter_no} --apply", file=out)
        corrections = s.query(CorrectionRow).filter(CorrectionRow.case_no == row.case_no).count()
        if corrections and row.fields_read:
            changed = [
                lbl
                for lbl in config.form.labels
                if (row.fields_read or {}).get(lbl, "") != (row.fields or {}).get(lbl, "")
            ]
            print(f"\n原始识别值（已更正 {len(changed)} 栏）：", file=out)
            for label in changed:
                print(f"  {label}：{row.fields_read.get(label, '') or '（空）'}", file=out)
    return 0


def reply(config: Config, args, out=None) -> int:
    from .replies import reply_to_unit

    out = out or sys.stdout
    ledger = Ledger(config.database_url)
    text = args.text
    if args.text_file:
        from pathlib import Path

        text = Path(args.text_file).read_text(encoding="utf-8")
    result = reply_to_unit(
        ledger, config, args.case, text or "", args.by, preview=args.preview, seen=args.seen
    )
    if args.preview:
        print("预览（未发送）：", file=out)
        print(f"收件人：{'、'.join(result.to)}\n主题：{result.subject}\n\n{result.text}", file=out)
        return 0
    print(f"已写入发件箱：{result.subject}（收件人：{'、'.join(result.to)}）", file=out)
    if args.send and result.outbox_key:
        print(send_and_report(config, ledger, [result.outbox_key], "回复"), file=out)
    return 0


def reply_fix(config: Config, args, out=None) -> int:
    """List the replies waiting for staff, or take / leave one."""
    from .reply_changes import decide_reply_change, pending_changes

    out = out or sys.stdout
    ledger = Ledger(config.database_url)
    if not args.letter or not (args.apply or args.decline):
        waiting = [
            v for v in pending_changes(ledger, config) if not args.letter or v.letter_no == args.letter
        ]
        if not waiting:
            print("没有等待确认的单位回复。", file=out)
            return 0
        for v in waiting:
            who = v.sender + ("" if v.trusted else "（不是该单位登记的邮箱，请先核实）")
            print(f"来信 {v.letter_no}（{v.at:%Y-%m-%d %H:%M}，{who}）要求修改 {v.case_no}：", file=out)
            for line in v.lines():
                print(f"  {line}", file=out)
        print("\n采用：python run.py reply-fix 来信编号 --apply；不采用：--decline --reason 意见", file=out)
        return 0
    result = decide_reply_change(
        ledger,
        config,
        args.letter,
        args.by,
        apply=args.apply,
        reason=args.reason,
        seen=args.seen,
        notify=not args.no_notify,
    )
    print(result.summary, file=out)
    if result.notice:
        print(f"已写入发件箱：{result.notice.subject}（收件人：{'、'.join(result.notice.to)}）", file=out)
        if args.send and result.outbox_key:
            print(send_and_report(config, ledger, [result.outbox_key], "通知单位"), file=out)
    return 0
