"""Decode "(cid:N)" glyphs with PDFium before calling a text layer unusable.

pdfminer (under pdfplumber) prints "(cid:N)" when it finds no Unicode map
for a font's codes. PDFium decodes some of those fonts anyway: it falls
back to the code itself for Identity-H fonts, which some PDF printers write
with codes that are Unicode values and no ToUnicode map (that echo is
accepted only when it reads as Chinese, see _plausible). Such a PDF has a
real text layer; sending it to OCR costs tens of seconds and reads worse.
Each "(cid:N)" glyph takes the character PDFium reports at the same place
on the page, so pdfplumber's table finding still works on the fixed text.
"""

from __future__ import annotations

import re
from collections import defaultdict

CID = re.compile(r"^\(cid:\d+\)$")
BUCKET = 4.0  # points
MIN_CJK_SHARE = 0.3


def _plausible(proposals: list[tuple[dict, str]]) -> bool:
    """PDFium's guess when it merely echoed the codes is text only if the codes were
    Unicode: then a Chinese page shows Chinese. Subset fonts number their glyphs
    1, 2, 3 ..., which echoed become control characters and Latin punctuation."""
    if not proposals:
        return False
    echoed = all(ord(text) == int(c["text"][5:-1]) for c, text in proposals if len(text) == 1)
    if not echoed:
        return True  # PDFium had a real map that pdfminer could not use
    cjk = sum(1 for _, text in proposals if "\u4e00" <= text <= "\u9fff")
    return cjk >= MIN_CJK_SHARE * len(proposals)


def cid_chars(chars: list[dict]) -> list[dict]:
    return [c for c in chars if CID.match(c["text"])]


def decode_cids(pdf, page_index: int, chars: list[dict]) -> int:
    """Replace the text of "(cid:N)" chars with PDFium's reading; returns how many were fixed.

    `pdf` is an open pypdfium2.PdfDocument of the same file.
    """
    todo = cid_chars(chars)
    if not todo:
        return 0
    page = pdf[page_index]
    textpage = page.get_textpage()
    try:
        index: dict[tuple[int, int], list[tuple[float, float, str]]] = defaultdict(list)
        for i in range(textpage.count_chars()):
            ch = textpage.get_text_range(i, 1)
            if not ch or not ch.strip() or ch == "\ufffd" or ord(ch[0]) < 0x20:
                continue
            left, bottom, right, top = textpage.get_charbox(i, loose=True)
            cx, cy = (left + right) / 2, (bottom + top) / 2
            index[(int(cx // BUCKET), int(cy // BUCKET))].append((cx, cy, ch))
        proposals: list[tuple[dict, str]] = []
        for c in todo:
            cx, cy = (c["x0"] + c["x1"]) / 2, (c["y0"] + c["y1"]) / 2
            tolerance = max(c["x1"] - c["x0"], 1.0) / 2
            best = None
            for bx in (int(cx // BUCKET) - 1, int(cx // BUCKET), int(cx // BUCKET) + 1):
                for by in (int(cy // BUCKET) - 1, int(cy // BUCKET), int(cy // BUCKET) + 1):
                    for px, py, ch in index.get((bx, by), ()):
                        d = abs(px - cx) + abs(py - cy)
                        if d <= tolerance and (best is None or d < best[0]):
                            best = (d, ch)
            if best is not None:
                proposals.append((c, best[1]))
        if not _plausible(proposals):
            return 0
        for c, text in proposals:
            c["text"] = text
        return len(proposals)
    finally:
        textpage.close()
        page.close()
