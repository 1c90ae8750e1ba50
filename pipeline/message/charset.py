"""Decode bytes from Chinese mail without silently losing characters.

Mail labelled gb2312 routinely carries GBK-only characters (镕, 啰...), so
every GB label is widened to gb18030, a strict superset. Decoding is strict
first; only the last resort substitutes U+FFFD, and then says so.
"""

from __future__ import annotations

import codecs

# Labels whose real-world content is GBK/GB18030 bytes.
_GB_ALIASES = {
    "gb2312",
    "gbk",
    "cp936",
    "ms936",
    "euc-cn",
    "euccn",
    "x-gbk",
    "gb_2312-80",
    "gb_2312",
    "csgb2312",
    "x-euc-cn",
    "chinese",
    "iso-ir-58",
    "gb18030",
    "windows-936",
    "x-cp936",
    "hz-gb-2312",  # rare; gb18030 fails strictly and falls back cleanly
}
# Labels that are really Windows code pages in practice (WHATWG).
_WIDEN = {
    "iso-8859-1": "cp1252",
    "latin-1": "cp1252",
    "latin1": "cp1252",
    "us-ascii": "utf-8",
    "ascii": "utf-8",
    "big5": "big5hkscs",
    "unknown-8bit": None,
    "x-unknown": None,
    "unknown": None,
    "x-user-defined": None,
    "default": None,
}


def normalize_charset(label: str | None) -> str | None:
    """Map a MIME charset label to a Python codec name, or None if unusable."""
    if not label:
        return None
    name = str(label).strip().strip('"').strip("'").lower()
    # RFC 2231 language suffix: "gb2312*zh-cn"
    name = name.split("*", 1)[0].strip()
    if not name:
        return None
    if name in _GB_ALIASES or name.replace("_", "-") in _GB_ALIASES:
        return "gb18030"
    if name in _WIDEN:
        return _WIDEN[name]
    if name in ("utf8", "utf-8", "x-utf-8", "unicode-1-1-utf-8"):
        return "utf-8"
    try:
        info = codecs.lookup(name)
    except (LookupError, ValueError):
        return None
    if info.name in ("gb2312", "gbk"):
        return "gb18030"
    # Refuse codecs that are not text encodings (base64, rot13, zlib...).
    if not getattr(info, "_is_text_encoding", True):
        return None
    return info.name


def decode_bytes(data: bytes, declared: str | None) -> tuple[str, str | None]:
    """Decode `data`, returning (text, defect-or-None).

    Order: declared charset (GB labels widened), utf-8, gb18030, then utf-8
    with replacement characters and a defect note.
    """
    if not data:
        return "", None
    tried: list[str] = []
    codec = normalize_charset(declared)
    candidates = [c for c in (codec, "utf-8", "gb18030") if c]
    if codec == "cp1252":
        # "iso-8859-1" is often a wrong default; valid UTF-8 is never an accident.
        candidates.insert(0, "utf-8")
    for name in candidates:
        if name in tried:
            continue
        tried.append(name)
        try:
            text = data.decode(name)
        except (UnicodeDecodeError, LookupError):
            continue
        if name == "utf-8" and text.startswith("\ufeff"):
            text = text[1:]
        if codec and name != codec and codec != "cp1252":
            return text, f"声明的字符集 {declared} 无法解码，已改用 {name}"
        if declared and not codec:
            return text, f"未知字符集 {declared}，已按 {name} 解码"
        return text, None
    if codec in (None, "utf-8", "gb18030"):
        # One value glued from two clients' bytes (a UTF-8 subject with a GBK part
        # added by a gateway): each stretch in the encoding it reads as, before giving up.
        mixed, bad = decode_mixed(data)
        if bad == 0:
            return mixed, "内容混用 UTF-8 和 GBK 编码，已分段解码"
    text = data.decode(codec or "utf-8", errors="replace")
    if codec in (None, "utf-8", "gb18030") and bad < text.count("\ufffd"):
        text = mixed
    return text, f"内容无法按 {declared or '任何已知字符集'} 解码，部分字符已替换为 �"


def _chinese(ch: str) -> bool:
    """CJK ideographs and punctuation, full-width forms: what a Chinese subject is made of."""
    o = ord(ch)
    return (
        0x2E80 <= o <= 0x9FFF
        or 0xF900 <= o <= 0xFAFF
        or 0xFE30 <= o <= 0xFE4F
        or 0xFF00 <= o <= 0xFFEF
        or 0x20000 <= o <= 0x3FFFF
        or ch in "“”‘’—…·"
    )


# What reading a stretch one way costs: the cheapest reading of the whole value wins.
# UTF-8 is preferred where both read (valid UTF-8 of some length is never an accident),
# non-Chinese characters are unlikely in either, an undecodable byte is the last resort.
_UTF8_CHINESE, _UTF8_OTHER = 0.0, 2.0
_GB_CHINESE, _GB_OTHER = 0.5, 3.0
_UNDECODABLE = 10.0


def decode_mixed(data: bytes) -> tuple[str, int]:
    """Read `data` as stretches of UTF-8 and GB18030, choosing for every character
    the reading that makes the whole value most plausibly Chinese text (a shortest
    path over the bytes). Returns the text and how many bytes nothing could read
    (each became U+FFFD)."""
    n = len(data)
    inf = float("inf")
    cost = [inf] * (n + 1)
    back: list[tuple[int, str, int] | None] = [None] * (n + 1)  # (from, text, bad bytes)
    cost[0] = 0.0
    for i in range(n):
        if cost[i] == inf:
            continue
        for length, text, step_cost, bad in _readings(data, i):
            j = i + length
            if cost[i] + step_cost < cost[j]:
                cost[j] = cost[i] + step_cost
                back[j] = (i, text, bad)
    pieces: list[str] = []
    undecodable = 0
    j = n
    while j > 0:
        step = back[j]
        if step is None:  # cannot happen: every byte can at least be read as U+FFFD
            raise AssertionError(f"no reading reaches byte {j}")
        i, text, bad = step
        pieces.append(text)
        undecodable += bad
        j = i
    return "".join(reversed(pieces)), undecodable


def _readings(data: bytes, i: int):
    """(length, text, cost, undecodable bytes) of each way to read a character at `i`."""
    b = data[i]
    if b < 0x80:
        yield 1, chr(b), 0.0, 0
        return
    for length in (2, 3, 4):
        chunk = data[i : i + length]
        if len(chunk) < length:
            break
        try:
            ch = chunk.decode("utf-8")
        except UnicodeDecodeError:
            continue
        yield length, ch, _UTF8_CHINESE if _chinese(ch) else _UTF8_OTHER, 0
        break
    for length in (2, 4):
        chunk = data[i : i + length]
        if len(chunk) < length:
            break
        try:
            ch = chunk.decode("gb18030")
        except UnicodeDecodeError:
            continue
        if len(ch) == 1 and not 0xE000 <= ord(ch) <= 0xF8FF:  # GB18030 maps unassigned codes to PUA
            yield length, ch, _GB_CHINESE if _chinese(ch) else _GB_OTHER, 0
    yield 1, "\ufffd", _UNDECODABLE, 1


def decode_surrogates(text: str) -> tuple[str, str | None]:
    """Re-decode a str holding raw 8-bit bytes as surrogate escapes."""
    if not any("\udc80" <= ch <= "\udcff" for ch in text):
        return text, None
    raw = text.encode("utf-8", "surrogateescape")
    return decode_bytes(raw, None)
