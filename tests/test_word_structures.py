"""Word structures units produce that used to be missed (issue 19): values in floating text
boxes, a form field under its label, a label and its value in one cell, tracked deletions after
a .doc or PDF round trip, a form widened to two accounts, Word's one-file XML, GIF scans.

The documents are the real-document corpus (tests/corpus/real, made by tests/corpus/): Word XML
as Word 2016 and WPS write it, LibreOffice's .doc round trip and PDF print of it, and the same
document as Word 2003 XML. Each goes through read_document, the path a mail attachment takes.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from corpus import forms
from corpus.wordml import Writer

from pipeline.campaign import builtin
from pipeline.documents import read_document
from pipeline.documents.docx_reader import read_docx
from pipeline.documents.sniff import sniff
from pipeline.form import extract_form, extract_forms

FORM = builtin().form
REAL = Path(__file__).parent / "corpus" / "real"
EXPECTED: dict[str, dict] = json.loads((REAL / "expected.json").read_text(encoding="utf-8"))


def read(name: str):
    doc = read_document(name, (REAL / name).read_bytes())
    return doc, extract_form(doc, FORM)


# ------------------------------------------------------------ text boxes

BOXED = ("账号名称", "粉丝数量", "运营主体", "手机", "联系地址")
BESIDE = ("账号名称", "粉丝数量", "联系人", "手机", "邮编")


@pytest.mark.parametrize("ext", ["docx", "doc", "pdf", "xml"])
def test_values_in_text_boxes_over_their_cells(ext):
    """Boxes anchored in the label's cell, the title above the table, the line under it (from
    the page), and a VML-only box: each value is read once, from the cell it covers."""
    doc, form = read(f"textboxes_over_cells.{ext}")
    want = EXPECTED[f"textboxes_over_cells.{ext}"]["fields"]
    assert {k: form.fields[k] for k in BOXED} == {k: want[k] for k in BOXED}
    assert form.fields == want
    for label in BOXED:
        assert doc.text.split("\n").count(want[label]) == 1, label  # DrawingML and its VML fallback read once
        assert form.sources[label].split(" ", 1)[1].startswith("表格1 "), form.sources[label]


@pytest.mark.parametrize("ext", ["docx", "doc", "pdf"])
def test_values_in_text_boxes_beside_their_labels(ext):
    """A "标签：" form without a table: each box is anchored to the line above its label."""
    _, form = read(f"wps_textboxes_beside_labels.{ext}")
    want = EXPECTED[f"wps_textboxes_beside_labels.{ext}"]["fields"]
    assert {k: form.fields[k] for k in BESIDE} == {k: want[k] for k in BESIDE}
    assert form.fields == want


def _box_form(box_xml: str, where: str) -> bytes:
    """A two-column form with an empty 账号名称 cell and `box_xml` in the paragraph `where`."""
    w = Writer("word2016")
    rows = []
    for label, value in (("账号名称", ""), ("注册时间", "2016年3月"), ("粉丝数量", "12000")):
        cell = w.para(w.run(label) + (box_xml if where == label else ""))
        rows.append(w.row(w.cell(cell, 2000, shade=True) + w.cell(w.para(w.run(value)), 6306)))
    body = w.para(w.run("推荐表") + (box_xml if where == "title" else "")) + w.table(rows, [2000, 6306])
    return w.package(body)


def test_a_box_that_lands_on_no_cell_stays_with_its_anchor():
    """Positioned far right of the page's text: no cell under it, so its anchor paragraph keeps it."""
    w = Writer("word2016")
    box = w.textbox("页边批注", 9, h=("page", 11000 * 635), v=("paragraph", 0), wrap="<wp:wrapNone/>")
    doc = read_docx(_box_form(box, "title"), "x.docx")
    assert doc.paragraphs[0] == "推荐表\n页边批注"
    assert all("页边批注" not in c.text for c in doc.tables[0].cells)


def test_a_box_dragged_onto_the_value_cell_of_the_next_row():
    """Anchored in 账号名称's label cell but moved down one row: it belongs to 注册时间's row."""
    w = Writer("word2016")
    box = w.textbox(
        "2019年5月", 9, h=("column", 2100 * 635), v=("paragraph", 470 * 635), wrap="<wp:wrapNone/>"
    )
    doc = read_docx(_box_form(box, "账号名称"), "x.docx")
    cells = {(c.row, c.col): c.text for c in doc.tables[0].cells}
    assert cells[(1, 1)] == "2016年3月\n2019年5月" and cells[(0, 1)] == ""


# ------------------------------------------------------------ fields below labels, shared cells


@pytest.mark.parametrize("ext", ["docx", "doc", "pdf"])
def test_form_fields_in_the_row_below_their_labels(ext):
    _, form = read(f"legacy_fields_below.{ext}")
    want = EXPECTED[f"legacy_fields_below.{ext}"]["fields"]
    for label in ("账号ID/网页链接", "账号简介", "传播实效", "推荐理由", "联系地址"):
        assert form.fields[label] == want[label], label
    assert form.fields["运营人数"] == ""  # left empty: five en spaces are not a value
    assert form.fields == want


@pytest.mark.parametrize("ext", ["docx", "doc", "pdf"])
def test_label_and_value_in_one_cell(ext):
    """ "注册时间　2014年1月" (a gap only), and in print "运营主体" wrapping right at the gap."""
    _, form = read(f"label_and_value_in_one_cell.{ext}")
    want = EXPECTED[f"label_and_value_in_one_cell.{ext}"]["fields"]
    for label in ("注册时间", "运营主体", "运营人数", "手机", "邮编"):
        assert form.fields[label] == want[label], label
    assert form.fields == want


def test_a_lone_label_glued_to_text_is_not_a_value():
    """Glued "标签值" counts only in a table written that way: elsewhere it is left alone."""
    w = Writer("word2016")
    rows = [
        w.row(w.cell(w.para(w.run(label)), 2000) + w.cell(w.para(w.run(value)), 6306))
        for label, value in (
            ("账号名称", "松原针灸"),
            ("注册时间", "2015年1月"),
            ("粉丝数量", "12000"),
            ("运营主体", "运营主体变更说明见附件"),
        )
    ]
    doc = read_docx(w.package(w.table(rows, [2000, 6306])), "x.docx")
    assert extract_form(doc, FORM).fields["运营主体"] == "运营主体变更说明见附件"


# ------------------------------------------------------------ tracked changes after a round trip


@pytest.mark.parametrize(
    ("name", "deleted"),
    [
        ("word2016_tracked.doc", ("old_mail@163.com", "100000")),
        ("word2016_tracked.xml", ("old_mail@163.com", "待补充", "800015711")),
        ("row_deleted_unmarked.doc", ("1500",)),
        ("row_deleted_unmarked.pdf", ("1500",)),
        ("tracked_email_changed.doc", ("old@example.com", "0000")),
        ("tracked_email_changed.pdf", ("old@example.com", "0000")),
    ],
)
def test_deleted_text_is_never_a_value(name, deleted):
    _, form = read(name)
    assert form.fields == EXPECTED[name]["fields"]
    for value in form.fields.values():
        assert not any(d in value for d in deleted), value


def test_struck_digits_leave_no_gap_in_print():
    """ "1380025[0000]5678": the struck digits go, and no space is left where they were."""
    _, form = read("tracked_email_changed.pdf")
    assert form.fields["手机"] == EXPECTED["tracked_email_changed.pdf"]["fields"]["手机"]


# ------------------------------------------------------------ two accounts in one form


@pytest.mark.parametrize("ext", ["docx", "doc", "pdf"])
def test_two_accounts_side_by_side_are_two_forms(ext):
    doc, _ = read(f"two_accounts_side_by_side.{ext}")
    found = extract_forms(doc, FORM)
    assert [f.fields for f in found] == forms.two_accounts_values()
    assert found[1].fields["联系人"] == found[0].fields["联系人"]  # the merged contact rows are shared


def test_a_column_of_notes_beside_the_values_is_not_a_second_account():
    """ "账号名称 | 针灸之窗 | 请填写全称": the notes pass no field's check, so one account."""
    w = Writer("wps")
    notes = {
        "账号名称": "请填写全称",
        "注册时间": "按开通日期",
        "粉丝数量": "截至填表日",
        "运营主体": "单位全称",
    }
    rows = [
        w.row(
            w.cell(w.para(w.run(label)), 1800)
            + w.cell(w.para(w.run(value)), 4000)
            + w.cell(w.para(w.run(notes.get(label, ""))), 2506)
        )
        for label, value in forms.two_accounts_values()[0].items()
    ]
    doc = read_docx(w.package(w.table(rows, [1800, 4000, 2506])), "x.docx")
    (form,) = extract_forms(doc, FORM)
    assert form.fields == forms.two_accounts_values()[0]


def test_a_photo_column_beside_the_values_is_not_a_second_account():
    doc, _ = read("vmerge_photo_column.docx")
    assert len(extract_forms(doc, FORM)) == 1


# ------------------------------------------------------------ one-file XML and GIF


@pytest.mark.parametrize(
    "name",
    [
        "legacy_fields.xml",
        "word2016_tracked.xml",
        "textboxes_over_cells.xml",
        "word2016_controls_flat_opc.xml",
    ],
)
def test_word_xml_documents_are_read(name):
    doc, form = read(name)
    assert doc.format == "xml" and doc.problems == []
    assert form.fields == EXPECTED[name]["fields"]


def test_word2003_form_fields_keep_the_chosen_entry_and_the_check_box():
    """Word 2003 XML keeps a drop-down's choice only in w:fldData (binary FFData)."""
    doc, form = read("legacy_fields.xml")
    assert form.fields["运营人数"] == EXPECTED["legacy_fields.xml"]["fields"]["运营人数"] != ""
    assert "☑同意☐不同意" in doc.text


@pytest.mark.parametrize(
    ("head", "kind"),
    [
        (
            b'<?xml version="1.0"?>\n<?mso-application progid="Word.Document"?>\n<w:wordDocument xmlns:w="x">',
            "wordml",
        ),
        (
            b'<?xml version="1.0"?><?mso-application progid="Word.Document"?><pkg:package xmlns:pkg="y">',
            "wordml",
        ),
        (b'<?xml version="1.0"?><?mso-application progid="Excel.Sheet"?><Workbook xmlns="z">', "unknown"),
        (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"></svg>', "unknown"),
    ],
)
def test_word_xml_is_recognised_by_content(head, kind):
    assert sniff(head + b" " * 64, "附件1推荐表.xml").kind == kind


def test_a_broken_word_xml_is_reported_damaged_not_unsupported():
    doc = read_document("推荐表.xml", (REAL / "legacy_fields.xml").read_bytes()[:3000])
    assert [p.code for p in doc.problems] == ["corrupt"]


def test_gif_scan_is_read_by_ocr():
    """A scanner's GIF goes to OCR like a PNG (the first frame of an animation only)."""
    import scan_corpus
    from scan_corpus import VALUES

    page = scan_corpus.scanned(scan_corpus.render_form())
    buf = io.BytesIO()
    page.convert("L").save(buf, "GIF")
    doc = read_document("扫描件.gif", buf.getvalue())
    assert doc.is_scan and doc.format == "gif"
    assert extract_form(doc, FORM).fields == VALUES
