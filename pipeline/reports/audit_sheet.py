"""处理记录.xlsx: the audit log as staff filtered it in the console, for WPS/Excel or print.

Every cell of user text goes through xlsx_style.put (a detail or a name that starts
with "=" stays text); times are local, as the page shows them.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

from openpyxl import Workbook
from openpyxl.worksheet.page import PageMargins

from .xlsx_style import put, style_sheet

HEADERS = ("时间", "处理人", "操作", "受理编号", "单位", "内容")


def build_audit_xlsx(
    rows: Iterable[tuple[datetime, str, str, str | None, str | None, str]], out: Path, condition: str = ""
) -> Path:
    """Write the rows (data.audit's tuples) to `out`; `condition` (the filter in words) goes
    into the print header so a printed page says what it lists."""
    wb = Workbook()
    ws = wb.active
    ws.title = "处理记录"
    for column, title in enumerate(HEADERS, 1):
        put(ws, 1, column, title)
    for number, (at, who, action, case, unit, detail) in enumerate(rows, 2):
        put(ws, number, 1, at.strftime("%Y-%m-%d %H:%M"))
        put(ws, number, 2, who)
        put(ws, number, 3, action)
        put(ws, number, 4, case or "")
        put(ws, number, 5, unit or "")
        put(ws, number, 6, detail)
    style_sheet(ws, widths={1: 16, 2: 12, 3: 12, 4: 17, 5: 14, 6: 50})
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_margins = PageMargins(left=0.4, right=0.4, top=0.8, bottom=0.6, header=0.3, footer=0.3)
    ws.print_title_rows = "1:1"
    ws.oddHeader.center.text = ("处理记录" + (f"（{condition}）" if condition else "")).replace("&", "&&")
    ws.oddFooter.center.text = "第 &P 页，共 &N 页"
    out.parent.mkdir(parents=True, exist_ok=True)
    wb.save(out)
    return out
