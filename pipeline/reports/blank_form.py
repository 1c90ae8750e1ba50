"""A campaign's blank 推荐表 drawn from its field registry, for campaigns that gave no blank form.

The layout is the notice's 附件1: a title, then a 4-column table of label/value
pairs (`FormSpec.rows`: one or two labels a row; a single label's value spans
the three other columns), long-text rows tall enough to write in, on A4 in
宋体 (LibreOffice shows it in Noto CJK). `form_docx` fills it exactly as it
fills a campaign's own blank form, and templates/make_form_template.py writes
the built-in one to templates/推荐表模板.docx for people to look at or send out.
"""

from __future__ import annotations

import io
from datetime import datetime
from functools import cache

from docx import Document
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_ROW_HEIGHT_RULE, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

from ..campaign import FormSpec, Kind

BODY_FONT = "宋体"
TAG_FONT = "黑体"
BODY_SIZE = 12
LABEL_WIDTH = Cm(2.8)
VALUE_WIDTH = Cm(5.0)  # 2 x (2.8 + 5.0) = 15.6 cm: A4 less 2.6 cm margins
ROW_HEIGHT = Cm(1.1)
TALL_ROW_HEIGHT = Cm(4.0)  # long text (简介, 推荐理由)
CREATED = datetime(2021, 7, 19)  # fixed, so two builds of one form are the same document


def set_font(target, name: str, size: float, bold: bool = False) -> None:
    """Set the Latin and the East Asian font of a run or style (python-docx sets only the Latin one)."""
    font = target.font
    font.name = name
    font.size = Pt(size)
    font.bold = bold
    element = target.element if hasattr(target, "element") else target._element
    rpr = element.get_or_add_rPr()
    rfonts = rpr.find(qn("w:rFonts"))
    if rfonts is None:
        rfonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.insert(0, rfonts)
    rfonts.set(qn("w:eastAsia"), name)


def _mark_font(paragraph, name: str, size: float) -> None:
    """Give an empty paragraph's mark the font, so text typed (or filled) there gets it too."""
    ppr = paragraph._p.get_or_add_pPr()
    rpr = ppr.find(qn("w:rPr"))
    if rpr is None:
        rpr = ppr.makeelement(qn("w:rPr"), {})
        ppr.append(rpr)
    fonts = rpr.makeelement(
        qn("w:rFonts"), {qn("w:ascii"): name, qn("w:hAnsi"): name, qn("w:eastAsia"): name}
    )
    half_points = rpr.makeelement(qn("w:sz"), {qn("w:val"): str(int(size * 2))})
    rpr.extend([fonts, half_points])


def _label(cell, text: str) -> None:
    paragraph = cell.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    set_font(paragraph.add_run(text), BODY_FONT, BODY_SIZE)
    cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER


def _value(cell, tall: bool) -> None:
    paragraph = cell.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.LEFT
    _mark_font(paragraph, BODY_FONT, BODY_SIZE)
    cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.TOP if tall else WD_CELL_VERTICAL_ALIGNMENT.CENTER


def tag_of(form: FormSpec) -> str:
    """The line above the title: "附件1" of name "附件1 推荐表" (nothing when the name is only the title)."""
    name = " ".join((form.name or "").split())
    if name.endswith(form.title):
        name = name[: -len(form.title)]
    return name.strip()


def build_blank_form(form: FormSpec):
    """The blank form of `form` as a python-docx Document."""
    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    section.left_margin = section.right_margin = Cm(2.6)
    section.top_margin, section.bottom_margin = Cm(3.0), Cm(2.5)
    set_font(doc.styles["Normal"], BODY_FONT, BODY_SIZE)

    tag = tag_of(form)
    if tag:
        set_font(doc.add_paragraph().add_run(tag), TAG_FONT, 16)
    title = doc.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    set_font(title.add_run(form.title), BODY_FONT, 22, bold=True)

    rows = form.rows
    table = doc.add_table(rows=len(rows), cols=4)
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    for i, width in enumerate((LABEL_WIDTH, VALUE_WIDTH, LABEL_WIDTH, VALUE_WIDTH)):
        table.columns[i].width = width
        for cell in table.columns[i].cells:
            cell.width = width

    for r, labels in enumerate(rows):
        row = table.rows[r]
        row.height_rule = WD_ROW_HEIGHT_RULE.AT_LEAST
        tall = any(form.field(label).kind is Kind.LONG_TEXT for label in labels)
        row.height = TALL_ROW_HEIGHT if tall else ROW_HEIGHT
        span = 3 if len(labels) == 1 else 1
        for i, label in enumerate(labels):
            col = 2 * i
            _label(table.cell(r, col), label)
            value_cell = table.cell(r, col + 1)
            if span > 1:
                value_cell = value_cell.merge(table.cell(r, col + span))
            _value(value_cell, tall)

    props = doc.core_properties
    props.title = form.title
    props.author = "推荐材料邮件受理"
    props.created = props.modified = CREATED
    return doc


@cache
def blank_form_docx(form: FormSpec) -> bytes:
    """The blank form of `form` as .docx bytes (drawn once per form, then reused)."""
    buf = io.BytesIO()
    build_blank_form(form).save(buf)
    return buf.getvalue()
