"""What happened to one outgoing mail, said honestly.

Why: "已发送给 upstream@…" printed while SMTP was down told staff the packet
had gone. A staff job now reports per mail: sent, written only (dry run),
queued for a retry (and when), failed (and why), or unknown (the server may
have it: settled by a later run, never by a blind resend in this one).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

SENT = "sent"
WRITTEN = "written"  # dry run: the .eml is in outbox/, nothing was sent
QUEUED = "queued"
FAILED = "failed"
UNKNOWN = "unknown"


@dataclass
class SendOutcome:
    dedup_key: str
    state: str
    recipients: list[str] = field(default_factory=list)
    reason: str = ""  # the server's words or our own, Chinese
    next_try: datetime | None = None
    subject: str = ""
    mail_id: int | None = None  # the outbox row: what `resend` and the console's button take

    @property
    def delivered(self) -> bool:
        """True when nothing more has to happen for this mail to reach its recipients."""
        return self.state in (SENT, WRITTEN)

    def describe(self, tz: ZoneInfo) -> str:
        to = "、".join(self.recipients) or "（无收件人）"
        when = f"{self.next_try.astimezone(tz):%Y-%m-%d %H:%M}" if self.next_try else ""
        if self.state == SENT:
            return f"已发送给 {to}"
        if self.state == WRITTEN:
            return f"邮件已写入 outbox（试运行，未发送给 {to}）"
        if self.state == QUEUED:
            later = f"，将于 {when} 后自动重试（需有 once 或 serve 在运行）" if when else "，稍后自动重试"
            return f"未能发给 {to}：{self.reason}；邮件留在待发队列{later}"
        if self.state == UNKNOWN:
            after = f"{when} 后" if when else "稍后"
            return (
                f"发给 {to} 的结果不确定：{self.reason}；服务器可能已收下，本次不会重发，"
                f"{after}先到已发送文件夹核实（未配置时只重发一次）"
            )
        number = f"（邮件编号 {self.mail_id}）" if self.mail_id else ""
        return (
            f"发给 {to} 失败：{self.reason}（不会自动重试：核实地址或联系对方后可以重新发送{number}，"
            "地址错了可改为新地址）"
        )
