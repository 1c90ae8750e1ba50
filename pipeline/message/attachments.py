"""Pull every file a sender meant to send out of the MIME tree.

Files hide as application/octet-stream without a disposition, as inline
PDFs, as cid pictures in HTML, inside forwarded messages (message/rfc822),
inside winmail.dat and inside archives. Archives are replaced by their
members; what we cannot open is kept and reported as a Problem.
"""

from __future__ import annotations

import mimetypes
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from email.policy import compat32

from ..config import Limits
from ..documents.sniff import sniff
from ..model import Attachment, Problem
from .archives import MB, Budget, archive_type, expand_archive
from .bigparts import big_payload
from .filenames import attachment_filename, sanitize_filename, split_params
from .headers import raw_header
from .tnef import expand_tnef, is_tnef

MAX_FORWARD_DEPTH = 5
MAX_MULTIPART_DEPTH = 40
MAX_PARTS = 2000
_SKIP_TYPES = {
    "message/delivery-status",
    "message/disposition-notification",
    "text/rfc822-headers",
    "message/feedback-report",
}


@dataclass
class Collected:
    attachments: list[Attachment] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    defects: list[str] = field(default_factory=list)
    forwards: int = 0
    parts: int = 0
    unnamed: int = 0
    pictures: int = 0
    budget: Budget | None = None  # unpacked bytes/members shared by all archives of one message


def content_type(part: Message) -> str:
    try:
        return (part.get_content_type() or "text/plain").lower()
    except Exception:
        return "application/octet-stream"


def disposition(part: Message) -> str:
    value = raw_header(part, "Content-Disposition")
    if not value:
        return ""
    try:
        return split_params(value)[0]
    except Exception:
        return ""


def payload_bytes(part: Message) -> bytes:
    """Decoded payload bytes; broken base64 gives what can be salvaged."""
    big = big_payload(part)
    if big is not None:
        return big
    try:
        data = part.get_payload(decode=True)
    except Exception:
        data = None
    if isinstance(data, bytes):
        return data
    try:
        payload = part.get_payload()
        if isinstance(payload, str):
            return payload.encode("utf-8", "surrogateescape")
    except Exception:
        pass
    return b""


def is_body_part(part: Message) -> bool:
    """A text/plain or text/html part that is message text, not a file."""
    if content_type(part) not in ("text/plain", "text/html"):
        return False
    if disposition(part) == "attachment":
        return False
    name, _ = attachment_filename(part)
    return name is None


# Sniffed labels whose usual extension differs from the label itself.
_EXTENSIONS = {"jpeg": ".jpg", "tiff": ".tif", "ole": ".doc"}
_NO_EXTENSION = {"", "unknown", "corrupt", "encrypted"}


def sniff_extension(data: bytes) -> str | None:
    """File extension from magic bytes (names and content types lie); one sniffer
    for the whole pipeline: documents.sniff."""
    label = sniff(data).label
    if label in _NO_EXTENSION:
        return ".doc" if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" else None
    return _EXTENSIONS.get(label, "." + label)


def collect_attachments(msg: Message, limits: Limits) -> Collected:
    """Every attachment of `msg`, forwards and archives opened."""
    found = Collected(budget=Budget(limits.max_unpacked_mb * MB, limits.max_archive_members))
    _walk(msg, limits, found, prefix="", forward_depth=0, nesting=0)
    return found


def _walk(part: Message, limits: Limits, found: Collected, prefix: str, forward_depth: int, nesting: int):
    found.parts += 1
    if found.parts > MAX_PARTS:
        if found.parts == MAX_PARTS + 1:
            found.defects.append(f"邮件分段超过 {MAX_PARTS} 个，其余部分未处理")
        return
    if nesting > MAX_MULTIPART_DEPTH:
        found.defects.append("邮件嵌套层数异常，深层内容未处理")
        return
    ctype = content_type(part)
    if ctype in _SKIP_TYPES:
        return
    if ctype in ("message/rfc822", "message/global") or (
        ctype.startswith("message/") and part.is_multipart()
    ):
        _forward(part, limits, found, prefix, forward_depth, nesting)
        return
    if part.is_multipart():
        try:
            children = part.get_payload()
        except Exception:
            children = []
        for child in children if isinstance(children, list) else []:
            if isinstance(child, Message):
                _walk(child, limits, found, prefix, forward_depth, nesting + 1)
        return
    _leaf(part, limits, found, prefix, ctype)


def _forward(part: Message, limits: Limits, found: Collected, prefix: str, forward_depth: int, nesting: int):
    if forward_depth + 1 > MAX_FORWARD_DEPTH:
        found.problems.append(
            Problem(
                None,
                "forward_too_deep",
                f"转发邮件嵌套超过 {MAX_FORWARD_DEPTH} 层，更深层的附件未处理。请直接把附件添加到邮件中发送。",
            )
        )
        return
    inner: list[Message] = []
    cte = (raw_header(part, "Content-Transfer-Encoding") or "").strip().lower()
    if part.is_multipart() and cte not in ("base64", "quoted-printable"):
        payload = part.get_payload()
        inner = [m for m in payload if isinstance(m, Message)] if isinstance(payload, list) else []
    else:  # some clients base64-encode the forwarded message; the parser misread it
        data = _encoded_message_bytes(part, cte)
        if data:
            try:
                inner = [message_from_bytes(data, policy=compat32)]
            except Exception:
                inner = []
    for message in inner[:1]:
        found.forwards += 1
        label = f"{prefix}转发邮件{found.forwards}/"
        _walk(message, limits, found, label, forward_depth + 1, nesting + 1)


def _encoded_message_bytes(part: Message, cte: str) -> bytes:
    """Bytes of a base64/QP-encoded message/rfc822 body.

    The stdlib parses such a body as headers of an inner message; rebuild
    the encoded text from what it parsed and decode it ourselves.
    """
    if not part.is_multipart():
        return payload_bytes(part)
    payload = part.get_payload()
    if not isinstance(payload, list) or not payload or not isinstance(payload[0], Message):
        return b""
    first = payload[0]
    head = "".join(f"{key}: {value}\n" for key, value in first.raw_items())
    body = first.get_payload()
    text = head + ("\n" if head else "") + (body if isinstance(body, str) else "")
    holder = Message()
    holder["Content-Transfer-Encoding"] = cte
    holder.set_payload(text)
    return payload_bytes(holder)


def _leaf(part: Message, limits: Limits, found: Collected, prefix: str, ctype: str) -> None:
    name, raw = attachment_filename(part)
    disp = disposition(part)
    if (
        name is None
        and disp != "attachment"
        and (ctype.startswith("text/") or ctype.startswith("multipart/"))
    ):
        return  # message text (or an alternative like text/calendar), not a file
    data = payload_bytes(part)
    if not data and name is None:
        return
    picture = (
        (name is None or disp == "inline")
        and ctype.startswith("image/")
        and raw_header(part, "Content-ID") is not None
    )
    defects: list[str] = []
    if len(data) > limits.max_attachment_mb * MB:
        found.problems.append(
            Problem(
                None,
                "attachment_too_large",
                f"附件“{sanitize_filename(name)}”超过 {limits.max_attachment_mb} MB，未处理。请压缩后重新发送或使用网盘链接。",
            )
        )
        return
    if name is None:
        found.unnamed += 1
        ext = sniff_extension(data) or mimetypes.guess_extension(ctype) or ".bin"
        if picture:
            found.pictures += 1
            name = f"正文图片{found.pictures}{ext}"
        else:
            name = f"附件{found.unnamed}{ext}"
    if "\ufffd" in name:
        defects.append(f"附件名无法完全解码：{name}")
    if is_tnef(name, ctype, data):
        files, tnef_defects = expand_tnef(data)
        found.defects.extend(tnef_defects)
        if files:
            for inner_name, inner_data, inner_raw in files:
                _emit(found, limits, inner_name, inner_data, inner_raw, None, f"{prefix}winmail.dat/", [])
            return
        defects.append("winmail.dat 中没有可提取的附件")
    origin_prefix = prefix + ("正文图片/" if picture else "")
    _emit(found, limits, name, data, raw, ctype, origin_prefix, defects)


def _emit(
    found: Collected,
    limits: Limits,
    name: str,
    data: bytes,
    raw: bytes | None,
    ctype: str | None,
    origin_prefix: str,
    defects: list[str],
) -> None:
    safe = sanitize_filename(name)
    if "." not in safe:
        ext = sniff_extension(data)
        if ext:
            safe += ext
    if safe != name.strip():
        defects = [*defects, f"附件名“{name[:80]}”已整理为“{safe}”"]
    kind = archive_type(safe, data)
    if kind == "zip":
        real = sniff_extension(data)
        if real in (".docx", ".xlsx", ".pptx"):  # an Office file renamed to .zip
            fixed = safe.rsplit(".", 1)[0] + real if safe.lower().endswith(".zip") else safe + real
            defects = [*defects, f"“{safe}”实际是 {real[1:]} 文件，已改名为“{fixed}”"]
            safe, kind = fixed, None
    if kind:
        members, problems = expand_archive(safe, data, limits, budget=found.budget)
        found.problems.extend(problems)
        if members:
            for member in members:
                member.origin = origin_prefix + member.origin
            found.attachments.extend(members)
            return
    guessed = mimetypes.guess_type(safe)[0]
    if not ctype or ctype in ("application/octet-stream", "application/x-download", "application/unknown"):
        ctype = guessed or ctype or "application/octet-stream"
    found.attachments.append(
        Attachment(
            name=safe,
            data=data,
            content_type=ctype,
            origin=origin_prefix + safe,
            raw_name=raw,
            defects=list(defects),
        )
    )
