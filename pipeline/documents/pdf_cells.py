"""Turn a ruled PDF table into Cells, reading each cell's text from its glyphs.

pdfplumber's own cell text joins wrapped lines with a space and puts a space
wherever glyphs stand apart, so a phone number that wraps in a narrow cell
comes back "1381234567 8" and Word's automatic gap between Chinese and
digits gives "2016 年3 月". Here lines are grouped by baseline, a gap (or a
space glyph) between a CJK character and a Latin letter or digit is never a
space, and a digit run is rejoined across a
line break only when the line really ran into the cell's right edge. Struck
glyphs (tracked deletions, pdf_revisions.py) are left out, and a row whose
only text is struck (a deleted row) is dropped with the rows renumbered.
"""

from __future__ import annotations

import re
import unicodedata

from ..model import Cell, Table

X_TOLERANCE = 3.0  # as pdfplumber: a wider gap between Latin glyphs is a space
_CJK_CLASS = "\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f"
# Word/LibreOffice "autospace" between Chinese and Latin/digits, sometimes printed as space glyphs.
_AUTOSPACE = re.compile(f"(?<=[{_CJK_CLASS}]) +(?=[A-Za-z0-9])|(?<=[A-Za-z0-9]) +(?=[{_CJK_CLASS}])")
EDGE_SLACK = 1.0  # points


def is_cjk(ch: str) -> bool:
    if not ch:
        return False
    o = ord(ch)
    return (
        0x2E80 <= o <= 0x9FFF
        or 0xF900 <= o <= 0xFAFF
        or 0xFF00 <= o <= 0xFFEF
        or 0x3000 <= o <= 0x303F
        or 0x20000 <= o <= 0x2FFFF
    )


def line_separator(prev: str, line: str) -> str:
    """How two wrapped lines join: nothing next to CJK or inside a URL/e-mail, else a space."""
    last_token = prev.rsplit(" ", 1)[-1]
    urlish = any(m in last_token for m in ("://", "www.", "@", "/")) or (
        "." in last_token and last_token.isascii()
    )
    return "" if is_cjk(prev[-1]) or is_cjk(line[0]) or urlish else " "


def _lines(chars: list[dict]) -> list[list[dict]]:
    """Glyphs grouped into lines by baseline, each line left to right."""
    ordered = sorted(chars, key=lambda c: (-c["matrix"][5], c["x0"]))
    lines: list[list[dict]] = []
    base = None
    for ch in ordered:
        y = ch["matrix"][5]
        if base is None or abs(y - base) > 0.5 * max(ch["size"], 1.0):
            lines.append([])
            base = y
        lines[-1].append(ch)
    for line in lines:
        line.sort(key=lambda c: c["x0"])
    return lines


def _line_text(line: list[dict], struck: set[int] | frozenset[int] = frozenset()) -> str:
    """A line's text; struck glyphs are left out and so is the room they took ("1380025[0000]5678"
    reads "13800255678", not "1380025 5678")."""
    out: list[str] = []
    prev = None
    skipped = 0.0  # width of struck glyphs since `prev`
    for ch in line:
        text = ch["text"]
        if id(ch) in struck:
            skipped += ch["x1"] - ch["x0"]
            continue
        if prev is not None and text != " " and prev["text"] != " ":
            gap = ch["x0"] - prev["x1"] - skipped
            if gap > X_TOLERANCE and not is_cjk(prev["text"][-1:]) and not is_cjk(text[:1]):
                out.append(" ")
        out.append(text)
        prev = ch
        skipped = 0.0
    return _AUTOSPACE.sub("", " ".join("".join(out).split()))


def cell_text(
    chars: list[dict], left: float, right: float, struck: set[int] | frozenset[int] = frozenset()
) -> str:
    """The text of one cell spanning [left, right], wrapped lines joined; `struck` glyphs left out."""
    if not chars:
        return ""
    lines = [ln for ln in _lines(chars)]
    texts = [_line_text(ln, struck) for ln in lines]
    lines = [[c for c in ln if id(c) not in struck] for ln in lines]
    pad = max(0.0, min(ln[0]["x0"] for ln in lines if ln) - left) if any(lines) else 0.0
    limit = right - pad - EDGE_SLACK
    out = ""
    prev_line: list[dict] | None = None
    for line, text in zip(lines, texts, strict=True):
        if not text:
            continue
        if not out:
            out = text
        elif out[-1].isdigit() and text[0].isdigit() and _ran_into_edge(prev_line, line, limit):
            out += text  # a number broken by the cell's edge
        else:
            out += line_separator(out, text) + text
        prev_line = line
    return unicodedata.normalize("NFC", out)


def _ran_into_edge(prev_line: list[dict] | None, line: list[dict], limit: float) -> bool:
    """True when the next line's first glyph could not have fitted after the previous line."""
    if not prev_line:
        return False
    first = line[0]
    return prev_line[-1]["x1"] + (first["x1"] - first["x0"]) > limit


def table_from(tbl, name: str, chars: list[dict], struck: set[int]) -> Table:
    """A pdfplumber table as Cells with spans from the cell boxes and text from `chars`."""
    xs = sorted({round(c[0], 1) for c in tbl.cells})
    tops = sorted({round(c[1], 1) for c in tbl.cells})
    x0, top0, x1, bottom0 = tbl.bbox
    inside = [c for c in chars if _center_in(c, (x0, top0, x1, bottom0))]
    cells: list[Cell] = []
    only_struck: set[int] = set()  # id() of cells whose every glyph is struck
    for row in tbl.rows:
        for bbox in row.cells:
            if bbox is None:
                continue
            left, top, right, bottom = (round(v, 1) for v in bbox)
            mine = [c for c in inside if _center_in(c, bbox)]
            kept = [c for c in mine if id(c) not in struck]
            cell = Cell(
                row=tops.index(top),
                col=xs.index(left),
                text=cell_text(mine, bbox[0], bbox[2], struck),
                row_span=max(1, sum(1 for y in tops if top <= y < bottom - 0.5)),
                col_span=max(1, sum(1 for x in xs if left <= x < right - 0.5)),
            )
            if mine and not kept:
                only_struck.add(id(cell))
            cells.append(cell)
    return Table(name=name, cells=_drop_deleted_rows(cells, only_struck))


def _drop_deleted_rows(cells: list[Cell], only_struck: set[int]) -> list[Cell]:
    """Remove rows whose text is all struck through, renumbering the rows below."""
    rows_with_text: dict[int, bool] = {}
    for cell in cells:
        if cell.text:
            rows_with_text[cell.row] = True
        elif id(cell) in only_struck:
            rows_with_text.setdefault(cell.row, False)
    deleted = sorted(r for r, live in rows_with_text.items() if not live)
    if not deleted:
        return cells
    out = []
    for cell in cells:
        if cell.row in deleted and cell.row_span == 1:
            continue
        covered = sum(1 for r in deleted if cell.row <= r < cell.row + cell.row_span)
        shift = sum(1 for r in deleted if r < cell.row)
        out.append(
            Cell(
                row=cell.row - shift,
                col=cell.col,
                text=cell.text,
                row_span=max(1, cell.row_span - covered),
                col_span=cell.col_span,
            )
        )
    return out


def _center_in(obj: dict, box: tuple) -> bool:
    x = (obj["x0"] + obj["x1"]) / 2
    y = (obj["top"] + obj["bottom"]) / 2
    return box[0] <= x <= box[2] and box[1] <= y <= box[3]
