"""Build outgoing messages (UTF-8, threaded, marked as automatic)."""

from __future__ import annotations

import mimetypes
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

from ..config import Config


def sender_domain(config: Config) -> str:
    """Our Message-ID domain: the From domain, never a DNS lookup (getfqdn stalls)."""
    return config.smtp.from_addr.rpartition("@")[2] or "intake.invalid"


def new_message(
    config: Config,
    to: list[str],
    subject: str,
    text: str,
    *,
    html: str | None = None,
    in_reply_to: str | None = None,
    references: list[str] | None = None,
    automatic: bool = True,
    case_no: str | None = None,
    attachments: list[Path] = (),
) -> EmailMessage:
    msg = EmailMessage()
    from_addr = config.smtp.from_addr or "intake@localhost"
    name = config.smtp.from_name or config.this_level.name
    msg["From"] = Address(display_name=name, addr_spec=from_addr)
    msg["To"] = ", ".join(to)
    msg["Subject"] = subject
    msg["Date"] = format_datetime(_now(config))
    msg["Message-ID"] = make_msgid(domain=sender_domain(config))
    if in_reply_to:
        msg["In-Reply-To"] = f"<{in_reply_to}>"
        refs = [r for r in (references or []) if r != in_reply_to] + [in_reply_to]
        msg["References"] = " ".join(f"<{r}>" for r in refs[-10:])
    if automatic:
        # RFC 3834: robots must not answer us; Exchange: no out-of-office replies.
        msg["Auto-Submitted"] = "auto-replied" if in_reply_to else "auto-generated"
        msg["X-Auto-Response-Suppress"] = "All"
        # Lets our own intake recognise (and ignore) mail it wrote itself.
        msg["X-Intake-Receipt"] = case_no or "notice"
    msg.set_content(text, charset="utf-8")
    if html:
        msg.add_alternative(html, subtype="html", charset="utf-8")
    for path in attachments:
        ctype, _ = mimetypes.guess_type(path.name)
        maintype, subtype = (ctype or "application/octet-stream").split("/", 1)
        msg.add_attachment(path.read_bytes(), maintype=maintype, subtype=subtype, filename=path.name)
    return msg


def _now(config: Config):
    from datetime import datetime

    return datetime.now(config.tz)
