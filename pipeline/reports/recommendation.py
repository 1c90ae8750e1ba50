"""推荐函.docx: the organisation's letter recommending its nominees to the next level.

The recommender is the organisation (this_level.organisation, e.g. 中国针灸学会),
not the department that runs the intake. The letter names the campaign, each
nominee with its 运营主体-like description fields, and leaves the place for the
organisation's stamp and the date, so staff print it, stamp it and (if the next
level asks) scan it back. Body text is 14 pt 仿宋-style on A4, as official letters are.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

LETTER_NAME = "推荐函.docx"
BODY_PT = 14
TITLE_PT = 22
FONT = "仿宋"
TITLE_FONT = "方正小标宋简体"


@dataclass(frozen=True)
class Nominee:
    name: str  # the nominee (账号名称)
    unit: str  # the unit that nominated it
    about: tuple[tuple[str, str], ...] = ()  # (label, value) that describe it (运营主体 …)


def _font(run, name: str, size: float, bold: bool = False) -> None:
    run.font.size = Pt(size)
    run.font.bold = bold
    run.font.name = name
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), name)


def _para(doc, text: str, *, size: float = BODY_PT, indent: bool = True, align=None, bold: bool = False):
    p = doc.add_paragraph()
    if indent:
        p.paragraph_format.first_line_indent = Pt(size * 2)
    if align is not None:
        p.alignment = align
    p.paragraph_format.line_spacing = Pt(size * 1.75)
    _font(p.add_run(text), FONT, size, bold)
    return p


def build_recommendation_docx(
    out: Path,
    *,
    organisation: str,
    upstream: str,
    campaign: str,
    noun: str,
    nominees: list[Nominee],
    contact: str = "",
    when: datetime | None = None,
) -> Path:
    """Write the letter to `out` (atomically) and return its path."""
    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.top_margin = section.bottom_margin = Cm(3.7 - 1)
    section.left_margin, section.right_margin = Cm(2.8), Cm(2.6)
    title = doc.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _font(title.add_run("推荐函"), TITLE_FONT, TITLE_PT, bold=True)
    _para(doc, f"{upstream}：", indent=False)
    _para(
        doc,
        f"根据{campaign}的通知要求，经{organisation}组织推荐、审核，"
        f"现推荐以下{len(nominees)}个{noun}参加{campaign}：",
    )
    for i, n in enumerate(nominees, start=1):
        about = "；".join(f"{label}：{value}" for label, value in n.about if value)
        _para(doc, f"{i}. {n.name}（{n.unit}推荐{'；' + about if about else ''}）")
    _para(doc, f"以上{noun}的推荐表和相关材料随函报送。")
    _para(doc, "特此推荐。")
    if contact:
        _para(doc, f"联系人：{contact}")
    for _ in range(2):
        _para(doc, "", indent=False)
    sign = _para(doc, f"推荐单位（盖章）：{organisation}", indent=False, align=WD_ALIGN_PARAGRAPH.RIGHT)
    sign.paragraph_format.space_before = Pt(BODY_PT * 2)
    # The stamp goes over the organisation's name and the date: room for a 4.2 cm seal.
    for _ in range(3):
        _para(doc, "", indent=False)
    date = f"{when:%Y年%m月%d日}" if when else "年　　月　　日"
    _para(doc, date, indent=False, align=WD_ALIGN_PARAGRAPH.RIGHT)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    doc.save(str(tmp))
    tmp.replace(out)
    return out
