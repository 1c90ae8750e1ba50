"""Daily staff digest: an HTML mail that reads on a phone, plus its text part.

Web mail (QQ/163) strips <style> blocks and scripts, so the template uses
inline styles only; it is one column of blocks (no wide tables), so a 375 px
phone screen never scrolls sideways. What staff must do comes first, each
item saying what to do and where. Everything that came from a mail (subjects,
names, field values) is escaped by jinja2 autoescape.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from ..campaign import builtin
from ..model import SCAN_NOTES, Status
from .views import DigestData, SubmissionView, UnitRow, UnitState, account_name, fmt_time
from .wording import days_phrase

TEMPLATE_NAME = "digest.html.j2"

# The order units are listed in: what needs attention first.
STATE_ORDER = (
    UnitState.REVIEW,
    UnitState.NEEDS_FIX,
    UnitState.MISSING,
    UnitState.LATE,
    UnitState.REJECTED,
    UnitState.ACCEPTED,
    UnitState.SELECTED,
)
STATE_COLOR = {
    UnitState.MISSING: "#c00000",
    UnitState.NEEDS_FIX: "#9c5700",
    UnitState.REVIEW: "#9c5700",
    UnitState.LATE: "#c00000",
    UnitState.REJECTED: "#666666",
    UnitState.ACCEPTED: "#006100",
    UnitState.SELECTED: "#006100",
}


def _days(data: DigestData, due) -> str:
    return days_phrase(data.generated_at, due)


def digest_subject(data: DigestData) -> str:
    """E.g. "【每日汇总】…推选 2021-08-01：待办 2 项，已受理 3/7"."""
    counts = data.state_counts
    done = counts[UnitState.ACCEPTED] + counts[UnitState.SELECTED]
    day = fmt_time(data.generated_at)[:10]
    campaign = " ".join(data.campaign.split())  # no newlines in a header
    todo = len(data.tasks) + data.more_tasks
    return f"【每日汇总】{campaign} {day}：待办 {todo} 项，已受理 {done}/{len(data.units)}"


def _view_key(view: SubmissionView) -> list:
    return [view.case_no, view.message_id, view.status.value, view.unit, len(view.problems), view.decisions]


def digest_fingerprint(data: DigestData) -> str:
    """Hash of what staff care about, so an unchanged day can be skipped.

    Excludes the generation time, days left and each mailbox's last good
    poll time (they change every run).
    """
    payload = {
        "campaign": data.campaign,
        "level": data.level_name,
        "deadline": data.deadline.isoformat() if data.deadline else None,
        "counts": sorted((s.value, n) for s, n in data.counts.items() if n),
        "changes": [[label, *_view_key(v)] for label, v in data.changes],
        "tasks": [[t.kind, t.what, t.view.case_no if t.view else ""] for t in data.tasks],
        "failed": [list(f) for f in data.failed_mails],
        "mailboxes": sorted(
            [m.name, m.last_error or "", m.failures_in_row]
            for m in data.mailboxes
            if m.failures_in_row or m.last_error
        ),
        "units": [
            [u.unit, u.state.value, *(_view_key(u.submission) if u.submission else []), u.other_count]
            for u in data.units
        ],
        "replies": [data.replies.fixed, data.replies.accepted, data.replies.waiting]
        if data.replies
        else None,
        "upstream": (
            [[v.case_no for v in data.upstream.selected], bool(data.upstream.packet_sent)]
            if data.upstream
            else None
        ),
    }
    blob = json.dumps(payload, ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode("utf-8", "replace")).hexdigest()


def _unit_line(u: UnitRow, form) -> dict:
    v = u.submission
    detail = ""
    if v is not None:
        detail = f"{v.case_no}「{account_name(v, form)}」"
        if u.state is UnitState.NEEDS_FIX:
            fixes = [p.message for p in v.problems if p.code not in SCAN_NOTES]
            if fixes:
                detail += f"：{len(fixes)} 个问题待单位补正"
    return {"unit": u.unit, "state": u.state.value, "color": STATE_COLOR[u.state], "detail": detail}


def _task(t, form) -> dict:
    v = t.view
    head = ""
    if v is not None:
        head = f"{v.case_no} {v.unit or v.sender}" + (f"「{account_name(v, form)}」" if v.fields else "")
        if (not v.unit or t.kind == "来信待回复") and v.subject:
            head += f"（主题：{v.subject[:40]}）"
    return {
        "kind": t.kind,
        "head": head,
        "what": t.what,
        "where": t.where,
        "link": t.where.startswith("http"),
    }


def _context(data: DigestData) -> dict:
    counts = data.state_counts
    units = sorted(data.units, key=lambda u: STATE_ORDER.index(u.state))
    up = data.upstream
    return {
        "subject": digest_subject(data),
        "campaign": data.campaign,
        "form_title": (data.form or builtin().form).title,
        "level_name": data.level_name,
        "generated_at": fmt_time(data.generated_at),
        "deadline": fmt_time(data.deadline),
        "deadline_phrase": _days(data, data.deadline),
        "past_deadline": data.generated_at > data.deadline,
        "roster_total": len(data.units),
        "state_counts": [(s.value, counts[s], STATE_COLOR[s]) for s in STATE_ORDER if counts[s]],
        "tasks": [_task(t, data.form) for t in data.tasks],
        "more_tasks": data.more_tasks,
        "units": [_unit_line(u, data.form) for u in units],
        "changes": [
            {
                "label": label,
                "case_no": v.case_no,
                "unit": v.unit or "（名单外）",
                "account": account_name(v, data.form) if v.fields else "",
                "arrival": fmt_time(v.arrival),
            }
            for label, v in data.changes
        ],
        "upstream": (
            {
                "name": up.name,
                "deadline": fmt_time(up.deadline),
                "phrase": _days(data, up.deadline),
                "accounts": up.accounts,
                "selected": [f"{account_name(v, data.form)}（{v.unit}，{v.case_no}）" for v in up.selected],
                "sent": fmt_time(up.packet_sent) if up.packet_sent else "",
            }
            if up
            else None
        ),
        "mailboxes": [
            {
                "name": m.name,
                "last_ok": fmt_time(m.last_ok) or "从未成功",
                "last_error": m.last_error or "",
                "bad": bool(m.failures_in_row),
            }
            for m in data.mailboxes
        ],
        "replies": data.replies if data.replies and (data.replies.fixed or data.replies.waiting) else None,
        "received": sum(data.counts.values()),
        "counts": [(s.zh, data.counts.get(s, 0)) for s in Status if data.counts.get(s, 0)],
    }


def reply_line(r) -> str:
    """按回复更正的报送 3 份（其中 2 份现已受理）；等待工作人员确认的回复 1 条。"""
    line = f"单位回复回执更正的报送 {r.fixed} 份（其中 {r.accepted} 份现已受理）"
    if r.waiting:
        line += f"；等待工作人员确认的回复 {r.waiting} 条"
    return line + "。"


def render_digest_html(data: DigestData, template_dir: Path) -> str:
    """Render templates/digest.html.j2 with autoescape on; returns the HTML body."""
    env = Environment(
        loader=FileSystemLoader(str(template_dir)),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    html = env.get_template(TEMPLATE_NAME).render(_context(data), reply_line=reply_line)
    # Lone surrogates from badly decoded mail would make the UTF-8 mail body fail to encode.
    return html.encode("utf-8", "replace").decode("utf-8")


def digest_text(data: DigestData) -> str:
    """The plain-text part: the same content in the same order, for clients without HTML."""
    c = _context(data)
    lines = [f"{c['campaign']} · {c['level_name']} 每日汇总（{c['generated_at']}）", ""]
    lines.append(f"报送截止：{c['deadline']}（北京时间），{c['deadline_phrase']}")
    lines.append(
        f"名单内 {c['roster_total']} 个单位：" + "，".join(f"{name} {n}" for name, n, _ in c["state_counts"])
    )
    lines.append("")
    if c["tasks"]:
        lines.append(f"今天要做的事（{len(c['tasks'])} 项）：")
        for i, t in enumerate(c["tasks"], 1):
            head = f"{t['head']}：" if t["head"] else ""
            lines.append(f"{i}. 【{t['kind']}】{head}{t['what']}")
            if t["where"]:
                lines.append(f"   {'打开' if t['link'] else '命令'}：{t['where']}")
    else:
        lines.append("今天没有需要工作人员处理的事项。")
    if c["more_tasks"]:
        lines.append(f"另有 {c['more_tasks']} 封来信等待处理，请在控制台“全部来信”中查看。")
    if c["upstream"]:
        up = c["upstream"]
        lines.append("")
        chosen = "、".join(up["selected"]) or "尚未选定"
        sent = (
            f"，材料包已于 {up['sent']} 发送"
            if up["sent"]
            else ("，材料包尚未发送" if up["selected"] else "")
        )
        lines.append(
            f"上报{up['name']}：截止 {up['deadline']}（{up['phrase']}），名额 {up['accounts']} 个；已选定：{chosen}{sent}"
        )
    lines.append("")
    lines.append("各单位情况：")
    for u in c["units"]:
        lines.append(f"  {u['unit']}：{u['state']}" + (f"  {u['detail']}" if u["detail"] else ""))
    if c["changes"]:
        lines.append("")
        lines.append("自上次汇总以来的变化：")
        for ch in c["changes"]:
            lines.append(
                f"  {ch['label']}：{ch['case_no']} {ch['unit']}{('「' + ch['account'] + '」') if ch['account'] else ''}"
            )
    if c["replies"]:
        lines.append("")
        lines.append(reply_line(c["replies"]))
    lines.append("")
    lines.append("详细内容见 HTML 版本和附件 汇总表.xlsx。")
    return "\n".join(lines) + "\n"
