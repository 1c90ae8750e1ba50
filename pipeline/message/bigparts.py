"""Decode large base64 parts straight from the raw bytes.

Why: the stdlib email parser turns a message into one big str, a list of
lines, a payload str and then decoded bytes (~7x the message size). For a
100 MB video that is far too much. Here we find base64 bodies over
BIG_BODY bytes between two MIME boundary lines, decode them in pieces, and
hand the parser a copy of the message with each such body replaced by a
random token; `attach_big_bodies` then puts the decoded bytes on the parts
that carry the tokens. Anything unusual (odd characters, padding in the
middle, a token that does not land on exactly one leaf part) means we do
not touch that body, or the caller parses the original message instead.
"""

from __future__ import annotations

import binascii
import secrets
import tempfile
from dataclasses import dataclass, field
from email.message import Message
from email.parser import BytesParser
from email.policy import compat32

BIG_BODY = 1024 * 1024  # encoded bytes; smaller bodies go through the stdlib as before
PIECE = 8 * 1024 * 1024  # encoded bytes decoded at a time
MAX_HEADER_BLOCK = 64 * 1024
_ALPHABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_BIG_ATTR = "_big_payload"


@dataclass
class Split:
    """The message with big bodies cut out, and what was cut out, by token."""

    raw: bytes
    bodies: dict[str, bytes] = field(default_factory=dict)


def split_big_bodies(data: bytes, threshold: int | None = None) -> Split | None:
    """Cut out every safely decodable base64 body over `threshold` (BIG_BODY); None if there is none."""
    threshold = BIG_BODY if threshold is None else threshold
    if len(data) <= threshold:
        return None
    nonce = secrets.token_hex(12)
    kept: list[bytes] = []
    bodies: dict[str, bytes] = {}
    done = 0  # everything before this offset is already in `kept`
    pos = data.find(b"\n--")
    while pos >= 0:
        line_end = data.find(b"\n", pos + 1)
        if line_end < 0:
            break
        header_start = line_end + 1
        nxt = data.find(b"\n--", header_start)
        limit = nxt if nxt >= 0 else len(data)
        body_start = _header_end(data, header_start, limit)
        if body_start is not None:
            body_end = limit - 1 if limit > 0 and data[limit - 1 : limit] == b"\r" else limit
            if body_end - body_start > threshold and _is_base64_leaf(data[header_start:body_start]):
                decoded = _decode(memoryview(data)[body_start:body_end])
                if decoded is not None:
                    token = f"bigpart{nonce}n{len(bodies)}"
                    kept.append(data[done:body_start])
                    kept.append(token.encode("ascii"))
                    done = body_end
                    bodies[token] = decoded
        pos = nxt
    if not bodies:
        return None
    kept.append(data[done:])
    return Split(b"".join(kept), bodies)


def _header_end(data: bytes, start: int, limit: int) -> int | None:
    """Offset just after the blank line ending the header block at `start`."""
    stop = min(limit, start + MAX_HEADER_BLOCK)
    ends = [i for i in (data.find(b"\n\r\n", start - 1, stop), data.find(b"\n\n", start - 1, stop)) if i >= 0]
    if not ends:
        return None
    i = min(ends)
    return i + (3 if data[i + 1 : i + 2] == b"\r" else 2)


def _is_base64_leaf(header_block: bytes) -> bool:
    try:
        head = BytesParser(policy=compat32).parsebytes(header_block, headersonly=True)
        if not head.keys() or head.defects:
            return False
        cte = str(head.get("Content-Transfer-Encoding", "")).strip().lower()
        maintype = head.get_content_maintype()
        return cte == "base64" and maintype not in ("multipart", "message")
    except Exception:
        return False


def _decode(body: memoryview) -> bytes | None:
    """Decode a clean base64 body piece by piece; None if it is not clean.

    Clean means: only the base64 alphabet and line breaks, padding only at
    the very end, a whole number of quads. Then piecewise decoding equals
    what the stdlib would produce. The pieces go to a temporary file and are
    read back in one read, so the result never exists twice in memory.
    """
    carry = b""
    with tempfile.TemporaryFile(buffering=0) as out:
        for start in range(0, len(body), PIECE):
            last = start + PIECE >= len(body)
            chunk = carry + bytes(body[start : start + PIECE]).translate(None, b"\r\n")
            if last:
                stripped = chunk.rstrip(b"=")
                if len(chunk) - len(stripped) > 2 or len(chunk) % 4:
                    return None
                if stripped.translate(None, _ALPHABET):
                    return None
                usable, carry = chunk, b""
            else:
                if chunk.translate(None, _ALPHABET):
                    return None
                cut = len(chunk) - len(chunk) % 4
                usable, carry = chunk[:cut], chunk[cut:]
            try:
                out.write(binascii.a2b_base64(usable))
            except binascii.Error:
                return None
            del chunk, usable
        if carry:
            return None
        out.seek(0)
        return out.readall()


def attach_big_bodies(msg: Message, split: Split) -> bool:
    """Give each token-carrying leaf part its decoded bytes; False unless all land exactly once."""
    seen: dict[str, Message] = {}
    for part in msg.walk():
        if part.is_multipart():
            continue
        try:
            payload = part.get_payload()
        except (TypeError, LookupError):
            # 8-bit text whose charset parameter the stdlib cannot decode with (a damaged
            # RFC 2231 `charset*=` comes back as a tuple): not a part we split out, and
            # the structure is not what we thought, so the message is parsed whole.
            return False
        if not isinstance(payload, str):
            continue
        token = payload.strip()
        if token in split.bodies:
            if token in seen:
                return False
            if str(part.get("Content-Transfer-Encoding", "")).strip().lower() != "base64":
                return False
            seen[token] = part
        elif any(t in payload for t in split.bodies):
            return False  # a token inside other text: the structure is not what we thought
    if set(seen) != set(split.bodies):
        return False
    for token, part in seen.items():
        setattr(part, _BIG_ATTR, split.bodies[token])
    return True


def big_payload(part: Message) -> bytes | None:
    """The decoded bytes attached by attach_big_bodies, if any."""
    data = getattr(part, _BIG_ATTR, None)
    return data if isinstance(data, bytes) else None
