"""Answer a unit's letter (咨询来信) from the intake address, threaded to it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ..config import Config
from ..ledger import DecisionRow, Ledger, utcnow
from ..ledger import staff_journal as journal
from ..outbox import enqueue, new_message
from .decisions import DecisionError, _row, take


@dataclass
class Reply:
    to: list[str]
    subject: str
    text: str
    case_no: str
    outbox_key: str | None = None  # set once queued
    version: int = 0  # the case's version after the reply


def original_text(raw_path: str, limit: int = 4000) -> str:
    """The letter's own text (for quoting and for the console), from the raw copy."""
    from email import policy
    from email.parser import BytesParser

    try:
        msg = BytesParser(policy=policy.default).parsebytes(Path(raw_path).read_bytes())
        part = msg.get_body(preferencelist=("plain", "html"))
        text = part.get_content() if part is not None else ""
    except Exception:  # an unreadable copy: the console shows the subject only
        return ""
    if part is not None and part.get_content_type() == "text/html":
        text = re.sub(r"<[^>]+>", " ", text)
    return text.strip()[:limit]


# How staff open a letter themselves: a salutation line ("天津市针灸学会：", "尊敬的…")
# or a greeting ("您好！", "王老师您好，…"). The reply adds only what they left out.
_SALUTATION = re.compile(r"^(尊敬的.*|[^，,。！!？?\s]{1,30}[：:])$")
_GREETING = re.compile(r"^[^。！!？?]{0,12}?(您好|你好|老师好|大家好)")


def reply_opening(config: Config, row) -> tuple[str, str]:
    """(salutation, greeting) the reply adds before staff's text unless they wrote their own:
    the console shows them above the box so nobody writes 您好 twice."""
    return f"{row.unit or row.sender_name or row.sender}：", "您好！"


def _opening(config: Config, row, body: str) -> list[str]:
    first_lines = [line.strip() for line in body.splitlines() if line.strip()][:2]
    salutation, greeting = reply_opening(config, row)
    own_greeting = bool(first_lines) and bool(_GREETING.match(first_lines[0]))
    own_salutation = bool(first_lines) and not own_greeting and bool(_SALUTATION.match(first_lines[0]))
    if own_salutation:  # staff wrote the whole opening
        return []
    return [salutation, ""] + ([] if own_greeting else [greeting, ""])


def compose_reply(config: Config, row, text: str) -> Reply:
    body = (text or "").strip()
    if not body:
        raise DecisionError("回复内容不能为空。")
    quoted = original_text(row.raw_path, 1500)
    when = row.arrival.astimezone(config.tz).strftime("%Y-%m-%d %H:%M")
    lines = [
        *_opening(config, row, body),
        body,
        "",
        f"如有疑问，请联系：{config.this_level.contact or '、'.join(config.this_level.staff)}",
        "",
        config.this_level.name,
        "",
        f"—— 您于 {when} 来信（受理编号 {row.case_no}）——",
        *("> " + line for line in quoted.splitlines()[:40]),
    ]
    subject = row.subject or "来信"
    subject = subject if subject.lower().startswith(("re:", "回复")) else f"回复：{subject}"
    return Reply(
        [row.sender], f"{subject}（受理编号 {row.case_no}）"[:180], "\n".join(lines) + "\n", row.case_no
    )


def reply_to_unit(
    ledger: Ledger,
    config: Config,
    case_no: str,
    text: str,
    by: str,
    *,
    preview: bool = False,
    seen: int | None = None,
    replay: str | None = None,
) -> Reply:
    """Queue a threaded reply from the intake address and record it; preview changes nothing;
    `seen`: the case's version the person saw (a second reply to what one page showed is
    refused: decisions.take); `replay` (a journal entry's id, during a rebuild) records it
    without queueing it again."""
    if preview:
        with ledger.scratch() as s:
            return compose_reply(config, _row(s, case_no, lock=False), text)
    entry_id = replay or journal.new_id()
    with ledger.session() as s:
        if not journal.claim(s, entry_id):
            raise journal.AlreadyApplied(entry_id)
        row = take(s, case_no, seen, by=by, at=config.now())
        if not row.sender:
            raise DecisionError(f"{case_no} 没有可回复的发件地址。")
        reply = compose_reply(config, row, text)
        audit = DecisionRow(
            at=utcnow(),
            who=by,
            action="reply",
            case_no=case_no,
            unit=row.unit,
            detail="回复来信：" + " ".join(text.split())[:200],
        )
        s.add(audit)
        s.flush()
        msg = new_message(
            config,
            reply.to,
            reply.subject,
            reply.text,
            in_reply_to=row.message_id,
            references=list(row.reply_to_ids or []),
            automatic=False,
            case_no=case_no,
        )
        # A person's answer, not a robot's: but mark it ours so our intake ignores a copy.
        msg["X-Intake-Receipt"] = case_no
        if not replay:
            reply.outbox_key = f"reply:{case_no}:{audit.id}"
            enqueue(s, config, reply.outbox_key, "reply", msg, case_no)
        row.answered = True
        row.changed_at = utcnow()  # the version moved on in take()
        reply.version = row.version or 0
    if not replay:
        journal.record(config, "reply", entry_id, case_no=case_no, text=text, by=by)
    return reply
