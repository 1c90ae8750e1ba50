"""拆读邮件: the raw bytes become a ParsedMessage (headers, body, attachments)."""

from __future__ import annotations

from ...message import parse_message
from ...model import ParsedMessage, Problem
from ..state import IntakeEnv, MailState
from ..step import Step

MB = 1024 * 1024


def envelope_only(env: IntakeEnv, raw: bytes) -> ParsedMessage:
    """A mail too big to open safely: its headers only, handed to staff.

    The raw message is already kept in the raw store, so nothing is lost."""
    ends = [i for i in (raw.find(b"\r\n\r\n"), raw.find(b"\n\n")) if i >= 0]
    head = raw[: min(ends) + 2] if ends else raw[:65536]
    parsed = parse_message(head, env.config.limits, env.own)
    mb = env.config.limits.max_message_mb
    parsed.problems.append(
        Problem(
            None,
            "message_too_large",
            f"邮件超过 {mb} MB，系统未自动拆读附件，已转工作人员人工处理；"
            "如可能，请将视频等大文件压缩或改用网盘链接发送。",
        )
    )
    return parsed


def run(state: MailState) -> None:
    raw = state.raw or b""
    if len(raw) > state.config.limits.max_message_mb * MB:
        state.parsed = envelope_only(state.env, raw)
    else:
        state.parsed = parse_message(raw, state.config.limits, state.env.own)


STEP = Step("parse", "拆读邮件", "MIME to a ParsedMessage: sender, subject, body, attachments", run)
