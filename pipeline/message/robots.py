"""Recognise mail written by machines, so we never answer it.

Replying to an auto-reply, a bounce or a mailing list starts mail loops and
burns the provider's daily sending cap. The reason returned is Chinese
because staff see it in the ledger.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from email.message import Message
from email.utils import collapse_rfc2231_value

from .headers import addresses, header_text, raw_header

RECEIPT_HEADER = "X-Intake-Receipt"

_REPLY_SUBJECT = re.compile(
    r"^\s*(自动回复|自動回覆|自動回复|自动答复|自动回覆|auto[- ]?reply|automatic reply|autoreply|out of (the )?office)",
    re.IGNORECASE,
)
_BOUNCE_SUBJECT = re.compile(
    r"^\s*(系统退信|退信|undeliver(ed|able)|delivery status notification|mail delivery (failed|failure|subsystem)"
    r"|returned mail|failure notice|delivery failure|投递失败|邮件投递失败)",
    re.IGNORECASE,
)
_QQ_BODY = re.compile(r"这是来自QQ邮箱的.{0,12}自动回复邮件")
_BOUNCE_SENDERS = ("mailer-daemon", "postmaster", "mail-daemon", "mailerdaemon")


def automatic_reason(msg: Message, body_text: str, own_addresses: Iterable[str] = ()) -> str | None:
    """Short Chinese reason when `msg` is automatic mail, else None."""
    try:
        return _reason(msg, body_text or "", {a.strip().lower() for a in own_addresses if a})
    except Exception:
        return None


def _reason(msg: Message, body: str, own: set[str]) -> str | None:
    if raw_header(msg, RECEIPT_HEADER) is not None:
        return f"本系统发出的回执（{RECEIPT_HEADER}）"
    sender = _from_addr(msg)
    if sender and sender in own:
        return f"本系统邮箱发出的邮件（{sender}）"
    auto = header_text(msg, "Auto-Submitted").lower()
    if auto and not auto.startswith("no"):
        return f"自动回复（Auto-Submitted: {auto[:40]}）"
    for name in ("X-Autoreply", "X-Autorespond", "X-Autoresponder"):
        if raw_header(msg, name) is not None:
            return f"自动回复（{name}）"
    precedence = header_text(msg, "Precedence").lower()
    if precedence in ("bulk", "junk", "list", "auto_reply", "auto-reply"):
        return f"群发或自动邮件（Precedence: {precedence}）"
    ctype = (msg.get_content_type() or "").lower()
    if ctype == "multipart/report":
        param = msg.get_param("report-type") if _safe_params(msg) else None
        report = collapse_rfc2231_value(param).lower() if param else ""
        return f"退信或回执报告（multipart/report{'; ' + report if report else ''}）"
    local = sender.split("@", 1)[0] if sender else ""
    if local in _BOUNCE_SENDERS:
        return f"退信（发件人 {sender}）"
    subject = header_text(msg, "Subject")
    if _BOUNCE_SUBJECT.match(subject):
        return f"退信（主题：{subject[:40]}）"
    if _REPLY_SUBJECT.match(subject):
        return f"自动回复（主题：{subject[:40]}）"
    if _QQ_BODY.search(body[:500]):
        return "自动回复（QQ邮箱自动回复）"
    for key, _value in _items(msg):
        if key.lower().startswith("list-") and key.lower() in _LIST_HEADERS:
            return f"邮件列表群发（{key}）"
    return_path = raw_header(msg, "Return-Path")
    if return_path is not None and return_path.strip() in ("<>", ""):
        return "退信或系统通知（Return-Path 为空）"
    return None


_LIST_HEADERS = {
    "list-id",
    "list-unsubscribe",
    "list-post",
    "list-help",
    "list-subscribe",
    "list-owner",
    "list-archive",
}


def _items(msg: Message):
    try:
        return list(msg.raw_items())
    except Exception:
        return []


def _safe_params(msg: Message) -> bool:
    try:
        msg.get_params()
        return True
    except Exception:
        return False


def _from_addr(msg: Message) -> str:
    value = raw_header(msg, "From")
    if not value:
        return ""
    for _name, addr in addresses(value):
        if addr and "@" in addr:
            return addr.strip().lower()
    return ""
