"""Find ruled tables in a page image: rows, columns and merged cells.

The 推荐表 is a ruled table, and its ruling is what says which text belongs
to which cell (a value that wraps over three lines, a label like
"账号ID/网 / 页链接" broken in two). We erase the OCR'd text, keep long thin
dark runs with morphological opening (horizontal and vertical kernels),
take each connected set of rules as one table, and read the row and
column boundaries from it. A boundary missing between two grid slots means
the cells are merged, which gives the spans.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from .ocr_engine import TextBox
from .ocr_stamp import Stamp


@dataclass(frozen=True)
class GridCell:
    row: int
    col: int
    row_span: int
    col_span: int
    x0: float
    y0: float
    x1: float
    y1: float

    def holds(self, x: float, y: float) -> bool:
        return self.x0 <= x < self.x1 and self.y0 <= y < self.y1


@dataclass
class Grid:
    """One ruled table: its cells (every slot covered once) and its outline."""

    cells: list[GridCell]
    x0: float
    y0: float
    x1: float
    y1: float

    def holds(self, x: float, y: float) -> bool:
        return self.x0 <= x <= self.x1 and self.y0 <= y <= self.y1

    def cell_at(self, x: float, y: float) -> GridCell | None:
        for cell in self.cells:
            if cell.holds(x, y):
                return cell
        return min(self.cells, key=lambda c: _distance(c, x, y)) if self.cells else None


@dataclass(frozen=True)
class _Segment:
    at: float  # y of a horizontal rule, x of a vertical one (median: ink touching it pulls little)
    start: float
    end: float
    at_start: float  # the same at each end: a photographed rule may lean a little
    at_end: float


def find_grids(
    gray: np.ndarray, boxes: list[TextBox], text_height: float, stamps: Sequence[Stamp] = ()
) -> list[Grid]:
    """Ruled tables in `gray`, largest first; [] when the page has none.

    `boxes` (text lines) are blanked first so that text never passes for rules;
    a rule that runs through a blanked line (a label set to the cell's edge, the
    detector's box reaching over the column rule) or under a stamp (`stamps`:
    its ink was wiped with the rule's bits under it) is joined again across it."""
    th = max(8.0, text_height)
    ink = cv2.adaptiveThreshold(gray, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, 31, 15)
    blanked: list[tuple[int, int, int, int]] = []
    for box in boxes:  # text must not pass for rules ("一", "——", underscores)
        dx, dy = 0.3 * box.height, 0.2 * box.height
        x0, x1 = int(box.x0 + dx), int(box.x1 - dx)
        y0, y1 = int(box.y0 + dy), int(box.y1 - dy)
        if x1 > x0 and y1 > y0:
            ink[y0:y1, x0:x1] = 0
            blanked.append((x0, y0, x1, y1))
    horizontal = _rules(_steadied(ink, th, True), (int(max(25, 2 * th)), 1), (int(th), 1))
    vertical = _rules(_steadied(ink, th, False), (1, int(max(10, 0.8 * th))), (1, int(th / 2)))
    tol = max(6.0, 0.5 * th)

    def hidden(x0: float, y0: float, x1: float, y1: float) -> bool:
        """Whether the gap (x0, y0)-(x1, y1) between two pieces of one rule is where
        the rule was taken off: wholly inside a blanked line, or under a stamp."""
        slack = 3
        if any(
            bx0 <= x0 + slack and x1 - slack <= bx1 and by0 <= y0 + slack and y1 - slack <= by1
            for bx0, by0, bx1, by1 in blanked
        ):
            return True
        return any(st.holds((x0 + x1) / 2, (y0 + y1) / 2, margin=tol) for st in stamps)

    rows = _bridged(_segments(horizontal, axis=0, min_length=1.5 * th), tol, hidden, True)
    cols = _bridged(_segments(vertical, axis=1, min_length=0.8 * th), tol, hidden, False)
    rows, cols = _joined(rows, cols, tol)
    grids = []
    faint = _FaintRules(gray, th, stamps)
    for extent in _tables(rows, cols, tol):
        grid = _grid(
            extent,
            [s for s in rows if _inside(s, extent, True)],
            [s for s in cols if _inside(s, extent, False)],
            th,
            faint,
        )
        if grid is not None:
            grids.append(grid)
    grids.sort(key=lambda g: -(g.x1 - g.x0) * (g.y1 - g.y0))
    return grids


def _bridged(
    segments: list[_Segment],
    tol: float,
    hidden: Callable[[float, float, float, float], bool],
    horizontal: bool,
) -> list[_Segment]:
    """Collinear pieces of one rule joined across a gap where the rule was `hidden`
    (taken off with a text line or a stamp), not where the table has none."""
    out: list[_Segment] = []
    for seg in sorted(segments, key=lambda s: (round(s.at / tol), s.start)):
        prev = out[-1] if out else None
        if prev is not None and abs(prev.at - seg.at) <= tol / 2 and seg.start > prev.end:
            at = (prev.at + seg.at) / 2
            gap = (prev.end, at, seg.start, at) if horizontal else (at, prev.end, at, seg.start)
            if hidden(*gap):
                out[-1] = _Segment((prev.at + seg.at) / 2, prev.start, seg.end, prev.at_start, seg.at_end)
                continue
        out.append(seg)
    return out


def _tables(
    rows: list[_Segment], cols: list[_Segment], tol: float
) -> list[tuple[float, float, float, float]]:
    """Outlines of the sets of rules that touch one another (one per table)."""
    segs: list[tuple[_Segment, bool]] = [(s, True) for s in rows] + [(s, False) for s in cols]
    parent = list(range(len(segs)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, (a, a_row) in enumerate(segs):
        for j in range(i + 1, len(segs)):
            b, b_row = segs[j]
            if a_row != b_row and _touch(a if a_row else b, b if a_row else a, tol):
                parent[find(i)] = find(j)
    groups: dict[int, list[tuple[_Segment, bool]]] = {}
    for i, (seg, row) in enumerate(segs):
        groups.setdefault(find(i), []).append((seg, row))
    out = []
    for members in groups.values():
        xs = [v for seg, row in members for v in ((seg.start, seg.end) if row else (seg.at,))]
        ys = [v for seg, row in members for v in ((seg.at,) if row else (seg.start, seg.end))]
        if len(members) >= 4:
            out.append((min(xs), min(ys), max(xs), max(ys)))
    return out


def _steadied(ink: np.ndarray, th: float, horizontal: bool) -> np.ndarray:
    """The ink with a rule's small breaks closed along it, before the opening asks
    for long unbroken runs. On a soft photo a rule fades where print crowds it
    (the second line of a wrapped label sits on its cell's border): the adaptive
    threshold leaves it in pieces a few pixels apart, each shorter than the
    opening's run. Breaks up to a fifth of a line's height are closed, along the
    rule only: thickening it across as well let a stamp's ring pass for rules."""
    gap = max(3, int(th / 5))
    along = (gap, 1) if horizontal else (1, gap)
    return cv2.morphologyEx(ink, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, along))


def _rules(ink: np.ndarray, kernel: tuple[int, int], bridge: tuple[int, int]) -> np.ndarray:
    """Runs at least `kernel` long, with small breaks (JPEG, faint print) bridged."""
    opened = cv2.morphologyEx(ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, kernel))
    return cv2.morphologyEx(opened, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, bridge))


def _segments(mask: np.ndarray, axis: int, min_length: float) -> list[_Segment]:
    """Connected runs of a rule mask; axis 0 = horizontal rules, 1 = vertical."""
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask)
    out = []
    across: list[tuple[_Segment, np.ndarray]] = []
    for index in range(1, count):
        x, y, w, h, _area = stats[index]
        if axis == 0 and w >= min_length and h <= max(12, w / 8):
            ys, xs = np.nonzero(labels[y : y + h, x : x + w] == index)
            left, right = ys[xs <= xs.min() + 2], ys[xs >= xs.max() - 2]
            seg = _Segment(
                y + float(np.median(ys)), x, x + w, y + float(left.mean()), y + float(right.mean())
            )
            across.append((seg, np.bincount(xs, minlength=w)))
        elif axis == 1 and h >= min_length and w <= max(12, h / 8):
            ys, xs = np.nonzero(labels[y : y + h, x : x + w] == index)
            top, bottom = xs[ys <= ys.min() + 2], xs[ys >= ys.max() - 2]
            out.append(
                _Segment(x + float(np.median(xs)), y, y + h, x + float(top.mean()), x + float(bottom.mean()))
            )
    return out + _rules_not_text(across)


RAGGED = 1.5  # px: the spread of a run's thickness along it beyond which a thick run is text


def _rules_not_text(found: list[tuple[_Segment, np.ndarray]]) -> list[_Segment]:
    """Horizontal runs that are rules, not a line of text the detector missed.

    Out of focus, a line of text no box blanked (the wrapped "chenliqun@zjzjxh.org.c"
    on the 720 px thumbnail) runs together into a band long enough to pass for a
    rule, and splits its cell in two. A band of text is thick (as thick as its
    letters are tall) and ragged (each letter its own height); the page's rules
    are as thick as one another and even along their length (measured on that
    page: rules 4 px in the median column, ragged by 0.3-0.9 px; the text bands
    9-11 px, ragged by 2.2-3.1). A thick border even along its length stays a rule."""
    if not found:
        return []
    typical = float(np.median([np.median(t) for _, t in found]))
    return [
        seg
        for seg, thickness in found
        if not (np.median(thickness) > max(2 * typical, 6) and thickness.std() > RAGGED)
    ]


def _joined(rows: list[_Segment], cols: list[_Segment], tol: float) -> tuple[list[_Segment], list[_Segment]]:
    """Keep rules that touch at least two crossing rules, as cell borders do.

    A stamp's ring, a signature or a struck-through word leaves short straight
    pieces floating inside a cell, touching one rule at most; taken as rules,
    they would split it. (Requiring both ends to meet a rule instead lets one
    broken border unravel the whole table.)"""
    for _ in range(4):
        keep_rows = [r for r in rows if sum(_touch(r, c, tol) for c in cols) >= 2]
        keep_cols = [c for c in cols if sum(_touch(r, c, tol) for r in keep_rows) >= 2]
        if len(keep_cols) == len(cols) and len(keep_rows) == len(rows):
            break
        rows, cols = keep_rows, keep_cols
    return rows, cols


def _touch(row: _Segment, col: _Segment, tol: float) -> bool:
    """Whether a horizontal and a vertical rule meet or cross (ends within `tol`)."""
    if not row.start - tol <= col.at <= row.end + tol:
        return False
    share = (col.at - row.start) / max(1.0, row.end - row.start)
    y = row.at_start + (row.at_end - row.at_start) * min(1.0, max(0.0, share))
    return col.start - tol <= y <= col.end + tol


def looks_ruled(gray: np.ndarray) -> bool:
    """Quick test (a few ms) on a page preview: could it hold a ruled form? At
    least three long horizontal rules (≥ 40% of the width) and two vertical
    ones (≥ 8% of the height), allowing a few degrees of slant. Dense running
    text has neither: its ink never runs straight for more than a character."""
    small = cv2.resize(
        gray, None, fx=600 / max(gray.shape), fy=600 / max(gray.shape), interpolation=cv2.INTER_AREA
    )
    h, w = small.shape
    ink = cv2.adaptiveThreshold(small, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, 15, 10)
    # Thicken across the rule so a slanted rule stays one band; open along it with
    # short kernels (a slanted rule is straight over a short run), then measure.
    flat = cv2.morphologyEx(
        cv2.dilate(ink, np.ones((3, 1), np.uint8)), cv2.MORPH_OPEN, np.ones((1, max(8, w // 15)), np.uint8)
    )
    upright = cv2.morphologyEx(
        cv2.dilate(ink, np.ones((1, 3), np.uint8)), cv2.MORPH_OPEN, np.ones((max(8, h // 20), 1), np.uint8)
    )
    rows = _long_runs(flat, cv2.CC_STAT_WIDTH, 0.4 * w)
    cols = _long_runs(upright, cv2.CC_STAT_HEIGHT, 0.08 * h)
    return len(_distinct(rows, 4)) >= 3 and len(_distinct(cols, 4)) >= 2


def _long_runs(mask: np.ndarray, along: int, min_length: float) -> list[float]:
    """Centres (y for rows, x for columns) of components at least `min_length` long;
    `along` is cv2's stat for their length (CC_STAT_WIDTH or CC_STAT_HEIGHT)."""
    count, _, stats, centres = cv2.connectedComponentsWithStats(mask)
    axis = 1 if along == cv2.CC_STAT_WIDTH else 0
    return [float(centres[i][axis]) for i in range(1, count) if stats[i, along] >= min_length]


def _distinct(values: list[float], gap: float) -> list[float]:
    """One value per cluster of values less than `gap` apart."""
    out: list[float] = []
    last = None
    for v in sorted(values):
        if last is None or v - last > gap:
            out.append(v)
        last = v
    return out


def _inside(seg: _Segment, box: tuple[float, float, float, float], horizontal: bool) -> bool:
    x0, y0, x1, y1 = box
    if horizontal:
        return y0 - 4 <= seg.at <= y1 + 4 and seg.start >= x0 - 4 and seg.end <= x1 + 4
    return x0 - 4 <= seg.at <= x1 + 4 and seg.start >= y0 - 4 and seg.end <= y1 + 4


def _lines(segments: list[_Segment], tol: float) -> list[float]:
    """Positions of distinct rules (a double line or a thick one counts once)."""
    positions: list[list[float]] = []
    for seg in sorted(segments, key=lambda s: s.at):
        if positions and seg.at - positions[-1][-1] <= tol:
            positions[-1].append(seg.at)
        else:
            positions.append([seg.at])
    return [float(np.mean(p)) for p in positions]


def _grid(
    box: tuple[float, float, float, float],
    rows: list[_Segment],
    cols: list[_Segment],
    th: float,
    faint: _FaintRules | None = None,
) -> Grid | None:
    tol = max(4.0, 0.4 * th)
    ys, xs = _lines(rows, tol), _lines(cols, tol)
    if len(ys) < 2 or len(xs) < 2:
        return None
    # Open sides (no outer rule drawn): the table's extent closes them.
    if ys[0] - box[1] > th:
        ys.insert(0, box[1])
    if box[3] - ys[-1] > th:
        ys.append(box[3])
    if xs[0] - box[0] > th:
        xs.insert(0, box[0])
    if box[2] - xs[-1] > th:
        xs.append(box[2])
    nrows, ncols = len(ys) - 1, len(xs) - 1
    if nrows * ncols > 2000:
        return None  # a hatched picture, not a form
    parent = list(range(nrows * ncols))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def union(a: int, b: int) -> None:
        parent[find(a)] = find(b)

    for r in range(nrows):
        for c in range(ncols):
            if c + 1 < ncols and not _ruled(cols, xs[c + 1], ys[r], ys[r + 1], tol):
                union(r * ncols + c, r * ncols + c + 1)
            if r + 1 < nrows and not _ruled(rows, ys[r + 1], xs[c], xs[c + 1], tol):
                if faint is None or not faint.runs(ys[r + 1], xs[c], xs[c + 1]):
                    union(r * ncols + c, (r + 1) * ncols + c)
    groups: dict[int, list[tuple[int, int]]] = {}
    for r in range(nrows):
        for c in range(ncols):
            groups.setdefault(find(r * ncols + c), []).append((r, c))
    cells: list[GridCell] = []
    taken: set[tuple[int, int]] = set()
    for slots in sorted(groups.values()):
        r0, r1 = min(r for r, _ in slots), max(r for r, _ in slots)
        c0, c1 = min(c for _, c in slots), max(c for _, c in slots)
        if any((r, c) in taken for r in range(r0, r1 + 1) for c in range(c0, c1 + 1)):
            continue  # an L-shaped merge: its bounding box overlaps a cell already made
        taken.update((r, c) for r in range(r0, r1 + 1) for c in range(c0, c1 + 1))
        cells.append(GridCell(r0, c0, r1 - r0 + 1, c1 - c0 + 1, xs[c0], ys[r0], xs[c1 + 1], ys[r1 + 1]))
    return Grid(cells, xs[0], ys[0], xs[-1], ys[-1])


class _FaintRules:
    """Where a row's rule found elsewhere in the table ought to go on (between two
    cells of one column), whether it does, faintly.

    On a soft photo the adaptive threshold loses a rule where print crowds it: a
    label cell's dense text lowers the local mean, so a rule as dark as its
    continuation beside the values (measured on the 720 px thumbnail: 0.85 of the
    paper's brightness on both sides) is left out, and three label cells come out
    as one. Measured against the paper itself (the page over its own local
    maximum, which text cannot lower), the rule is a thin dark line along the whole
    span; text is not: a line of characters is as thick as the text is high.

    Rows only: a column rule's span within one row is about one line of text high,
    as tall as a character's upright stroke (probing columns split a URL's cell).
    Not under a stamp: the top or bottom of its ring runs nearly level for a
    label's width, thin and dark like a rule."""

    DARK = 0.92  # a rule: at most this share of the paper's brightness, along the span (median)
    DIP = 0.02  # and at least this much darker than the next few pixels on either side

    def __init__(self, gray: np.ndarray, th: float, stamps: Sequence[Stamp] = ()) -> None:
        self._gray = gray
        self._th = th
        self._stamps = stamps
        self._ratio: np.ndarray | None = None

    def _paper_ratio(self) -> np.ndarray:
        if self._ratio is None:
            k = int(1.5 * self._th) | 1
            paper = cv2.dilate(self._gray, cv2.getStructuringElement(cv2.MORPH_RECT, (k, k)))
            self._ratio = self._gray.astype(np.float32) / np.maximum(paper, 1).astype(np.float32)
        return self._ratio

    def runs(self, y: float, x0: float, x1: float) -> bool:
        """Whether a thin dark line runs at `y` (give or take a few px) from x0 to x1,
        the column rules' ends left out."""
        ratio = self._paper_ratio()
        reach = max(3, int(0.15 * self._th))  # how far the line may lie from `y`
        thin = max(3, int(0.2 * self._th))  # how soon the line gives way to paper
        trim = max(4, int(0.25 * self._th))
        s, e = int(x0) + trim, int(x1) - trim
        lo, hi = int(y) - reach - thin, int(y) + reach + thin + 1
        if e - s < self._th or lo < 0 or hi > ratio.shape[0]:
            return False
        if any(st.covers(s, lo, e, hi) > 0 for st in self._stamps):
            return False
        profile = np.median(ratio[lo:hi, s:e], axis=1)
        dips = self._dips(profile, thin, len(profile) - thin)
        if not dips:
            return False
        i = min(dips, key=lambda k: float(profile[k]))
        low = float(profile[i])
        before, after = float(profile[i - thin : i].max()), float(profile[i + 1 : i + thin + 1].max())
        half = low + (float(profile.max()) - low) / 2
        # Paper within reach on one side at least (print may sit right on the other),
        # and a dip of its own on the other: not merely where a line of text begins.
        if not (max(before, after) > half and min(before, after) > low + self.DIP):
            return False
        return self._straight(ratio[lo:hi, s:e], i)

    def _straight(self, band: np.ndarray, at: int) -> bool:
        """Whether the line at row `at` of `band` runs straight across it: a dark dip
        within a few px of that height in each third, as a rule has and the arc of a
        stamp's ring (curving by a sagitta of ~13 px over a label's width) has not."""
        near = max(2, int(0.08 * self._th))
        thirds = (np.median(part, axis=1) for part in np.array_split(band, 3, axis=1))
        return all(self._dips(profile, at - near, at + near + 1) for profile in thirds)

    def _dips(self, profile: np.ndarray, start: int, end: int) -> list[int]:
        """Rows start..end-1 of `profile` darker than both neighbours and DARK or darker."""
        return [
            i
            for i in range(max(1, start), min(len(profile) - 1, end))
            if profile[i - 1] >= profile[i] <= profile[i + 1] and profile[i] <= self.DARK
        ]


def _ruled(segments: list[_Segment], at: float, start: float, end: float, tol: float) -> bool:
    """Whether a rule at `at` covers most of the span start..end."""
    covered = 0.0
    for seg in segments:
        if abs(seg.at - at) <= tol:
            covered += max(0.0, min(seg.end, end) - max(seg.start, start))
    return covered >= 0.5 * (end - start)


def _distance(cell: GridCell, x: float, y: float) -> float:
    dx = max(cell.x0 - x, 0.0, x - cell.x1)
    dy = max(cell.y0 - y, 0.0, y - cell.y1)
    return dx + dy
