"""A line of print with a stamp over it: where the print is, and where the stamp's lettering starts.

A cell's text lines are found from its row profile (ocr_cells). Under a stamp
whose ink could not be taken off (a black-and-white copy: the ring, the star
and the lettering are as black as the print), that profile also holds the
ring's arcs and the lettering along it, so a line's band grows to the whole
cell and the recogniser, given that crop, reads the stamp's marks as
characters (13857106284 read as 13706284). Two things the stamp's ink does
not have tell the print apart:

- print runs along its line: the rows of the line are those where ink spreads
  across most of the piece's width, while the lettering's and the ring's rows
  hold a few characters' or strokes' width (`print_rows`);
- a line that begins outside the stamp and runs into it may end in the
  lettering (the address's last characters joined to "推荐专用章"): the lettering
  stands clear inside the ring and rides above the line's foot along the arc,
  while print the ring crosses touches the ring and print sits on the line
  (`stamp_tail`).

Both only narrow or cut a piece; what is read under a stamp always goes to
staff as uncertain (ocr_confidence).
"""

from __future__ import annotations

import cv2
import numpy as np

from .ocr_stamp import Stamp

SPREAD = 0.5  # a row of the print line is inked across at least this share of the widest row
REACH_SPREAD = 0.15  # ...and the rows next to them inked across this share still belong to it
MIN_LINE = 0.5  # text heights: a narrower band is not a line of print (keep the piece as it was)
CLEAR = 4.0  # px: the lettering stands clear of the ring's inner edge; print crossing the ring touches it


def print_rows(box: np.ndarray, th: float) -> tuple[int, int] | None:
    """The rows (top, bottom) of `box` (binary ink, 1 = ink) that hold its line of print,
    or None when no band of at least MIN_LINE text heights spreads across it.

    Each row's spread is the width its ink covers once characters are closed up
    horizontally (a gap under half a text height bridged); the print line is the
    longest band of rows spreading at least SPREAD of the widest."""
    if not box.any():
        return None
    width = max(3, round(0.5 * th)) | 1
    closed = cv2.morphologyEx(box.astype(np.uint8), cv2.MORPH_CLOSE, np.ones((1, width), np.uint8))
    spread = closed.sum(axis=1).astype(np.float64)
    bands = runs(spread >= SPREAD * spread.max(), max(1, round(0.1 * th)))
    best = max(bands, key=lambda b: b[1] - b[0])
    if best[1] - best[0] < MIN_LINE * th:
        return None
    # The line's characters reach a little beyond the rows where it is widest
    # (the tops and feet of 数 and 号): take in rows still inked across part of it.
    rows = spread >= REACH_SPREAD * spread.max()
    top, bottom = best
    reach = round(0.15 * th)
    while top > 0 and best[0] - top < reach and rows[top - 1]:
        top -= 1
    while bottom < len(rows) and bottom - best[1] < reach and rows[bottom]:
        bottom += 1
    return top, bottom


def stamp_tail(band: np.ndarray, x0: int, y0: int, stamp: Stamp, th: float) -> int | None:
    """The first column (page x) of the stamp's lettering at the end of a line of
    print that runs into the stamp, or None when the line does not end in lettering.

    `band`: the line's ink (binary, 1 = ink), its top left at page (x0, y0). The
    ring's own band is left out (it crosses the line under the print), the rest is
    split into characters at empty columns; from the line's end back, a character
    is the lettering's while it stands clear inside the ring (print that the ring
    crosses touches its edge) and above the line's foot (the lettering runs along
    the arc, print sits on the line). The line must begin with print."""
    h, w = band.shape
    yy, xx = np.mgrid[y0 : y0 + h, x0 : x0 + w]
    dist = np.hypot(xx - stamp.cx, yy - stamp.cy)
    ring = (dist >= stamp.r - stamp.ring - 2) & (dist <= stamp.r + 2)
    ink = (band > 0) & ~ring
    characters = runs(ink.any(axis=0), 1)
    if not characters:
        return None
    foot = h - max(2.0, 0.2 * th)
    tail = None
    for start, end in reversed(characters):
        part = ink[:, start:end]
        rows = np.flatnonzero(part.any(axis=1))
        clear = bool((dist[:, start:end][part] < stamp.r - stamp.ring - CLEAR).all())
        if not clear or rows[-1] >= foot:
            break
        tail = start
    if tail is None or tail == characters[0][0]:
        return None
    return x0 + tail


def runs(flags: np.ndarray, gap: float) -> list[tuple[int, int]]:
    """(start, end) of runs of True, joining runs separated by fewer than `gap` False
    (also ocr_cells' lines and pieces)."""
    idx = np.flatnonzero(flags)
    if not len(idx):
        return []
    breaks = np.flatnonzero(np.diff(idx) > gap)
    starts = np.concatenate([[idx[0]], idx[breaks + 1]])
    ends = np.concatenate([idx[breaks], [idx[-1]]]) + 1
    return list(zip(starts.tolist(), ends.tolist(), strict=True))
