"""Where a floating Word text box lands: the table cell (or paragraph) under it.

Units often type a value into a text box dragged over the value cell. Word
anchors the box to some paragraph (the label's cell, the title above the
table, the line under it) and positions it from there, or from the margin
or the page; LibreOffice's .doc round trip re-anchors the same boxes to the
margin. Reading the box where its anchor is puts the value in the wrong
place, so we estimate the page layout instead: column edges come from the
table grid (exact), row heights from w:trHeight and an estimate of each
cell's lines, paragraph heights from their font size, spacing and the
document grid. The box's first line of text (as a printed page would show
it) is then looked up in that layout. The estimate is vertical only; a box
whose point falls outside every table and paragraph stays at its anchor.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from ..model import Cell, Table

TWIPS_PER_EMU = 1 / 635
CELL_PAD = 108  # Word's default left/right cell margin (twips)
DEFAULT_SIZE = 21  # half-points: 五号
LINE_FACTOR = 1.3  # single line spacing of CJK fonts, in font sizes
BOX_INSETS = (144.0, 72.0)  # DrawingML/VML default text insets, left and top (twips)
LATIN_WIDTH = 0.55  # a Latin letter or digit, in ems


def text_width(text: str, size: float) -> float:
    """Estimated printed width (twips) of `text` at `size` half-points."""
    em = size * 10
    return sum(em if ord(ch) > 0x2E7F else em * LATIN_WIDTH for ch in text)


@dataclass
class Page:
    """The section's page (twips)."""

    width: float = 11906
    height: float = 16838
    left: float = 1800
    right: float = 1800
    top: float = 1440
    bottom: float = 1440
    pitch: float = 0.0  # document grid line pitch (snap-to-grid), 0 when none

    @property
    def text_width(self) -> float:
        return max(self.width - self.left - self.right, 1000)

    @property
    def text_height(self) -> float:
        return max(self.height - self.top - self.bottom, 1000)


@dataclass
class Frame:
    """A top-level table as laid out: x of its grid columns, y of its rows (twips)."""

    table: Table
    left: float  # relative to the left margin
    col_edges: list[float]  # cumulative, relative to the table's left, len = columns + 1
    row_heights: list[float] = field(default_factory=list)
    at: dict[tuple[int, int], Cell] = field(default_factory=dict)

    def row_top(self, row: int) -> float:
        return sum(self.row_heights[: max(row, 0)])

    def col_left(self, col: int) -> float:
        return self.col_edges[min(max(col, 0), len(self.col_edges) - 1)]


@dataclass
class Anchor:
    """The paragraph a box is anchored to: a body block, or a cell of some table."""

    block: int  # index of the body block (a paragraph, or the top-level table holding the cell)
    table: Table | None = None  # the table of the anchor cell, if any
    row: int = 0
    col: int = 0
    y: float = 0.0  # the anchor paragraph's top inside its cell (twips)
    placed: bool = False  # the cell belongs to a top-level table with a Frame


@dataclass
class Position:
    """wp:positionH/V or VML's mso-position-*: the frame it is measured from, offset or alignment."""

    relative: str = ""
    offset: float | None = None  # twips
    align: str = ""


@dataclass
class Box:
    text: str
    anchor: Anchor
    h: Position
    v: Position
    width: float  # twips
    height: float
    in_cell: bool = True  # layoutInCell: "column"/"paragraph" mean the anchor cell
    insets: tuple[float, float] = BOX_INSETS


@dataclass
class Block:
    """A top-level paragraph or table in reading order, with its estimated height."""

    height: float
    frame: Frame | None = None


@dataclass
class Layout:
    page: Page
    blocks: list[Block] = field(default_factory=list)
    frames: dict[int, Frame] = field(default_factory=dict)  # id(table) -> Frame

    def block_top(self, index: int) -> float:
        return sum(b.height for b in self.blocks[: max(index, 0)])

    def page_top(self, y: float) -> float:
        """Flow y of the top of the page holding `y` (page breaks estimated from heights)."""
        return math.floor(max(y, 0) / self.page.text_height) * self.page.text_height


SNAP = 300.0  # twips: how far a body-anchored box may be moved to an empty cell (estimate error)


def place(box: Box, layout: Layout, empty: set[int] | None = None) -> tuple[str, Cell | int] | None:
    """("cell", Cell) or ("block", index) where the box's first line shows; None when unknown.

    The vertical position is an estimate: a box positioned from outside the table (the
    title paragraph, the margin, the page) that lands on a cell with text is moved to an
    empty cell (`empty`: ids of cells empty before any box was placed) of the same column
    within SNAP twips, since a box typed over a form covers its blank value cell."""
    x, y = _reading_point(box, layout)
    if x is None or y is None:
        return None
    snap = SNAP if box.anchor.table is None or box.v.relative not in ("paragraph", "line", "text") else 0.0
    paragraph = None
    for index, block in enumerate(layout.blocks):
        top = layout.block_top(index)
        inside = top <= y < top + block.height
        if block.frame is None:
            if inside:
                paragraph = index
            continue
        if not top - snap <= y < top + block.height + snap:
            continue
        cell = _cell_at(block.frame, x - block.frame.left, y - top, snap, empty or set())
        if cell is not None and (inside or id(cell) in (empty or set())):
            return ("cell", cell)
    return ("block", paragraph) if paragraph is not None else None


def _cell_at(frame: Frame, x: float, y: float, snap: float, empty: set[int]) -> Cell | None:
    edges = frame.col_edges
    if not edges[0] <= x < edges[-1]:
        return None
    col = max(i for i in range(len(edges) - 1) if edges[i] <= x)
    best: tuple[float, Cell] | None = None
    top = 0.0
    for row, height in enumerate(frame.row_heights):
        cell = frame.at.get((row, col))
        distance = 0.0 if top <= y < top + height else min(abs(y - top), abs(y - top - height))
        top += height
        if cell is None or distance > snap:
            continue
        if distance == 0.0 and (id(cell) in empty or not snap):
            return cell
        rank = distance if id(cell) in empty else snap + 1 + distance
        if best is None or rank < best[0]:
            best = (rank, cell)
    return best[1] if best is not None else None


def _reading_point(box: Box, layout: Layout) -> tuple[float | None, float | None]:
    """Where the box's first line of text is printed (x from the left margin, flow y)."""
    anchor = box.anchor
    frame = layout.frames.get(id(anchor.table)) if anchor.table is not None and anchor.placed else None
    if anchor.table is not None and frame is None:
        return None, None  # a nested table or a text box's own table: no geometry
    block_top = layout.block_top(anchor.block)
    if frame is not None:
        cell_left = frame.left + frame.col_left(anchor.col)
        cell = frame.at.get((anchor.row, anchor.col))
        span = cell.col_span if cell is not None else 1
        cell_right = frame.left + frame.col_left(anchor.col + span)
        para_top = block_top + frame.row_top(anchor.row) + anchor.y
    else:
        cell_left = cell_right = 0.0
        para_top = block_top
    left = _left(box, layout.page, frame is not None, cell_left, cell_right)
    top = _top(box, layout, para_top)
    if left is None or top is None:
        return None, None
    inset_x, inset_y = box.insets
    first = box.text.split("\n", 1)[0]
    shown = min(max(box.width - 2 * inset_x, 0), text_width(first, DEFAULT_SIZE))
    line = DEFAULT_SIZE * 10 * LINE_FACTOR
    return left + inset_x + shown / 2, top + inset_y + min(line, box.height) / 2


def _left(box: Box, page: Page, in_cell: bool, cell_left: float, cell_right: float) -> float | None:
    h = box.h
    rel = h.relative
    if (
        rel in ("column", "character", "text", "char")
        and in_cell
        and (box.in_cell or rel in ("character", "char"))
    ):
        start, end = cell_left, cell_right  # the anchor cell (as LibreOffice lays it out)
    elif rel in ("page", "left-margin-area", "leftMargin"):
        start, end = -page.left, page.width - page.left
    elif rel in ("rightMargin", "right-margin-area"):
        start, end = page.text_width, page.width - page.left
    else:  # margin, column, inside/outside margin: the text column
        start, end = 0.0, page.text_width
    if h.offset is not None:
        return start + h.offset
    if h.align == "center":
        return (start + end - box.width) / 2
    if h.align in ("right", "outside"):
        return end - box.width
    if h.align in ("left", "inside"):
        return start
    return None


def _top(box: Box, layout: Layout, para_top: float) -> float | None:
    v = box.v
    page = layout.page
    page_top = layout.page_top(para_top)
    rel = v.relative
    if rel in ("paragraph", "line", "text"):
        start, end = para_top, para_top + box.height
    elif rel in ("page", "top-margin-area", "topMargin"):
        start, end = page_top - page.top, page_top - page.top + page.height
    elif rel in ("bottomMargin", "bottom-margin-area"):
        start, end = page_top + page.text_height, page_top + page.text_height + page.bottom
    else:  # margin, inside/outside margin
        start, end = page_top, page_top + page.text_height
    if v.offset is not None:
        return start + v.offset
    if v.align == "center":
        return (start + end - box.height) / 2
    if v.align in ("bottom", "outside"):
        return end - box.height
    if v.align in ("top", "inside"):
        return start
    return None


# ------------------------------------------------------------ VML styles

_LENGTH = re.compile(r"^\s*(-?[\d.]+)\s*(pt|in|cm|mm|px|pc|emu)?\s*$")
_UNIT_TWIPS = {"pt": 20.0, "in": 1440.0, "cm": 1440 / 2.54, "mm": 144 / 2.54, "px": 15.0, "pc": 240.0}


def vml_length(value: str) -> float | None:
    """A CSS-like VML length in twips (unitless means pixels, as in VML)."""
    m = _LENGTH.match(value or "")
    if not m:
        return None
    try:
        number = float(m.group(1))
    except ValueError:
        return None
    unit = m.group(2) or "px"
    if unit == "emu":
        return number * TWIPS_PER_EMU
    return number * _UNIT_TWIPS[unit]


def vml_style(style: str) -> dict[str, str]:
    out = {}
    for part in (style or "").split(";"):
        if ":" in part:
            key, _, value = part.partition(":")
            out[key.strip().lower()] = value.strip()
    return out


def vml_insets(inset: str) -> tuple[float, float]:
    """v:textbox inset="l,t,r,b" -> (left, top) in twips (missing parts keep the defaults)."""
    parts = (inset or "").split(",")
    left = vml_length(parts[0]) if parts and parts[0].strip() else None
    top = vml_length(parts[1]) if len(parts) > 1 and parts[1].strip() else None
    return (left if left is not None else BOX_INSETS[0], top if top is not None else BOX_INSETS[1])
