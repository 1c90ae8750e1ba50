"""The filled 推荐表.docx of the packet: the built-in 附件1 drawn from the field registry, and a
campaign's own blank form (a 2-column 申报表 made here, with wrapped, spaced, starred and
annotated labels, a content-control placeholder, hints, a label row with its value below
and a label with its value after the colon), each filled, read back and printed."""

from __future__ import annotations

import importlib.util
import inspect
import io
import re
import zipfile
from dataclasses import replace
from pathlib import Path

import docx
import pdfplumber
import pypdfium2
import pytest
from docx.enum.table import WD_ROW_HEIGHT_RULE
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Cm, Pt
from fixtures_forms import VARIANT_LABELS, docx_grid, docx_paragraphs, docx_under, soffice_to_pdf

from pipeline.campaign import FieldSpec, FormSpec, Kind, builtin
from pipeline.documents import read_document
from pipeline.form import extract_form
from pipeline.reports.blank_form import set_font
from pipeline.reports.form_docx import clean_text, render_form_docx, template_problems

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "templates" / "推荐表模板.docx"
ARTIFACTS = ROOT / "test-artifacts" / "forms"
FORM = builtin().form

FIELDS = {
    "账号名称": "针灸<之声> & 'Q'",
    "注册时间": "2015年3月",
    "粉丝数量": "12.3万",
    "运营主体": "北京针灸学会",
    "账号ID/网页链接": "https://weibo.com/u/123?a=1&b=2",
    "运营人数": "5",
    "发布数量": "1200",
    "账号简介": "第一段\n第二段",
    "传播实效": "{{ not_a_placeholder }} {% if x %}",
    "推荐理由": '=HYPERLINK("x")\t含制表与控制字符\x07\x0c结束',
    "联系人": "张三",
    "手机": "13800000000",
    "电子邮箱": "a@example.cn",
    "邮编": "100000",
    "联系地址": "北京市东城区]]>&lt;",
}


def paragraph_text(p) -> str:
    """Text of a w:p with w:br as a newline (as a form reader should see it)."""
    return "".join((e.text or "") if e.tag == qn("w:t") else "\n" for e in p.iter(qn("w:t"), qn("w:br")))


def grid(table) -> list[list[tuple[str, int]]]:
    """Real cells per row as (text, gridSpan) — what a form reader at the next level sees."""
    rows = []
    for tr in table._tbl.tr_lst:
        cells = []
        for tc in tr.tc_lst:
            span = tc.tcPr.find(qn("w:gridSpan")) if tc.tcPr is not None else None
            text = "\n".join(paragraph_text(p) for p in tc.iter(qn("w:p")))
            cells.append((text, int(span.get(qn("w:val"))) if span is not None else 1))
        rows.append(cells)
    return rows


def label_values(table) -> dict[str, str]:
    """Pair each label with the cell to its right, using the raw grid (no repeated merged cells)."""
    found = {}
    for row in grid(table):
        for i in range(0, len(row) - 1, 2):
            found[row[i][0]] = row[i + 1][0]
    return found


def read_back(doc, form: FormSpec):
    """The next level's reader on `doc`, reading `form`'s fields."""
    return extract_form(doc, form)


# ---------------------------------------------------------------- the built-in 附件1


def test_blank_form_is_the_notice_grid():
    doc = docx.Document(str(TEMPLATE))
    texts = [p.text for p in doc.paragraphs if p.text.strip()]
    assert texts[:2] == ["附件1", "推荐表"]
    assert len(doc.tables) == 1
    table = doc.tables[0]
    assert len(table.columns) == 4 and len(table.rows) == 10
    rows = grid(table)
    expected = [[(label, 1), ("", 3 if len(row) == 1 else 1)] for row in FORM.rows for label in row]
    flat = [pair for row in rows for pair in zip(row[0::2], row[1::2], strict=True)]
    assert [[a, b] for a, b in flat] == expected
    assert [label for row in rows for label, _ in row[0::2]] == list(FORM.labels)
    spans3 = [row[0][0] for row in rows if len(row) == 2]
    assert spans3 == ["账号ID/网页链接", "账号简介", "传播实效", "推荐理由", "联系地址"]
    section = doc.sections[0]
    assert (round(section.page_width.cm, 1), round(section.page_height.cm, 1)) == (21.0, 29.7)


def test_render_puts_values_in_the_right_cells(tmp_path: Path):
    filled = render_form_docx(FIELDS, "北京针灸学会<总会>", FORM, tmp_path / "sub" / "推荐表.docx")
    out = filled.path
    assert out.is_file() and filled.unplaced == []
    doc = docx.Document(str(out))
    table = doc.tables[0]
    values = label_values(table)
    assert list(values) == list(FORM.labels)
    for label in FORM.labels:
        expected = FIELDS[label]
        if label == "推荐理由":
            expected = '=HYPERLINK("x") 含制表与控制字符结束'
        assert values[label] == expected, label
    # python-docx's own view: label in col 0, value in col 1 (merged cells repeat across the span).
    assert table.cell(0, 1).text == FIELDS["账号名称"]
    assert table.cell(0, 3).text == "2015年3月"
    assert table.cell(2, 1).text == table.cell(2, 3).text == FIELDS["账号ID/网页链接"]
    assert table.cell(4, 1).text == "第一段\n第二段"  # newline became a line break
    assert table.cell(7, 3).text == "13800000000"
    assert doc.sections[0].footer.paragraphs[0].text == "推荐单位：北京针灸学会<总会>"
    with zipfile.ZipFile(out) as zf:
        xml = zf.read("word/document.xml").decode("utf-8")
    assert "not_a_placeholder" in xml and "<w:br/>" in xml
    assert "&lt;之声&gt; &amp; 'Q'" in xml  # escaped text, not markup
    # The value keeps the blank form's look: 宋体 12 pt, as the label beside it.
    run = table.cell(0, 1).paragraphs[0].runs[0]
    assert run.font.size == Pt(12)
    assert run._r.rPr.find(qn("w:rFonts")).get(qn("w:eastAsia")) == "宋体"


def test_missing_fields_render_empty(tmp_path: Path):
    out = render_form_docx({"账号名称": "只有名称"}, "", FORM, tmp_path / "f.docx").path
    values = label_values(docx.Document(str(out)).tables[0])
    assert values["账号名称"] == "只有名称"
    assert all(values[label] == "" for label in FORM.labels if label != "账号名称")


def test_generator_reproduces_checked_in_template(tmp_path: Path):
    spec = importlib.util.spec_from_file_location(
        "make_form_template", ROOT / "templates" / "make_form_template.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    fresh = module.build(tmp_path / "模板.docx")
    assert grid(docx.Document(str(fresh)).tables[0]) == grid(docx.Document(str(TEMPLATE)).tables[0])


def test_next_level_reads_every_field_back(tmp_path: Path):
    out = render_form_docx(FIELDS, "北京针灸学会", FORM, tmp_path / "推荐表.docx").path
    doc = read_document("推荐表.docx", out.read_bytes())
    assert doc.problems == []
    result = read_back(doc, FORM)
    assert result.labels_found == len(FORM.labels)
    assert result.fields == {label: clean_text(value) for label, value in FIELDS.items()}


def _word2016_prompts() -> bytes:
    """附件1 as Word 2016 writes it, every value a content control showing its prompt."""
    from corpus.layout import EMPTY, framed, grid
    from corpus.wordml import Writer

    w = Writer("word2016")
    prompt = {label: w.para(w.sdt_run("单击或点击此处输入文字。", placeholder=True)) for label in FORM.labels}
    return framed(w, grid(w, EMPTY, inner=prompt))


def _wps() -> bytes:
    from corpus.layout import EMPTY, framed, grid
    from corpus.wordml import Writer

    w = Writer("wps")
    return framed(w, grid(w, EMPTY))


BLANKS = {
    "retyped labels": lambda: docx_grid(FORM.empty_fields(), labels=VARIANT_LABELS),
    "labels above values": lambda: docx_under(FORM.empty_fields()),
    "lines, no table": lambda: docx_paragraphs(FORM.empty_fields(), two_per_line=False),
    "Word 2016 prompts": _word2016_prompts,
    "WPS": _wps,
}


@pytest.mark.parametrize("kind", list(BLANKS))
def test_blank_forms_as_units_keep_them_are_filled_and_read_back(kind: str, tmp_path: Path):
    """The 附件1 blank as Word, WPS and retyped copies have it: every value lands where it is read."""
    blank = tmp_path / "附件1.docx"
    blank.write_bytes(BLANKS[kind]())
    form = replace(FORM, template=blank)
    assert template_problems(form) == []
    filled = render_form_docx(FIELDS, "京针推荐单位", form, tmp_path / "推荐表.docx")
    assert filled.unplaced == []
    doc = read_document("推荐表.docx", filled.path.read_bytes())
    result = read_back(doc, FORM)
    assert result.fields == {label: clean_text(value) for label, value in FIELDS.items()}
    text = "\n".join(c.text for t in doc.tables for c in t.cells) + "\n".join(doc.paragraphs)
    assert "单击或点击此处输入文字" not in text
    footer = "".join(p.text for p in docx.Document(str(filled.path)).sections[0].footer.paragraphs)
    if kind == "labels above values":  # no 推荐单位 on this form: the footer says it
        assert footer == "推荐单位：京针推荐单位" and "京针推荐单位" not in text
    else:  # the form's own 推荐单位 cell or line
        assert footer == "" and text.count("京针推荐单位") == 1
        assert re.search(r"推荐单位（盖章）[：\n]京针推荐单位", text), text


# ---------------------------------------------------------------- a campaign's own blank form

WORK = FormSpec(
    fields=(
        FieldSpec("作品名称", variants=("作品题目",)),
        FieldSpec("作者姓名", variants=("作者",)),
        FieldSpec("首发时间", kind=Kind.DATE),
        FieldSpec("阅读量", variants=("浏览量",), kind=Kind.INTEGER),
        FieldSpec("作品链接", kind=Kind.URL),
        FieldSpec("作品简介", kind=Kind.LONG_TEXT),
        FieldSpec("联系人", common=True),
        FieldSpec("联系电话", kind=Kind.PHONE),
        FieldSpec("电子邮箱", kind=Kind.EMAIL),
    ),
    title="申报表",
    name="附件2 申报表",
    identity="作品名称",
)

WORK_VALUES = {
    "作品名称": '针灸<科普> & "穴位" ]]>',
    "作者姓名": "张三\x07李四",
    "首发时间": "2021年5月1日",
    "阅读量": "12.3万",
    "作品链接": "https://example.cn/a?x=1&y=<2>",
    "作品简介": "第一段 {{ x }}\n第二段 {% if y %}" + "针灸科普内容。" * 40,
    "联系人": "王五",
    "联系电话": "13912345678",
    "电子邮箱": "wang@example.cn",
}

PLACEHOLDER_CELL = (
    f"<w:tc {nsdecls('w')}><w:tcPr><w:tcW w:w='5600' w:type='dxa'/></w:tcPr>"
    "<w:sdt><w:sdtPr><w:showingPlcHdr/><w:date/></w:sdtPr><w:sdtContent><w:p><w:r>"
    "<w:rPr><w:rStyle w:val='PlaceholderText'/><w:color w:val='808080'/></w:rPr>"
    "<w:t>单击或点击以输入日期。</w:t></w:r></w:p></w:sdtContent></w:sdt></w:tc>"
)
# An inline content control with the campaign's own prompt, still showing it.
PROMPT_PARAGRAPH = (
    f"<w:p {nsdecls('w')}><w:sdt><w:sdtPr><w:showingPlcHdr/></w:sdtPr><w:sdtContent><w:r>"
    "<w:rPr><w:rStyle w:val='PlaceholderText'/></w:rPr><w:t>请粘贴作品的网址</w:t></w:r>"
    "</w:sdtContent></w:sdt></w:p>"
)


def work_template() -> bytes:
    """The 申报表 as a campaign would send it: a 2-column table, labels as people type them."""
    doc = docx.Document()
    doc.sections[0].page_width, doc.sections[0].page_height = Cm(21.0), Cm(29.7)
    set_font(doc.styles["Normal"], "仿宋", 12)
    doc.add_paragraph("附件2")
    title = doc.add_paragraph()
    set_font(title.add_run("优秀科普作品申报表"), "黑体", 18, bold=True)
    doc.add_paragraph("推荐单位（盖章）：＿＿＿＿＿＿＿＿＿＿")
    rows = [
        ("*作品名称：", ""),
        ("作  者\n姓  名", ""),
        ("首发时间", None),  # a Word date content control showing its prompt
        ("阅读量（截至申报日）", "（请填写阿拉伯数字）"),
        ("作品\n链接", ""),
        ("作品简介（300字以内）",),  # label row; the value goes in the row below
        ("",),
        ("联 系 人", ""),
        ("联系电话：",),  # the value goes after the colon
        ("电子邮箱", ""),
        ("填表日期", ""),  # on the form, not a field: stays blank
    ]
    table = doc.add_table(rows=len(rows), cols=2)
    table.style = "Table Grid"
    for r, texts in enumerate(rows):
        row = table.rows[r]
        row.height_rule, row.height = WD_ROW_HEIGHT_RULE.EXACTLY, Cm(1.0)
        cells = row.cells
        if len(texts) == 1:
            cells[0].merge(cells[1])
            cells[0].text = texts[0]
            continue
        cells[0].text = texts[0]
        if texts[1] is None:
            tc = cells[1]._tc
            tc.getparent().replace(tc, parse_xml(PLACEHOLDER_CELL))
        else:
            cells[1].text = texts[1]
    link = table.cell(4, 1)._tc
    link.replace(link.find(qn("w:p")), parse_xml(PROMPT_PARAGRAPH))
    table.rows[6].height = Cm(3.0)  # the 简介 box: exact height, too small for the text
    # The name's value cell is set to 楷体 14 pt: what is typed there takes that look.
    mark = table.cell(0, 1).paragraphs[0]._p.get_or_add_pPr()
    mark.append(
        parse_xml(
            f"<w:rPr {nsdecls('w')}><w:rFonts w:eastAsia='楷体' w:ascii='楷体'/><w:sz w:val='28'/></w:rPr>"
        )
    )
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


@pytest.fixture()
def work_form(tmp_path: Path) -> FormSpec:
    path = tmp_path / "申报表（空白）.docx"
    path.write_bytes(work_template())
    return replace(WORK, template=path)


def filled_work(work_form: FormSpec, tmp_path: Path):
    return render_form_docx(WORK_VALUES, "北京针灸学会", work_form, tmp_path / "out" / "申报表.docx")


def test_own_blank_form_is_filled_where_a_person_would_write(work_form: FormSpec, tmp_path: Path):
    assert template_problems(work_form) == []
    filled = filled_work(work_form, tmp_path)
    assert filled.unplaced == []
    doc = docx.Document(str(filled.path))
    table = doc.tables[0]
    value = {label: clean_text(v) for label, v in WORK_VALUES.items()}
    assert table.cell(0, 1).text == value["作品名称"]
    assert table.cell(1, 1).text == "张三李四"  # control character dropped
    assert table.cell(2, 1).text == "2021年5月1日"  # the date control's prompt replaced
    assert table.cell(3, 1).text == "12.3万"  # the hint replaced
    assert table.cell(4, 1).text == value["作品链接"]
    assert table.cell(5, 0).text == "作品简介（300字以内）"
    assert table.cell(6, 0).text == value["作品简介"]  # the row below the label row
    assert table.cell(7, 1).text == "王五"
    assert table.cell(8, 0).text == "联系电话：13912345678"
    assert table.cell(9, 1).text == "wang@example.cn"
    assert table.cell(10, 1).text == ""
    # The unit fills the form's own line, the underscores it was written on gone.
    assert "推荐单位（盖章）：北京针灸学会" in [p.text for p in doc.paragraphs]
    assert not any(p.text for p in doc.sections[0].footer.paragraphs)
    with zipfile.ZipFile(filled.path) as zf:
        xml = zf.read("word/document.xml").decode("utf-8")
    assert "输入日期" not in xml and "请粘贴" not in xml and "PlaceholderText" not in xml
    assert "&lt;科普&gt; &amp;" in xml and "{{ x }}" in xml
    # The template's look stays: 楷体 14 pt where the template set it, exact rows let grow.
    run = table.cell(0, 1).paragraphs[0].runs[0]._r
    assert run.rPr.find(qn("w:rFonts")).get(qn("w:eastAsia")) == "楷体"
    assert run.rPr.find(qn("w:sz")).get(qn("w:val")) == "28"
    date = table.cell(2, 1).paragraphs[0].runs[0]._r  # not in the prompt's grey
    assert date.rPr is None or date.rPr.find(qn("w:color")) is None
    heights = [tr.trPr.find(qn("w:trHeight")).get(qn("w:hRule")) for tr in table._tbl.tr_lst]
    assert heights[6] == "atLeast" and heights[10] == "exact"


def test_own_blank_form_reads_back(work_form: FormSpec, tmp_path: Path):
    """The next level reads the filled form as it reads any unit's: cell by cell."""
    data = filled_work(work_form, tmp_path).path.read_bytes()
    doc = read_document("申报表.docx", data)
    assert doc.problems == []
    cells = {(c.row, c.col): c.text for t in doc.tables for c in t.cells}
    value = {label: clean_text(v) for label, v in WORK_VALUES.items()}
    rows = {
        "作品名称": (0, 1),
        "作者姓名": (1, 1),
        "首发时间": (2, 1),
        "阅读量": (3, 1),
        "作品链接": (4, 1),
        "作品简介": (6, 0),
        "联系人": (7, 1),
        "电子邮箱": (9, 1),
    }
    for label, at in rows.items():
        assert cells[at] == value[label], label
    assert cells[(8, 0)] == "联系电话：13912345678"
    if "spec" in inspect.signature(extract_form).parameters:  # the registry-aware reader
        assert read_back(doc, work_form).fields == value


def test_fields_the_blank_form_lacks_are_reported(work_form: FormSpec, tmp_path: Path):
    fields = (*WORK.fields, FieldSpec("获奖情况", kind=Kind.LONG_TEXT, required=False))
    wider = replace(work_form, fields=fields)
    assert template_problems(wider) == ["获奖情况"]
    filled = render_form_docx({**WORK_VALUES, "获奖情况": "省级一等奖"}, "", wider, tmp_path / "w.docx")
    assert filled.unplaced == ["获奖情况"]
    assert render_form_docx(WORK_VALUES, "", wider, tmp_path / "v.docx").unplaced == []  # nothing to place


def test_a_form_without_template_is_drawn_from_its_fields(tmp_path: Path):
    out = render_form_docx(WORK_VALUES, "北京针灸学会", WORK, tmp_path / "申报表.docx").path
    doc = docx.Document(str(out))
    assert [p.text for p in doc.paragraphs if p.text][:2] == ["附件2", "申报表"]
    rows = grid(doc.tables[0])
    assert [[text for text, _ in row[0::2]] for row in rows] == [list(row) for row in WORK.rows]
    values = label_values(doc.tables[0])
    assert values == {label: clean_text(v) for label, v in WORK_VALUES.items()}


def _smallest_font(pdf_bytes: bytes) -> float:
    with pdfplumber.open(io.BytesIO(pdf_bytes)) as pdf:
        return min(ch["size"] for page in pdf.pages for ch in page.chars if ch["text"].strip())


def _cells(pdf_bytes: bytes) -> list[str]:
    """Text of every table cell on the printed pages, lines joined."""
    with pdfplumber.open(io.BytesIO(pdf_bytes)) as pdf:
        return [
            (cell or "").replace("\n", "")
            for page in pdf.pages
            for table in page.extract_tables()
            for row in table
            for cell in row
        ]


def _printed(value: str) -> str:
    return clean_text(value).replace("\n", "")


def test_filled_forms_print_on_a4(work_form: FormSpec, tmp_path: Path):
    """LibreOffice renders both filled forms as staff and 科协 print them; the pages are kept as PNGs."""
    builtin_out = render_form_docx(FIELDS, "北京针灸学会", FORM, tmp_path / "a" / "推荐表.docx").path
    work_out = filled_work(work_form, tmp_path).path
    pdfs = soffice_to_pdf(
        {"builtin.docx": builtin_out.read_bytes(), "work.docx": work_out.read_bytes()}, tmp_path / "pdf"
    )
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for name, data in pdfs.items():
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            page = pdf.pages[0]
            assert (round(page.width), round(page.height)) == (595, 842), name  # A4 portrait
        assert _smallest_font(data) >= 10, name
        pdf = pypdfium2.PdfDocument(data)
        for i in range(len(pdf)):
            pdf[i].render(scale=1.5).to_pil().save(ARTIFACTS / f"{Path(name).stem}-{i + 1}.png")
    cells = _cells(pdfs["builtin.docx"])
    for label, value in FIELDS.items():
        assert _printed(value) in cells, label
    with pdfplumber.open(io.BytesIO(pdfs["builtin.docx"])) as pdf:
        assert len(pdf.pages) == 1
    cells = _cells(pdfs["work.docx"])
    for label, value in WORK_VALUES.items():
        expected = _printed(value)
        assert expected in cells or f"{label}：{expected}" in cells, label


def test_check_config_says_which_fields_the_blank_form_lacks(tmp_path: Path, capsys):
    """Staff who point form.template at their 申报表 learn at check-config which fields have no place."""
    import yaml

    from pipeline.cli import main

    (tmp_path / "申报表.docx").write_bytes(work_template())
    fields = [{"label": f.label, "kind": f.kind.value, "variants": list(f.variants)} for f in WORK.fields] + [
        {"label": "获奖情况", "kind": "long_text", "required": False}
    ]
    config = {
        "campaign": "优秀科普作品推荐",
        "this_level": {"name": "学会", "deadline": "2021-08-02 00:00"},
        "mailboxes": [{"name": "m", "kind": "folder", "path": "mail"}],
        "smtp": {"dry_run": True, "from_addr": "a@example.org"},
        "units": [{"name": "单位一", "addresses": ["a@example.org"]}],
        "form": {"title": "申报表", "identity": "作品名称", "fields": fields, "template": "申报表.docx"},
    }
    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    assert main(["check-config", "--config", str(path)]) == 0
    out = capsys.readouterr().out
    assert "申报表：10 个栏目（必填 9 个），以“作品名称”区分每个推荐" in out
    assert f"填写空白表格 {tmp_path / '申报表.docx'}" in out
    notes = [line for line in out.splitlines() if "注意" in line]
    assert len(notes) == 1 and "“获奖情况”" in notes[0]


def test_a_form_whose_field_is_the_recommending_unit(tmp_path: Path):
    """When the campaign asks units to write 推荐单位 as a field, their value stays; the roster name goes below."""
    form = FormSpec(
        fields=(FieldSpec("推荐单位"), FieldSpec("作品名称")), title="申报表", identity="作品名称"
    )
    out = render_form_docx(
        {"推荐单位": "北京市针灸学会（盖章）", "作品名称": "穴位"}, "北京针灸学会", form, tmp_path / "f.docx"
    )
    doc = docx.Document(str(out.path))
    assert label_values(doc.tables[0]) == {"推荐单位": "北京市针灸学会（盖章）", "作品名称": "穴位"}
    assert doc.sections[0].footer.paragraphs[0].text == "推荐单位：北京针灸学会"
