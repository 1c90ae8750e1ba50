"""Safe cell writing and the common look of every sheet we produce.

User text (fields, subjects, file names) must never become a formula or an
error code when staff open the file in Excel or WPS, so all of it goes
through `put`, which stores text as an inline string (t="inlineStr") and
marks text that starts like a formula with the quotePrefix style (the
leading apostrophe Excel shows), so re-editing the cell keeps it text.
"""

from __future__ import annotations

import unicodedata
from datetime import date, datetime
from typing import Any

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from ..model import Status

# Excel's hard limit for the length of a cell's text.
MAX_CELL_CHARS = 32767
# Characters that make Excel/WPS/LibreOffice treat typed or imported text as a formula.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n")

MIN_WIDTH = 6
MAX_WIDTH = 60

_FILLS: dict[str, str] = {
    "green": "C6EFCE",
    "yellow": "FFEB9C",
    "red": "FFC7CE",
    "grey": "D9D9D9",
    "missing": "F8CBAD",
}
_STATUS_COLOR: dict[Status, str] = {
    Status.ACCEPTED: "green",
    Status.NEEDS_FIX: "yellow",
    Status.MANUAL_REVIEW: "yellow",
    Status.LATE: "red",
    Status.OVER_QUOTA: "red",
    Status.UNKNOWN_UNIT: "red",
    Status.REJECTED: "red",
    Status.SUPERSEDED: "grey",
    Status.IGNORED: "grey",
    Status.DUPLICATE: "grey",
    Status.WITHDRAWN: "grey",
    Status.CORRESPONDENCE: "grey",
}


def looks_like_formula(text: str) -> bool:
    """True when a spreadsheet could read this text as a formula (CSV/DDE injection)."""
    if not text:
        return False
    if text[0] in FORMULA_TRIGGERS:
        return True
    stripped = text.lstrip(" \t\r\n\u3000")
    return bool(stripped) and stripped[0] in FORMULA_TRIGGERS


def safe_value(v: Any) -> Any:
    """Return what may be stored in a cell: numbers and naive datetimes as is, everything else as clean text.

    Text keeps its characters (a leading "=" stays) but loses XML-illegal
    control characters and is cut to Excel's limit; `put` then forces it to
    be stored as text.
    """
    if v is None:
        return None
    if isinstance(v, bool):
        return "是" if v else "否"
    if isinstance(v, (int, float)):
        return v
    if isinstance(v, datetime):
        return v.replace(tzinfo=None) if v.tzinfo else v
    if isinstance(v, date):
        return v
    text = v if isinstance(v, str) else str(v)
    text = ILLEGAL_CHARACTERS_RE.sub("", text)
    # Lone surrogates (from badly decoded mail) cannot be written as UTF-8 XML.
    text = text.encode("utf-8", "replace").decode("utf-8")
    if len(text) > MAX_CELL_CHARS:
        text = text[: MAX_CELL_CHARS - 1] + "…"
    return text


def put(ws: Worksheet, row: int, column: int, v: Any) -> Cell:
    """Write user data into a cell so that text always stays text (never <f>, never an error code)."""
    cell = ws.cell(row=row, column=column)
    value = safe_value(v)
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"  # undo openpyxl's "=..." -> formula and "#N/A" -> error inference
        if looks_like_formula(value):
            cell.quotePrefix = True
    return cell


def put_formula(ws: Worksheet, row: int, column: int, formula: str) -> Cell:
    """Write one of OUR formulas (never user text); it must start with "="."""
    if not formula.startswith("="):
        raise ValueError("formula must start with '='")
    cell = ws.cell(row=row, column=column)
    cell.value = formula
    cell.data_type = "f"
    return cell


def display_width(text: str) -> int:
    """Width in Excel character units: CJK and other wide characters count as 2."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def style_sheet(ws: Worksheet, widths: dict[int | str, float] | None = None) -> None:
    """Bold wrapped header, frozen top row, autofilter over the data, widths that fit Chinese text.

    `widths` overrides the computed width for given columns (1-based index or letter).
    """
    max_col = ws.max_column
    max_row = ws.max_row
    if max_col < 1:
        return
    header_font = Font(name="Calibri", size=11, bold=True)
    header_fill = PatternFill("solid", fgColor="DDEBF7")
    wrap = Alignment(wrap_text=True, vertical="top")
    for cell in ws[1]:
        cell.font = header_font
        cell.fill = header_fill
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
    computed: dict[int, float] = {}
    for row in ws.iter_rows(min_row=1, max_row=max_row, max_col=max_col):
        for cell in row:
            if cell.row > 1:
                cell.alignment = wrap
            value = cell.value
            if value is None:
                continue
            if cell.data_type == "f":
                width = 10
            elif isinstance(value, datetime):
                width = 17
            else:
                width = max((display_width(line) for line in str(value).splitlines()), default=0)
            computed[cell.column] = max(computed.get(cell.column, 0), width)
    for col in range(1, max_col + 1):
        width = min(MAX_WIDTH, max(MIN_WIDTH, computed.get(col, 0) + 2))
        ws.column_dimensions[get_column_letter(col)].width = width
    for key, width in (widths or {}).items():
        letter = key if isinstance(key, str) else get_column_letter(key)
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(max_col)}{max(max_row, 1)}"


_STATE_COLOR = {
    "未报送": "missing",
    "需补正": "yellow",
    "待人工核对": "yellow",
    "逾期": "red",
    "不予受理": "grey",
    "已受理": "green",
    "已选定上报": "green",
}


def state_fill(state) -> PatternFill:
    """Traffic-light fill for a unit's state (reports.views.UnitState)."""
    return PatternFill(
        "solid",
        fgColor=_FILLS[_STATE_COLOR.get(str(state.value if hasattr(state, "value") else state), "grey")],
    )


def status_fill(status: Status | None) -> PatternFill:
    """Traffic-light fill for a status; None means the unit sent nothing (未报送)."""
    color = _FILLS["missing"] if status is None else _FILLS[_STATUS_COLOR.get(status, "grey")]
    return PatternFill("solid", fgColor=color)
