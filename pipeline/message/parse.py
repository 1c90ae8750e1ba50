"""Raw RFC 5322 bytes -> ParsedMessage, never raising.

We parse with compat32 so header values stay raw (our decoders fix what
policy.default silently garbles) and take the body from the outer message
only: a forwarded message's text must not leak into the submission text,
while its attachments are pulled out by attachments.py.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Iterable
from email.message import Message
from email.parser import BytesParser
from email.policy import compat32
from email.utils import parseaddr, parsedate_to_datetime

from ..config import Limits
from ..model import ParsedMessage, Problem
from .attachments import Collected, collect_attachments, content_type, is_body_part, payload_bytes
from .biglinks import find_big_links
from .bigparts import attach_big_bodies, split_big_bodies
from .charset import decode_bytes
from .filenames import split_params
from .headers import addresses, header_text, raw_header, raw_headers
from .html_text import VisibleText, read_visible
from .quotes import new_text
from .robots import automatic_reason

log = logging.getLogger(__name__)
_MSGID = re.compile(r"<([^<>\s]+)>")
_NOT_IN_ID = re.compile(r"[<>\s]")


def synthetic_message_id(raw: bytes) -> str:
    return f"sha256-{hashlib.sha256(raw).hexdigest()[:32]}@local"


def parse_message(
    raw: bytes, limits: Limits | None = None, own_addresses: Iterable[str] = ()
) -> ParsedMessage:
    """Decode a raw message. Any failure becomes a defect, never an exception."""
    if not isinstance(raw, bytes | bytearray | memoryview):
        raw = str(raw).encode("utf-8", "replace")
    raw = bytes(raw)
    limits = limits or Limits()
    own = list(own_addresses or ())
    try:
        return _parse(raw, limits, own)
    except RecursionError as exc:  # the stdlib parser recurses once per nesting level
        failure = type(exc).__name__
    except Exception as exc:  # a bug or a case we did not foresee: keep the envelope
        log.exception("parse_message failed; falling back to headers only")
        failure = type(exc).__name__
    try:
        parsed = _parse(raw, limits, own, headers_only=True)
        parsed.defects.append(f"邮件结构异常，未能读取正文和附件（{failure}）")
        parsed.problems.append(
            Problem(
                None,
                "message_unreadable",
                "邮件结构异常（嵌套过深或格式损坏），无法读取正文和附件。请重新发送一封新邮件，直接添加附件。",
            )
        )
        return parsed
    except Exception as exc:  # hostile input: keep going with what we know
        return ParsedMessage(
            message_id=synthetic_message_id(raw),
            subject="",
            from_addr="",
            from_name="",
            defects=[f"邮件无法解析：{type(exc).__name__}"],
        )


def _read_tree(raw: bytes, headers_only: bool) -> Message:
    """The MIME tree; big base64 bodies are decoded outside the stdlib parser
    (bigparts.py) to keep memory near the message size, unless something
    about them looks off, then the whole message goes the ordinary way."""
    if not headers_only:
        split = split_big_bodies(raw)
        if split is not None:
            msg = BytesParser(policy=compat32).parsebytes(split.raw)
            if attach_big_bodies(msg, split):
                return msg
            log.info("big parts could not be matched safely; parsing the whole message")
            del msg, split
    return BytesParser(policy=compat32).parsebytes(raw, headersonly=headers_only)


def _parse(raw: bytes, limits: Limits, own: list[str], headers_only: bool = False) -> ParsedMessage:
    msg = _read_tree(raw, headers_only)
    defects: list[str] = []
    message_id = _first_id(raw_header(msg, "Message-ID")) or synthetic_message_id(raw)
    senders = addresses(raw_header(msg, "From"), defects)
    from_name, from_addr = senders[0] if senders else (_name_only(msg, defects), "")
    if headers_only:
        text, html, collected = "", "", Collected()
    else:
        text, html, body_defects = extract_body(msg)
        defects.extend(body_defects)
        collected = collect_attachments(msg, limits)
        defects.extend(collected.defects)
    for defect in getattr(msg, "defects", [])[:10]:
        defects.append(f"邮件结构不规范：{type(defect).__name__}")
    body_text = text if text.strip() else html_to_text(html)
    parsed = ParsedMessage(
        message_id=message_id,
        subject=" ".join(header_text(msg, "Subject", defects).split()),
        from_addr=from_addr,
        from_name=from_name,
        to=_addr_list(msg, "To", defects),
        cc=_addr_list(msg, "Cc", defects),
        reply_to=_addr_list(msg, "Reply-To", defects),
        date_header=_date(raw_header(msg, "Date")),
        in_reply_to=_first_id(raw_header(msg, "In-Reply-To")),
        references=_MSGID.findall(" ".join(raw_headers(msg, "References")))[:100],
        body_text=body_text,
        new_text=new_text(text, html),
        attachments=collected.attachments,
        big_links=find_big_links(html, text),
        automatic=automatic_reason(msg, body_text, own),
        defects=list(dict.fromkeys(defects)),
        problems=collected.problems,
    )
    return parsed


def _name_only(msg: Message, defects: list[str]) -> str:
    """What a From without a valid address shows (From: "Server"): kept for staff to see
    who it claims to be, never used as an address."""
    text = header_text(msg, "From", defects)
    if not text:
        return ""
    name, _ = parseaddr(text)
    shown = name or text
    return " ".join(shown.replace('"', " ").replace("<>", " ").split())[:200]


def _first_id(value: str | None) -> str | None:
    if not value:
        return None
    m = _MSGID.search(value)
    ident = m.group(1) if m else value.strip().split()[0] if value.strip() else ""
    ident = _NOT_IN_ID.sub("", ident)  # "n<o-brackets": a stray bracket is no part of the id
    ident = ident.encode("ascii", "ignore").decode("ascii")
    return ident[:500] or None


def _addr_list(msg: Message, name: str, defects: list[str]) -> list[str]:
    out: list[str] = []
    for value in raw_headers(msg, name):
        for _name, addr in addresses(value, defects):
            if addr not in out:
                out.append(addr)
    return out


def _date(value: str | None):
    if not value:
        return None
    try:
        return parsedate_to_datetime(" ".join(value.split()))
    except Exception:
        return None


def _charset(part: Message) -> str | None:
    value = raw_header(part, "Content-Type")
    if not value:
        return None
    try:
        for key, val in split_params(value)[1]:
            if key == "charset":
                return val.strip() or None
    except Exception:
        return None
    return None


def extract_body(msg: Message) -> tuple[str, str, list[str]]:
    """(plain text, html, defects) from the outer message only."""
    plains: list[str] = []
    htmls: list[str] = []
    defects: list[str] = []
    stack: list[tuple[Message, int]] = [(msg, 0)]
    while stack:
        part, depth = stack.pop()
        ctype = content_type(part)
        if ctype.startswith("message/") or depth > 40:
            continue  # forwarded mail: attachments only, never its text
        if part.is_multipart():
            payload = part.get_payload()
            if isinstance(payload, list):
                stack.extend((p, depth + 1) for p in reversed(payload) if isinstance(p, Message))
            continue
        if not is_body_part(part):
            continue
        text, defect = decode_bytes(payload_bytes(part), _charset(part))
        if defect:
            defects.append(f"正文：{defect}")
        (plains if ctype == "text/plain" else htmls).append(text)
    return "\n".join(plains).strip(), "\n".join(htmls), defects


def html_to_text(html: str) -> str:
    """Visible text of an HTML body, one line per block."""
    if not html:
        return ""
    lines = [
        " ".join(line.replace("\xa0", " ").split()) for line in read_visible(VisibleText(), html).splitlines()
    ]
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()
