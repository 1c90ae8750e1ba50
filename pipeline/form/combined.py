"""Combined labels: one cell for two fields, as retyped forms write them.

"联系人及手机 | 张三 13800138000", "所在地址及邮编 | 沈阳市…79号 110847",
"联系地址及邮编 | …（邮编：116010）". The label is split at 及/和/与/、//
into known labels; the value is split by what each field looks like
(a mobile number, a 6-digit 邮编, an e-mail), and the field without a shape
(a name, an address) keeps the rest.
"""

from __future__ import annotations

import re

from .labels import match_label, norm_label

_JOINERS = re.compile(r"及|和|与|、|/|＆|&|\+")
# Words that only name a field inside a combined label ("联系人及电话").
_EXTRA_PARTS = {"电话": "手机", "联系方式": "手机", "所在地址": "联系地址", "地址": "联系地址"}
_SHAPES: dict[str, re.Pattern] = {
    "手机": re.compile(
        r"(?<![\d])(?:\+?86[\s-]?)?1[3-9]\d(?:[\s-]?\d){8}(?!\d)|(?<!\d)0\d{2,3}-?\d{7,8}(?!\d)"
    ),
    "邮编": re.compile(r"(?<!\d)\d{6}(?!\d)"),
    "电子邮箱": re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+"),
}
_LEFTOVER = re.compile(r"(?:手机号?码?|电话|邮编|邮政编码|电子邮箱|邮箱|e-?mail)\s*[:：]?", re.IGNORECASE)
_EDGES = " \t\u3000\n,，;；、:：/|"


def combined_label(text: str) -> tuple[str, ...] | None:
    """The canonical fields a combined label names, in order; None if it is not one."""
    if not text or len(text) > 40 or match_label(text):
        return None
    parts = [p for p in _JOINERS.split(norm_label(text)) if p]
    if len(parts) < 2:
        return None
    canons: list[str] = []
    for part in parts:
        hit = match_label(part)
        canon = hit[0] if hit else _EXTRA_PARTS.get(part)
        if canon is None or canon in canons:
            return None
        canons.append(canon)
    return tuple(canons)


def split_combined(canons: tuple[str, ...], value: str) -> dict[str, str]:
    """Share one value between the fields of a combined label."""
    out = {c: "" for c in canons}
    rest = value
    for canon in canons:
        shape = _SHAPES.get(canon)
        if shape is None:
            continue
        m = shape.search(rest)
        if m:
            out[canon] = m.group(0)  # as typed: normalize.py reads "138-0013-8000"
            rest = rest[: m.start()] + " " + rest[m.end() :]
    rest = _LEFTOVER.sub(" ", rest)
    rest = re.sub(r"[(（]\s*[)）]", " ", rest)
    shapeless = [c for c in canons if c not in _SHAPES or not out[c]]
    pieces = [p.strip(_EDGES) for p in re.split(r"\n|\s{2,}|[;；]", rest)]
    pieces = [p for p in pieces if p]
    if len(shapeless) == 1:
        out[shapeless[0]] = " ".join(pieces).strip(_EDGES)
    else:
        for canon, piece in zip(shapeless, pieces, strict=False):
            out[canon] = piece
    return out
