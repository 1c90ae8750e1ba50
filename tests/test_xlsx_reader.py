"""read_xlsx / read_xls_book on generated workbooks."""

from __future__ import annotations

import io
import subprocess
import zipfile
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest
from fixtures_forms import LABELS, VARIANT_LABELS, sample_values, xlsx_grid, xlsx_vertical

from pipeline.campaign import builtin
from pipeline.documents.convert import seed_profile
from pipeline.documents.errors import DocumentError
from pipeline.documents.xlsx_reader import cell_text, read_xls_book, read_xlsx
from pipeline.form import analyze_document, extract_form

FORM = builtin().form


def test_grid_numbers_are_plain_text_and_merges_once():
    values = sample_values(0)
    doc = read_xlsx(xlsx_grid(values), "推荐表.xlsx")
    assert [t.name for t in doc.tables] == ["推荐表"]
    texts = [c.text for c in doc.tables[0].cells]
    assert values["手机"] in texts  # stored as an int, read back without ".0"
    assert not any(t.endswith(".0") for t in texts)
    for label in LABELS:
        assert texts.count(values[label]) == 1, label
    intro = next(c for c in doc.tables[0].cells if c.text == values["账号简介"])
    assert (intro.col, intro.col_span, intro.row_span) == (1, 3, 1)
    title = doc.tables[0].cells[0]
    assert (title.text, title.col_span) == ("推荐表", 4)


def test_grid_fields():
    values = sample_values(1)
    form = extract_form(read_xlsx(xlsx_grid(values, labels=VARIANT_LABELS), "a.xlsx"), FORM)
    assert form.fields == values
    assert form.sources["手机"] == "a.xlsx 推荐表 第9行第4列"


def test_date_cell_becomes_iso_text():
    values = sample_values(2)
    when = datetime(2015, 6, 12)
    form, normalized, problems = analyze_document(
        read_xlsx(xlsx_grid(values, date_cell=when), "d.xlsx"), FORM
    )
    assert form.fields["注册时间"] == when.date().isoformat()
    assert normalized["注册时间"] == when.date().isoformat()
    assert normalized["手机"] == values["手机"]
    assert problems == []


def test_form_on_second_sheet_after_materials_list():
    values = sample_values(3)
    doc = read_xlsx(xlsx_grid(values, materials_sheet=True), "m.xlsm")
    assert [t.name for t in doc.tables] == ["材料清单", "推荐表"]
    assert doc.format == "xlsm"
    form = extract_form(doc, FORM)
    assert form.fields == values
    assert all(src.startswith("m.xlsm 推荐表 ") for src in form.sources.values())


def test_vertical_sheet():
    values = sample_values(4)
    assert extract_form(read_xlsx(xlsx_vertical(values), "v.xlsx"), FORM).fields == values


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (13800138000, "13800138000"),
        (13800138000.0, "13800138000"),
        (12.5, "12.5"),
        (datetime(2015, 6, 12), "2015-06-12"),
        (datetime(2015, 6, 12, 8, 30), "2015-06-12 08:30:00"),
        (None, ""),
        (" 文本 ", "文本"),
    ],
)
def test_cell_text(value, text):
    assert cell_text(value) == text


def test_billion_laughs_in_sheet_refused():
    data = xlsx_grid(sample_values(0))
    src = zipfile.ZipFile(io.BytesIO(data))
    buf = io.BytesIO()
    laughs = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        '<row r="1"><c r="A1" t="inlineStr"><is><t>&lol2;</t></is></c></row></sheetData></worksheet>'
    )
    with zipfile.ZipFile(buf, "w") as out:
        for item in src.infolist():
            body = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                body = laughs.encode()
            out.writestr(item, body)
    with pytest.raises(DocumentError) as err:
        read_xlsx(buf.getvalue(), "lol.xlsx")
    assert err.value.code == "corrupt"


def test_openpyxl_uses_defusedxml():
    from openpyxl.xml import DEFUSEDXML

    assert DEFUSEDXML is True


def test_truncated_xlsx():
    data = xlsx_grid(sample_values(0))
    with pytest.raises(DocumentError) as err:
        read_xlsx(data[:-200], "t.xlsx")
    assert err.value.code == "corrupt"


# ---------------------------------------------------------------- .xls via xlrd


@pytest.fixture(scope="session")
def xls_book(tmp_path_factory) -> tuple[bytes, dict[str, str]]:
    """An .xls made by LibreOffice from our xlsx (xlwt is not a dependency)."""
    values = sample_values(5)
    work: Path = tmp_path_factory.mktemp("xls")
    (work / "form.xlsx").write_bytes(xlsx_grid(values))
    profile = work / "profile"
    seed_profile(profile)
    subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--norestore",
            "--convert-to",
            "xls",
            "--outdir",
            str(work),
            str(work / "form.xlsx"),
        ],
        check=True,
        timeout=180,
        capture_output=True,
        env={"HOME": str(profile), "PATH": "/usr/bin:/bin"},
    )
    return (work / "form.xls").read_bytes(), values


def test_read_xls_book(xls_book):
    data, values = xls_book
    doc = read_xls_book(data, "老表格.xls")
    assert doc.format == "xls"
    intro = next(c for c in doc.tables[0].cells if c.text == values["账号简介"])
    assert intro.col_span == 3  # merges known thanks to formatting_info=True
    form = extract_form(doc, FORM)
    assert form.fields == values


def test_read_xls_book_rejects_garbage():
    with pytest.raises(DocumentError) as err:
        read_xls_book(b"\xd0\xcf\x11\xe0 definitely not a workbook", "x.et")
    assert err.value.code == "xls_unreadable"


def test_read_xls_book_rejects_xlsx():
    with pytest.raises(DocumentError) as err:
        read_xls_book(xlsx_grid(sample_values(0)), "x.xls")
    assert err.value.code == "xls_unreadable"


def test_openpyxl_reference_values_match():
    """Every non-empty value openpyxl sees is in our Document (nothing lost)."""
    data = xlsx_grid(sample_values(6), materials_sheet=True)
    ours = {c.text for t in read_xlsx(data, "r.xlsx").tables for c in t.cells if c.text}
    wb = openpyxl.load_workbook(io.BytesIO(data), data_only=True)
    ref = {cell_text(v) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for v in row}
    assert ours == ref - {""}


def test_zero_padded_number_format_keeps_leading_zero():
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["邮编", 10010])
    ws["B1"].number_format = "000000"
    ws.append(["手机", 13800138000])
    buf = io.BytesIO()
    wb.save(buf)
    texts = [c.text for c in read_xlsx(buf.getvalue(), "z.xlsx").tables[0].cells]
    assert texts == ["邮编", "010010", "手机", "13800138000"]
