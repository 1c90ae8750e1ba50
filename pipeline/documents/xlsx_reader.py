"""Read .xlsx/.xlsm (openpyxl) and .xls/.et (xlrd) into the Document model.

Each sheet becomes a Table named after the sheet. Only the top-left cell of
a merge is emitted, with its spans. Numbers that are whole come out without
".0" (phones typed as numbers), dates as ISO text. Reads are bounded in rows
and columns so a sheet with a stray cell at XFD1048576 stays cheap.
"""

from __future__ import annotations

import io
import math
import warnings
from datetime import date, datetime, time
from pathlib import PurePosixPath

from ..config import Limits
from ..model import Cell, Document, Table
from .errors import DocumentError
from .safe_zip import open_zip

MAX_ROWS = 300
MAX_COLS = 40


def cell_text(value: object) -> str:
    """Render a spreadsheet value the way a person typed it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, datetime):
        if value.time() == time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, (date, time)):
        return value.isoformat()
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer() and abs(value) < 1e16:
            return str(int(value))
        return f"{value:.15g}"
    return str(value).strip()


def read_xlsx(data: bytes, name: str, limits: Limits | None = None) -> Document:
    """Parse .xlsx/.xlsm with openpyxl (defusedxml active); raise DocumentError if unreadable."""
    import openpyxl
    from openpyxl.xml import DEFUSEDXML

    if not DEFUSEDXML:  # pragma: no cover - environment guard
        raise DocumentError(
            "unsafe_parser", "服务器缺少安全的 XML 解析组件，暂不能读取 Excel 文件，请联系管理员。"
        )
    zf = open_zip(data, name, limits)
    zf.close()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            wb = openpyxl.load_workbook(
                io.BytesIO(data), data_only=True, read_only=False, keep_vba=False, keep_links=False
            )
    except DocumentError:
        raise
    except Exception as exc:  # openpyxl raises many types on bad input
        raise DocumentError(
            "corrupt", f"文件“{name}”已损坏或无法作为 Excel 打开，请重新保存后发送。"
        ) from exc
    ext = PurePosixPath(name.lower()).suffix.lstrip(".")
    doc = Document(file=name, format=ext if ext in ("xlsx", "xlsm") else "xlsx")
    try:
        for ws in wb.worksheets:
            doc.tables.append(_sheet(ws))
            doc.image_count += len(getattr(ws, "_images", []))
    finally:
        wb.close()
    return doc


def _sheet(ws) -> Table:
    table = Table(name=str(ws.title))
    max_row = min(ws.max_row or 0, MAX_ROWS)
    max_col = min(ws.max_column or 0, MAX_COLS)
    spans: dict[tuple[int, int], tuple[int, int]] = {}
    covered: set[tuple[int, int]] = set()
    for rng in ws.merged_cells.ranges:
        if rng.min_row > max_row or rng.min_col > max_col:
            continue
        r1, c1 = rng.min_row, rng.min_col
        r2, c2 = min(rng.max_row, max_row), min(rng.max_col, max_col)
        spans[(r1, c1)] = (r2 - r1 + 1, c2 - c1 + 1)
        for r in range(r1, r2 + 1):
            for c in range(c1, c2 + 1):
                if (r, c) != (r1, c1):
                    covered.add((r, c))
    if max_row == 0 or max_col == 0:
        return table
    for r, row in enumerate(ws.iter_rows(min_row=1, max_row=max_row, max_col=max_col, values_only=True), 1):
        for c, value in enumerate(row, 1):
            if (r, c) in covered:
                continue
            rs, cs = spans.get((r, c), (1, 1))
            text = cell_text(value)
            if isinstance(value, int | float) and not isinstance(value, bool):
                text = _zero_padded(text, ws._cells.get((r, c)))
            if text or (r, c) in spans:
                table.cells.append(Cell(row=r - 1, col=c - 1, text=text, row_span=rs, col_span=cs))
    return table


def _zero_padded(text: str, cell) -> str:
    """Keep leading zeros Excel shows via a "000000" format (邮编 010010 in 内蒙古)."""
    fmt = getattr(cell, "number_format", "") or ""
    if text.isdigit() and fmt and set(fmt) == {"0"} and len(fmt) > len(text):
        return text.zfill(len(fmt))
    return text


def read_xls_book(data: bytes, name: str) -> Document:
    """Parse legacy .xls/.et with xlrd (merges need formatting_info=True).

    Raises DocumentError("xls_unreadable", ...) when xlrd cannot read the
    file, so the dispatcher can fall back to LibreOffice conversion.
    """
    import xlrd

    try:
        book = xlrd.open_workbook(
            file_contents=data, formatting_info=True, on_demand=True, logfile=io.StringIO()
        )
    except Exception as exc:  # xlrd raises XLRDError, CompDocError, struct errors...
        raise DocumentError(
            "xls_unreadable", f"无法直接读取表格文件“{name}”（{type(exc).__name__}），可尝试转换后再读。"
        ) from exc
    ext = PurePosixPath(name.lower()).suffix.lstrip(".")
    doc = Document(file=name, format=ext if ext in ("xls", "et") else "xls")
    try:
        for idx in range(book.nsheets):
            sheet = book.sheet_by_index(idx)
            doc.tables.append(_xls_sheet(book, sheet))
            book.unload_sheet(idx)
    except Exception as exc:
        raise DocumentError(
            "xls_unreadable", f"无法直接读取表格文件“{name}”（{type(exc).__name__}），可尝试转换后再读。"
        ) from exc
    finally:
        book.release_resources()
    return doc


def _xls_sheet(book, sheet) -> Table:
    import xlrd

    table = Table(name=str(sheet.name))
    nrows, ncols = min(sheet.nrows, MAX_ROWS), min(sheet.ncols, MAX_COLS)
    spans: dict[tuple[int, int], tuple[int, int]] = {}
    covered: set[tuple[int, int]] = set()
    for rlo, rhi, clo, chi in sheet.merged_cells:
        if rlo >= nrows or clo >= ncols:
            continue
        rhi, chi = min(rhi, nrows), min(chi, ncols)
        spans[(rlo, clo)] = (rhi - rlo, chi - clo)
        for r in range(rlo, rhi):
            for c in range(clo, chi):
                if (r, c) != (rlo, clo):
                    covered.add((r, c))
    for r in range(nrows):
        for c in range(ncols):
            if (r, c) in covered:
                continue
            cell = sheet.cell(r, c)
            if cell.ctype == xlrd.XL_CELL_DATE:
                try:
                    value: object = xlrd.xldate_as_datetime(cell.value, book.datemode)
                except Exception:
                    value = cell.value
            elif cell.ctype == xlrd.XL_CELL_BOOLEAN:
                value = bool(cell.value)
            elif cell.ctype in (xlrd.XL_CELL_ERROR, xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
                value = None
            else:
                value = cell.value
            text = cell_text(value)
            rs, cs = spans.get((r, c), (1, 1))
            if text or (r, c) in spans:
                table.cells.append(Cell(row=r, col=c, text=text, row_span=rs, col_span=cs))
    return table
