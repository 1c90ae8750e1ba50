"""Rendered 推荐表.docx: the 附件1 grid, read back with python-docx."""

from __future__ import annotations

import importlib.util
import zipfile
from pathlib import Path

import docx
from docx.oxml.ns import qn

from pipeline.model import FORM_LABELS
from pipeline.reports.form_docx import FIELD_KEYS, FORM_ROWS, render_form_docx

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "templates" / "推荐表模板.docx"

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


def test_template_is_the_notice_grid():
    doc = docx.Document(str(TEMPLATE))
    texts = [p.text for p in doc.paragraphs if p.text.strip()]
    assert texts[:2] == ["附件1", "推荐表"]
    assert len(doc.tables) == 1
    table = doc.tables[0]
    assert len(table.columns) == 4 and len(table.rows) == 10
    rows = grid(table)
    expected = [
        [(label, 1), ("{{ " + FIELD_KEYS[label] + " }}", span)]
        for pairs in FORM_ROWS
        for label, span in pairs
    ]
    flat = [pair for row in rows for pair in zip(row[0::2], row[1::2], strict=True)]
    assert [[a, b] for a, b in flat] == expected
    assert [label for row in rows for label, _ in row[0::2]] == list(FORM_LABELS)
    spans3 = [row[0][0] for row in rows if len(row) == 2]
    assert spans3 == ["账号ID/网页链接", "账号简介", "传播实效", "推荐理由", "联系地址"]
    assert "{{ unit }}" in doc.sections[0].footer.paragraphs[0].text


def test_render_puts_values_in_the_right_cells(tmp_path: Path):
    out = render_form_docx(FIELDS, "北京针灸学会<总会>", TEMPLATE, tmp_path / "sub" / "推荐表.docx")
    assert out.is_file()
    doc = docx.Document(str(out))
    table = doc.tables[0]
    values = label_values(table)
    assert list(values) == list(FORM_LABELS)
    for label in FORM_LABELS:
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
    assert "{{ name }}" not in xml and "not_a_placeholder" in xml
    assert "<w:br/>" in xml


def test_missing_fields_render_empty(tmp_path: Path):
    out = render_form_docx({"账号名称": "只有名称"}, "", TEMPLATE, tmp_path / "f.docx")
    values = label_values(docx.Document(str(out)).tables[0])
    assert values["账号名称"] == "只有名称"
    assert all(values[label] == "" for label in FORM_LABELS if label != "账号名称")


def test_generator_reproduces_checked_in_template(tmp_path: Path):
    spec = importlib.util.spec_from_file_location(
        "make_form_template", ROOT / "templates" / "make_form_template.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    fresh = module.build(tmp_path / "模板.docx")
    assert grid(docx.Document(str(fresh)).tables[0]) == grid(docx.Document(str(TEMPLATE)).tables[0])
