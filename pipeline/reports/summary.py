"""汇总表.xlsx for staff, and the one-sheet summary that goes up in the packet.

Staff open this in WPS/Excel and print it on A4, so every sheet is set up for
printing (landscape, one page wide, the header row repeated on every page)
and the first sheet carries only what fits a page: one row per roster unit
with its one clear state (UnitRow.state — the same as the digest and the
console), including units that sent nothing; its columns are the form's short
list (`FormSpec.summary_labels`). Every field of the form (the campaign's field
registry) is on the second sheet; every message received is on the last. All
user text is written as text, never as a formula; the original files are
linked when the console's address is configured.
"""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet

from ..campaign import FormSpec, Kind, builtin
from .views import SubmissionView, UnitRow, UnitState, fmt_size, fmt_time
from .xlsx_style import print_setup, put, state_fill, status_fill, style_sheet

MISSING_ZH = UnitState.MISSING.value
LONG_TEXT_WIDTH = 40  # characters: long texts wrap inside the packet sheet's wide columns


def unit_headers(form: FormSpec) -> tuple[str, ...]:
    """The 汇总 sheet: one row per roster unit, the form's short list of fields (`summary_labels`)."""
    return ("序号", "单位", "状态", "受理编号", *form.summary_labels, "收到时间", "待办 / 问题", "原件")


def field_headers(form: FormSpec) -> tuple[str, ...]:
    return ("单位", "受理编号", "状态", *form.labels)


def all_headers(form: FormSpec) -> tuple[str, ...]:
    return (
        "受理编号",
        "单位",
        "状态",
        "发件人",
        "邮件主题",
        "收到时间",
        *form.labels,
        "问题",
        "附件",
        "超大附件链接",
        "扫描件",
        "人工决定",
        "Message-ID",
    )


def packet_headers(form: FormSpec) -> tuple[str, ...]:
    return ("序号", "报送单位", *form.labels, form.title, "工作材料")


LINK_FONT = Font(color="0563C1", underline="single")


def problems_text(view: SubmissionView) -> str:
    """One problem per line, as the receipt words it."""
    return "\n".join(p.message for p in view.problems)


def attachments_text(view: SubmissionView, form: FormSpec) -> str:
    """One attachment per line: "推荐表：xx.docx（12 KB）" (the form under its campaign's title)."""
    return "\n".join(f"{form.kind_name(a.kind)}：{a.name}（{fmt_size(a.size)}）" for a in view.attachments)


def _write_row(ws: Worksheet, row: int, values: list) -> None:
    for col, value in enumerate(values, start=1):
        put(ws, row, col, value)


def _link(ws: Worksheet, row: int, col: int, text: str, target: str | None) -> None:
    cell = put(ws, row, col, text)
    if target:
        cell.hyperlink = target
        cell.font = LINK_FONT


def _todo(unit_row: UnitRow) -> str:
    view = unit_row.submission
    state = unit_row.state
    if view is None:
        return "尚未收到报送"
    if state is UnitState.NEEDS_FIX:
        return "待单位补正：" + "；".join(p.message for p in view.problems if p.code != "scan")
    if state is UnitState.REVIEW:
        return "待工作人员核对" + ("（扫描件）" if view.is_scan else "")
    if state in (UnitState.LATE, UnitState.REJECTED):
        return "；".join(p.message for p in view.problems if p.code in ("late", "rejected"))
    return ""


def _unit_sheet(ws: Worksheet, units: list[UnitRow], link_base: str, form: FormSpec) -> None:
    headers = unit_headers(form)
    _write_row(ws, 1, list(headers))
    for row, unit_row in enumerate(units, start=2):
        view = unit_row.submission
        f = view.fields if view else {}
        _write_row(
            ws,
            row,
            [
                row - 1,
                unit_row.unit,
                unit_row.state.value,
                view.case_no if view else "",
                *(f.get(label, "") for label in form.summary_labels),
                fmt_time(view.arrival) if view else "",
                _todo(unit_row),
            ],
        )
        if view is not None:
            target = f"{link_base.rstrip('/')}/case/{view.case_no}" if link_base else None
            _link(ws, row, len(headers), "打开" if target else f"{len(view.attachments)} 个附件", target)
        ws.cell(row=row, column=3).fill = state_fill(unit_row.state)
    style_sheet(ws, widths={1: 5, len(headers) - 1: 40, len(headers): 10})
    print_setup(ws)


def _fields_sheet(ws: Worksheet, units: list[UnitRow], form: FormSpec) -> None:
    headers = field_headers(form)
    _write_row(ws, 1, list(headers))
    row = 1
    for unit_row in units:
        view = unit_row.submission
        if view is None or not view.fields:
            continue
        row += 1
        _write_row(
            ws,
            row,
            [
                unit_row.unit,
                view.case_no,
                unit_row.state.value,
                *(view.fields.get(lbl, "") for lbl in form.labels),
            ],
        )
        read = view.fields_read or {}
        for col, label in enumerate(form.labels, start=len(headers) - len(form.labels) + 1):
            if view.fields_read is not None and read.get(label, "") != view.fields.get(label, ""):
                cell = ws.cell(row=row, column=col)
                cell.comment = Comment(f"工作人员已更正；原识别值：{read.get(label, '') or '（空）'}", "系统")
    # Fixed widths (each field's sheet width) that print on one landscape page: long texts
    # wrap instead of widening the sheet.
    widths = {"单位": 12, "受理编号": 17, "状态": 8} | {f.label: f.sheet_width for f in form.fields}
    style_sheet(ws, widths={headers.index(k) + 1: v for k, v in widths.items()})
    print_setup(ws)


def build_summary_xlsx(
    units: list[UnitRow],
    extra: list[SubmissionView],
    path: Path,
    *,
    link_base: str = "",
    form: FormSpec | None = None,
) -> Path:
    """Write 汇总表.xlsx: "汇总" (one row per roster unit), "{title}内容" (every field of
    each unit's current submission) and "全部来信" (`extra`, every message).
    `form` is the campaign's form (the built-in 附件1 when None)."""
    form = form or builtin().form
    wb = Workbook()
    ws = wb.active
    ws.title = "汇总"
    _unit_sheet(ws, units, link_base, form)
    _fields_sheet(wb.create_sheet(f"{form.title}内容"[:31]), units, form)

    headers = all_headers(form)
    all_ws = wb.create_sheet("全部来信")
    _write_row(all_ws, 1, list(headers))
    all_status_col = headers.index("状态") + 1
    ordered = sorted(extra, key=lambda v: (v.arrival, v.case_no))
    for row, view in enumerate(ordered, start=2):
        _write_row(
            all_ws,
            row,
            [
                view.case_no,
                view.unit or "（未识别单位）",
                view.status.zh,
                view.sender,
                view.subject,
                fmt_time(view.arrival),
                *(view.fields.get(label, "") for label in form.labels),
                problems_text(view),
                attachments_text(view, form),
                "\n".join(view.big_links),
                "是" if view.is_scan else "",
                "\n".join(view.decisions),
                view.message_id,
            ],
        )
        all_ws.cell(row=row, column=all_status_col).fill = status_fill(view.status)
    style_sheet(all_ws)
    print_setup(all_ws)
    return _save(wb, path)


def build_packet_summary(
    selected: list[SubmissionView],
    accounts: list[dict],
    path: Path,
    *,
    form: FormSpec | None = None,
    sheet_title: str = "推荐账号",
) -> Path:
    """The packet's one sheet: a row per nominee, linked to its files in the zip.

    `accounts[i]["files"]` are the zip paths of nominee i (its filled form first,
    `accounts[i]["form_file"]` when it was made).
    """
    form = form or builtin().form
    headers = packet_headers(form)
    wb = Workbook()
    ws = wb.active
    ws.title = sheet_title[:31]
    _write_row(ws, 1, list(headers))
    for row, (view, account) in enumerate(zip(selected, accounts, strict=True), start=2):
        _write_row(ws, row, [row - 1, view.unit or "", *(view.fields.get(lbl, "") for lbl in form.labels)])
        files = account["files"]
        filled = account.get("form_file")
        _link(ws, row, len(headers) - 1, filled.rpartition("/")[2] if filled else "", filled)
        others = [f.rpartition("/")[2] for f in files if f != filled]
        _link(
            ws,
            row,
            len(headers),
            "、".join(others) or "（无）",
            f"{account['folder']}/" if others else None,
        )
    long_text = {headers.index(label) + 1: LONG_TEXT_WIDTH for label in form.of_kind(Kind.LONG_TEXT)}
    style_sheet(ws, widths={1: 5, **long_text})
    print_setup(ws)
    return _save(wb, path)


def _save(wb: Workbook, path: Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    wb.save(tmp)
    tmp.replace(path)  # never leave a half-written file where staff look
    return path
