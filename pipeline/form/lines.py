"""Label→value pairs in running text: "账号名称：…" lines, OCR lines, glued text.

Two readings. `values_from_lines` takes labels that start a line or follow
a gap or colon (paragraph layouts, OCR). `values_from_glued` reads text
where a lost table left every label glued to its neighbours
("账号名称大连针灸注册时间2016-08-01粉丝数量15600…", as LibreOffice makes of
some .doc files): only the exact wording of the form's labels counts there,
they must come in form order, and at least GLUED_MIN_LABELS of them (all of
a shorter form's), three of them distinctive, so a sentence that mentions a
label is never split.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..campaign import Vocabulary
from ..campaign.vocabulary import BOUNDARY, WEAK_VARIANTS
from .combined import combined_label, split_combined

_ENUM = r"(?:\d{1,2}[.、．)）]|[(（]\d{1,2}[)）]|[一二三四五六七八九十]{1,3}、)"
_ENUM_ONLY = re.compile(_ENUM)
_ENUM_TAIL = re.compile(r"\s+" + _ENUM + r"\s*$")
GLUED_MIN_LABELS = 6
GLUED_MIN_DISTINCTIVE = 3
MAX_GLUED_HITS = 300  # the chain search is quadratic; a real form has 15


@dataclass(frozen=True)
class Hit:
    """A label found in a line."""

    line: int
    start: int
    end: int
    canon: str  # "" for a known non-field label (推荐单位, 填表日期 ...)
    wording: str  # the normalised wording (Vocabulary.variants)
    colon: bool


@dataclass(frozen=True)
class LineValue:
    value: str
    line: int  # index of the line the value starts on
    wording: str


def scan_lines(lines: list[str], vocab: Vocabulary) -> list[Hit]:
    """Label hits in text lines, each field at most once, in reading order."""
    hits = []
    seen: set[str] = set()
    for li, line in enumerate(lines):
        for m in vocab.label_matches(line):
            group = next(k for k, v in m.groupdict().items() if v is not None and k[0] == "l")
            variant, canon = vocab.scan_keys[int(group[1:])]
            colon = m.group("colon") is not None
            label_end = m.end("note") if m.group("note") is not None else m.end(group)
            after = line[label_end : label_end + 1]
            if m.start() > 0 and line[m.start() - 1] not in BOUNDARY:
                # Glued to the previous cell's text ("针灸科普3号注册时间 2012年3月" from a
                # borderless PDF or OCR): only the exact wording, followed by a gap or colon.
                if variant not in vocab.canonical or not (colon or after.isspace()):
                    continue
            if not colon:
                if variant in WEAK_VARIANTS:
                    continue
                if after and not after.isspace():
                    continue  # "手机端" or similar running text
            if canon and canon in seen:
                continue
            if canon:
                seen.add(canon)
            hits.append(Hit(li, m.start(), m.end(), canon, variant, colon))
    return hits


def values_from_lines(lines: list[str], vocab: Vocabulary) -> dict[str, LineValue]:
    """label -> value found after its label in `lines`."""
    hits = scan_lines(lines, vocab)
    combos = [
        _combined_before(lines[h.line], hits[k - 1] if k and hits[k - 1].line == h.line else None, h, vocab)
        for k, h in enumerate(hits)
    ]
    # Where each label really starts: a combined label's first field comes before the hit.
    starts = [c[0] if c else h.start for h, c in zip(hits, combos, strict=True)]
    out: dict[str, LineValue] = {}
    for k, hit in enumerate(hits):
        if not hit.canon:
            continue
        nxt = hits[k + 1] if k + 1 < len(hits) else None
        nxt_start = starts[k + 1] if nxt is not None else 0
        li, end = hit.line, hit.end
        following: list[str] = []
        if nxt is not None and nxt.line == li:
            same = _ENUM_TAIL.sub("", lines[li][end:nxt_start])  # "… 2.注册时间：" keeps no "2."
        else:
            same = lines[li][end:]
            stop = nxt.line if nxt is not None else len(lines)
            following = [lines[i].strip() for i in range(li + 1, stop) if lines[i].strip()]
            before_next = lines[nxt.line][:nxt_start].strip() if nxt is not None else ""
            if before_next and not _ENUM_ONLY.fullmatch(before_next):
                following.append(before_next)
        same = same.strip(" \t\u3000:：")
        if hit.canon in vocab.long_fields:
            parts = ([same] if same else []) + following
            value = "\n".join(parts)
            start = li if same or not following else li + 1
        elif same:
            value, start = same, li
        elif following:
            value, start = following[0], li + 1
        else:
            value, start = "", li
        out[hit.canon] = LineValue(value.strip(), start, hit.wording)
        combo = combos[k]
        if combo:  # "联系人及手机：张三 138…": the value is shared
            for canon, part in split_combined(combo[1], value.strip(), vocab.spec).items():
                if canon == hit.canon or canon not in out:
                    out[canon] = LineValue(part, start, canon)
    return out


def _combined_before(
    line: str, prev: Hit | None, hit: Hit, vocab: Vocabulary
) -> tuple[int, tuple[str, ...]] | None:
    """(where it starts, its fields) when `hit` ends a combined label ("所在地址及邮编：")."""
    if not hit.colon or hit.start == 0:
        return None
    begin = prev.end if prev is not None else 0
    for i in range(hit.start - 1, begin - 1, -1):
        if line[i] in BOUNDARY:
            begin = i + 1
            break
    if begin >= hit.start:
        return None
    canons = combined_label(line[begin : hit.start] + hit.wording, vocab)
    return (begin, canons) if canons and hit.canon in canons else None


def values_from_glued(lines: list[str], vocab: Vocabulary) -> dict[str, LineValue]:
    """Values between the form's labels in label-glued text; {} unless it clearly is that."""
    spec = vocab.spec
    labels = spec.labels
    text = "\n".join(lines)
    found: list[tuple[int, int, int]] = []  # (form index, start, end)
    for m in vocab.glued.finditer(text):
        if len(found) >= MAX_GLUED_HITS:
            break
        index = int(next(k for k, v in m.groupdict().items() if v is not None)[1:])
        found.append((index, m.start(), m.end()))
    chain = _form_order_chain(found)
    weak = {f.label for f in spec.fields if f.weak_evidence}
    distinctive = sum(1 for index, _, _ in chain if labels[index] not in weak)
    need_distinctive = min(GLUED_MIN_DISTINCTIVE, len(labels) - len(weak))
    if len(chain) < min(GLUED_MIN_LABELS, len(labels)) or distinctive < need_distinctive:
        return {}
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line) + 1)
    out: dict[str, LineValue] = {}
    for k, (index, _start, end) in enumerate(chain):
        stop = chain[k + 1][1] if k + 1 < len(chain) else len(text)
        if k + 1 < len(chain) and labels[index] not in vocab.long_fields:
            # The next label written twice after a short value (a tracked row kept after its
            # deletion was lost): the value ends at its first occurrence, the later one is read.
            # Free text may quote a label ("联系人民群众"), so a long field runs to the chain's hit.
            stop = min([stop] + [s for i, s, _ in found if i == chain[k + 1][0] and end <= s])
        canon = labels[index]
        value = text[end:stop].strip(" \t\u3000\n:：")
        if canon in vocab.long_fields:  # may run over lines, up to a non-field label such as 推荐单位（盖章）
            kept: list[str] = []
            for part in value.split("\n"):
                if kept and vocab.is_extra_label(part.split("：")[0].split(":")[0]):
                    break
                kept.append(part)
            value = "\n".join(kept).strip()
        else:
            value = value.split("\n", 1)[0].strip()
        line_no = max(i for i, s in enumerate(starts[:-1]) if s <= end)
        out[canon] = LineValue(value, line_no, canon)
    return out


def _form_order_chain(found: list[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
    """The longest run of hits whose labels follow form order; a later hit wins a tie
    (a label quoted inside an earlier long value is not the label)."""
    best: list[list[tuple[int, int, int]]] = []
    for k, hit in enumerate(found):
        chain = [hit]
        for j in range(k):
            prev = best[j]
            if found[j][0] < hit[0] and found[j][2] <= hit[1] and len(prev) + 1 >= len(chain):
                chain = prev + [hit]
        best.append(chain)
    if not best:
        return []
    return max(enumerate(best), key=lambda kv: (len(kv[1]), kv[0]))[1]
