"""How a sheet prints on A4: readable first.

Staff print our sheets from WPS/Excel, and 科协 prints the packet's. "Fit to one
page" shrinks a wide sheet until nobody can read it (a 19-column sheet printed at
3 pt), so the page setup is chosen from the sheet's real width:

- it fits a portrait page width with the body still at least `READABLE_PT`:
  portrait, fit to width (as many pages tall as needed);
- it fits a landscape page width so: landscape, fit to width;
- wider: landscape at a fixed scale that fits the page in Excel/WPS with Calibri
  but never below `READABLE_PT` (at least `MIN_SCALE` %), running over several
  pages wide where it must, the identifying columns (`title_cols`) and the header
  rows repeated on every page.

"Fits" is judged on the widest rendering we know: LibreOffice without Calibri
(most Linux desktops) measures a column's width unit by DejaVu Sans's digit,
`FALLBACK_WIDENING` times Calibri's, so a fit-to-width sheet it prints shrinks
that much more; a fixed scale keeps the size and only adds pages.

Text wraps inside fixed column widths and each row is made tall enough for its
wrapped lines (Excel and LibreOffice do not grow rows written by a library).
The widths are Excel's character units; the conversion to points is Excel's own
(Calibri 11: 7 px per unit plus 5 px padding, 96 px per inch).
"""

from __future__ import annotations

import math

from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from .xlsx_style import display_width

A4_SHORT_PT = 595.3
A4_LONG_PT = 841.9
SIDE_MARGIN_IN = 0.4
BODY_PT = 11.0  # the workbook's body font (openpyxl's default Calibri 11)
READABLE_PT = 9.0  # the smallest body size a printed sheet may have
MIN_SCALE = math.ceil(READABLE_PT / BODY_PT * 100)  # %: 82, the body at 9.02 pt
FALLBACK_WIDENING = 1.34  # LibreOffice without Calibri: DejaVu Sans's digit (9.4 px) over Calibri's (7 px)
DEFAULT_WIDTH = 8.43  # Excel's default column width
LINE_PT = 16.0  # one wrapped line of 11 pt CJK text (Noto/宋体 line height)
MAX_ROW_PT = 409.0  # Excel's tallest row


def column_points(width: float | None) -> float:
    """Printed width in points of a column `width` Excel units wide."""
    units = DEFAULT_WIDTH if width is None else width
    return math.trunc(units * 7 + 5) * 0.75


def printable_points(landscape: bool) -> float:
    return (A4_LONG_PT if landscape else A4_SHORT_PT) - 2 * SIDE_MARGIN_IN * 72


def sheet_points(ws: Worksheet, last_col: int | None = None) -> float:
    """The printed width of the used columns at 100 %."""
    last = last_col or max(ws.max_column, 1)
    return sum(column_points(ws.column_dimensions[get_column_letter(c)].width) for c in range(1, last + 1))


def fit_row_heights(ws: Worksheet, first_row: int = 1) -> None:
    """Set each row's height to fit its wrapped text (CJK characters count 2 units)."""
    widths: dict[str, float] = {}
    merged_widths = _merged_widths(ws)
    for row in ws.iter_rows(min_row=first_row, max_row=ws.max_row):
        lines = 1
        for cell in row:
            if not isinstance(cell.value, str) or not cell.value or cell.data_type == "f":
                continue  # formulas show a number, not their text
            letter = cell.column_letter
            width = merged_widths.get(cell.coordinate)
            if width is None:
                if letter not in widths:
                    widths[letter] = max(1.0, (ws.column_dimensions[letter].width or DEFAULT_WIDTH) - 1)
                width = widths[letter]
            count = sum(max(1, math.ceil(display_width(part) / width)) for part in cell.value.split("\n"))
            lines = max(lines, count)
        if lines > 1:
            ws.row_dimensions[row[0].row].height = min(MAX_ROW_PT, LINE_PT * lines + 4)


def _merged_widths(ws: Worksheet) -> dict[str, float]:
    """Top-left cell of each merged range -> the range's text width (units)."""
    out = {}
    for rng in ws.merged_cells.ranges:
        total = sum(
            ws.column_dimensions[get_column_letter(c)].width or DEFAULT_WIDTH
            for c in range(rng.min_col, rng.max_col + 1)
        )
        out[f"{get_column_letter(rng.min_col)}{rng.min_row}"] = max(1.0, total - 1)
    return out


def print_setup(ws: Worksheet, title_rows: str | None = "1:1", title_cols: str | None = None) -> str:
    """Page setup for A4 as described in the module docstring; returns the choice made
    ("portrait", "landscape" or "wide"), so a caller (or a test) can say so."""
    width = sheet_points(ws)
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_margins.left = ws.page_margins.right = SIDE_MARGIN_IN
    ws.page_margins.top = ws.page_margins.bottom = 0.5
    ws.print_options.horizontalCentered = True
    ws.oddFooter.center.text = "第 &P 页，共 &N 页"
    if title_rows:
        ws.print_title_rows = title_rows
    ws.print_area = f"A1:{get_column_letter(max(ws.max_column, 1))}{max(ws.max_row, 1)}"
    fit_row_heights(ws)
    widest = width * FALLBACK_WIDENING * READABLE_PT / BODY_PT  # the smallest readable print of it
    if widest <= printable_points(False):
        choice, landscape, fit = "portrait", False, True
    elif widest <= printable_points(True):
        choice, landscape, fit = "landscape", True, True
    else:
        choice, landscape, fit = "wide", True, False
    ws.page_setup.orientation = ws.ORIENTATION_LANDSCAPE if landscape else ws.ORIENTATION_PORTRAIT
    ws.sheet_properties.pageSetUpPr.fitToPage = fit
    if fit:
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0  # as many pages tall as needed
    else:
        ws.page_setup.scale = max(MIN_SCALE, min(100, math.floor(printable_points(True) / width * 100)))
        ws.page_setup.pageOrder = "overThenDown"  # a row's pages side by side, then the next rows
        if title_cols:
            ws.print_title_cols = title_cols
    return choice


def link_width(urls: list[str], least: float = 12, most: float = 60) -> float:
    """A column wide enough to print its addresses on one line: a linked cell prints as
    one unbreakable field (LibreOffice clips it at the column's edge, newlines and all)."""
    return max(least, min(most, max((display_width(u) for u in urls), default=0) + 2))
