"""Find a PDF page's tables without the borders of text boxes floating over them.

A value typed into a Word text box dragged over its cell prints inside that
cell, but the box's border (Word's default 0.75 pt line; a closed path, a
stroked rectangle or four lines) is ruling to pdfplumber: it splits the row
into extra columns ("账号名称 | (sliver) | 长春针灸 | (sliver)"), so the label's
right neighbour comes out empty, or it becomes a table of its own. A border
is a floating box's when it is a closed rectangle around text, at least one
of its sides continues no other ruling (a cell's sides always do: they are
shared with the rows and columns around it), and it lies inside a table that
is still found without it. Those borders are left out; the box's text is
read as the underlying cell's by where its glyphs are.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator

SLACK = 1.2  # points: sides this close are the same line
BUCKET = 2.0  # points per index bucket (> SLACK: a neighbour is at most one bucket away)
MAX_CANDIDATES = 200  # closed rectangles looked at per page; a page of thousands is no form
MAX_PER_BUCKET = 50


def find_tables(page) -> list:
    """pdfplumber tables of `page`, text-box borders left out."""
    tables = page.find_tables()
    boxes = _boxes(page, tables) if tables else []
    if not boxes:
        return tables
    without = _without(page, boxes).find_tables()
    floating = [box for box in boxes if _within(box[0], without)]
    if not floating:
        return tables
    if len(floating) == len(boxes):
        return without
    return _without(page, floating).find_tables()


def _without(page, boxes: list):
    drop = {id(o) for _, objects in boxes for o in objects}
    return page.filter(lambda obj: id(obj) not in drop)


Rect = tuple[float, float, float, float]  # x0, top, x1, bottom


def _boxes(page, tables: list) -> list[tuple[Rect, list[dict]]]:
    """Closed stroked rectangles around text, inside a table (not its outline), whose border
    continues no other ruling."""
    candidates: list[tuple[Rect, list[dict]]] = []
    for curve in page.curves:
        rect = _rectangle(curve.get("pts") or [])
        if rect and curve.get("stroke"):
            candidates.append((rect, [curve]))
    for rect in page.rects:
        if rect.get("stroke") and rect["x1"] - rect["x0"] > 4 and rect["bottom"] - rect["top"] > 4:
            candidates.append(((rect["x0"], rect["top"], rect["x1"], rect["bottom"]), [rect]))
    candidates.extend(_four_lines(page.lines))
    if len(candidates) > MAX_CANDIDATES:
        return []
    candidates = [c for c in candidates if _within(c[0], tables, smaller=True)]
    if not candidates:
        return []
    centers = [
        ((c["x0"] + c["x1"]) / 2, (c["top"] + c["bottom"]) / 2) for c in page.chars if c["text"].strip()
    ]
    rulings = _Rulings(page.edges)
    out = []
    for rect, objects in candidates:
        if not any(rect[0] < x < rect[2] and rect[1] < y < rect[3] for x, y in centers):
            continue
        objects = objects + [r for r in page.rects if r not in objects and _same(r, rect)]  # the box's fill
        if not all(rulings.continued(side, objects) for side in _sides(rect)):
            out.append((rect, objects))
    return out


def _bucket(value: float) -> int:
    return int(value // BUCKET)


def _near(index: dict, a: float, b: float) -> Iterator[dict]:
    """Entries of a two-coordinate bucket index within one bucket of (a, b)."""
    ka, kb = _bucket(a), _bucket(b)
    for da in (-1, 0, 1):
        for db in (-1, 0, 1):
            yield from index.get((ka + da, kb + db), ())[:MAX_PER_BUCKET]


class _Rulings:
    """The page's ruling segments, indexed by orientation and position."""

    def __init__(self, edges: list[dict]) -> None:
        self.at: dict[tuple[str, int], list[dict]] = defaultdict(list)
        for e in edges:
            orientation = str(e.get("orientation"))
            pos = (e["top"] + e["bottom"]) / 2 if orientation == "h" else (e["x0"] + e["x1"]) / 2
            self.at[(orientation, _bucket(pos))].append(e)

    def continued(self, side: tuple[str, float, float, float], own: list[dict]) -> bool:
        """True when another ruling lies on the same line and overlaps or touches this side."""
        orientation, at, start, end = side
        for k in (-1, 0, 1):
            for e in self.at.get((orientation, _bucket(at) + k), ()):
                if orientation == "h":
                    pos, lo, hi = (e["top"] + e["bottom"]) / 2, e["x0"], e["x1"]
                else:
                    pos, lo, hi = (e["x0"] + e["x1"]) / 2, e["top"], e["bottom"]
                if abs(pos - at) <= SLACK and lo <= end + SLACK and hi >= start - SLACK and not _from(e, own):
                    return True
        return False


def _same(obj: dict, rect: Rect) -> bool:
    edges = (obj["x0"], obj["top"], obj["x1"], obj["bottom"])
    return all(abs(a - b) <= SLACK for a, b in zip(edges, rect, strict=True))


def _from(edge: dict, objects: list[dict]) -> bool:
    """True when `edge` is one of the box's own segments (page.edges are derived copies)."""
    for obj in objects:
        if (
            edge["object_type"].startswith(obj["object_type"])
            and obj["x0"] - SLACK <= edge["x0"]
            and edge["x1"] <= obj["x1"] + SLACK
            and obj["top"] - SLACK <= edge["top"]
            and edge["bottom"] <= obj["bottom"] + SLACK
        ):
            return True
    return False


def _rectangle(points: list[tuple[float, float]]) -> Rect | None:
    """The rectangle a closed axis-aligned path of 4 (or 5, closed) corners draws."""
    if not 4 <= len(points) <= 6:
        return None
    xs = sorted({round(x, 1) for x, _ in points})
    ys = sorted({round(y, 1) for _, y in points})
    xs = _distinct(xs)
    ys = _distinct(ys)
    if len(xs) != 2 and not (len(xs) == 3 and len(points) == 6):
        return None
    if len(ys) != 2:
        return None
    x0, x1, top, bottom = xs[0], xs[-1], ys[0], ys[-1]
    if x1 - x0 < 4 or bottom - top < 4:
        return None
    for x, y in points:  # every point on the outline
        if not (
            abs(x - x0) <= SLACK or abs(x - x1) <= SLACK or abs(y - top) <= SLACK or abs(y - bottom) <= SLACK
        ):
            return None
    return (x0, top, x1, bottom)


def _distinct(values: list[float]) -> list[float]:
    out: list[float] = []
    for v in values:
        if not out or v - out[-1] > SLACK:
            out.append(v)
    return out


def _four_lines(lines: list[dict]) -> Iterable[tuple[Rect, list[dict]]]:
    """Rectangles drawn as four separate strokes meeting at their corners (VML boxes)."""
    horizontal = [ln for ln in lines if abs(ln["top"] - ln["bottom"]) <= SLACK and ln["x1"] - ln["x0"] > 4]
    vertical: dict[tuple[int, int], list[dict]] = defaultdict(list)  # (x, top) -> strokes
    across: dict[tuple[int, int], list[dict]] = defaultdict(list)  # (x0, x1) -> strokes
    for ln in lines:
        if abs(ln["x0"] - ln["x1"]) <= SLACK and ln["bottom"] - ln["top"] > 4:
            vertical[(_bucket(ln["x0"]), _bucket(ln["top"]))].append(ln)
    for ln in horizontal:
        across[(_bucket(ln["x0"]), _bucket(ln["x1"]))].append(ln)
    out = []
    for upper in horizontal:
        for left in _near(vertical, upper["x0"], upper["top"]):
            if abs(left["x0"] - upper["x0"]) > SLACK or abs(left["top"] - upper["top"]) > SLACK:
                continue
            bottom = left["bottom"]
            right = next(
                (
                    v
                    for v in _near(vertical, upper["x1"], upper["top"])
                    if abs(v["x0"] - upper["x1"]) <= SLACK and abs(v["bottom"] - bottom) <= SLACK
                ),
                None,
            )
            lower = next(
                (
                    h
                    for h in _near(across, upper["x0"], upper["x1"])
                    if h is not upper
                    and abs(h["top"] - bottom) <= SLACK
                    and abs(h["x1"] - upper["x1"]) <= SLACK
                ),
                None,
            )
            if right is not None and lower is not None:
                out.append(((upper["x0"], upper["top"], upper["x1"], bottom), [upper, lower, left, right]))
                if len(out) > MAX_CANDIDATES:
                    return out
    return out


def _sides(rect: Rect) -> list[tuple[str, float, float, float]]:
    """(orientation, position, start, end) of each side."""
    x0, top, x1, bottom = rect
    return [("h", top, x0, x1), ("h", bottom, x0, x1), ("v", x0, top, bottom), ("v", x1, top, bottom)]


def _within(rect: Rect, tables: list, smaller: bool = False) -> bool:
    """True when `rect` lies inside a table's box (and, if `smaller`, is not its outline)."""
    for table in tables:
        x0, top, x1, bottom = table.bbox
        if not (
            x0 - SLACK <= rect[0]
            and rect[2] <= x1 + SLACK
            and top - SLACK <= rect[1]
            and rect[3] <= bottom + SLACK
        ):
            continue
        if not smaller or (rect[2] - rect[0]) * (rect[3] - rect[1]) < 0.5 * (x1 - x0) * (bottom - top):
            return True
    return False
