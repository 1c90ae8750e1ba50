"""评分表.xlsx: structure, validations, real formulas, and LibreOffice-computed fan points."""

from __future__ import annotations

import csv
import shutil
import subprocess
from datetime import datetime, timedelta, timezone
from pathlib import Path

import openpyxl
import pytest
from openpyxl.utils import get_column_letter

from pipeline.model import Status
from pipeline.reports.scoring import FANS_COL, ID_HEADERS, ITEMS, build_scoring_xlsx, fans_number
from pipeline.reports.views import SubmissionView

BJ = timezone(timedelta(hours=8))


def view(
    case_no: str, unit: str, status: Status, name: str, fans_norm=None, fans_field: str = ""
) -> SubmissionView:
    return SubmissionView(
        case_no=case_no,
        unit=unit,
        sender="s@example.cn",
        message_id=f"{case_no}@x",
        arrival=datetime(2021, 7, 30, 9, 0, tzinfo=BJ),
        status=status,
        fields={"账号名称": name, "粉丝数量": fans_field},
        normalized={"粉丝数量": fans_norm} if fans_norm is not None else {},
        problems=[],
        attachments=[],
    )


@pytest.fixture()
def sheet(tmp_path: Path):
    views = [
        view("TJ-01", "A北京", Status.ACCEPTED, "京针", 123000),
        view("TJ-02", "B上海", Status.ACCEPTED, "=cmd|' /C calc'!A0", None, "约12.3万"),
        view("TJ-03", "C天津", Status.ACCEPTED, "津针", 500),
        view("TJ-04", "D河北", Status.ACCEPTED, "冀针", None, "不详"),
        view("TJ-05", "E山西", Status.NEEDS_FIX, "晋针", 999999999),
    ]
    path = build_scoring_xlsx(views, tmp_path / "评分表.xlsx", reviewers=2)
    return path, openpyxl.load_workbook(path)


def test_fans_number():
    assert fans_number(view("x", "u", Status.ACCEPTED, "n", 42)) == 42
    assert fans_number(view("x", "u", Status.ACCEPTED, "n", None, "1,234")) == 1234
    assert fans_number(view("x", "u", Status.ACCEPTED, "n", None, "约1.5亿人")) == 150_000_000
    assert fans_number(view("x", "u", Status.ACCEPTED, "n", "3w")) == 30000
    assert fans_number(view("x", "u", Status.ACCEPTED, "n", None, "暂无")) is None


def test_layout_rows_and_formulas(sheet):
    _, wb = sheet
    assert wb.sheetnames == ["评分", "说明"]
    ws = wb["评分"]
    headers = [c.value for c in ws[1]]
    per_reviewer = len(ITEMS) + 1
    assert headers[: len(ID_HEADERS)] == list(ID_HEADERS)
    assert len(headers) == len(ID_HEADERS) + 2 * per_reviewer + 2
    assert headers[-2:] == ["平均总分", "排名"]
    assert headers[len(ID_HEADERS)] == "评委1\n群众导向（20）"
    assert headers[len(ID_HEADERS) + per_reviewer - 1] == "评委1\n小计（100）"
    assert sum(i.max_points for i in ITEMS) == 100
    assert ws.max_row == 5  # only the 4 accepted accounts
    assert [ws.cell(r, 2).value for r in range(2, 6)] == ["A北京", "B上海", "C天津", "D河北"]
    assert [ws.cell(r, FANS_COL).value for r in range(2, 6)] == [123000, 123000, 500, None]
    name = ws.cell(3, 3)
    assert name.value == "=cmd|' /C calc'!A0" and name.data_type == "s"
    for r in range(2, 6):
        for c in range(FANS_COL + 1, len(headers) + 1):
            cell = ws.cell(r, c)
            header = headers[c - 1]
            if "粉丝量" in header or "小计" in header or header in ("平均总分", "排名"):
                assert cell.data_type == "f" and str(cell.value).startswith("="), (
                    cell.coordinate,
                    cell.value,
                )
            else:
                assert cell.value is None  # left for the reviewer
    subtotal = ws.cell(2, len(ID_HEADERS) + per_reviewer).value
    assert "SUM(F2:L2)" in subtotal
    assert "AVERAGE(M2,U2)" in ws.cell(2, len(headers) - 1).value
    assert "LOG10" in ws.cell(2, FANS_COL + 6).value and "$E$2:$E$5" in ws.cell(2, FANS_COL + 6).value
    assert ws.freeze_panes == "F2" and ws.auto_filter.ref and all(c.font.bold for c in ws[1])


def test_data_validations(sheet):
    _, wb = sheet
    ws = wb["评分"]
    bounds: dict[str, tuple[str, str]] = {}
    for dv in ws.data_validations.dataValidation:
        assert dv.type == "whole" and dv.operator == "between" and dv.showErrorMessage
        for rng in str(dv.sqref).split():
            bounds[rng] = (dv.formula1, dv.formula2)
    expected = {}
    for start in (FANS_COL + 1, FANS_COL + 1 + len(ITEMS) + 1):
        for i, item in enumerate(ITEMS):
            letter = get_column_letter(start + i)
            expected[f"{letter}2:{letter}5"] = ("0", str(item.max_points))
    assert bounds == expected


def test_notes_sheet(sheet):
    _, wb = sheet
    notes = wb["说明"]
    text = "\n".join(str(c.value) for row in notes.iter_rows() for c in row if c.value is not None)
    for needle in ("群众性", "创新性", "传播力", "60 分", "100 分", "LOG10", "粉丝量得分", "平均总分"):
        assert needle in text
    formula_rows = [
        c for row in notes.iter_rows() for c in row if isinstance(c.value, str) and c.value.startswith("=")
    ]
    assert formula_rows and all(c.data_type == "s" for c in formula_rows)  # documentation, not a live formula


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice not installed")
def test_formulas_compute_in_libreoffice(sheet, tmp_path: Path):
    path, wb = sheet
    ws = wb["评分"]
    # Fill reviewer scores so subtotals and the average can be checked.
    ws["F2"], ws["G2"], ws["H2"], ws["I2"], ws["J2"], ws["L2"] = 20, 18, 17, 9, 8, 7  # reviewer 1, row 2
    ws["N2"] = 10  # reviewer 2 only scored one item
    filled = tmp_path / "filled.xlsx"
    wb.save(filled)
    out = tmp_path / "csv"
    result = subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation={(tmp_path / 'lo').as_uri()}",
            "--headless",
            "--convert-to",
            "csv:Text - txt - csv (StarCalc):44,34,76,1",
            "--outdir",
            str(out),
            str(filled),
        ],
        capture_output=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr
    rows = list(csv.reader((out / "filled.csv").read_text(encoding="utf-8").splitlines(keepends=True)))
    fans_points = [r[FANS_COL + 5] for r in rows[1:]]
    assert fans_points[0] == "10" and fans_points[1] == "10"  # the largest fan count gets full marks
    assert fans_points[2] == str(round(10 * 2.6998 / 5.0899))  # 500 fans vs 123000
    assert fans_points[3] == ""  # unknown fan count: reviewers decide
    first = rows[1]
    assert first[len(ID_HEADERS) + len(ITEMS)] == "89"  # 20+18+17+9+8+10(fans)+7
    assert first[len(ID_HEADERS) + 2 * (len(ITEMS) + 1) - 1] == "20"  # 10 + 10 (fans)
    assert first[-2] == "54.5" and first[-1] == "1"
    assert rows[2][len(ID_HEADERS) + len(ITEMS)] == ""  # reviewer has not scored yet
