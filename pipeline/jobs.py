"""Staff-facing jobs: daily digest, reminders (催报), scoring sheet, upstream packet.

Each job reads the ledger, writes its files under outbox/reports/, and (with
send) enqueues mail with a dedup key, so a restart never repeats a mail.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
from datetime import date, datetime, timedelta

from sqlalchemy import select

from .config import Config
from .ledger import Ledger, MailboxStateRow, MessageRow, OutboxRow
from .ledger.views import ACTIVE, to_view, unit_rows
from .model import Status
from .outbox import enqueue, new_message
from .reports.digest import digest_fingerprint, digest_subject, render_digest_html
from .reports.summary import build_summary_xlsx
from .reports.views import DigestData, MailboxHealth
from .templating import TEMPLATE_DIR, render

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


def _now(config: Config) -> datetime:
    return datetime.now(config.tz)


def _sent_to(config: Config, addresses: list[str]) -> str:
    if config.smtp.dry_run:
        return f"；邮件已写入 outbox（试运行，未发送给 {'、'.join(addresses)}）"
    return f"，已发送给 {'、'.join(addresses)}"


def _flush_if(config: Config, ledger: Ledger, send: bool) -> dict:
    if not send or config.smtp.dry_run:
        return {}
    from .outbox import flush
    from .smtp_send import SmtpSender

    sender = SmtpSender(config.smtp)
    try:
        return flush(ledger, config, sender)
    finally:
        sender.close()


# ---------------------------------------------------------------- digest


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
    now = _now(config)
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
    with ledger.session() as s:
        row = enqueue(s, config, f"digest:{day:%Y-%m-%d}:{fingerprint[:16]}", "digest", msg)
    if row is None:
        return result + "（同样内容的汇总今天已发送）"
    ledger.set_kv("digest:fingerprint", fingerprint)
    ledger.set_kv("digest:last_at", now.isoformat())
    _flush_if(config, ledger, send)
    return result + _sent_to(config, config.this_level.staff)


def _digest_text(data: DigestData) -> str:
    lines = [f"{data.campaign} 每日汇总（{data.generated_at:%Y-%m-%d %H:%M}）", ""]
    for status, n in data.counts.items():
        lines.append(f"{status.zh}：{n}")
    lines.append(f"尚未受理的单位：{len(data.missing_units)} 个，距截止 {data.days_left} 天")
    lines.append(f"需要处理：{len(data.needs_staff)} 项")
    lines.append("")
    lines.append("详细内容请查看 HTML 版本或附件 汇总表.xlsx。")
    return "\n".join(lines)


# ---------------------------------------------------------------- reminders


def run_reminders(config: Config, send: bool = False, force_days: int | None = None, now=None) -> str:
    """Remind roster units without an accepted submission; once per unit per schedule point."""
    ledger = Ledger(config.database_url)
    now = now or _now(config)
    level = config.this_level
    deadline = level.deadline.astimezone(config.tz)
    days_left = (deadline.date() - now.date()).days
    if force_days is not None:
        point = force_days
    else:
        if days_left not in level.reminders_days_before or now.time() < level.reminder_time or now > deadline:
            return "今天没有需要发送的催报。"
        point = days_left
    with ledger.session() as s:
        units, _ = unit_rows(s, config)
        sent = 0
        for row in units:
            if row.submission and row.submission.status is Status.ACCEPTED:
                continue
            unit = next(u for u in config.units if u.name == row.unit)
            if not unit.addresses:
                log.warning("unit %s has no address; reminder skipped", unit.name)
                continue
            text = render(
                "reminder.txt.j2",
                unit=unit.name,
                campaign=config.campaign,
                level_name=level.name,
                deadline=f"{deadline:%Y-%m-%d %H:%M}",
                days_left=max(days_left, 0),
                submission=row.submission,
                contact=level.contact or "、".join(level.staff),
            )
            msg = new_message(
                config, unit.addresses, f"【催报】{config.campaign}：请于 {deadline:%m月%d日} 前报送", text
            )
            if level.staff:
                msg["Cc"] = ", ".join(level.staff)
            if enqueue(s, config, f"reminder:{point}:{unit.name}", "reminder", msg) is not None:
                sent += 1
    _flush_if(config, ledger, send)
    return f"催报（截止前 {point} 天）：新写入 {sent} 封。"


def remind_upstream_selection(config: Config, send: bool = False, now=None) -> str | None:
    """Two days before the upstream deadline with nothing selected: tell staff."""
    if not config.upstream or not config.this_level.staff:
        return None
    ledger = Ledger(config.database_url)
    now = now or _now(config)
    due = config.upstream.deadline.astimezone(config.tz)
    if not (due - timedelta(days=2) <= now <= due):
        return None
    with ledger.session() as s:
        if s.scalar(select(MessageRow.id).where(MessageRow.selected.is_(True)).limit(1)):
            return None
        text = (
            f"距上报{config.upstream.name}的截止时间（{due:%Y-%m-%d %H:%M}）已不足两天，尚未选定上报账号。\n"
            f"请运行：python run.py decide select <受理编号>，然后 python run.py packet --send。"
        )
        msg = new_message(
            config, config.this_level.staff, f"【提醒】尚未选定上报{config.upstream.name}的账号", text
        )
        enqueue(s, config, f"upstream-reminder:{due:%Y-%m-%d}", "alert", msg)
    _flush_if(config, ledger, send)
    return "已提醒工作人员选定上报账号。"


# ---------------------------------------------------------------- scoring


def run_scoring(config: Config) -> str:
    from .reports.scoring import build_scoring_xlsx

    ledger = Ledger(config.database_url)
    with ledger.session() as s:
        _, views = unit_rows(s, config)
    accepted = [v for v in views if v.status is Status.ACCEPTED]
    out = config.path(config.storage.reports_dir)
    out.mkdir(parents=True, exist_ok=True)
    path = build_scoring_xlsx(accepted, out / "评分表.xlsx")
    return f"评分表已生成（{len(accepted)} 个已受理账号）：{path}"


# ---------------------------------------------------------------- packet


def run_packet(config: Config, send: bool = False) -> str:
    from .reports.packet import build_packet

    if config.upstream is None:
        return "配置中没有 upstream（上级），无需生成上报材料包。"
    ledger = Ledger(config.database_url)
    with ledger.session() as s:
        units, _ = unit_rows(s, config)
        rows = s.scalars(
            select(MessageRow).where(
                MessageRow.selected.is_(True), MessageRow.status == Status.ACCEPTED.value
            )
        ).all()
        selected = [to_view(r, config) for r in rows]
    if not selected:
        return "尚未选定上报账号：请先运行 python run.py decide select <受理编号>。"
    if len(selected) > config.upstream.accounts:
        return (
            f"选定了 {len(selected)} 个账号，超过上级名额 {config.upstream.accounts} 个，请先取消多余的选送。"
        )
    out = config.path(config.storage.reports_dir) / "packet"
    out.mkdir(parents=True, exist_ok=True)
    packet = build_packet(
        selected,
        units,
        out,
        level_name=config.this_level.name,
        template=TEMPLATE_DIR / "推荐表模板.docx",
        # Base64 grows attachments by 4/3: keep each zip at 70% of the mail limit.
        max_mail_bytes=int(config.upstream.max_mail_mb * 1024 * 1024 * 0.7),
    )
    result = f"上报材料包：{'、'.join(str(p) for p in packet.zip_paths)}"
    if not send:
        return result
    n = len(packet.zip_paths)
    # The same selection with the same files is one packet, however often it is rebuilt.
    basis = "|".join(sorted(f"{v.case_no}:{','.join(a.sha256 for a in v.attachments)}" for v in selected))
    fingerprint = hashlib.sha256(basis.encode()).hexdigest()[:16]
    names = "、".join(f"{v.unit}「{v.fields.get('账号名称', '')}」" for v in selected)
    with ledger.session() as s:
        for i, path in enumerate(packet.zip_paths, 1):
            text = render(
                "packet.txt.j2",
                upstream=config.upstream.name,
                level_name=config.this_level.name,
                campaign=config.campaign,
                names=names,
                part=i,
                parts=n,
                contact=config.this_level.contact,
            )
            subject = f"{config.this_level.name}推荐{config.campaign}材料" + (f"（{i}/{n}）" if n > 1 else "")
            msg = new_message(
                config, config.upstream.addresses, subject, text, automatic=False, attachments=[path]
            )
            key = f"packet:{fingerprint}:{i}of{n}"
            enqueue(s, config, key, "packet", msg)
    _flush_if(config, ledger, send)
    return result + _sent_to(config, config.upstream.addresses)
