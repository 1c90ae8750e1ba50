"""Decode header values the way Chinese clients actually write them.

The stdlib gets three real cases wrong: encoded-words split in the middle
of a multi-byte character (policy.default gives "399Ԫ"), a gb2312 label on
GBK bytes, and raw 8-bit GBK/UTF-8 bytes with no encoding at all. We
tokenise encoded-words ourselves, join the bytes of adjacent words with the
same charset, then decode once with the charset fallback chain.
"""

from __future__ import annotations

import base64
import binascii
import re
from email.header import Header
from email.message import Message

from .charset import decode_bytes, decode_surrogates, normalize_charset

_ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([qQbB])\?([^?]*)\?=")
_FOLD = re.compile(r"\r?\n(?=[ \t])|\r?\n$")


def _b_decode(payload: str) -> bytes:
    data = re.sub(r"[^A-Za-z0-9+/]", "", payload)
    data += "=" * (-len(data) % 4)
    if len(data) % 4 == 1:  # one stray char cannot be base64; drop it
        data = data[:-1]
    try:
        return base64.b64decode(data)
    except (binascii.Error, ValueError):
        return b""


def _q_decode(payload: str) -> bytes:
    raw = payload.replace("_", " ").encode("latin-1", "replace")
    return re.sub(rb"=([0-9A-Fa-f]{2})", lambda m: bytes([int(m.group(1), 16)]), raw)


def _header_text(value: str | Header | None) -> str:
    if value is None:
        return ""
    if isinstance(value, Header):
        # compat32 wraps raw 8-bit values in Header(unknown-8bit); rebuild the
        # original bytes as surrogate escapes so we decode them ourselves.
        try:
            return "".join(str(chunk) for chunk, _charset in value._chunks)
        except Exception:
            return str(value)
    return str(value)


def decode_header_value(value: str | Header | None, defects: list[str] | None = None) -> str:
    """Return the display text of a raw header value. Never raises."""
    try:
        return _decode(_header_text(value), defects)
    except Exception as exc:  # pragma: no cover - belt and braces for fuzzing
        if defects is not None:
            defects.append(f"标题解码失败：{exc!r}")
        return _header_text(value).encode("utf-8", "replace").decode("utf-8", "replace")


def _decode(text: str, defects: list[str] | None) -> str:
    text = _FOLD.sub("", text)
    out: list[str] = []
    # pending encoded bytes: (codec-key, declared label, bytearray)
    pending: list = []

    def flush() -> None:
        if pending:
            label, buf = pending[1], pending[2]
            decoded, defect = decode_bytes(bytes(buf), label)
            if defect and defects is not None:
                defects.append(defect)
            out.append(decoded)
            pending.clear()

    pos = 0
    for match in _ENCODED_WORD.finditer(text):
        between = text[pos : match.start()]
        pos = match.end()
        # RFC 2047: whitespace between adjacent encoded-words is dropped.
        if between and not (pending and between.strip(" \t") == ""):
            flush()
            out.append(_plain(between, defects))
        label, kind, payload = match.groups()
        data = _b_decode(payload) if kind in "bB" else _q_decode(payload)
        key = normalize_charset(label) or label.lower()
        if pending and pending[0] != key:
            flush()
        if not pending:
            pending.extend([key, label, bytearray()])
        pending[2].extend(data)
    flush()
    tail = text[pos:]
    if tail:
        out.append(_plain(tail, defects))
    return "".join(out)


def _plain(text: str, defects: list[str] | None) -> str:
    decoded, defect = decode_surrogates(text)
    if defect and defects is not None:
        defects.append(defect)
    return decoded


def raw_header(msg: Message, name: str) -> str | None:
    """First raw value of header `name` (surrogate-escaped, unfolded)."""
    lname = name.lower()
    try:
        items = msg.raw_items()
        for key, value in items:
            if str(key).lower() == lname:
                return _header_text(value)
    except Exception:
        return None
    return None


def raw_headers(msg: Message, name: str) -> list[str]:
    """All raw values of header `name`."""
    lname = name.lower()
    try:
        return [_header_text(v) for k, v in msg.raw_items() if str(k).lower() == lname]
    except Exception:
        return []


def header_text(msg: Message, name: str, defects: list[str] | None = None) -> str:
    """Decoded value of the first `name` header, "" when absent."""
    value = raw_header(msg, name)
    return decode_header_value(value, defects).strip() if value is not None else ""


def addresses(value: str | None, defects: list[str] | None = None) -> list[tuple[str, str]]:
    """[(display name, lower-cased addr-spec)] from a raw address header.

    Split first (encoded-words are atoms), decode names afterwards, so a
    decoded name holding a comma cannot split one address into two.
    """
    if not value:
        return []
    try:
        from email.utils import getaddresses

        text = _FOLD.sub("", _header_text(value))
        plain, _ = decode_surrogates(text) if "=?" not in text else (text, None)
        pairs = getaddresses([plain])
    except Exception:
        return []
    out = []
    for name, addr in pairs:
        addr = decode_header_value(addr, defects).strip().strip("<>").lower()
        if not addr:
            continue
        out.append((decode_header_value(name, defects).strip(), addr))
    return out
