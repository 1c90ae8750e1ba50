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

from .address import strict_addresses
from .charset import decode_bytes, decode_surrogates, normalize_charset

# A complete encoded-word, or (broken) one whose "?=" was lost at the end of the value.
_ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([qQbB])\?(?:([^?]*)\?=|([^?\s]*)$)")
_FOLD = re.compile(r"\r?\n(?=[ \t])|\r?\n$")
_B64 = re.compile(r"[A-Za-z0-9+/]*={0,2}")
# Characters that make a header malformed or deceptive once copied into ours.
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def _b_decode(payload: str) -> bytes | None:
    """Base64 payload bytes; None when it is not base64 (the word is then kept as written).

    Whitespace inside is dropped (clients that fold inside a word); missing
    padding is restored.
    """
    data = re.sub(r"\s+", "", payload)
    if not _B64.fullmatch(data) or len(data.rstrip("=")) % 4 == 1:
        return None
    data = data.rstrip("=")
    data += "=" * (-len(data) % 4)
    try:
        return base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        return None


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
            return "".join(str(chunk) for chunk, _charset in value._chunks)  # type: ignore[attr-defined]
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
    """Decode what can be decoded, keep the rest visible as written.

    Adjacent encoded-words in one charset are joined before decoding (a
    character split across two words). A word that is not valid base64, or
    whose bytes decode to control characters, is kept verbatim: a reader
    sees that something was there, instead of losing it silently.
    """
    text = _FOLD.sub("", text)
    out: list[str] = []
    group: dict = {}  # key, label, data, start, end (span of the joined words in `text`)

    def flush() -> None:
        if not group:
            return
        decoded, defect = decode_bytes(bytes(group["data"]), group["label"])
        if _CONTROLS.search(decoded):
            out.append(text[group["start"] : group["end"]])
            if defects is not None:
                defects.append("标题中的编码片段含控制字符，已按原样保留")
        else:
            if defect and defects is not None:
                defects.append(defect)
            out.append(decoded)
        group.clear()

    pos = 0
    for match in _ENCODED_WORD.finditer(text):
        between = text[pos : match.start()]
        pos = match.end()
        # RFC 2047: whitespace between adjacent encoded-words is dropped.
        if between and not (group and between.strip(" \t") == ""):
            flush()
            out.append(_plain(between, defects))
        label, kind, payload, unterminated = match.groups()
        payload = payload if payload is not None else unterminated
        data = _b_decode(payload) if kind in "bB" else _q_decode(payload)
        if data is None:
            flush()
            out.append(match.group(0))
            if defects is not None:
                defects.append("标题中有无法解码的编码片段，已按原样保留")
            continue
        key = normalize_charset(label) or label.lower()
        if group and group["key"] != key:
            flush()
        if not group:
            group.update(key=key, label=label, data=bytearray(), start=match.start())
        group["data"].extend(data)
        group["end"] = match.end()
    flush()
    tail = text[pos:]
    if tail:
        out.append(_plain(tail, defects))
    return _CONTROLS.sub("", "".join(out))


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

    Which addresses: strict_addresses() (header registry, valid addresses
    only). Their names: split first (encoded-words are atoms), decoded
    afterwards with our charset layer, so a decoded name holding a comma
    cannot split one address into two.
    """
    if not value:
        return []
    try:
        from email.utils import getaddresses

        text = _FOLD.sub("", _header_text(value))
        plain, _ = decode_surrogates(text) if "=?" not in text else (text, None)
        valid = strict_addresses(plain)
        names: dict[str, str] = {}
        for name, addr in getaddresses([plain]):
            addr = decode_header_value(addr, defects).strip().strip("<>").lower()
            if addr in valid and addr not in names:
                names[addr] = decode_header_value(name, defects).strip()
    except Exception:
        return []
    return [(names.get(addr, ""), addr) for addr in valid]
