"""Find text a PDF shows as deleted: tracked changes printed with their markup.

Word and LibreOffice print a document with Track Changes as it looks on
screen: deleted text struck through (a thin horizontal line across the
middle of the glyphs, usually in the reviewer's colour), inserted text
underlined. Both are in the text layer, so a reader that ignores the lines
reads "8000" and "12000" as "800012000". A character is struck when a
horizontal segment crosses its middle band and the segment is about as long
as the run of characters it crosses (a table border crossing text would be
much longer than the text).
"""

from __future__ import annotations

from collections import defaultdict

BAND = (0.3, 0.8)  # strike height as a fraction of the glyph box, from its top
MAX_THICKNESS = 2.0  # points; strikes and underlines are hairlines
BUCKET = 4.0  # points of page height per index bucket


def _segments(page) -> list[tuple[float, float, float]]:
    """(y, x0, x1) of every thin horizontal line or bar on the page."""
    out = []
    for line in page.lines:
        if abs(line["bottom"] - line["top"]) <= MAX_THICKNESS:
            out.append(((line["top"] + line["bottom"]) / 2, line["x0"], line["x1"]))
    for rect in page.rects:
        if rect["bottom"] - rect["top"] <= MAX_THICKNESS and rect["x1"] - rect["x0"] > 1:
            out.append(((rect["top"] + rect["bottom"]) / 2, rect["x0"], rect["x1"]))
    return out


def struck_chars(page) -> set[int]:
    """id() of every character drawn struck through on `page`."""
    segments = _segments(page)
    if not segments:
        return set()
    index: dict[int, list[int]] = defaultdict(list)
    for k, (y, _, _) in enumerate(segments):
        index[int(y // BUCKET)].append(k)
    crossed: dict[int, list[dict]] = defaultdict(list)
    for ch in page.chars:
        if not ch["text"].strip():
            continue
        top, height = ch["top"], ch["bottom"] - ch["top"]
        lo, hi = top + BAND[0] * height, top + BAND[1] * height
        mid = (ch["x0"] + ch["x1"]) / 2
        for bucket in range(int(lo // BUCKET), int(hi // BUCKET) + 1):
            for k in index.get(bucket, ()):
                y, x0, x1 = segments[k]
                if lo <= y <= hi and x0 <= mid <= x1:
                    crossed[k].append(ch)
    struck: set[int] = set()
    for k, chars in crossed.items():
        _, x0, x1 = segments[k]
        text_width = sum(c["x1"] - c["x0"] for c in chars)
        size = max(c["size"] for c in chars)
        if x1 - x0 <= text_width + 2 * size:
            struck.update(id(c) for c in chars)
    return struck
