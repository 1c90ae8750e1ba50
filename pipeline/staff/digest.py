"""The daily digest job: what staff must do today first, then where every unit
stands, then what changed.

Every count comes from one place (UnitRow.state), so a unit that sent
something is never listed as 未报送, and each item that needs a person says
what to do and where (the console page, or the command).
"""

from __future__ import annotations

import dataclasses
import logging
from datetime import date, datetime, timedelta

from sqlalchemy import select

from ..config import Config
from ..ledger import Ledger, MailboxStateRow, OutboxRow, ReplyChangeRow
from ..ledger.views import ACTIVE, Brief, as_it_stood, briefs, unit_rows, views_of
from ..model import Status
from ..outbox import enqueue, new_message
from ..reports.digest import digest_fingerprint, digest_subject, digest_text, render_digest_html
from ..reports.summary import build_summary_xlsx
from ..reports.views import DigestData, MailboxHealth, ReplyCounts, StaffTask, SubmissionView, UpstreamInfo
from ..reports.wording import days_phrase
from ..templating import TEMPLATE_DIR
from .sending import now_local, send_and_report

log = logging.getLogger(__name__)

MAX_TASKS = 50  # items that wait for a person, listed one by one
WAITING = (Status.MANUAL_REVIEW.value, Status.UNKNOWN_UNIT.value, Status.CORRESPONDENCE.value)

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


def review_task(config: Config, view: SubmissionView) -> StaffTask:
    """What checking a 待人工核对 submission means, by why it is there."""
    codes = {p.code for p in view.problems}
    where = config.case_link(view.case_no)
    if "processing_failed" in codes or "message_too_large" in codes or "message_unreadable" in codes:
        what = "系统未能自动读取这封邮件：打开原始邮件核对附件，然后受理、退回补正或不予受理。"
    elif "big_attachment_link" in codes:
        what = "材料在超大附件/网盘链接中：请在链接过期前下载核对，然后受理或退回补正。"
    elif view.is_scan:
        what = f"{config.form.title}是扫描件或照片：对照原件核对系统识别的各栏（识别不出的请更正），然后受理或退回补正。"
    else:
        what = "核对后受理或退回补正。"
    return StaffTask("待人工核对", what, where, view)


def staff_tasks(
    config: Config,
    rows: list[Brief],
    views: dict[int, SubmissionView],
    failed: list[tuple[str, str, str]],
    health: list[MailboxHealth],
    upstream: UpstreamInfo | None,
    now: datetime,
    proposals: dict[str, str] | None = None,
) -> list[StaffTask]:
    """Everything that waits for a person, most urgent first. `proposals`: letters (by case
    number) that ask to change a case staff must confirm, with that case's number."""
    proposals = proposals or {}
    tasks: list[StaffTask] = []
    for to, subject, error in failed:
        tasks.append(
            StaffTask(
                "发送失败", f"给 {to} 的邮件“{subject}”未能发出：{error}。请核对收件地址，必要时电话联系。"
            )
        )
    for m in health:
        if m.failures_in_row:
            tasks.append(
                StaffTask(
                    "邮箱异常",
                    f"邮箱“{m.name}”已连续 {m.failures_in_row} 次读取失败（{m.last_error or '原因未知'}），新邮件可能没有处理。"
                    "请检查授权码和 IMAP 开关（由管理员在服务器上运行 python run.py test-connection 检查连接）。",
                )
            )
    if upstream is not None and not upstream.selected:
        accepted = sum(1 for r in rows if r.status == Status.ACCEPTED.value)
        if accepted:
            noun = config.form.noun
            tasks.append(
                StaffTask(
                    "上报",
                    f"尚未选定上报{upstream.name}的{noun}（上报截止 {upstream.deadline:%Y-%m-%d %H:%M}，"
                    f"{days_phrase(now, upstream.deadline)}）：在已受理的 {accepted} 个{noun}中选定"
                    f" {upstream.accounts} 个，然后发送上报材料包。",
                    f"{config.console_url}/packet",
                )
            )
    elif upstream is not None and upstream.packet_sent is None:
        identity = config.form.identity_label
        names = "、".join(v.fields.get(identity, "") or v.case_no for v in upstream.selected)
        tasks.append(
            StaffTask(
                "上报",
                f"已选定 {names}，上报材料包尚未发送（截止 {upstream.deadline:%Y-%m-%d %H:%M}，"
                f"{days_phrase(now, upstream.deadline)}）：预览后发送。",
                f"{config.console_url}/packet",
            )
        )
    for r in rows:
        v = views.get(r.id)
        if v is None:
            continue
        status = Status(r.status)
        if status is Status.MANUAL_REVIEW:
            tasks.append(review_task(config, v))
        elif status is Status.UNKNOWN_UNIT and not r.answered:
            tasks.append(
                StaffTask(
                    "发件人不在名单",
                    f"{v.sender} 发来的邮件不在名单中：确认属于哪个单位后“指定单位”；不是报送的可标记为无需处理。",
                    config.case_link(v.case_no),
                    v,
                )
            )
        elif status is Status.LATE and r.superseded_by is None:
            # Arrived after the deadline: a person decides (allow it late, or not accept it).
            tasks.append(
                StaffTask(
                    "逾期",
                    f"{v.unit or v.sender} 的报送在截止后才收到（{v.arrival.astimezone(config.tz):%m-%d %H:%M}）："
                    "决定是否允许逾期提交（受理），或不予受理，并通知该单位。",
                    config.case_link(v.case_no),
                    v,
                )
            )
        elif status is Status.CORRESPONDENCE and not r.answered and r.case_no in proposals:
            target = proposals[r.case_no]
            tasks.append(
                StaffTask(
                    "回复待确认",
                    f"单位回复要求修改 {target} 的栏目（该报送已受理，或发件地址不是登记的邮箱）："
                    "在该报送页核对后采用或不采用。",
                    config.case_link(target),
                    v,
                )
            )
        elif status is Status.CORRESPONDENCE and not r.answered:
            tasks.append(
                StaffTask("来信待回复", "阅读来信并回复（或标记为已回复）。", config.case_link(v.case_no), v)
            )
        elif status is Status.LATE:
            tasks.append(late_task(config, v))
    return tasks


def late_task(config: Config, view: SubmissionView) -> StaffTask:
    """A submission that came after the deadline waits for a person's decision."""
    arrival = view.arrival.astimezone(config.tz)
    deadline = config.this_level.deadline.astimezone(config.tz)
    return StaffTask(
        "逾期",
        f"{arrival:%m-%d %H:%M} 到达，晚于报送截止（{deadline:%m-%d %H:%M}）：决定“允许逾期”（随后照常核对）"
        "或“不予受理”，单位会收到通知。",
        config.case_link(view.case_no),
        view,
    )


def _upstream(
    config: Config, s, selected: list[SubmissionView], until: datetime | None = None
) -> UpstreamInfo | None:
    """The packet's state for the digest (`until`: an earlier day's, a packet sent later is not sent yet)."""
    if config.upstream is None:
        return None
    query = select(OutboxRow.sent_at).where(OutboxRow.kind == "packet", OutboxRow.state == "sent")
    if until is not None:
        query = query.where(OutboxRow.sent_at <= until)
    sent = s.scalar(query.order_by(OutboxRow.sent_at.desc()).limit(1))
    return UpstreamInfo(
        name=config.upstream.name,
        deadline=config.upstream.deadline.astimezone(config.tz),
        accounts=config.upstream.accounts,
        selected=selected,
        packet_sent=sent.astimezone(config.tz) if sent else None,
    )


def build_digest_data(
    config: Config,
    ledger: Ledger,
    now: datetime,
    *,
    every_view: bool = True,
    with_changes: bool = True,
    as_of: bool = False,
) -> tuple[DigestData, list[SubmissionView]]:
    """The digest's content, plus every message as a view (for 汇总表's 全部来信 sheet;
    [] when `every_view` is False — the console's overview needs only what it shows,
    and not the changes since the last digest).

    `as_of`: the digest of an earlier day (`digest --date`), as it stood at `now`: only
    mail that had arrived by then counts, each with the status it had then (its
    status history: a case staff accepted later is still 需补正 there), and the
    changes are what arrived in the day before it."""
    last = ledger.get_kv("digest:last_at")
    since = datetime.fromisoformat(last) if last else datetime.min.replace(tzinfo=config.tz)
    if as_of:
        since = now - timedelta(days=1)
    with ledger.session() as s:
        index = briefs(s)
        until = now if as_of else None
        if until is not None:
            index = as_it_stood(s, index, until)
        units, views = unit_rows(s, config, every_view=every_view, index=index, until=until)
        superseders = {b.superseded_by for b in index if b.superseded_by}
        changed = [
            b
            for b in index
            if with_changes
            and Status(b.status) in CHANGE_LABELS
            and (since < b.arrival <= now if as_of else bool(b.changed_at and b.changed_at > since))
        ]
        waiting = [
            b
            for b in index
            if b.status == Status.MANUAL_REVIEW.value
            or (b.status in (Status.UNKNOWN_UNIT.value, Status.CORRESPONDENCE.value) and not b.answered)
        ]
        # Oldest first; beyond the cap staff are sent to the list of every message.
        more_tasks = max(0, len(waiting) - MAX_TASKS)
        waiting = waiting[:MAX_TASKS]
        chosen = [b for b in index if b.selected and b.status == Status.ACCEPTED.value]
        late = [b for b in index if b.status == Status.LATE.value]
        known = {b.id: v for b, v in zip(index, views, strict=True)} if every_view else {}
        for u in units:
            if u.submission is not None:
                known.update({b.id: u.submission for b in index if b.case_no == u.submission.case_no})
        missing = [b.id for b in (*changed, *waiting, *chosen, *late) if b.id not in known]
        standing = {b.id: b for b in index} if until is not None else None
        known.update(views_of(s, config, missing, standing=standing, until=until))
        changes = []
        for b in changed:
            status = Status(b.status)
            label = CHANGE_LABELS[status]
            if status in ACTIVE and b.superseded_by is None and b.case_no in superseders:
                label = "已更正"
            changes.append((label, known[b.id]))
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
        upstream = _upstream(config, s, [known[b.id] for b in chosen], until)
        shown = {b.id for b in waiting}
        queue = [b for b in index if b.id in shown or b.status not in WAITING]
        replied = s.execute(
            select(ReplyChangeRow.letter_no, ReplyChangeRow.case_no, ReplyChangeRow.state)
        ).all()
        fixed = {r.case_no for r in replied if r.state in ("applied", "confirmed")}
        proposals = {r.letter_no: r.case_no for r in replied if r.state == "proposed"}
        status_of = {b.case_no: b.status for b in index}
        replies = ReplyCounts(
            fixed=len(fixed),
            accepted=sum(1 for c in fixed if status_of.get(c) == Status.ACCEPTED.value),
            waiting=len(proposals),
        )
        tasks = staff_tasks(config, queue, known, failed, health, upstream, now, proposals)
    counts: dict[Status, int] = {}
    for b in index:
        status = Status(b.status) if b.status else Status.MANUAL_REVIEW
        counts[status] = counts.get(status, 0) + 1
    deadline = config.this_level.deadline.astimezone(config.tz)
    return (
        DigestData(
            campaign=config.campaign,
            level_name=config.this_level.name,
            generated_at=now,
            deadline=deadline,
            days_left=(deadline.date() - now.date()).days,
            counts=counts,
            changes=changes,
            tasks=tasks,
            more_tasks=more_tasks,
            failed_mails=failed,
            mailboxes=health,
            units=units,
            upstream=upstream,
            form=config.form,
            replies=replies,
        ),
        views,
    )


def run_digest(config: Config, day: date | None = None, send: bool = False, force: bool = False) -> str:
    """Write digest HTML + 汇总表.xlsx; with send, mail them to staff.

    Scheduled runs (force=False) skip the mail when nothing changed since the
    last digest, unless `digest_when_unchanged` is set.
    """
    ledger = Ledger(config.database_url)
    now = now_local(config)
    day = day or now.date()
    earlier = day < now.date()
    if earlier:  # that day's digest, as it stood at the digest hour
        now = datetime.combine(day, config.this_level.digest_time, tzinfo=config.tz)
    data, views = build_digest_data(config, ledger, now, as_of=earlier)
    out = config.path(config.storage.reports_dir)
    out.mkdir(parents=True, exist_ok=True)
    html = render_digest_html(data, TEMPLATE_DIR)
    html_path = out / f"每日汇总_{day:%Y-%m-%d}.html"
    html_path.write_text(html, encoding="utf-8")
    xlsx = build_summary_xlsx(
        data.units,
        views,
        # An earlier day's sheet is that day's, beside (not over) the current 汇总表.xlsx.
        out / (f"汇总表_{day:%Y-%m-%d}.xlsx" if earlier else "汇总表.xlsx"),
        link_base=config.web.base_url,
        form=config.form,
    )
    # "Nothing changed" = no ledger change since the last digest and the same
    # standing state (tasks, unit states, mailbox health, failed mails).
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
        digest_text(data),
        html=html,
        automatic=True,
        attachments=[xlsx],
    )
    key = f"digest:{day:%Y-%m-%d}:{fingerprint[:16]}"
    with ledger.session() as s:
        row = enqueue(s, config, key, "digest", msg)
    if row is None:
        return result + "（同样内容的汇总今天已发送）"
    if not earlier:  # an earlier day's digest does not move "since the last digest"
        ledger.set_kv("digest:fingerprint", fingerprint)
        ledger.set_kv("digest:last_at", now.isoformat())
    return send_and_report(config, ledger, [key], result)
