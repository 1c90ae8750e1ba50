"""read_pdf on PDFs exported by LibreOffice from generated forms."""

from __future__ import annotations

import pytest
from fixtures_forms import (
    ENCRYPT_FILTER,
    VARIANT_LABELS,
    docx_grid,
    docx_paragraphs,
    docx_under,
    docx_vertical,
    image_only_pdf,
    sample_values,
    soffice_to_pdf,
)

from pipeline.campaign import builtin
from pipeline.documents.errors import DocumentError
from pipeline.documents.pdf_reader import _garbled, join_lines, read_pdf
from pipeline.form import analyze_document, extract_form

FORM = builtin().form

LONG = "本账号长期坚持原创科普内容创作，围绕针灸临床与养生保健主题持续发布图文和短视频，回应群众关切，" * 3


@pytest.fixture(scope="session")
def pdfs(tmp_path_factory) -> dict[str, tuple[bytes, dict[str, str]]]:
    """All PDF fixtures, converted in a single soffice run."""
    specs: dict[str, tuple[bytes, dict[str, str]]] = {}
    v = sample_values(0)
    specs["grid.docx"] = (docx_grid(v), v)
    v = sample_values(1)
    v["推荐理由"] = LONG  # wraps over several lines inside its cell
    specs["variants.docx"] = (docx_grid(v, labels=VARIANT_LABELS, materials_first=True), v)
    v = sample_values(2)
    specs["vertical.docx"] = (docx_vertical(v), v)
    v = sample_values(3)
    specs["under.docx"] = (docx_under(v), v)
    v = sample_values(4)
    specs["paragraphs.docx"] = (docx_paragraphs(v), v)
    out = soffice_to_pdf({k: data for k, (data, _) in specs.items()}, tmp_path_factory.mktemp("pdf"))
    return {k.replace(".docx", ".pdf"): (out[k], vals) for k, (_, vals) in specs.items()}


@pytest.mark.parametrize("name", ["grid.pdf", "variants.pdf", "vertical.pdf", "under.pdf", "paragraphs.pdf"])
def test_pdf_layouts(pdfs, name):
    data, values = pdfs[name]
    doc = read_pdf(data, name)
    assert doc.format == "pdf"
    assert doc.problems == []
    form = extract_form(doc, FORM)
    assert form.fields == values
    assert form.labels_found == 15


def test_pdf_grid_tables_and_sources(pdfs):
    data, values = pdfs["grid.pdf"]
    doc = read_pdf(data, "grid.pdf")
    (table,) = doc.tables
    intro = next(c for c in table.cells if c.text == values["账号简介"])
    assert (intro.col, intro.col_span) == (1, 3)
    form = extract_form(doc, FORM)
    assert form.sources["账号名称"] == "grid.pdf 表格1 第2行第2列"
    # Text outside the table is kept, table text is not repeated in paragraphs.
    assert "附件1" in doc.paragraphs
    assert not any(values["账号名称"] in p for p in doc.paragraphs)


def test_pdf_wrapped_label_and_value(pdfs):
    data, values = pdfs["variants.pdf"]
    doc = read_pdf(data, "variants.pdf")
    assert any("\n" not in c.text and c.text == values["推荐理由"] for c in doc.tables[-1].cells)


def test_pdf_paragraph_layout_validates_clean(pdfs):
    data, _values = pdfs["paragraphs.pdf"]
    _form, normalized, problems = analyze_document(read_pdf(data, "p.pdf"), FORM)
    assert problems == []
    assert isinstance(normalized["粉丝数量"], int)


def test_scanned_pdf_flagged():
    doc = read_pdf(image_only_pdf(), "scan.pdf")
    assert [p.code for p in doc.problems] == ["pdf_no_text"]
    assert doc.tables == [] and doc.paragraphs == []
    assert doc.image_count == 1


@pytest.mark.parametrize(("data", "code"), [(b"not a pdf", "not_pdf"), (b"%PDF-1.7\n garbage", "corrupt")])
def test_broken_pdf(data, code):
    with pytest.raises(DocumentError) as err:
        read_pdf(data, "bad.pdf")
    assert err.value.code == code


def test_truncated_pdf(pdfs):
    data, _ = pdfs["grid.pdf"]
    with pytest.raises(DocumentError) as err:
        read_pdf(data[: len(data) // 2], "cut.pdf")
    assert err.value.code == "corrupt"


@pytest.mark.parametrize(
    ("text", "joined"),
    [
        ("中国针灸\n学会", "中国针灸学会"),
        ("账号ID/网\n页链接", "账号ID/网页链接"),
        ("https://weibo.com/zhen\njiu1", "https://weibo.com/zhenjiu1"),
        ("hello\nworld", "hello world"),
        ("东直门内南小街\n16号", "东直门内南小街16号"),
        ("  \n", ""),
    ],
)
def test_join_lines(text, joined):
    assert join_lines(text) == joined


@pytest.mark.parametrize(
    ("text", "garbled"),
    [
        ("(cid:12)(cid:55)(cid:90)(cid:3) (cid:77)", True),
        ("\ufffd\ufffd\ufffd账号", True),
        ("", True),
        ("账号名称 针灸科普1号 (cid:3)" + "正常文字" * 10, False),
        ("账号名称：针灸科普1号", False),
    ],
)
def test_garbage_text_detection(text, garbled):
    assert _garbled(text) is garbled


def test_password_protected_pdf(tmp_path):
    out = soffice_to_pdf({"locked.docx": docx_vertical(sample_values(0))}, tmp_path, target=ENCRYPT_FILTER)
    with pytest.raises(DocumentError) as err:
        read_pdf(out["locked.docx"], "locked.pdf")
    assert err.value.code == "encrypted"
