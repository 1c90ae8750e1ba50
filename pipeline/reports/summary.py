"""汇总表.xlsx for staff, and the one-sheet summary that goes up in the packet.

Staff open this in WPS/Excel and print it on A4, and 科协 prints the packet's
sheet, so every sheet is laid out to be read on paper (print_layout: the body
never below 9 pt, long text wrapped in fixed widths, the header rows and the
identifying columns repeated on every page). The first sheet carries only what
fits a page: one row per roster unit with its one clear state (UnitRow.state —
the same as the digest and the console), including units that sent nothing; its
columns are the form's short list (`FormSpec.summary_labels`). Every field of the
form (the campaign's field registry) is on the second sheet, a row per unit. The
packet's sheet is a row per nominee; each nominee's record laid out like the form
is its filled 推荐表 in the packet. Every message received is on the last sheet. All user text is
written as text, never as a formula; a link prints as its address (the console's
page of the case), so the paper copy still says where to look.
"""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from ..campaign import FormSpec, builtin
from ..model import SCAN_NOTES
from .print_layout import link_width, print_setup
from .views import SubmissionView, UnitRow, UnitState, fmt_size, fmt_time
from .xlsx_style import put, state_fill, status_fill, style_sheet

MISSING_ZH = UnitState.MISSING.value


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


LINK_FONT = Font(name="Calibri", size=11, color="0563C1", underline="single")


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


def case_url(link_base: str, case_no: str) -> str:
    """The console's page of a case ("" without the console's address)."""
    return f"{link_base.rstrip('/')}/case/{case_no}" if link_base else ""


def _todo(unit_row: UnitRow) -> str:
    view = unit_row.submission
    state = unit_row.state
    if view is None:
        return "尚未收到报送"
    if state is UnitState.NEEDS_FIX:
        return "待单位补正：" + "；".join(p.message for p in view.problems if p.code not in SCAN_NOTES)
    if state is UnitState.REVIEW:
        return "待工作人员核对" + ("（扫描件）" if view.is_scan else "")
    if state in (UnitState.LATE, UnitState.REJECTED):
        return "；".join(p.message for p in view.problems if p.code in ("late", "rejected"))
    return ""


def _unit_sheet(ws: Worksheet, units: list[UnitRow], link_base: str, form: FormSpec) -> None:
    """One row per roster unit; the 原件 column prints the console's address of the case."""
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
            target = case_url(link_base, view.case_no)
            _link(ws, row, len(headers), target or f"{len(view.attachments)} 个附件", target or None)
        ws.cell(row=row, column=3).fill = state_fill(unit_row.state)
    fixed = {"序号": 5, "单位": 14, "状态": 10, "受理编号": 17, "收到时间": 17, "待办 / 问题": 30}
    fixed |= {label: form.field(label).sheet_width for label in form.summary_labels}
    links = [case_url(link_base, u.submission.case_no) for u in units if u.submission is not None]
    fixed["原件"] = link_width(links) if link_base else 10
    style_sheet(ws, widths={headers.index(k) + 1: v for k, v in fixed.items()})
    print_setup(ws, title_cols="A:B")


def _fields_sheet(ws: Worksheet, units: list[UnitRow], form: FormSpec) -> None:
    """Every field of each unit's current submission, a row per unit (staff filter and
    sort it; printed, it runs over several pages wide at a readable size)."""
    shown = [u for u in units if u.submission is not None and u.submission.fields]
    headers = field_headers(form)
    _write_row(ws, 1, list(headers))
    row = 1
    for unit_row in shown:
        view = unit_row.submission
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
        corrected = _corrections(view, form)
        for col, label in enumerate(form.labels, start=len(headers) - len(form.labels) + 1):
            if label in corrected:
                ws.cell(row=row, column=col).comment = Comment(corrected[label], "系统")
    # Fixed widths (each field's sheet width): long texts wrap instead of widening the sheet.
    widths = {"单位": 12, "受理编号": 17, "状态": 10} | {f.label: f.sheet_width for f in form.fields}
    style_sheet(ws, widths={headers.index(k) + 1: v for k, v in widths.items()})
    print_setup(ws, title_cols="A:B")


def _corrections(view: SubmissionView, form: FormSpec) -> dict[str, str]:
    """label -> the note on a value staff corrected (the value as read)."""
    if view.fields_read is None:
        return {}
    read = view.fields_read
    return {
        label: f"工作人员已更正；原识别值：{read.get(label, '') or '（空）'}"
        for label in form.labels
        if read.get(label, "") != view.fields.get(label, "")
    }


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
    style_sheet(all_ws, widths=_all_widths(headers, form))
    print_setup(all_ws, title_cols="A:B")
    return _save(wb, path)


def _all_widths(headers: tuple[str, ...], form: FormSpec) -> dict[int, float]:
    """Fixed widths for 全部来信, so long text wraps instead of widening the sheet."""
    fixed = {"受理编号": 17, "单位": 12, "状态": 10, "发件人": 20, "邮件主题": 20, "收到时间": 17}
    fixed |= {f.label: f.sheet_width for f in form.fields}
    fixed |= {"问题": 30, "附件": 26, "超大附件链接": 26, "扫描件": 7, "人工决定": 30, "Message-ID": 24}
    return {headers.index(k) + 1: v for k, v in fixed.items() if k in headers}


def build_packet_summary(
    selected: list[SubmissionView],
    accounts: list[dict],
    path: Path,
    *,
    form: FormSpec | None = None,
    sheet_title: str = "推荐账号",
) -> Path:
    """The packet's sheet for the next level: a row per nominee with its unit, every
    field and its files in the zip (linked). Printed, it runs over several pages wide
    at a readable size with the unit and name repeated on each; the record laid out
    like the form is each nominee's filled 推荐表 beside it in the zip. (Not a
    label | value sheet here: the next level's intake, this software, would take such
    a sheet for the form itself.)

    `accounts[i]["files"]` are the zip paths of nominee i (its filled form first,
    `accounts[i]["form_file"]` when it was made).
    """
    form = form or builtin().form
    wb = Workbook()
    ws = wb.active
    ws.title = sheet_title[:31]
    _packet_rows(ws, list(zip(selected, accounts, strict=True)), form)
    return _save(wb, path)


def _file_cells(form: FormSpec, account: dict) -> list[tuple[str, tuple[str, str | None]]]:
    files = account["files"]
    filled = account.get("form_file")
    others = [f.rpartition("/")[2] for f in files if f != filled]
    return [
        (form.title, (filled or "", filled)),
        # Not a link: a linked cell prints as one unbreakable line, and this list wraps.
        ("工作材料", ("、".join(others) or "（无）", None)),
    ]


def _packet_rows(ws: Worksheet, pairs: list[tuple[SubmissionView, dict]], form: FormSpec) -> None:
    """A row per nominee, every field a column, the files linked."""
    headers = packet_headers(form)
    _write_row(ws, 1, list(headers))
    for row, (view, account) in enumerate(pairs, start=2):
        _write_row(ws, row, [row - 1, view.unit or "", *(view.fields.get(lbl, "") for lbl in form.labels)])
        for col, (_, (text, target)) in enumerate(_file_cells(form, account), start=len(headers) - 1):
            _link(ws, row, col, text, target)
    forms = [a.get("form_file") or "" for _, a in pairs]
    widths = {"序号": 5, "报送单位": 12, form.title: link_width(forms, least=24, most=40), "工作材料": 24}
    widths |= {f.label: f.sheet_width for f in form.fields}
    style_sheet(ws, widths={headers.index(k) + 1: v for k, v in widths.items()})
    print_setup(ws, title_cols=f"A:{get_column_letter(headers.index(form.identity_label) + 1)}")


def _save(wb: Workbook, path: Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    wb.save(tmp)
    tmp.replace(path)  # never leave a half-written file where staff look
    return path
