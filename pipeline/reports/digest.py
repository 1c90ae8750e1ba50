"""Daily staff digest: an HTML mail readable in QQ/163 web mail.

Web mail strips <style> blocks and scripts, so the template uses only
tables and inline styles. Everything that came from a mail (subjects,
names, field values) is escaped by jinja2 autoescape.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from ..model import Status
from .views import DigestData, SubmissionView, account_name, fmt_time

TEMPLATE_NAME = "digest.html.j2"

# Statuses that mean a unit's nomination is in (or may be, after a decision).
_DONE = (Status.ACCEPTED,)


def needs_count(data: DigestData) -> int:
    """How many things staff must act on: review queue plus failed mails."""
    return len(data.needs_staff) + len(data.failed_mails)


def digest_subject(data: DigestData) -> str:
    """E.g. "【每日汇总】百佳账号推荐 2021-08-01：已受理 3，需处理 2"."""
    accepted = data.counts.get(Status.ACCEPTED, 0)
    day = fmt_time(data.generated_at)[:10]  # the Beijing date
    campaign = " ".join(data.campaign.split())  # no newlines in a header
    return f"【每日汇总】{campaign} {day}：已受理 {accepted}，需处理 {needs_count(data)}"


def _view_key(view: SubmissionView) -> list:
    return [view.case_no, view.message_id, view.status.value, view.unit, len(view.problems), view.decisions]


def digest_fingerprint(data: DigestData) -> str:
    """Hash of what staff care about, so an unchanged day can be skipped.

    Excludes the generation time, days left and each mailbox's last good
    poll time (they change every run); includes statuses, changes, the
    review queue, missing units, failed mails and mailbox errors.
    """
    payload = {
        "campaign": data.campaign,
        "level": data.level_name,
        "deadline": data.deadline.isoformat() if data.deadline else None,
        "counts": sorted((s.value, n) for s, n in data.counts.items() if n),
        "changes": [[label, *_view_key(v)] for label, v in data.changes],
        "needs": [[label, *_view_key(v)] for label, v in data.needs_staff],
        "missing": sorted(data.missing_units),
        "failed": [list(f) for f in data.failed_mails],
        "mailboxes": sorted(
            [m.name, m.last_error or "", m.failures_in_row]
            for m in data.mailboxes
            if m.failures_in_row or m.last_error
        ),
        "units": [
            [u.unit, *(_view_key(u.submission) if u.submission else []), u.other_count] for u in data.units
        ],
    }
    blob = json.dumps(payload, ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode("utf-8", "replace")).hexdigest()


def _row(label: str, view: SubmissionView) -> dict:
    return {
        "label": label,
        "case_no": view.case_no,
        "unit": view.unit or "（未识别单位）",
        "account": account_name(view),
        "sender": view.sender,
        "subject": view.subject,
        "arrival": fmt_time(view.arrival),
        "status": view.status.zh,
        # Staff decisions are part of the record: shown beside the problems.
        "problems": [p.message for p in view.problems] + [f"人工决定：{d}" for d in view.decisions],
    }


def render_digest_html(data: DigestData, template_dir: Path) -> str:
    """Render templates/digest.html.j2 with autoescape on; returns the HTML body."""
    env = Environment(
        loader=FileSystemLoader(str(template_dir)),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    counts = [(s.zh, data.counts.get(s, 0)) for s in Status if data.counts.get(s, 0)]
    unhealthy = [m for m in data.mailboxes if m.failures_in_row or m.last_error]
    context = {
        "subject": digest_subject(data),
        "campaign": data.campaign,
        "level_name": data.level_name,
        "generated_at": fmt_time(data.generated_at),
        "deadline": fmt_time(data.deadline),
        "days_left": data.days_left,
        "counts": counts,
        "total": sum(n for _, n in counts),
        "roster_total": len(data.units),
        "roster_done": sum(1 for u in data.units if u.submission and u.submission.status in _DONE),
        "changes": [_row(label, v) for label, v in data.changes],
        "needs": [_row(label, v) for label, v in data.needs_staff],
        "failed_mails": [{"to": t, "subject": s, "error": e} for t, s, e in data.failed_mails],
        "missing_units": list(data.missing_units),
        "mailboxes": [
            {
                "name": m.name,
                "last_ok": fmt_time(m.last_ok) or "从未成功",
                "last_error": m.last_error or "",
                "failures": m.failures_in_row,
                "bad": bool(m.failures_in_row),
            }
            for m in data.mailboxes
        ],
        "unhealthy": len(unhealthy),
    }
    html = env.get_template(TEMPLATE_NAME).render(context)
    # Lone surrogates from badly decoded mail would make the UTF-8 mail body fail to encode.
    return html.encode("utf-8", "replace").decode("utf-8")
