"""Build outgoing messages (UTF-8, threaded, marked as automatic)."""

from __future__ import annotations

import mimetypes
import re
from collections.abc import Sequence
from email.header import Header
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

from ..config import Config
from ..message.address import valid_address

# Text copied from a unit's mail into our headers: no control characters, no line breaks.
_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
# A Message-ID we may repeat in In-Reply-To/References: RFC 5322 msg-id characters only.
_MSG_ID = re.compile(r"[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~.@]+")


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
    attachments: Sequence[Path] = (),
) -> EmailMessage:
    msg = EmailMessage()
    from_addr = config.smtp.from_addr or "intake@localhost"
    name = config.smtp.from_name or config.this_level.name
    msg["From"] = Address(display_name=name, addr_spec=from_addr)
    # Only real addresses reach a header (and so the envelope): never a fragment like "script".
    msg["To"] = ", ".join(dict.fromkeys(a for a in (valid_address(x) for x in to) if a))
    set_text_header(msg, "Subject", subject)
    msg["Date"] = format_datetime(_now(config))
    msg["Message-ID"] = make_msgid(domain=sender_domain(config))
    in_reply_to = safe_msg_id(in_reply_to)
    if in_reply_to:
        msg["In-Reply-To"] = f"<{in_reply_to}>"
        refs = [r for r in (safe_msg_id(x) for x in references or []) if r and r != in_reply_to]
        msg["References"] = " ".join(f"<{r}>" for r in [*refs, in_reply_to][-10:])
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


def set_text_header(msg: EmailMessage, name: str, text: str) -> None:
    """Set a header whose text may come from a unit's mail, so that readers see exactly it.

    EmailMessage re-reads "=?...?=" in an assigned value as encoded-words: a
    subject we had already decoded would lose an invalid word, and an odd one
    ("=?x?B?AAAA?=") would turn into NUL bytes. Such text is stored already
    encoded (UTF-8 base64 words, lines under 78) and written out verbatim.
    """
    text = header_safe(text)
    if text.isascii() and "=?" not in text:
        msg[name] = text
        return
    msg.set_raw(name, Header(text, "utf-8", header_name=name).encode(linesep="\n"))


def header_safe(text: str) -> str:
    """Unstructured header text: control characters and line breaks become one space."""
    return " ".join(_UNSAFE.sub(" ", text or "").split())


def safe_msg_id(value: str | None) -> str | None:
    """A Message-ID copied from incoming mail, if it is one we can repeat verbatim."""
    value = (value or "").strip().strip("<>")
    return value if value and len(value) <= 250 and _MSG_ID.fullmatch(value) else None


def _now(config: Config):
    from datetime import datetime

    return datetime.now(config.tz)
