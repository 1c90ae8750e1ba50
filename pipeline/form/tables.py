"""Label→value pairs inside one table, never by position alone.

A cell whose text is a label takes the next non-label cell to its right
(one per row the label spans), else the aligned cell below; when the
cells on its right are blank and the cell below holds text, that cell
(a long field's label heading a row, its field in the row under it). Labels standing
side by side in a row ("账号名称 | 注册时间 | 照片说明") are a band over a
row of values, so each takes the cell below even when the row has other
text on its right (Word's visa-style layout). A cell "标签：值" is read
inline; a combined label ("联系人及手机") shares its value between its
fields. Each cell is a value at most once, and a label is never a value.
Values lose template prompts and bracketed instructions (clean.py).

A table whose labels sit in one header row with records below is a list
(a 汇总表, a team-member table): `list_records` says how many records it has.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from ..campaign import Kind, Vocabulary, norm_label
from ..model import Cell, Table
from .clean import clean_value
from .combined import combined_label, split_combined
from .lines import scan_lines, values_from_lines

MAX_SPAN = 200
MAX_GRID = 400_000  # grid positions per table
LIST_MIN_LABELS = 6  # a header row of this many labels (half of a shorter form's, at least 3) is a list


@dataclass
class Found:
    """What one source (a table or the paragraphs) yielded."""

    values: dict[str, str] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)
    located: set[str] = field(default_factory=set)  # labels seen, even with no value place
    paired: dict[str, str] = field(default_factory=dict)  # label -> wording, when it has a value place


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
class CellKind:
    """What one cell is: a field label, a non-field label, a combined label, inline "标签：值", or plain."""

    canon: str | None = None  # exact field label
    score: int = 0
    wording: str = ""
    extra: bool = False
    combo: tuple[str, ...] = ()  # a combined label's fields
    inline: dict[str, str] = field(default_factory=dict)  # "标签：值" cells
    inline_wording: dict[str, str] = field(default_factory=dict)
    shared: bool = False  # "账号名称 针灸之窗": a label and its value with only a gap between (canon set)

    @property
    def is_label(self) -> bool:
        return bool(self.canon or self.extra or self.inline or self.combo)

    @property
    def is_heading(self) -> bool:
        """A label standing alone in its cell (not an inline "标签：值")."""
        return bool(self.canon or self.extra or self.combo) and not self.shared


def _classify(cell: Cell, vocab: Vocabulary) -> CellKind:
    text = cell.text.strip()
    if not text:
        return CellKind()
    hit = vocab.match_label(text)
    if hit:
        return CellKind(canon=hit[0], score=hit[1], wording=norm_label(text))
    if vocab.is_extra_label(text):
        return CellKind(extra=True)
    combo = combined_label(text, vocab)
    if combo:
        return CellKind(combo=combo)
    if ":" not in text and "：" not in text and "\n" not in text:
        return _shared(text, vocab)  # inline values need a colon, a line break or a gap
    lines = text.split("\n")
    hits = scan_lines(lines, vocab)
    if hits and hits[0].line == 0 and hits[0].start == 0 and (hits[0].colon or hits[0].canon == ""):
        if hits[0].canon == "":
            return CellKind(extra=True)
        vals = values_from_lines(lines, vocab)
        return CellKind(
            inline={k: v.value for k, v in vals.items()},
            inline_wording={k: v.wording for k, v in vals.items()},
        )
    if len(lines) > 1:  # "账号名称" on one line, value on the next
        first = vocab.match_label(lines[0])
        if first:
            return CellKind(
                inline={first[0]: "\n".join(lines[1:]).strip()},
                inline_wording={first[0]: norm_label(lines[0])},
            )
    return CellKind()


def _shared(text: str, vocab: Vocabulary, glued: bool = False) -> CellKind:
    """ "账号名称 针灸之窗" (or, with `glued`, "账号名称针灸之窗"): a field label at the start of
    the cell, a gap, then its value. The cell is that field's label, with its own value."""
    if glued:
        m = vocab.glued.match(text)
        if m is None or norm_label(m.group(0)) not in vocab.canonical or not text[m.end() :].strip():
            return CellKind()
        canon = vocab.spec.labels[int(next(k for k, v in m.groupdict().items() if v is not None)[1:])]
        value = text[m.end() :].strip()
        return CellKind(
            canon=canon, wording=canon, inline={canon: value}, inline_wording={canon: canon}, shared=True
        )
    if not any(ch.isspace() for ch in text):
        return CellKind()
    hits = scan_lines([text], vocab)
    if not hits or hits[0].start != 0 or not hits[0].canon or not text[hits[0].end :].strip():
        return CellKind()
    vals = values_from_lines([text], vocab)
    own = vals.get(hits[0].canon)
    if own is None or not own.value:
        return CellKind()
    return CellKind(
        canon=hits[0].canon,
        wording=hits[0].wording,
        inline={k: v.value for k, v in vals.items()},
        inline_wording={k: v.wording for k, v in vals.items()},
        shared=True,
    )


SHARED_TABLE = 3  # cells of "标签 值" in a table before a label glued to its value is trusted


def classify_cells(table: Table, vocab: Vocabulary) -> dict[int, CellKind]:
    """id(cell) -> what the cell is (label, extra label, combined label, inline value, plain).

    In a table whose fields are written label and value together ("账号名称：…", "注册时间 …"),
    a cell whose value runs straight on from its label (a gap lost where a printed cell
    wrapped) is read the same way."""
    kinds = {id(c): _classify(c, vocab) for c in table.cells}
    if sum(1 for k in kinds.values() if k.inline) >= SHARED_TABLE:
        for cell in table.cells:
            if not kinds[id(cell)].is_label and cell.text.strip():
                glued = _shared(cell.text.strip(), vocab, glued=True)
                if glued.canon:
                    kinds[id(cell)] = glued
    return kinds


def table_labels(table: Table, kinds: dict[int, CellKind]) -> set[str]:
    """The distinct field labels a table holds."""
    names: set[str] = set()
    for cell in table.cells:
        kind = kinds[id(cell)]
        if kind.canon:
            names.add(kind.canon)
        names.update(kind.inline)
        names.update(kind.combo)
    return names


def list_min_labels(field_count: int) -> int:
    """How many labels in one row make a list's header, for a form of `field_count` fields."""
    return min(LIST_MIN_LABELS, max(3, -(-field_count // 2)))


def list_records(table: Table, kinds: dict[int, CellKind], field_count: int) -> int | None:
    """Records under a header row holding most of the table's labels; None for a form layout."""
    per_row = Counter(cell.row for cell in table.cells if kinds[id(cell)].canon)
    if not per_row:
        return None
    header, count = max(per_row.items(), key=lambda kv: (kv[1], -kv[0]))
    if count < list_min_labels(field_count) or count * 3 < len(table_labels(table, kinds)) * 2:
        return None
    cols = {cell.col for cell in table.cells if cell.row == header and kinds[id(cell)].canon}
    rows = {cell.row for cell in table.cells if cell.row > header and cell.col in cols and cell.text.strip()}
    return len(rows)


def locate_in_table(
    table: Table, file: str, vocab: Vocabulary, kinds: dict[int, CellKind] | None = None
) -> Found:
    """Pair labels and values inside one table."""
    grid = _Grid(table)
    kinds = kinds if kinds is not None else classify_cells(table, vocab)
    links = set(vocab.spec.of_kind(Kind.URL))
    order = sorted(table.cells, key=lambda c: (c.row, c.col))
    used: set[int] = set()
    found = Found()

    def where(cell: Cell) -> str:
        return f"{file} {table.name} 第{cell.row + 1}行第{cell.col + 1}列"

    # Best label cell per field: the form's own wording first, then reading order. A link
    # field may be written as two labels (账号ID | … | 网页链接 | …): every one is read.
    best: dict[str, Cell] = {}
    for cell in order:
        kind = kinds[id(cell)]
        if kind.canon and (
            kind.canon not in best
            or kind.score > kinds[id(best[kind.canon])].score
            or (kind.score == kinds[id(best[kind.canon])].score and _retyped(best[kind.canon], cell))
        ):
            best[kind.canon] = cell

    for cell in order:
        kind = kinds[id(cell)]
        if kind.canon and (best.get(kind.canon) is cell or kind.canon in links):
            found.located.add(kind.canon)
            value_cells = _value_cells(cell, {kind.canon}, grid, kinds, used)
            if kind.shared:
                found.paired.setdefault(kind.canon, kind.wording)
                found.values[kind.canon] = clean_value(kind.inline[kind.canon])
                found.sources[kind.canon] = where(cell)
                continue
            if not value_cells:
                continue
            found.paired.setdefault(kind.canon, kind.wording)
            texts = []
            for vc in value_cells:
                used.add(id(vc))
                vk = kinds[id(vc)]
                texts.append(vk.inline[kind.canon] if vk.inline else vc.text.strip())
            value = clean_value("\n".join(t for t in texts if t))
            if found.values.get(kind.canon):
                if value:
                    found.values[kind.canon] += "\n" + value
                continue
            found.values[kind.canon] = value
            found.sources[kind.canon] = where(value_cells[0])
    for cell in order:  # combined labels fill what single labels did not
        kind = kinds[id(cell)]
        if not kind.combo:
            continue
        value_cells = _value_cells(cell, set(kind.combo), grid, kinds, used)
        found.located.update(kind.combo)
        if not value_cells:
            continue
        for vc in value_cells:
            used.add(id(vc))
        value = clean_value("\n".join(vc.text.strip() for vc in value_cells if vc.text.strip()))
        for canon, part in split_combined(kind.combo, value, vocab.spec).items():
            if found.values.get(canon):
                continue
            found.paired.setdefault(canon, canon)
            found.values[canon] = part
            found.sources[canon] = where(value_cells[0])
    for cell in order:  # inline "标签：值" cells not consumed above
        kind = kinds[id(cell)]
        if not kind.inline or id(cell) in used:
            continue
        for canon, value in kind.inline.items():
            if canon in found.located:
                continue
            found.located.add(canon)
            found.paired[canon] = kind.inline_wording.get(canon, canon)
            found.values[canon] = clean_value(value)
            found.sources[canon] = where(cell)
        used.add(id(cell))
    return found


def _retyped(first: Cell, again: Cell) -> bool:
    """The same label in the row right under it: a row retyped under the one it replaces
    (Track Changes' deleted and inserted rows, once the markup is lost); the later one counts."""
    return again.col == first.col and again.row == first.row + max(first.row_span, 1)


def _value_cells(
    label: Cell, canons: set[str], grid: _Grid, kinds: dict[int, CellKind], used: set[int]
) -> list[Cell]:
    """Right neighbours (one per spanned row), else the aligned cell below; below first in a band."""

    def usable(cell: Cell | None) -> bool:
        if cell is None or cell is label or id(cell) in used:
            return False
        kind = kinds[id(cell)]
        if kind.inline and set(kind.inline) <= canons:
            return True  # value cell that repeats its label: "推荐理由：……"
        return not kind.is_label

    rows = min(max(label.row_span, 1), MAX_SPAN)
    right: list[Cell] = []
    col = label.col + min(max(label.col_span, 1), MAX_SPAN)
    for r in range(label.row, label.row + rows):
        cell = grid.at.get((r, col))
        if cell is not None and usable(cell) and cell not in right:
            right.append(cell)
    below = grid.at.get((label.row + rows, label.col))
    below_ok = usable(below) and below is not None and below.col == label.col
    if below_ok and below is not None and _in_band(label, grid, kinds):
        return [below]
    if below_ok and below is not None and below.text.strip() and not any(c.text.strip() for c in right):
        return [below]  # the label's row is blank on its right; its field fills the row below
    if right:
        return right
    return [below] if below_ok and below is not None else []


def _in_band(label: Cell, grid: _Grid, kinds: dict[int, CellKind]) -> bool:
    """True when a label stands next to another label in its row (labels above values)."""
    for col in (label.col - 1, label.col + min(max(label.col_span, 1), MAX_SPAN)):
        other = grid.at.get((label.row, col))
        if other is not None and other is not label and kinds[id(other)].is_heading:
            return True
    return False
