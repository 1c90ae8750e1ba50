"""Read a ruled form cell by cell: each value cell's crop is recognised on its own.

Once the table's grid is known, recognising the whole page and sorting its
lines into cells afterwards (ocr_layout) lets a stamp's ring or a line that
runs close to a rule merge two rows, move a value to the next label, or pull
the stamp's lettering into a value. Here nothing crosses a rule: inside each
cell's interior we find the text lines from the ink (a row profile, no
detection network), split a line where a wide gap separates pieces, leave out
pieces that are the stamp's own lettering, and recognise every piece's crop
(PP-OCR recognition only, all cells in one batch). Each cell keeps the
recogniser's lowest score and what its geometry says (a stamp over it, ink
cut off at its border) for the uncertainty judgement (ocr_confidence).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import cv2
import numpy as np

from . import ocr_engine
from .ocr_overprint import print_rows, runs, stamp_tail
from .ocr_stamp import Stamp
from .pdf_reader import join_lines
from .table_grid import Grid, GridCell

_CJK = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef]")
# Word and WPS set Chinese apart from digits by a little space that is not in the
# text ("共 6 集", "2024 年"); the recogniser reads it as a space, the text layer has none.
_SPACED_DIGIT = re.compile(r"(?<=[\u4e00-\u9fff])[ \t]+(?=\d)|(?<=\d)[ \t]+(?=[\u4e00-\u9fff])")

# Flags a cell's reading can carry (ocr_confidence turns them into uncertainty).
STAMP = "stamp"  # a stamp lies over the cell's text
LETTERING = "lettering"  # pieces that are the stamp's lettering were left out
UNREAD = "unread"  # ink the recogniser could not read
CROWDED = "crowded"  # text runs into the cell's border (cut off, or a misplaced rule)


@dataclass
class Piece:
    """One run of ink on one text line of a cell, in page pixels."""

    x0: int
    y0: int
    x1: int
    y1: int
    text: str = ""
    score: float = 0.0
    limit: int | None = None  # the crop ends before this x (where the stamp's lettering begins)
    stamped: bool = False  # a stamp's ink lies over it, none of it taken off (a 1-bit copy)


@dataclass
class CellReading:
    """What one grid cell holds: its text, the recogniser's lowest score (None when
    the cell has no ink at all) and the geometry flags."""

    text: str = ""
    confidence: float | None = None
    flags: set[str] = field(default_factory=set)
    lines: list[list[Piece]] = field(default_factory=list)


def read_cells(
    page: np.ndarray,
    ink: np.ndarray,
    grid: Grid,
    stamps: list[Stamp],
    text_height: float,
    lettering_left: bool = True,
    stamp_ink_left: bool = False,
    soft: bool = False,
    lexicon: ocr_engine.Lexicon | None = None,
) -> list[CellReading]:
    """A CellReading for each of `grid.cells` (same order).

    `page` is what the recogniser sees (grey or BGR), `ink` the binary ink of the
    page without the stamps (1 = ink), both upright and of the same size.
    `lettering_left`: the stamps' lettering may still be on the page (a grey or
    1-bit copy; on a colour page its red is gone already). `stamp_ink_left`: none of
    the stamps' ink could be taken off `ink` either (a 1-bit copy, where it is as
    black as the print): pieces under a stamp are narrowed to their print
    (ocr_overprint) and recognised alone. `soft`: the page is out of focus
    (ocr_engine.recognise(soft=True): its faint 。，、 are read, unnamed ink lowers
    the score; a cell of one piece may be read as one of `lexicon`'s wordings,
    ocr_engine.LEX_MIN)."""
    th = max(8.0, text_height)
    readings = [_segment(ink, cell, stamps, th, lettering_left, stamp_ink_left) for cell in grid.cells]
    pieces = [p for r in readings for line in r.lines for p in line]
    alone = [len(r.lines) == 1 and len(r.lines[0]) == 1 for r in readings for line in r.lines for _ in line]
    crops = [_crop(page, p, th) for p in pieces]
    plain = [i for i, p in enumerate(pieces) if not p.stamped]
    found = ocr_engine.recognise([crops[i] for i in plain], soft, lexicon, [alone[i] for i in plain])
    results = dict(zip(plain, found, strict=True))
    for i, piece in enumerate(pieces):
        if piece.stamped:
            # Alone: in a batch, a crop is padded to the batch's widest, and with a
            # stamp's marks in it that padding alone changes what is read (号 lost).
            (results[i],) = ocr_engine.recognise([crops[i]], soft=soft)
    for i, piece in enumerate(pieces):
        text, score = results[i]
        piece.text = ocr_engine.ascii_forms(text.strip())
        piece.score = score
    for reading in readings:
        _finish(reading)
    return readings


def page_ink(grey: np.ndarray, text_height: float) -> np.ndarray:
    """Binary ink (uint8 0/1) of a grey page, robust to uneven light (a photo's shadow)."""
    block = int(max(15, 1.2 * text_height)) | 1
    return (
        cv2.adaptiveThreshold(grey, 1, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, block, 12)
    ).astype(np.uint8)


# ---------------------------------------------------------------- lines and pieces


def _segment(
    ink: np.ndarray,
    cell: GridCell,
    stamps: list[Stamp],
    th: float,
    lettering_left: bool,
    stamp_ink_left: bool,
) -> CellReading:
    reading = CellReading()
    inset = max(3, round(0.12 * th))
    x0, y0 = int(cell.x0) + inset, int(cell.y0) + inset
    x1, y1 = int(cell.x1) - inset, int(cell.y1) - inset
    if x1 - x0 < 0.3 * th or y1 - y0 < 0.3 * th:
        return reading
    box = _clean(ink[y0:y1, x0:x1].copy(), th)
    if not box.any():
        return reading
    rows = box.sum(axis=1)
    edge = max(1, round(0.06 * th))
    if rows[:edge].any() or rows[-edge:].any() or box[:, :edge].any() or box[:, -edge:].any():
        reading.flags.add(CROWDED)
    for top, bottom in _bands(rows > 0, th):
        band = box[top:bottom]
        height = bottom - top
        line: list[Piece] = []
        for left, right in runs(band.sum(axis=0) > 0, max(1.2 * height, 0.8 * th)):
            piece = Piece(x0 + left, y0 + top, x0 + right, y0 + bottom)
            over = [s for s in stamps if s.covers(piece.x0, piece.y0, piece.x1, piece.y1) > 0]
            if over:
                reading.flags.add(STAMP)
                if any(_lettering(s, piece, not line, lettering_left) for s in over):
                    reading.flags.add(LETTERING)
                    continue
                if stamp_ink_left:
                    piece = _overprinted(box, piece, x0, y0, over, th, reading)
                    piece.stamped = True
            line.append(piece)
        if line:
            reading.lines.append(line)
    return reading


def _overprinted(
    box: np.ndarray, piece: Piece, x0: int, y0: int, over: list[Stamp], th: float, reading: CellReading
) -> Piece:
    """A piece a stamp's ink still lies over (ocr_overprint): narrowed to its line of
    print, and cut where it runs on into the stamp's lettering (flagged LETTERING)."""
    ink = box[piece.y0 - y0 : piece.y1 - y0, piece.x0 - x0 : piece.x1 - x0]
    rows = print_rows(ink, th)
    if rows is not None:
        piece = Piece(piece.x0, piece.y0 + rows[0], piece.x1, piece.y0 + rows[1])
    for stamp in over:
        ink = box[piece.y0 - y0 : piece.y1 - y0, piece.x0 - x0 : piece.x1 - x0]
        tail = stamp_tail(ink, piece.x0, piece.y0, stamp, th)
        if tail is None:
            continue
        rest = Piece(tail, piece.y0, piece.x1, piece.y1)
        if _lettering(stamp, rest, False, True):
            reading.flags.add(LETTERING)
            kept = np.flatnonzero(ink[:, : tail - piece.x0].any(axis=0))
            piece = Piece(piece.x0, piece.y0, piece.x0 + int(kept[-1]) + 1, piece.y1, limit=tail)
    return piece


def _lettering(stamp: Stamp, piece: Piece, first: bool, lettering_left: bool) -> bool:
    """Whether a piece is the stamp's own lettering rather than print: it stands
    apart after the line's first piece with its middle inside the stamp (the
    unit's name along the arc, next to a value that ends before the stamp), or,
    where the lettering is still on the page, it lies in the lettering's band."""
    if lettering_left and stamp.in_ring_text(piece.x0, piece.y0, piece.x1, piece.y1):
        return True
    middle = ((piece.x0 + piece.x1) / 2, (piece.y0 + piece.y1) / 2)
    return not first and stamp.holds(*middle, margin=stamp.ring)


def _clean(box: np.ndarray, th: float) -> np.ndarray:
    """Ink of a cell's interior without specks and without bits of rules along its edges."""
    count, labels, stats, _ = cv2.connectedComponentsWithStats(box)
    h, w = box.shape
    small = 0.12 * th
    for i in range(1, count):
        x, y, bw, bh, area = stats[i]
        speck = max(bw, bh) < small and area < small * small
        rule = (bw > 0.6 * w and bh < 0.2 * th) or (bh > 0.6 * h and bw < 0.2 * th and bh > 1.5 * th)
        edge = x == 0 or y == 0 or x + bw == w or y + bh == h
        sliver = edge and min(bw, bh) <= max(2.0, 0.08 * th) and max(bw, bh) < 0.6 * th
        if speck or rule or sliver:
            box[labels == i] = 0
    return box


def _bands(inked: np.ndarray, th: float) -> list[tuple[int, int]]:
    """Text lines as (top, bottom) row ranges; small gaps inside a line are bridged,
    two touching lines are cut at their thinnest row."""
    out: list[tuple[int, int]] = []
    for top, bottom in runs(inked, 0.15 * th):
        if bottom - top < 0.25 * th:
            continue  # a stray mark, not a line of print
        while bottom - top > 1.7 * th:
            cut = top + int(0.6 * th) + int(np.argmin(inked[top + int(0.6 * th) : bottom - int(0.6 * th)]))
            out.append((top, cut))
            top = cut
        out.append((top, bottom))
    return out


def _crop(page: np.ndarray, piece: Piece, th: float) -> np.ndarray:
    """The piece with a margin, as a 3-channel image for the recogniser."""
    h = piece.y1 - piece.y0
    pad_y, pad_x = max(2, round(0.2 * max(h, 0.6 * th))), max(3, round(0.3 * max(h, 0.6 * th)))
    y0, y1 = max(0, piece.y0 - pad_y), min(page.shape[0], piece.y1 + pad_y)
    x0, x1 = max(0, piece.x0 - pad_x), min(page.shape[1], piece.x1 + pad_x, piece.limit or page.shape[1])
    crop = page[y0:y1, x0:x1]
    return cv2.cvtColor(crop, cv2.COLOR_GRAY2BGR) if crop.ndim == 2 else np.ascontiguousarray(crop)


# ---------------------------------------------------------------- text


def _finish(reading: CellReading) -> None:
    texts = []
    scores = []
    for line in reading.lines:
        texts.append(_line_text(line))
        for piece in line:
            scores.append(piece.score)
            if not piece.text:
                reading.flags.add(UNREAD)
    text = ocr_engine.ascii_forms(join_lines("\n".join(t for t in texts if t)))
    reading.text = _SPACED_DIGIT.sub("", text)
    reading.confidence = min(scores) if scores else None


def _line_text(line: list[Piece]) -> str:
    """Pieces of one line joined as words of one line are (no space between CJK)."""
    out = ""
    for piece in line:
        if not piece.text:
            continue
        if out and not (_CJK.match(out[-1]) or _CJK.match(piece.text[0])):
            out += " "
        out += piece.text
    return out.strip()
