"""Generate templates/推荐表模板.docx: the notice's 附件1 推荐表 with docxtpl placeholders.

Run from the project root:  .venv/bin/python templates/make_form_template.py
The grid (10 rows x 4 columns, spans) comes from pipeline.reports.form_docx.FORM_ROWS
so the template and the renderer cannot drift apart. The output is checked in.
"""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

from docx import Document
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_ROW_HEIGHT_RULE, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.reports.form_docx import FIELD_KEYS, FORM_ROWS  # noqa: E402

OUT = ROOT / "templates" / "推荐表模板.docx"
LABEL_WIDTH = Cm(2.8)
VALUE_WIDTH = Cm(5.0)
TALL_ROWS = {"账号简介": Cm(4.0), "传播实效": Cm(4.0), "推荐理由": Cm(4.0)}


def _set_font(run_or_style, name: str, size: float, bold: bool = False) -> None:
    """Set Latin and East Asian font; python-docx only sets the Latin one by itself."""
    font = run_or_style.font
    font.name = name
    font.size = Pt(size)
    font.bold = bold
    element = run_or_style.element if hasattr(run_or_style, "element") else run_or_style._element
    rpr = element.get_or_add_rPr()
    rfonts = rpr.find(qn("w:rFonts"))
    if rfonts is None:
        rfonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.insert(0, rfonts)
    rfonts.set(qn("w:eastAsia"), name)


def _write(cell, text: str, *, center: bool, bold: bool = False) -> None:
    paragraph = cell.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER if center else WD_ALIGN_PARAGRAPH.LEFT
    run = paragraph.add_run(text)
    _set_font(run, "宋体", 12, bold=bold)
    cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER


def build(out: Path = OUT) -> Path:
    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    section.left_margin = section.right_margin = Cm(2.6)
    section.top_margin, section.bottom_margin = Cm(3.0), Cm(2.5)
    _set_font(doc.styles["Normal"], "宋体", 12)

    tag = doc.add_paragraph()
    _set_font(tag.add_run("附件1"), "黑体", 16)
    title = doc.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _set_font(title.add_run("推荐表"), "宋体", 22, bold=True)

    table = doc.add_table(rows=len(FORM_ROWS), cols=4)
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    for i, width in enumerate((LABEL_WIDTH, VALUE_WIDTH, LABEL_WIDTH, VALUE_WIDTH)):
        table.columns[i].width = width
        for cell in table.columns[i].cells:
            cell.width = width

    for r, pairs in enumerate(FORM_ROWS):
        row = table.rows[r]
        row.height_rule = WD_ROW_HEIGHT_RULE.AT_LEAST
        row.height = Cm(1.1)
        col = 0
        for label, span in pairs:
            _write(table.cell(r, col), label, center=True)
            value_cell = table.cell(r, col + 1)
            if span > 1:
                value_cell = value_cell.merge(table.cell(r, col + span))
            _write(value_cell, "{{ " + FIELD_KEYS[label] + " }}", center=False)
            if label in TALL_ROWS:
                row.height = TALL_ROWS[label]
                value_cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.TOP
            col += 1 + span

    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    _set_font(footer.add_run("推荐单位：{{ unit }}"), "宋体", 10.5)

    props = doc.core_properties
    props.title = "推荐表"
    props.author = "推荐材料邮件受理"
    props.created = props.modified = datetime(2021, 7, 19)
    out.parent.mkdir(parents=True, exist_ok=True)
    doc.save(str(out))
    return out


if __name__ == "__main__":
    print(build())
