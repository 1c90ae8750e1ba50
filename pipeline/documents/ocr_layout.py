"""OCR text boxes + ruled grid → the Document model's tables and paragraphs.

PP-OCR returns lines in detection order with their corners, not a table.
We put each line in the grid cell that holds its centre (table_grid.py),
order a cell's lines top to bottom and join them as a Word cell would read
(wrapped CJK without spaces, a wrapped URL without a break), so the label
locator of pipeline/form/ works on a scan exactly as on a .docx. Lines
outside any table become paragraphs, one per text row. A page whose form has
no ruling falls back to text rows where wide gaps separate the cells, which
the locator reads as "标签  值" lines.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

import numpy as np

from ..model import Cell, PageBox, Table
from .ocr_engine import TextBox
from .pdf_reader import join_lines
from .table_grid import Grid

_CJK = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef]")


def page_layout(
    boxes: list[TextBox],
    grids: list[Grid],
    table_name: str,
    is_label: Callable[[str], bool] | None = None,
    to_page: Callable[[tuple[float, float, float, float]], PageBox] | None = None,
) -> tuple[list[Table], list[str]]:
    """(tables, paragraphs) of one page; tables are named table_name.format(n).
    `is_label` (the form's label lookup) lets a label wrapped over two lines
    outside any grid be read as one ("账号ID/网" over "页链接"); `to_page` maps a
    cell's rectangle onto the original page (each cell's `box`)."""
    tables: list[Table] = []
    loose = list(boxes)
    for grid in grids:
        inside = [b for b in loose if grid.holds(b.cx, b.cy)]
        if not inside:
            continue
        loose = [b for b in loose if not grid.holds(b.cx, b.cy)]
        tables.append(_table(grid, inside, table_name.format(len(tables) + 1), to_page))
    if is_label is not None:
        loose = join_wrapped_labels(loose, is_label)
    return tables, paragraphs(text_rows(loose))


def join_wrapped_labels(boxes: list[TextBox], is_label: Callable[[str], bool]) -> list[TextBox]:
    """A label broken over two lines in a narrow column becomes one box on its
    first line: the lower piece starts under the upper one, close below it, and
    only together do they read as a label (so the row reads "标签  值")."""
    out = list(boxes)
    for upper in sorted(boxes, key=lambda b: b.cy):
        if upper not in out or is_label(upper.text):
            continue
        h = upper.height
        below = [
            b
            for b in out
            if b is not upper
            and 0 <= b.y0 - upper.y1 + 0.2 * h < 0.9 * h
            and abs(b.x0 - upper.x0) < 0.8 * h
            and not is_label(b.text)
            and is_label(upper.text + b.text)
        ]
        if not below:
            continue
        lower = min(below, key=lambda b: b.y0)
        quad = (
            (upper.x0, upper.y0),
            (max(upper.x1, lower.x1), upper.y0),
            (max(upper.x1, lower.x1), upper.y1),
            (upper.x0, upper.y1),
        )
        joined = TextBox(quad, upper.text + lower.text, min(upper.score, lower.score))
        out = [joined if b is upper else b for b in out if b is not lower]
    return out


def paragraphs(rows: list[list[TextBox]]) -> list[str]:
    """Running text reflowed: a row that reaches the right margin continues on the
    next row when that one starts at the left margin (no first-line indent)."""
    if not rows:
        return []
    left = min(r[0].x0 for r in rows)
    right = max(r[-1].x1 for r in rows)
    out: list[str] = []
    prev: list[TextBox] | None = None
    for row in rows:
        text = _row_text(row, cells=True)
        char = float(np.median([b.height for b in row]))
        if (
            prev is not None
            and prev[-1].x1 >= right - 2 * char
            and row[0].x0 <= left + 0.8 * char
            and row[0].y0 - prev[0].y1 < 1.5 * char
        ):
            out[-1] = join_lines(out[-1] + "\n" + text)
        else:
            out.append(text)
        prev = row
    return out


def _table(grid: Grid, boxes: list[TextBox], name: str, to_page: Callable | None = None) -> Table:
    by_cell: dict[int, list[TextBox]] = {}
    index = {id(c): i for i, c in enumerate(grid.cells)}
    for box in boxes:
        cell = grid.cell_at(box.cx, box.cy)
        if cell is not None:
            by_cell.setdefault(index[id(cell)], []).append(box)
    cells = []
    for i, gc in enumerate(grid.cells):
        inside = by_cell.get(i, [])
        rows = text_rows(inside)
        text = join_lines("\n".join(_row_text(r) for r in rows))
        # A line the detector drew across the cell's border was cut by the grid.
        crossing = any(b.x0 < gc.x0 - 0.3 * b.height or b.x1 > gc.x1 + 0.3 * b.height for b in inside)
        cells.append(
            Cell(
                row=gc.row,
                col=gc.col,
                text=unicodedata.normalize("NFC", text),
                row_span=gc.row_span,
                col_span=gc.col_span,
                confidence=min((b.score for b in inside), default=None),
                flags=("crowded",) if crossing else (),
                box=to_page((gc.x0, gc.y0, gc.x1, gc.y1)) if to_page is not None else None,
            )
        )
    return Table(name=name, cells=cells)


def text_rows(boxes: list[TextBox]) -> list[list[TextBox]]:
    """Boxes grouped into rows (centres within half a line height), each left to right."""
    if not boxes:
        return []
    height = float(np.median([b.height for b in boxes]))
    rows: list[list[TextBox]] = []
    for box in sorted(boxes, key=lambda b: b.cy):
        if rows and box.cy - np.mean([b.cy for b in rows[-1]]) <= 0.5 * height:
            rows[-1].append(box)
        else:
            rows.append([box])
    return [sorted(row, key=lambda b: b.x0) for row in rows]


def _row_text(row: list[TextBox], cells: bool = False) -> str:
    """One row's text. Inside a cell, pieces are joined like words of one line;
    with `cells`, a gap wider than two characters separates cells by two spaces."""
    height = float(np.median([b.height for b in row]))
    out = row[0].text
    for prev, box in zip(row, row[1:], strict=False):
        gap = box.x0 - prev.x1
        if cells and gap > 2 * height:
            out += "  " + box.text
        elif gap < 0.4 * height or _CJK.match(out[-1]) or _CJK.match(box.text[0]):
            out += box.text
        else:
            out += " " + box.text
    return out.strip()
