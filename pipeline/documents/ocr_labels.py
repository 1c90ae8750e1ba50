"""A form without a visible grid, laid out by where its labels are.

A form typed without borders, or photographed so its rules are lost (glare,
blur), has no grid for ocr_cells to read. Its labels still say where the rows
are: every row of the 附件1 starts with a label at the left, and a value sits
to the right of its label (a second label may follow in the same row). So
rows run from halfway to the previous left-column label to halfway to the
next one, and each line in a row belongs to the nearest label on its left.
That keeps a value centred in a tall cell (its first line above its label's
line) with its label, where reading by text rows gave it to the row above.

The result is a Table like a grid's, so the label locator reads it as any
other; its cells carry the recogniser's lowest score, the box of the value,
and the flag LOOSE when a value spans several lines (placed by geometry
alone, staff check it).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..model import Cell, PageBox, Table
from .ocr_engine import TextBox
from .pdf_reader import join_lines

LOOSE = "loose"  # a multi-line value placed by the labels' geometry, not by a grid


def label_table(
    boxes: list[TextBox],
    is_label: Callable[[str], bool],
    name: str,
    to_page: Callable[[tuple[float, float, float, float]], PageBox] | None = None,
) -> tuple[Table | None, list[TextBox]]:
    """(the table the labels lay out, the boxes outside it); (None, boxes) with
    fewer than three labels."""
    labels = [b for b in boxes if is_label(b.text)]
    if len(labels) < 3:
        return None, boxes
    h = float(np.median([b.height for b in boxes]))
    left_edge = min(b.x0 for b in labels)
    heads = sorted((b for b in labels if b.x0 - left_edge < 1.5 * h), key=lambda b: b.cy)
    if len(heads) < 2:
        return None, boxes
    tops = [heads[0].cy - 0.5 * (heads[1].cy - heads[0].cy)]
    tops += [(a.cy + b.cy) / 2 for a, b in zip(heads, heads[1:], strict=False)]
    tops.append(heads[-1].cy + 0.5 * (heads[-1].cy - heads[-2].cy))
    cells: list[Cell] = []
    rest: list[TextBox] = []
    rows: list[list[TextBox]] = [[] for _ in heads]
    row_labels: list[list[TextBox]] = [[] for _ in heads]
    label_ids = {id(b) for b in labels}
    for box in boxes:
        r = _row_of(box.cy, tops)
        if r is None:
            rest.append(box)
        elif id(box) in label_ids:
            row_labels[r].append(box)
        else:
            rows[r].append(box)
    for r, found in enumerate(row_labels):
        found.sort(key=lambda b: b.x0)
        values: list[list[TextBox]] = [[] for _ in found]
        for box in rows[r]:
            owner = [i for i, lab in enumerate(found) if lab.x1 <= box.x0 + 0.5 * h]
            if owner:
                values[owner[-1]].append(box)
            else:
                rest.append(box)
        for i, (lab, vals) in enumerate(zip(found, values, strict=True)):
            cells.append(
                Cell(row=r, col=2 * i, text=lab.text, confidence=lab.score, box=_box(to_page, [lab]))
            )
            cells.append(_value(r, 2 * i + 1, vals, h, to_page))
    return Table(name=name, cells=cells), rest


def _row_of(y: float, tops: list[float]) -> int | None:
    for r in range(len(tops) - 1):
        if tops[r] <= y < tops[r + 1]:
            return r
    return None


def _value(row: int, col: int, boxes: list[TextBox], h: float, to_page: Callable | None) -> Cell:
    if not boxes:
        return Cell(row=row, col=col, text="")
    lines: list[list[TextBox]] = []
    for box in sorted(boxes, key=lambda b: b.cy):
        if lines and abs(box.cy - np.mean([b.cy for b in lines[-1]])) <= 0.5 * h:
            lines[-1].append(box)
        else:
            lines.append([box])
    text = join_lines("\n".join("".join(b.text for b in sorted(line, key=lambda b: b.x0)) for line in lines))
    return Cell(
        row=row,
        col=col,
        text=text,
        confidence=min(b.score for b in boxes),
        flags=(LOOSE,) if len(lines) > 1 else (),
        box=_box(to_page, boxes),
    )


def _box(to_page: Callable | None, boxes: list[TextBox]) -> PageBox | None:
    if to_page is None:
        return None
    return to_page(
        (
            min(b.x0 for b in boxes),
            min(b.y0 for b in boxes),
            max(b.x1 for b in boxes),
            max(b.y1 for b in boxes),
        )
    )
