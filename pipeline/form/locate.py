"""Find the 15 fields in a Document by their labels, never by position.

Tables: every cell whose text is a label is paired with the next non-label
cell to its right (one per row the label spans), otherwise with the cell
below it. A cell holding "标签：值" is read inline. The table with the most
labels is the form; fields it lacks may come from another table that also
looks like part of the form (a form split over pages) and then from
paragraphs ("账号名称：…" lines, OCR text). Each cell is used as a value at
most once, and a cell that is itself a label is never a value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..model import FORM_LABELS, Cell, Document, Table
from .labels import (
    BOUNDARY,
    CANONICAL,
    LONG_FIELDS,
    SCAN_KEYS,
    WEAK_VARIANTS,
    is_extra_label,
    label_matches,
    match_label,
)

MAX_SPAN = 200
MAX_GRID = 400_000  # grid positions per table
_ENUM = r"(?:\d{1,2}[.、．)）]|[(（]\d{1,2}[)）]|[一二三四五六七八九十]{1,3}、)"
_ENUM_ONLY = re.compile(_ENUM)
_ENUM_TAIL = re.compile(r"\s+" + _ENUM + r"\s*$")
LINK = "账号ID/网页链接"


@dataclass
class Found:
    """What one source (a table or the paragraphs) yielded."""

    values: dict[str, str] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)
    located: set[str] = field(default_factory=set)  # labels seen, even with an empty value


# ---------------------------------------------------------------- lines


def scan_lines(lines: list[str]) -> list[tuple[int, int, int, str, bool]]:
    """Label hits in text lines: (line, start, end, canonical or "" for extras, has_colon)."""
    hits = []
    seen: set[str] = set()
    for li, line in enumerate(lines):
        for m in label_matches(line):
            group = next(k for k, v in m.groupdict().items() if v is not None and k[0] == "l")
            variant, canon = SCAN_KEYS[int(group[1:])]
            colon = m.group("colon") is not None
            end = m.end()
            label_end = m.end("note") if m.group("note") is not None else m.end(group)
            after = line[label_end : label_end + 1]
            if m.start() > 0 and line[m.start() - 1] not in BOUNDARY:
                # Glued to the previous cell's text ("针灸科普3号注册时间 2012年3月" from a
                # borderless PDF or OCR): only the exact wording, followed by a gap or colon.
                if variant not in CANONICAL or not (colon or after.isspace()):
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
            hits.append((li, m.start(), end, canon, colon))
    return hits


def values_from_lines(lines: list[str]) -> dict[str, tuple[str, int]]:
    """canonical -> (value, index of the line it starts on) from label hits in `lines`."""
    hits = scan_lines(lines)
    out: dict[str, tuple[str, int]] = {}
    for k, (li, _s, end, canon, _colon) in enumerate(hits):
        if not canon:
            continue
        nxt = hits[k + 1] if k + 1 < len(hits) else None
        following: list[str] = []
        if nxt is not None and nxt[0] == li:
            same = _ENUM_TAIL.sub("", lines[li][end : nxt[1]])  # "… 2.注册时间：" keeps no "2."
        else:
            same = lines[li][end:]
            stop = nxt[0] if nxt is not None else len(lines)
            following = [lines[i].strip() for i in range(li + 1, stop) if lines[i].strip()]
            before_next = lines[nxt[0]][: nxt[1]].strip() if nxt is not None else ""
            if before_next and not _ENUM_ONLY.fullmatch(before_next):
                following.append(before_next)
        same = same.strip(" \t\u3000:：")
        if canon in LONG_FIELDS:
            parts = ([same] if same else []) + following
            value = "\n".join(parts)
            start = li if same or not following else li + 1
        elif same:
            value, start = same, li
        elif following:
            value, start = following[0], li + 1
        else:
            value, start = "", li
        out[canon] = (value.strip(), start)
    return out


# ---------------------------------------------------------------- tables


class _Grid:
    """(row, col) -> the cell covering it; bounded so hostile spans stay cheap."""

    def __init__(self, table: Table) -> None:
        self.at: dict[tuple[int, int], Cell] = {}
        budget = MAX_GRID
        for cell in table.cells:
            rows = min(max(cell.row_span, 1), MAX_SPAN)
            cols = min(max(cell.col_span, 1), MAX_SPAN)
            budget -= rows * cols
            if budget < 0:
                break
            for r in range(cell.row, cell.row + rows):
                for c in range(cell.col, cell.col + cols):
                    self.at.setdefault((r, c), cell)


@dataclass
class _Kind:
    canon: str | None = None  # exact field label
    score: int = 0
    extra: bool = False
    inline: dict[str, str] = field(default_factory=dict)  # "标签：值" cells

    @property
    def is_label(self) -> bool:
        return bool(self.canon or self.extra or self.inline)


def _classify(cell: Cell) -> _Kind:
    text = cell.text.strip()
    if not text:
        return _Kind()
    hit = match_label(text)
    if hit:
        return _Kind(canon=hit[0], score=hit[1])
    if is_extra_label(text):
        return _Kind(extra=True)
    if ":" not in text and "：" not in text and "\n" not in text:
        return _Kind()  # inline values need a colon or a line break
    lines = text.split("\n")
    hits = scan_lines(lines)
    if hits and hits[0][0] == 0 and hits[0][1] == 0 and (hits[0][4] or hits[0][3] == ""):
        if hits[0][3] == "":
            return _Kind(extra=True)
        vals = values_from_lines(lines)
        return _Kind(inline={k: v for k, (v, _) in vals.items()})
    if len(lines) > 1:  # "账号名称" on one line, value on the next
        first = match_label(lines[0])
        if first:
            return _Kind(inline={first[0]: "\n".join(lines[1:]).strip()})
    return _Kind()


def classify_cells(table: Table) -> dict[int, _Kind]:
    """id(cell) -> what the cell is (label, extra label, inline value, plain)."""
    return {id(c): _classify(c) for c in table.cells}


def table_label_count(table: Table, kinds: dict[int, _Kind] | None = None) -> int:
    """How many distinct field labels a table holds (to pick the form)."""
    kinds = kinds if kinds is not None else classify_cells(table)
    names: set[str] = set()
    for cell in table.cells:
        kind = kinds[id(cell)]
        if kind.canon:
            names.add(kind.canon)
        names.update(kind.inline)
    return len(names)


def locate_in_table(table: Table, file: str, kinds: dict[int, _Kind] | None = None) -> Found:
    """Pair labels and values inside one table."""
    grid = _Grid(table)
    kinds = kinds if kinds is not None else classify_cells(table)
    order = sorted(table.cells, key=lambda c: (c.row, c.col))
    used: set[int] = set()
    found = Found()

    def where(cell: Cell) -> str:
        return f"{file} {table.name} 第{cell.row + 1}行第{cell.col + 1}列"

    # Best label cell per field: canonical wording first, then reading order.
    best: dict[str, Cell] = {}
    for cell in order:
        kind = kinds[id(cell)]
        if kind.canon and (kind.canon not in best or kind.score > kinds[id(best[kind.canon])].score):
            best[kind.canon] = cell
    link_cells = [c for c in order if kinds[id(c)].canon == LINK]

    for cell in order:
        kind = kinds[id(cell)]
        if kind.canon and (best.get(kind.canon) is cell or (kind.canon == LINK and cell in link_cells)):
            found.located.add(kind.canon)
            value_cells = _value_cells(cell, kind.canon, grid, kinds, used)
            if not value_cells:
                continue
            texts = []
            for vc in value_cells:
                used.add(id(vc))
                vk = kinds[id(vc)]
                texts.append(vk.inline[kind.canon] if vk.inline else vc.text.strip())
            value = "\n".join(t for t in texts if t)
            if kind.canon in found.values and found.values[kind.canon]:
                if value:
                    found.values[kind.canon] += "\n" + value
                continue
            found.values[kind.canon] = value
            found.sources[kind.canon] = where(value_cells[0])
    for cell in order:  # inline "标签：值" cells not consumed above
        kind = kinds[id(cell)]
        if not kind.inline or id(cell) in used:
            continue
        for canon, value in kind.inline.items():
            if canon in found.located:
                continue
            found.located.add(canon)
            found.values[canon] = value
            found.sources[canon] = where(cell)
        used.add(id(cell))
    return found


def _value_cells(label: Cell, canon: str, grid: _Grid, kinds: dict[int, _Kind], used: set[int]) -> list[Cell]:
    """Right neighbours (one per spanned row), else the aligned cell below."""

    def usable(cell: Cell | None) -> bool:
        if cell is None or cell is label or id(cell) in used:
            return False
        kind = kinds[id(cell)]
        if kind.inline and set(kind.inline) == {canon}:
            return True  # value cell that repeats its label: "推荐理由：……"
        return not kind.is_label

    right: list[Cell] = []
    col = label.col + min(max(label.col_span, 1), MAX_SPAN)
    for r in range(label.row, label.row + min(max(label.row_span, 1), MAX_SPAN)):
        cell = grid.at.get((r, col))
        if cell is None:
            continue
        if usable(cell):
            if cell not in right:
                right.append(cell)
    if right:
        return right
    below = grid.at.get((label.row + min(max(label.row_span, 1), MAX_SPAN), label.col))
    if usable(below) and below.col == label.col:
        return [below]
    return []


# ---------------------------------------------------------------- document


def locate(doc: Document) -> tuple[dict[str, str], dict[str, str], int]:
    """(fields, sources, labels_found) for the whole document."""
    fields = {label: "" for label in FORM_LABELS}
    sources: dict[str, str] = {}
    located: set[str] = set()
    kinds = [classify_cells(t) for t in doc.tables]
    ranked = sorted(
        ((table_label_count(t, kinds[i]), i, t) for i, t in enumerate(doc.tables)),
        key=lambda x: (-x[0], x[1]),
    )
    best_count = ranked[0][0] if ranked else 0
    for rank, (count, i, table) in enumerate(ranked):
        # Other tables may hold the rest of a form split over pages; a lone
        # label elsewhere only counts when the main table is clearly the form.
        if count == 0 or (rank > 0 and count < 2 and best_count < 5):
            break
        found = locate_in_table(table, doc.file, kinds[i])
        for canon in found.located:
            if canon in located:
                continue
            located.add(canon)
            fields[canon] = found.values.get(canon, "")
            if canon in found.sources:
                sources[canon] = found.sources[canon]
        if len(located) == len(FORM_LABELS):
            break
    if len(located) < len(FORM_LABELS) and doc.paragraphs:
        lines: list[str] = []
        para_of: list[int] = []
        for pi, para in enumerate(doc.paragraphs):
            for ln in para.split("\n"):
                lines.append(ln)
                para_of.append(pi)
        unit = "行" if doc.is_scan else "段"
        for canon, (value, li) in values_from_lines(lines).items():
            if canon in located:
                continue
            located.add(canon)
            fields[canon] = value
            if value:
                n = (li + 1) if doc.is_scan else para_of[min(li, len(para_of) - 1)] + 1
                sources[canon] = f"{doc.file} 正文第{n}{unit}"
    return fields, sources, len(located)
