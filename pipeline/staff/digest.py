"""The daily digest job: what changed, what needs staff, who has not sent."""

from __future__ import annotations

import dataclasses
import logging
from datetime import date, datetime

from sqlalchemy import select

from ..config import Config
from ..ledger import Ledger, MailboxStateRow, MessageRow, OutboxRow
from ..ledger.views import ACTIVE, unit_rows
from ..model import Status
from ..outbox import enqueue, new_message
from ..reports.digest import digest_fingerprint, digest_subject, render_digest_html
from ..reports.summary import build_summary_xlsx
from ..reports.views import DigestData, MailboxHealth
from ..templating import TEMPLATE_DIR
from .sending import now_local, send_and_report

log = logging.getLogger(__name__)

CHANGE_LABELS = {
    Status.ACCEPTED: "新受理",
    Status.NEEDS_FIX: "需补正",
    Status.MANUAL_REVIEW: "待人工核对",
    Status.LATE: "逾期",
    Status.OVER_QUOTA: "超出名额",
    Status.SUPERSEDED: "被更正版本替换",
    Status.UNKNOWN_UNIT: "发件人不在名单",
    Status.CORRESPONDENCE: "来信",
    Status.WITHDRAWN: "已撤回",
    Status.REJECTED: "不予受理",
}


def build_digest_data(config: Config, ledger: Ledger, now: datetime) -> tuple[DigestData, list]:
    """The digest's content, plus every message as a view (for 汇总表's second sheet)."""
    last = ledger.get_kv("digest:last_at")
    since = datetime.fromisoformat(last) if last else datetime.min.replace(tzinfo=config.tz)
    with ledger.session() as s:
        units, views = unit_rows(s, config)
        by_case = {v.case_no: v for v in views}
        rows = list(s.scalars(select(MessageRow).where(MessageRow.state == "done")))
        changes, needs = [], []
        for r in rows:
            v = by_case.get(r.case_no)
            if v is None:
                continue
            status = Status(r.status)
            if r.changed_at and r.changed_at > since and status in CHANGE_LABELS:
                label = CHANGE_LABELS[status]
                if status in ACTIVE and r.superseded_by is None and _replaced_something(rows, r):
                    label = "已更正"
                changes.append((label, v))
            if status is Status.MANUAL_REVIEW:
                needs.append(("待人工核对", v))
            elif status is Status.UNKNOWN_UNIT:
                needs.append(("发件人不在名单", v))
            elif status is Status.CORRESPONDENCE and not r.answered:
                needs.append(("来信待回复", v))
        failed = [
            (", ".join(o.recipients), o.subject, o.last_error or "")
            for o in s.scalars(select(OutboxRow).where(OutboxRow.state == "failed"))
        ]
        failed += [
            (", ".join(o.recipients), o.subject, f"暂未发出（已尝试 {o.attempts} 次）：{o.last_error}")
            for o in s.scalars(select(OutboxRow).where(OutboxRow.state == "pending", OutboxRow.attempts > 0))
        ]
        health = [
            MailboxHealth(
                b.name,
                (st.last_ok.astimezone(config.tz) if st and st.last_ok else None),
                st.last_error if st else None,
                st.failures_in_row if st else 0,
            )
            for b in config.mailboxes
            for st in [s.get(MailboxStateRow, b.name)]
        ]
    counts: dict[Status, int] = {}
    for v in views:
        counts[v.status] = counts.get(v.status, 0) + 1
    accepted_units = {u.unit for u in units if u.submission and u.submission.status is Status.ACCEPTED}
    deadline = config.this_level.deadline.astimezone(config.tz)
    return (
        DigestData(
            campaign=config.campaign,
            level_name=config.this_level.name,
            generated_at=now,
            deadline=deadline,
            days_left=(deadline.date() - now.date()).days,  # negative once past
            counts=counts,
            changes=changes,
            needs_staff=needs,
            missing_units=[u.unit for u in units if u.unit not in accepted_units],
            failed_mails=failed,
            mailboxes=health,
            units=units,
        ),
        views,
    )


def _replaced_something(rows: list[MessageRow], row: MessageRow) -> bool:
    return any(r.superseded_by == row.case_no for r in rows)


def run_digest(config: Config, day: date | None = None, send: bool = False, force: bool = False) -> str:
    """Write digest HTML + 汇总表.xlsx; with send, mail them to staff.

    Scheduled runs (force=False) skip the mail when nothing changed since the
    last digest, unless `digest_when_unchanged` is set.
    """
    ledger = Ledger(config.database_url)
    now = now_local(config)
    day = day or now.date()
    data, views = build_digest_data(config, ledger, now)
    out = config.path(config.storage.reports_dir)
    out.mkdir(parents=True, exist_ok=True)
    html = render_digest_html(data, TEMPLATE_DIR)
    html_path = out / f"每日汇总_{day:%Y-%m-%d}.html"
    html_path.write_text(html, encoding="utf-8")
    xlsx = build_summary_xlsx(data.units, views, out / "汇总表.xlsx")
    # "Nothing changed" = no ledger change since the last digest and the same
    # standing state (queues, missing units, mailbox health, failed mails).
    fingerprint = digest_fingerprint(dataclasses.replace(data, changes=[]))
    unchanged = not data.changes and fingerprint == ledger.get_kv("digest:fingerprint")
    result = f"每日汇总已生成：{html_path}，{xlsx}"
    if not send:
        return result
    if unchanged and not force and not config.this_level.digest_when_unchanged:
        return result + "（与上次相比没有变化，未发送）"
    if not config.this_level.staff:
        return result + "（未配置工作人员邮箱，未发送）"
    msg = new_message(
        config,
        config.this_level.staff,
        digest_subject(data),
        _digest_text(data),
        html=html,
        automatic=True,
        attachments=[xlsx],
    )
    key = f"digest:{day:%Y-%m-%d}:{fingerprint[:16]}"
    with ledger.session() as s:
        row = enqueue(s, config, key, "digest", msg)
    if row is None:
        return result + "（同样内容的汇总今天已发送）"
    ledger.set_kv("digest:fingerprint", fingerprint)
    ledger.set_kv("digest:last_at", now.isoformat())
    return send_and_report(config, ledger, [key], result)


def _digest_text(data: DigestData) -> str:
    lines = [f"{data.campaign} 每日汇总（{data.generated_at:%Y-%m-%d %H:%M}）", ""]
    for status, n in data.counts.items():
        lines.append(f"{status.zh}：{n}")
    lines.append(f"尚未受理的单位：{len(data.missing_units)} 个，距截止 {data.days_left} 天")
    lines.append(f"需要处理：{len(data.needs_staff)} 项")
    lines.append("")
    lines.append("详细内容请查看 HTML 版本或附件 汇总表.xlsx。")
    return "\n".join(lines)
