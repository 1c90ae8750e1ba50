"""Recover attachment file names from every way Chinese clients write them.

Handles RFC 2231 (`filename*0*=gb2312''%CD%C6`, with a character split
across sections), RFC 2047 inside quoted or RFC 2231 values, the
Content-Type `name=` fallback, and raw 8-bit GBK bytes (Foxmail, old
Outlook) recovered from the undecoded header. We parse the raw header
ourselves because the stdlib decodes sections one at a time and substitutes
characters silently.
"""

from __future__ import annotations

import os
import re
import unicodedata
from email.message import Message
from urllib.parse import unquote_to_bytes

from .charset import decode_bytes
from .headers import decode_header_value, raw_header

_SECTION = re.compile(r"^(?P<name>[^*]+)(?:\*(?P<index>\d+))?(?P<star>\*)?$")
_BAD_CHARS = re.compile(r'[\x00-\x1f\x7f-\x9f<>:"|?*\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]')
MAX_NAME_CHARS = 120


def split_params(value: str) -> tuple[str, list[tuple[str, str]]]:
    """Split `type; a=1; b="x;y"` into ("type", [(a, 1), (b, x;y)]) leniently."""
    value = re.sub(r"\r?\n(?=[ \t])", "", value or "")
    tokens: list[str] = []
    buf: list[str] = []
    quoted = False
    i = 0
    while i < len(value):
        ch = value[i]
        if ch == '"':
            quoted = not quoted
        elif ch == "\\" and quoted and i + 1 < len(value) and value[i + 1] in '"\\':
            buf.append(ch)
            buf.append(value[i + 1])
            i += 2
            continue
        if ch == ";" and not quoted:
            tokens.append("".join(buf))
            buf = []
        else:
            buf.append(ch)
        i += 1
    tokens.append("".join(buf))
    main = tokens[0].strip().lower()
    params: list[tuple[str, str]] = []
    for token in tokens[1:]:
        if "=" not in token:
            continue
        key, _, val = token.partition("=")
        key = key.strip().lower()
        val = val.strip()
        if len(val) >= 2 and val[0] == '"' and val[-1] == '"':
            val = val[1:-1].replace('\\"', '"').replace("\\\\", "\\")
        elif val.startswith('"'):
            val = val[1:]
        if key:
            params.append((key, val))
    return main, params


def _to_bytes(text: str) -> bytes:
    return text.encode("utf-8", "surrogateescape")


def _rfc2231(params: list[tuple[str, str]], wanted: str) -> tuple[str, bytes] | None:
    sections: dict[int, tuple[bool, str]] = {}
    for key, val in params:
        m = _SECTION.match(key)
        if not m or m.group("name").strip() != wanted:
            continue
        if m.group("index") is None and not m.group("star"):
            continue  # plain filename=, handled elsewhere
        index = int(m.group("index") or 0)
        if index > 999 or index in sections:
            continue
        sections[index] = (bool(m.group("star")), val)
    if not sections:
        return None
    charset: str | None = None
    raw = bytearray()
    for pos, index in enumerate(sorted(sections)):
        encoded, val = sections[index]
        if pos == 0 and encoded and val.count("'") >= 2:
            charset, _lang, val = val.split("'", 2)
        if encoded:
            raw.extend(unquote_to_bytes(_to_bytes(val)))
        else:
            raw.extend(_to_bytes(val))
    text, _defect = decode_bytes(bytes(raw), charset or None)
    if "=?" in text:
        text = decode_header_value(text)
    return text, bytes(raw)


def _plain(params: list[tuple[str, str]], wanted: str) -> tuple[str, bytes] | None:
    for key, val in params:
        if key == wanted:
            return decode_header_value(val), _to_bytes(val)
    return None


def attachment_filename(part: Message) -> tuple[str | None, bytes | None]:
    """(decoded name, raw name bytes) of a MIME part, (None, None) if unnamed."""
    try:
        candidates: list[tuple[str, bytes]] = []
        for header, param in (("content-disposition", "filename"), ("content-type", "name")):
            value = raw_header(part, header)
            if not value:
                continue
            _main, params = split_params(value)
            for finder in (_rfc2231, _plain):
                found = finder(params, param)
                if found and found[0].strip():
                    candidates.append((found[0].strip(), found[1]))
        for name, raw in candidates:
            if "\ufffd" not in name:
                return name, raw
        if candidates:
            return candidates[0]
    except Exception:
        return None, None
    return None, None


def sanitize_filename(name: str | None, default: str = "附件") -> str:
    """A safe single path component: no dirs, no "..", no controls, NFC, capped."""
    text = unicodedata.normalize("NFC", str(name or ""))
    text = text.encode("utf-8", "replace").decode("utf-8")  # drop lone surrogates
    text = text.replace("\\", "/")
    text = text.rsplit("/", 1)[-1]
    text = re.sub(r"^[A-Za-z]:", "", text)
    text = _BAD_CHARS.sub("_", text)
    text = text.strip().rstrip(". ")
    if re.fullmatch(r"\.[A-Za-z0-9]{1,8}", text):  # ".docx" would be a hidden file
        text = default + text
    text = text.lstrip(". ")
    if not text or set(text) <= {"_", " ", "."}:
        base_ext = os.path.splitext(str(name or ""))[1]
        ext = base_ext if re.fullmatch(r"\.[A-Za-z0-9]{1,8}", base_ext or "") else ""
        return default + ext
    stem, ext = os.path.splitext(text)
    if len(ext) > 16:
        stem, ext = stem + ext, ""
    limit = MAX_NAME_CHARS - len(ext)
    if len(stem) > limit:
        stem = stem[:limit].rstrip()
    result = stem + ext
    if result.upper().split(".")[0] in _WINDOWS_RESERVED:
        result = "_" + result
    return result


# A file name component may be at most 255 bytes on Linux file systems (ext4, xfs,
# tmpfs): 85 Chinese characters in UTF-8. Names on disk stay well below that, with
# room for a "(12)" that keeps them unique.
MAX_NAME_BYTES = 200


def storage_name(name: str, taken: set[str], max_bytes: int = MAX_NAME_BYTES) -> str:
    """The name to store an attachment under on disk: safe (sanitize_filename),
    at most `max_bytes` of UTF-8 whatever the script, with its extension kept, and
    not in `taken` (which it joins). Staff and units keep seeing the original name;
    only the file on disk is shortened."""
    safe = sanitize_filename(name)
    stem, ext = os.path.splitext(safe)
    if len(ext.encode("utf-8")) > 16:
        stem, ext = safe, ""
    n = 1
    while True:
        suffix = f"({n})" if n > 1 else ""
        room = max_bytes - len((suffix + ext).encode("utf-8"))
        candidate = _cut_to_bytes(stem, room).rstrip(" .") + suffix + ext
        if candidate.startswith("."):
            candidate = "附件" + candidate
        if candidate not in taken:
            taken.add(candidate)
            return candidate
        n += 1


def _cut_to_bytes(text: str, limit: int) -> str:
    """The longest prefix of `text` whose UTF-8 form fits in `limit` bytes (whole characters)."""
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    return data[: max(limit, 0)].decode("utf-8", "ignore")


_WINDOWS_RESERVED = {
    "CON",
    "PRN",
    "AUX",
    "NUL",
    *(f"COM{i}" for i in range(1, 10)),
    *(f"LPT{i}" for i in range(1, 10)),
}
