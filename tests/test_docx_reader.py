"""read_docx on generated 推荐表 files: structure, tricky constructs, hostile input."""

from __future__ import annotations

import io
import os
import zipfile

import docx
import pytest
from fixtures_forms import (
    LABELS,
    VARIANT_LABELS,
    _p,
    _r,
    build_docx_package,
    construct_expected,
    docx_constructs,
    docx_grid,
    docx_paragraphs,
    docx_vertical,
    sample_values,
)

from pipeline.campaign import builtin
from pipeline.config import Limits
from pipeline.documents.docx_reader import read_docx
from pipeline.documents.errors import DocumentError
from pipeline.form import extract_form

FORM = builtin().form


def _cells(doc):
    return [c for t in doc.tables for c in t.cells]


def test_grid_merged_cells_appear_once_with_spans():
    values = sample_values(0)
    doc = read_docx(docx_grid(values), "推荐表.docx")
    assert doc.format == "docx"
    (table,) = doc.tables
    texts = [c.text for c in table.cells]
    for label in LABELS:
        assert texts.count(values[label]) == 1, label
    title = next(c for c in table.cells if c.text == "推荐表")
    assert (title.row, title.col, title.col_span) == (0, 0, 4)
    intro = next(c for c in table.cells if c.text == values["账号简介"])
    assert (intro.col, intro.col_span) == (1, 3)
    assert "附件1" in doc.paragraphs


def test_grid_text_matches_python_docx():
    """Same cell texts as python-docx (which repeats merged cells), without the repeats."""
    data = docx_grid(sample_values(1), labels=VARIANT_LABELS)
    ours = {c.text for c in read_docx(data, "a.docx").tables[0].cells}
    ref = {cell.text.strip() for row in docx.Document(io.BytesIO(data)).tables[0].rows for cell in row.cells}
    assert ours == ref


def test_grid_fields_and_sources():
    values = sample_values(2)
    form = extract_form(read_docx(docx_grid(values), "推荐表.docx"), FORM)
    assert form.fields == values
    assert form.labels_found == 15
    # 账号名称 sits in row 2 (after the title row), its value in column 2.
    assert form.sources["账号名称"] == "推荐表.docx 表格1 第2行第2列"
    assert form.sources["手机"] == "推荐表.docx 表格1 第9行第4列"


def test_vmerged_label_collects_one_value_per_row():
    values = sample_values(3)
    values["传播实效"] = "第一行实效描述\n第二行实效描述"
    doc = read_docx(docx_grid(values, split_effect=True), "a.docx")
    label = next(c for c in doc.tables[0].cells if c.text == "传播实效")
    assert label.row_span == 2
    assert extract_form(doc, FORM).fields == values


def test_label_variants_and_materials_table_first():
    values = sample_values(4)
    doc = read_docx(docx_grid(values, labels=VARIANT_LABELS, materials_first=True), "a.docx")
    assert len(doc.tables) == 2
    form = extract_form(doc, FORM)
    assert form.fields == values
    assert form.sources["邮编"].startswith("a.docx 表格2 ")


def test_vertical_table():
    values = sample_values(5)
    form = extract_form(read_docx(docx_vertical(values), "v.docx"), FORM)
    assert form.fields == values
    assert form.sources["联系地址"] == "v.docx 表格1 第15行第2列"


def test_paragraphs_only():
    values = sample_values(6)
    values["推荐理由"] = "第一段理由。\n第二段理由。"
    doc = read_docx(docx_paragraphs(values), "p.docx")
    assert doc.tables == []
    form = extract_form(doc, FORM)
    assert form.fields == values
    assert form.sources["账号名称"] == "p.docx 正文第2段"


def test_constructs_sdt_formtext_textbox_revisions_nested():
    values = sample_values(7)
    doc = read_docx(docx_constructs(values), "c.docx")
    form = extract_form(doc, FORM)
    assert form.fields == construct_expected(values)
    text = doc.text
    assert "99999" not in text  # w:del
    assert "旧地址" not in text  # w:moveFrom
    assert "FORMTEXT" not in text  # w:instrText
    assert "单击或点击此处输入文字" not in text  # showingPlcHdr
    assert text.count(values["账号简介"]) == 1  # text box Choice only, not Fallback
    assert doc.image_count == 1
    assert len(doc.tables) == 2  # the nested table is also its own table
    assert doc.tables[1].cells[0].text == values["传播实效"]


def test_docm_read_as_plain_ooxml():
    values = sample_values(8)
    data = docx_constructs(values, image=False)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        body = zf.read("word/document.xml").decode()
    inner = body.split("<w:body>", 1)[1].rsplit("<w:sectPr/>", 1)[0]
    docm = build_docx_package(inner, macro=True)
    with pytest.raises(ValueError):
        docx.Document(io.BytesIO(docm))  # python-docx refuses .docm
    doc = read_docx(docm, "宏.docm")
    assert doc.format == "docm"
    assert extract_form(doc, FORM).fields == construct_expected(values)
    assert doc.image_count == 0


def test_grid_before_shifts_columns():
    row = '<w:tr><w:trPr><w:gridBefore w:val="1"/></w:trPr><w:tc>' + _p(_r("联系人")) + "</w:tc><w:tc>"
    row += _p(_r("王五")) + "</w:tc></w:tr>"
    doc = read_docx(build_docx_package(f"<w:tbl>{row}</w:tbl>"), "g.docx")
    cols = {c.text: c.col for c in doc.tables[0].cells}
    assert cols == {"联系人": 1, "王五": 2}


def _one_table(rows: list[str]) -> str:
    return "<w:tbl>" + "".join(rows) + "</w:tbl>"


def _row(*texts: str, trpr: str = "") -> str:
    cells = "".join(f"<w:tc>{_p(_r(t))}</w:tc>" for t in texts)
    return f"<w:tr><w:trPr>{trpr}</w:trPr>{cells}</w:tr>"


def test_row_deleted_with_track_changes_is_not_read():
    deleted = '<w:del w:id="1" w:author="x" w:date="2021-07-28T09:30:00Z"/>'
    inserted = '<w:ins w:id="2" w:author="x" w:date="2021-07-28T09:30:00Z"/>'
    body = _one_table(
        [_row("发布数量", "1500", trpr=deleted), _row("发布数量", "1680", trpr=inserted), _row("备注", "")]
    )
    (table,) = read_docx(build_docx_package(body), "d.docx").tables
    assert [(c.row, c.text) for c in table.cells] == [(0, "发布数量"), (0, "1680"), (1, "备注"), (1, "")]


def _field(ffdata: str, instr: str, result: str = "", end: bool = True) -> str:
    out = f'<w:r><w:fldChar w:fldCharType="begin"><w:ffData><w:name w:val="F"/>{ffdata}</w:ffData></w:fldChar></w:r>'
    out += f'<w:r><w:instrText xml:space="preserve"> {instr} </w:instrText></w:r>'
    out += '<w:r><w:fldChar w:fldCharType="separate"/></w:r>' + (_r(result) if result else "")
    return out + ('<w:r><w:fldChar w:fldCharType="end"/></w:r>' if end else "")


def test_legacy_drop_down_and_check_boxes():
    entries = "".join(f'<w:listEntry w:val="{v}"/>' for v in ("3", "4", "5"))
    chosen = _field(f'<w:ddList><w:result w:val="2"/>{entries}</w:ddList>', "FORMDROPDOWN", result="3")
    default = _field(f'<w:ddList><w:default w:val="1"/>{entries}</w:ddList>', "FORMDROPDOWN")
    boxes = _field('<w:checkBox><w:default w:val="0"/><w:checked/></w:checkBox>', "FORMCHECKBOX")
    boxes += _field('<w:checkBox><w:default w:val="0"/></w:checkBox>', "FORMCHECKBOX")
    body = _p(chosen) + _p(default) + _p(boxes + _r("同意"))
    doc = read_docx(build_docx_package(body), "f.docx")
    assert doc.paragraphs == ["5", "4", "☑☐同意"]


def test_unclosed_drop_down_does_not_hide_the_next_paragraph():
    broken = _field('<w:ddList><w:listEntry w:val="甲"/></w:ddList>', "FORMDROPDOWN", result="乙", end=False)
    doc = read_docx(build_docx_package(_p(broken) + _p(_r("联系人：王五"))), "b.docx")
    assert doc.paragraphs == ["甲", "联系人：王五"]


# ---------------------------------------------------------------- hostile / broken


def test_doctype_rejected():
    evil = '<!DOCTYPE w:document [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    data = build_docx_package(_p("<w:r><w:t>&x;</w:t></w:r>"), prolog=evil)
    with pytest.raises(DocumentError) as err:
        read_docx(data, "x.docx")
    assert err.value.code == "xml_doctype"


def test_zip_bomb_ratio_rejected():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("word/document.xml", b" " * (20 * 1024 * 1024))
    with pytest.raises(DocumentError) as err:
        read_docx(buf.getvalue(), "bomb.docx")
    assert err.value.code == "zip_bomb"


def test_unpacked_size_limit():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("word/media/big.bin", os.urandom(2 * 1024 * 1024))
        zf.writestr("word/document.xml", "<w:document/>")
    with pytest.raises(DocumentError) as err:
        read_docx(buf.getvalue(), "big.docx", Limits(max_unpacked_mb=1))
    assert err.value.code == "too_large"


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"hello, not a zip at all", "not_zip"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "ole_not_ooxml"),
    ],
)
def test_not_ooxml(data, code):
    with pytest.raises(DocumentError) as err:
        read_docx(data, "x.docx")
    assert err.value.code == code
    assert "“x.docx”" in err.value.message


def test_truncated_docx():
    data = docx_grid(sample_values(0))
    with pytest.raises(DocumentError) as err:
        read_docx(data[: len(data) // 2], "half.docx")
    assert err.value.code == "corrupt"


def test_missing_main_part():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("hello.txt", "x")
    with pytest.raises(DocumentError) as err:
        read_docx(buf.getvalue(), "empty.docx")
    assert err.value.code == "missing_part"


def test_mutated_packages_never_crash():
    """Damaged XML or zip bytes give a Document or a DocumentError, nothing else."""
    import random

    rng = random.Random(20210802)
    base = docx_constructs(sample_values(0))
    with zipfile.ZipFile(io.BytesIO(base)) as zf:
        parts = {i.filename: zf.read(i.filename) for i in zf.infolist()}
    outcomes = set()
    for _ in range(60):
        xml = bytearray(parts["word/document.xml"])
        for _ in range(rng.randint(1, 8)):
            xml[rng.randrange(len(xml))] = rng.choice(b'<>/"= wx\x00\xff')
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as out:
            for name, body in parts.items():
                out.writestr(name, bytes(xml) if name == "word/document.xml" else body)
        try:
            read_docx(buf.getvalue(), "m.docx")
            outcomes.add("ok")
        except DocumentError as exc:
            assert exc.code in {"corrupt", "xml_doctype"}
            outcomes.add(exc.code)
    for _ in range(40):
        raw = bytearray(base)
        for _ in range(rng.randint(1, 4)):
            raw[rng.randrange(len(raw))] = rng.randrange(256)
        try:
            read_docx(bytes(raw), "z.docx")
        except DocumentError as exc:
            outcomes.add(exc.code)
    assert "corrupt" in outcomes


def test_absurd_table_does_not_hide_the_form():
    """A row of thousands of wide cells is bounded; the real form after it is still read."""
    wide = "<w:tr>" + "".join(
        f'<w:tc><w:tcPr><w:gridSpan w:val="64"/></w:tcPr>{_p(_r(str(i)))}</w:tc>' for i in range(5000)
    )
    hostile = f"<w:tbl>{wide}</w:tr></w:tbl>"
    values = sample_values(9)
    form_rows = "".join(
        f"<w:tr><w:tc>{_p(_r(k))}</w:tc><w:tc>{_p(_r(values[k]))}</w:tc></w:tr>" for k in LABELS
    )
    doc = read_docx(build_docx_package(hostile + f"<w:tbl>{form_rows}</w:tbl>"), "h.docx")
    assert extract_form(doc, FORM).fields == values
