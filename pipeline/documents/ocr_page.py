"""One scanned page or photo → tables and paragraphs, with confidence and place.

The steps, each a module of its own:

1. scan_prep: the red of a stamp dropped, a photographed page warped flat;
2. ocr_survey: a first look on a ~1000 px copy (which way up, skew, text
   height, the form's labels, every text line's outline);
3. the page turned upright and scaled so text lines are ~TEXT_PX high;
4. ocr_stamp: round stamps found (red, or a ring of the right size on grey and
   1-bit copies) and their ink taken off;
5. table_grid: the form's ruled grid;
6. with a grid, ocr_cells reads it cell by cell (recognition of each cell's
   crop); lines outside the grid (title, 推荐单位, date) are recognised from
   the survey's outlines. Without a grid (a borderless form, a photo whose
   rules are lost) the page is recognised whole and laid out by ocr_layout.

Every step's geometry is kept as a chain of warps (scan_prep.Warp), so each
cell's box is mapped back onto the page as decoded: staff see the crop of the
original beside each value they must check.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

import cv2
import numpy as np

from ..campaign import FormSpec
from ..model import Cell, PageBox, Table
from . import ocr_engine, scan_prep
from .form_labels import form_vocabulary
from .ocr_cells import page_ink, read_cells
from .ocr_engine import TextBox
from .ocr_label_guess import place_stamped_labels
from .ocr_labels import label_table
from .ocr_layout import join_wrapped_labels, page_layout, paragraphs, text_rows
from .ocr_stamp import Stamp, erase, find_stamps
from .ocr_survey import SIDE, Survey, label_lexicon, survey
from .table_grid import find_grids

TEXT_PX = 40  # line height (detection box) the page is scaled to for grid and cells
LINE_PX = 30  # line height for whole-page recognition (no grid)
MIN_SIDE, MAX_SIDE = 1000, 3000
LEAN_TEXT_PX, LEAN_SIDE = 32, 2000  # the retry after the machine ran short of memory or time
MIN_GRID_CELLS = 6  # fewer cells: a box around a heading, not the form
# A page is soft (out of focus) below this sharpness: phones' sharp photos measure
# 0.57-0.66, copiers' scans 0.8-2.0, a photo 1 px out of focus 0.18-0.22 (the test corpus).
SOFT_PAGE = 0.35
SOFT = "soft"  # Cell flag: long text read from a soft page (a ； or a like-shaped character may be wrong)
SOFT_TEXT = 16  # characters: a cell with this much text is free text, not a coded value
SHARPNESS_SIDE = 1200  # px: the middle of the page whose edges say whether it is soft
REUSE_SURVEY = 0.6  # a first look at this share of the page's size or more is as good as detection
# A line outside the grid (附件1, the title 推荐表) the first look read this surely is not
# recognised again: it is the short lines at the top of the page the first look reads
# first, and recognising them again beside the long 推荐单位 line padded each to that
# line's width (a fifth of a ruled page's recognition went to the four lines outside).
REREAD_SCORE = 0.95


@dataclass
class PageText:
    """What one page yielded."""

    tables: list[Table] = field(default_factory=list)
    paragraphs: list[str] = field(default_factory=list)
    look: Survey = field(default_factory=Survey)
    stamps: int = 0
    grid: bool = False  # read cell by cell from a ruled grid


def first_look(frame: np.ndarray, form: FormSpec | None = None) -> tuple[np.ndarray, scan_prep.Warp, Survey]:
    """The page without red, flattened, and the survey of it: (page, warp from frame, look).
    `form`: the campaign's form whose labels the survey looks for (None: the built-in 附件1)."""
    red_free = scan_prep.drop_red(frame)
    h, w = frame.shape[:2]
    flat = scan_prep.flatten_warp(red_free)
    page = flat.apply(red_free) if flat is not None else red_free
    warp = flat if flat is not None else scan_prep.Warp.identity(w, h)
    soft = sharpness(frame) < SOFT_PAGE
    return page, warp, survey(scan_prep.fit(page, SIDE, enlarge=False), form, soft=soft)


def read_page(
    frame: np.ndarray,
    page_no: int,
    table_name: str = "表格{}",
    prepared: tuple[np.ndarray, scan_prep.Warp, Survey] | None = None,
    lean: bool = False,
    form: FormSpec | None = None,
) -> PageText:
    """Read one page (BGR or grey, as decoded); `prepared` is first_look(frame) when
    known; `lean`: the retry after the machine ran short (a smaller page); `form`:
    the campaign's form (its labels lay out a page without a grid)."""
    page, flat, look = prepared or first_look(frame, form)
    out = PageText(look=look)
    survey_scale = min(1.0, SIDE / max(page.shape[:2]))
    th_page = look.text_height / survey_scale if look.text_height else 0.0
    max_side = LEAN_SIDE if lean else MAX_SIDE
    upright, post = _upright(page, look, th_page, LEAN_TEXT_PX if lean else TEXT_PX, max_side)
    th = th_page * _scale_of(post) if th_page else TEXT_PX
    chain = flat.then(post)
    grey = scan_prep.grey(upright)
    colour = frame.ndim == 3 and _colour(frame)
    stamps = _stamps(frame, chain, grey, th, th_page, colour)
    out.stamps = len(stamps)
    # A 1-bit copy, told before scaling turns its edges grey: the stamp's ink is as
    # black as the print, so none of it comes off the ink the cells are split from.
    one_bit = not colour and _binary(scan_prep.grey(page))
    # What the grid and the line finder look at (the stamp's ink taken off), and
    # what the recogniser reads: the page itself on 1-bit copies, where taking the
    # ring off takes print with it.
    clean = grey if colour else erase(grey, stamps, th)
    seen = upright if colour else grey if one_bit else clean
    quads = [_map(post, q / survey_scale) for q in look.quads]
    boxes = [_box(q) for q in quads]
    grids = [g for g in find_grids(clean, boxes, th, stamps) if len(g.cells) >= MIN_GRID_CELLS]
    soft = look.soft
    if grids:
        out.grid = True
        ink = page_ink(clean, th)
        for grid in grids:
            readings = read_cells(
                seen,
                ink,
                grid,
                stamps,
                th,
                lettering_left=not colour,
                stamp_ink_left=one_bit,
                soft=soft,
                lexicon=label_lexicon(form) if soft else None,
            )
            cells = [
                Cell(
                    row=gc.row,
                    col=gc.col,
                    text=r.text,
                    row_span=gc.row_span,
                    col_span=gc.col_span,
                    confidence=r.confidence,
                    flags=tuple(sorted(r.flags)),
                    box=_page_box(chain, (gc.x0, gc.y0, gc.x1, gc.y1), page_no, frame.shape),
                )
                for gc, r in zip(grid.cells, readings, strict=True)
            ]
            out.tables.append(Table(name=table_name.format(len(out.tables) + 1), cells=cells))
        if soft:
            _mark_soft(out.tables)
        _snap_labels(out.tables, form)
        place_stamped_labels(out.tables, form, soft)
        outside = [i for i, b in enumerate(boxes) if not any(g.holds(b.cx, b.cy) for g in grids)]
        known = look.read if look.quarter == 0 else {}
        out.paragraphs = _recognise_lines(
            upright,
            [quads[i] for i in outside],
            [known[i] if i in known and known[i][1] >= REREAD_SCORE else None for i in outside],
        )
        return out
    is_label = _label_lookup(form)
    tables, paras = _whole_page(page, look, th_page, table_name, lean, flat, page_no, frame.shape, is_label)
    out.tables, out.paragraphs = tables, paras
    if soft:
        _mark_soft(out.tables)
    _snap_labels(out.tables, form)
    return out


def _snap_labels(tables: list[Table], form: FormSpec | None) -> None:
    """A cell that misses one of the form's labels by a character (账号ID/页链接), where
    that label is nowhere else on the page, is that label: otherwise its value, read
    right, would be lost for want of the label beside it."""
    vocab = form_vocabulary(form)
    present = {hit[0] for t in tables for c in t.cells if (hit := vocab.match_label(c.text))}
    for table in tables:
        snapped = []
        for cell in table.cells:
            label = vocab.near_label(cell.text) if cell.text else None
            if label is not None and label not in present:
                present.add(label)
                cell = replace(cell, text=label)
            snapped.append(cell)
        table.cells = snapped


def _mark_soft(tables: list[Table]) -> None:
    """On a page out of focus, flag every cell holding a long text SOFT. Its faint 。，、
    are read now (read_cells(soft=True), ocr_engine.FAINT_MARK), but not everything: the
    recogniser reads ； as ： (the comma's tail is lost in the blur: on eleven blurred
    photos of the corpus every one read 关切；内 as 关切：内), still misses a faint 。 now
    and then, and swaps characters of like shape (权威 as 权成, 新颖 as 新额), all at scores
    as high as right readings, and no kind check catches it in free text. Short values
    have their kind checks and scores."""
    for table in tables:
        table.cells = [
            replace(c, flags=tuple(sorted({*c.flags, SOFT}))) if len(c.text) >= SOFT_TEXT else c
            for c in table.cells
        ]


# ---------------------------------------------------------------- geometry


def _upright(
    page: np.ndarray, look: Survey, th_page: float, target: float, max_side: int
) -> tuple[np.ndarray, scan_prep.Warp]:
    """The page turned upright and scaled so text lines are ~`target` px, and that warp."""
    h, w = page.shape[:2]
    turned = np.ascontiguousarray(np.rot90(page, look.quarter % 4)) if look.quarter % 4 else page
    warp = scan_prep.quarter_warp(page.shape, look.quarter)
    skew = scan_prep.skew_warp(turned.shape, look.skew)
    if skew is not None:
        turned = skew.apply(turned)
        warp = warp.then(skew)
    factor = target / th_page if th_page else 1.0
    long_side = max(turned.shape[:2])
    factor = min(max(factor, MIN_SIDE / long_side), max_side / long_side)
    if abs(factor - 1) > 0.02:
        size = (max(1, round(turned.shape[1] * factor)), max(1, round(turned.shape[0] * factor)))
        interp = cv2.INTER_AREA if factor < 1 else cv2.INTER_CUBIC
        turned = cv2.resize(turned, size, interpolation=interp)
        warp = warp.then(scan_prep.Warp.scale(factor, *size))
    return turned, warp


def _scale_of(warp: scan_prep.Warp) -> float:
    return float(np.sqrt(abs(np.linalg.det(warp.matrix[:2, :2]))))


def _map(warp: scan_prep.Warp, quad: np.ndarray) -> np.ndarray:
    pts = np.asarray(quad, np.float64).reshape(-1, 1, 2)
    return cv2.perspectiveTransform(pts, warp.matrix).reshape(-1, 2).astype(np.float32)


def _box(quad: np.ndarray) -> TextBox:
    return TextBox(tuple((float(x), float(y)) for x, y in quad), "", 1.0)


def _page_box(
    chain: scan_prep.Warp, rect: tuple[float, float, float, float], page_no: int, shape: tuple[int, ...]
) -> PageBox:
    """A box of the upright page as a box on the page as decoded."""
    x0, y0, x1, y1 = rect
    pts = chain.back(np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]]))
    h, w = shape[:2]
    left, top = max(0, int(pts[:, 0].min())), max(0, int(pts[:, 1].min()))
    right, bottom = min(w, int(np.ceil(pts[:, 0].max()))), min(h, int(np.ceil(pts[:, 1].max())))
    return PageBox(page_no, left, top, max(0, right - left), max(0, bottom - top), w, h)


def _stamps(
    frame: np.ndarray, chain: scan_prep.Warp, grey: np.ndarray, th: float, th_frame: float, colour: bool
) -> list[Stamp]:
    """Stamps on the upright page: found by their red on the frame when it has
    colour (the red is gone from the page by now), else by shape on the page."""
    if colour:
        red = find_stamps(frame, th_frame or th)
        if red:
            return [_moved(s, chain) for s in red]
    return find_stamps(grey, th)


def _colour(frame: np.ndarray) -> bool:
    hsv = cv2.cvtColor(frame[::4, ::4], cv2.COLOR_BGR2HSV)
    return bool((hsv[..., 1] >= 70).mean() > 0.0005)


def _moved(stamp: Stamp, warp: scan_prep.Warp) -> Stamp:
    pts = _map(warp, np.array([[stamp.cx, stamp.cy], [stamp.cx + stamp.r, stamp.cy]]))
    scale = float(np.hypot(*(pts[1] - pts[0]))) / stamp.r
    return Stamp(float(pts[0][0]), float(pts[0][1]), stamp.r * scale, stamp.ring * scale)


def _binary(grey: np.ndarray) -> bool:
    sample = grey[::7, ::7]
    return bool(((sample < 30) | (sample > 225)).mean() > 0.995)


# ---------------------------------------------------------------- text outside the grid / no grid


def _recognise_lines(
    upright: np.ndarray, quads: list[np.ndarray], known: list[tuple[str, float] | None]
) -> list[str]:
    """Paragraphs from the survey's line outlines, recognised on the upright page
    (those `known` already from the first look are not recognised again)."""
    return paragraphs(text_rows(_recognised(upright, quads, known)))


def _recognised(
    upright: np.ndarray, quads: list[np.ndarray], known: list[tuple[str, float] | None] | None = None
) -> list[TextBox]:
    """The lines `quads` outline on the upright page, recognised (empty ones left out);
    `known`: (text, score) of each line where it is read already, else None."""
    if not quads:
        return []
    known = known or [None] * len(quads)
    todo = [i for i, k in enumerate(known) if k is None]
    found = dict(
        zip(
            todo, ocr_engine.recognise(ocr_engine.line_images(upright, [quads[i] for i in todo])), strict=True
        )
    )
    boxes = []
    for i, quad in enumerate(quads):
        text, score = known[i] or found[i]
        text = ocr_engine.ascii_forms(text.strip())
        if text:
            boxes.append(TextBox(tuple((float(x), float(y)) for x, y in quad), text, score))
    return boxes


def _whole_page(
    page: np.ndarray,
    look: Survey,
    th_page: float,
    table_name: str,
    lean: bool,
    flat: scan_prep.Warp,
    page_no: int,
    shape: tuple[int, ...],
    is_label: Callable[[str], bool],
) -> tuple[list[Table], list[str]]:
    """No grid: recognise the page whole; a grid found among its lines is read as
    before (ocr_layout), else the form's labels lay the values out (ocr_labels)."""
    survey_scale = min(1.0, SIDE / max(page.shape[:2]))
    if survey_scale >= REUSE_SURVEY and look.quads:
        # The first look saw the page at nearly full size: its line outlines are as
        # good as a second detection, which would double the cost of a photo.
        upright, post = _upright(page, look, th_page, TEXT_PX, LEAN_SIDE if lean else MAX_SIDE)
        quads = [_map(post, q / survey_scale) for q in look.quads]
        boxes = _recognised(upright, quads)
    else:
        upright, post = _upright(page, look, th_page, LINE_PX, LEAN_SIDE if lean else ocr_engine.MAX_SIDE)
        boxes = ocr_engine.read_text(upright)
    if not boxes:
        return [], []
    chain = flat.then(post)

    def to_page(rect: tuple[float, float, float, float]) -> PageBox:
        return _page_box(chain, rect, page_no, shape)

    height = float(np.median([b.height for b in boxes]))
    grids = find_grids(scan_prep.grey(upright), boxes, height)
    if grids:
        return page_layout(boxes, grids, table_name, is_label, to_page)
    boxes = join_wrapped_labels(boxes, is_label)
    table, rest = label_table(boxes, is_label, table_name.format(1), to_page)
    return ([table] if table else []), paragraphs(text_rows(rest))


def _label_lookup(form: FormSpec | None) -> Callable[[str], bool]:
    """Whether a text is one of the form's field labels (its vocabulary, as the survey uses it)."""
    match_label = form_vocabulary(form).match_label
    return lambda text: match_label(text) is not None


def sharpness(frame: np.ndarray) -> float:
    """How crisp the print's edges are in the page as it came (before any scaling, which
    would blur or sharpen them): the strongest edges (99.5th percentile of the Laplacian's
    size) against the ink-to-paper contrast, in the middle of the page (at most
    SHARPNESS_SIDE px square, where a form has print)."""
    grey = frame if frame.ndim == 2 else cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
    h, w = grey.shape
    side = min(SHARPNESS_SIDE, h, w)
    top, left = (h - side) // 2, (w - side) // 2
    middle = grey[top : top + side, left : left + side]
    lap = cv2.Laplacian(middle, cv2.CV_32F)
    low, high = np.percentile(middle, [1, 99])
    return float(np.percentile(np.abs(lap), 99.5) / max(1.0, float(high - low)))
