"""Combined labels: one cell for two fields, as retyped forms write them.

"联系人及手机 | 张三 13800138000", "所在地址及邮编 | 沈阳市…79号 110847",
"联系地址及邮编 | …（邮编：116010）". The label is split at 及/和/与/、//
into known labels; the value is split by what each field's kind looks like
(a mobile number, a 6-digit postcode, an e-mail), and the field without a
shape (a name, an address) keeps the rest.
"""

from __future__ import annotations

import re

from ..campaign import FormSpec, Kind, Vocabulary, norm_label

_JOINERS = re.compile(r"及|和|与|、|/|＆|&|\+")
# Words that name a field only inside a combined label ("联系人及电话"): the form's
# phone field, and the field whose wording ends in 地址.
_PHONE_WORDS = frozenset({"电话", "联系电话", "联系方式"})
_ADDRESS_WORDS = frozenset({"所在地址", "地址"})
_SHAPES: dict[Kind, re.Pattern] = {
    Kind.PHONE: re.compile(
        r"(?<![\d])(?:\+?86[\s-]?)?1[3-9]\d(?:[\s-]?\d){8}(?!\d)|(?<!\d)0\d{2,3}-?\d{7,8}(?!\d)"
    ),
    Kind.POSTCODE: re.compile(r"(?<!\d)\d{6}(?!\d)"),
    Kind.EMAIL: re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+"),
}
_LEFTOVER = re.compile(r"(?:手机号?码?|电话|邮编|邮政编码|电子邮箱|邮箱|e-?mail)\s*[:：]?", re.IGNORECASE)
_EDGES = " \t\u3000\n,，;；、:：/|"


def _part_label(part: str, vocab: Vocabulary) -> str | None:
    hit = vocab.match_label(part)
    if hit:
        return hit[0]
    spec = vocab.spec
    if part in _PHONE_WORDS:
        phones = spec.of_kind(Kind.PHONE)
        return phones[0] if phones else None
    if part in _ADDRESS_WORDS:
        for label, wordings in vocab.variants.items():
            if any(w.endswith("地址") for w in wordings):
                return label
    return None


def combined_label(text: str, vocab: Vocabulary) -> tuple[str, ...] | None:
    """The field labels a combined label names, in order; None if it is not one."""
    if not text or len(text) > 40 or vocab.match_label(text):
        return None
    parts = [p for p in _JOINERS.split(norm_label(text)) if p]
    if len(parts) < 2:
        return None
    labels: list[str] = []
    for part in parts:
        label = _part_label(part, vocab)
        if label is None or label in labels:
            return None
        labels.append(label)
    return tuple(labels)


def split_combined(labels: tuple[str, ...], value: str, spec: FormSpec) -> dict[str, str]:
    """Share one value between the fields of a combined label."""
    out = {label: "" for label in labels}
    shapes = {label: _SHAPES.get(spec.by_label[label].kind) for label in labels}
    rest = value
    for label in labels:
        shape = shapes[label]
        if shape is None:
            continue
        m = shape.search(rest)
        if m:
            out[label] = m.group(0)  # as typed: normalize.py reads "138-0013-8000"
            rest = rest[: m.start()] + " " + rest[m.end() :]
    rest = _LEFTOVER.sub(" ", rest)
    rest = re.sub(r"[(（]\s*[)）]", " ", rest)
    shapeless = [label for label in labels if shapes[label] is None or not out[label]]
    pieces = [p.strip(_EDGES) for p in re.split(r"\n|\s{2,}|[;；]", rest)]
    pieces = [p for p in pieces if p]
    if len(shapeless) == 1:
        out[shapeless[0]] = " ".join(pieces).strip(_EDGES)
    else:
        for label, piece in zip(shapeless, pieces, strict=False):
            out[label] = piece
    return out
