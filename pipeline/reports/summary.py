"""汇总表.xlsx: one row per roster unit, plus every message received.

Staff open this in WPS/Excel to see at a glance who sent what, so units
that sent nothing are listed too (状态 "未报送") and all user text is
written as text, never as a formula.
"""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from ..model import FORM_LABELS
from .views import SubmissionView, UnitRow, fmt_size, fmt_time
from .xlsx_style import put, status_fill, style_sheet

MISSING_ZH = "未报送"

UNIT_HEADERS: tuple[str, ...] = (
    "单位",
    "状态",
    "受理编号",
    "发件人",
    "收到时间",
    *FORM_LABELS,
    "问题",
    "附件",
    "人工决定",
    "其他来信（封）",
)

ALL_HEADERS: tuple[str, ...] = (
    "受理编号",
    "单位",
    "状态",
    "发件人",
    "邮件主题",
    "收到时间",
    "Message-ID",
    *FORM_LABELS,
    "问题",
    "附件",
    "超大附件链接",
    "扫描件",
    "人工决定",
)


def problems_text(view: SubmissionView) -> str:
    """One problem per line, as the receipt words it."""
    return "\n".join(p.message for p in view.problems)


def attachments_text(view: SubmissionView) -> str:
    """One attachment per line: "推荐表：xx.docx（12 KB）"."""
    return "\n".join(f"{a.kind}：{a.name}（{fmt_size(a.size)}）" for a in view.attachments)


def _write_row(ws: Worksheet, row: int, values: list) -> None:
    for col, value in enumerate(values, start=1):
        put(ws, row, col, value)


def _unit_values(unit_row: UnitRow) -> list:
    view = unit_row.submission
    if view is None:
        return [
            unit_row.unit,
            MISSING_ZH,
            "",
            "",
            "",
            *([""] * len(FORM_LABELS)),
            "",
            "",
            "",
            unit_row.other_count,
        ]
    return [
        unit_row.unit,
        view.status.zh,
        view.case_no,
        view.sender,
        fmt_time(view.arrival),
        *(view.fields.get(label, "") for label in FORM_LABELS),
        problems_text(view),
        attachments_text(view),
        "\n".join(view.decisions),
        unit_row.other_count,
    ]


def _all_values(view: SubmissionView) -> list:
    return [
        view.case_no,
        view.unit or "（未识别单位）",
        view.status.zh,
        view.sender,
        view.subject,
        fmt_time(view.arrival),
        view.message_id,
        *(view.fields.get(label, "") for label in FORM_LABELS),
        problems_text(view),
        attachments_text(view),
        "\n".join(view.big_links),
        "是" if view.is_scan else "",
        "\n".join(view.decisions),
    ]


def build_summary_xlsx(units: list[UnitRow], extra: list[SubmissionView], path: Path) -> Path:
    """Write 汇总表.xlsx with sheets "汇总" (roster units) and "全部来信" (`extra`, every message)."""
    wb = Workbook()
    ws = wb.active
    ws.title = "汇总"
    _write_row(ws, 1, list(UNIT_HEADERS))
    status_col = UNIT_HEADERS.index("状态") + 1
    for row, unit_row in enumerate(units, start=2):
        _write_row(ws, row, _unit_values(unit_row))
        status = unit_row.submission.status if unit_row.submission else None
        ws.cell(row=row, column=status_col).fill = status_fill(status)
    style_sheet(ws)

    all_ws = wb.create_sheet("全部来信")
    _write_row(all_ws, 1, list(ALL_HEADERS))
    all_status_col = ALL_HEADERS.index("状态") + 1
    ordered = sorted(extra, key=lambda v: (v.arrival, v.case_no))
    for row, view in enumerate(ordered, start=2):
        _write_row(all_ws, row, _all_values(view))
        all_ws.cell(row=row, column=all_status_col).fill = status_fill(view.status)
    style_sheet(all_ws)

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    wb.save(tmp)
    tmp.replace(path)  # never leave a half-written file where staff look
    return path
