"""Sample documents a unit would send: the notice's 附件1 推荐表 and case materials.

Used by make_demo.py (the bundled demo mailbox) and by the end-to-end tests,
so both exercise the same realistic files.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt
from openpyxl import Workbook
from PIL import Image, ImageDraw

from pipeline.campaign import builtin

# The notice's 附件1 grid: one or two labels per row; a single label's value
# cell covers the remaining three columns.
GRID = builtin().form.rows


@dataclass
class Nomination:
    """The 15 values of one 推荐表, as a unit would type them."""

    fields: dict[str, str]

    @classmethod
    def sample(cls, unit: str, account: str, **overrides: str) -> Nomination:
        fields = {
            "账号名称": account,
            "注册时间": "2015年6月",
            "粉丝数量": "12.3万",
            "运营主体": unit,
            "账号ID/网页链接": "https://weibo.com/u/1234567890",
            "运营人数": "5",
            "发布数量": "1,024",
            "账号简介": f"{unit}官方账号，普及针灸科学知识，服务群众健康。",
            "传播实效": "年阅读量超过300万次，多篇科普文章被主流媒体转载。",
            "推荐理由": "坚持群众导向，及时回应群众关切，内容权威、形式新颖。",
            "联系人": "王晓明",
            "手机": "138 1234 5678",
            "电子邮箱": "wangxm@example.cn",
            "邮编": "100700",
            "联系地址": "北京市东城区东直门内南小街16号",
        }
        fields.update(overrides)
        return cls(fields)


def form_docx(nom: Nomination, title: str = "推荐表") -> bytes:
    """附件1 as Word: label | value | label | value; long values span three columns."""
    doc = Document()
    p = doc.add_paragraph("附件1")
    heading = doc.add_paragraph()
    run = heading.add_run(title)
    run.bold = True
    run.font.size = Pt(18)
    heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
    del p
    table = doc.add_table(rows=len(GRID), cols=4)
    table.style = "Table Grid"
    for r, labels in enumerate(GRID):
        cells = table.rows[r].cells
        if len(labels) == 1:
            cells[0].text = labels[0]
            merged = cells[1].merge(cells[3])
            merged.text = nom.fields[labels[0]]
        else:
            for i, label in enumerate(labels):
                cells[2 * i].text = label
                cells[2 * i + 1].text = nom.fields[label]
    return _save_docx(doc)


def form_xlsx_vertical(nom: Nomination) -> bytes:
    """A vertical two-column sheet, as units who live in Excel make it."""
    wb = Workbook()
    ws = wb.active
    ws.title = "推荐表"
    ws.append(["推荐表"])
    for label, value in nom.fields.items():
        ws.append([label, value])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


FONT = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"


def form_scan(nom: Nomination, dpi: int = 200, fmt: str = "PNG") -> bytes:
    """附件1 printed, filled in and scanned: the 4-column grid as an image (A4 at `dpi`)."""
    from PIL import ImageFont

    scale = dpi / 200
    width = int(1654 * scale)
    font = ImageFont.truetype(FONT, int(30 * scale))
    title_font = ImageFont.truetype(FONT, int(48 * scale))
    xs = [int(x * scale) for x in (90, 330, 830, 1070, 1564)]
    line_h = int(44 * scale)

    def wrap(text: str, room: int) -> list[str]:
        lines, line = [], ""
        for ch in text:
            if font.getlength(line + ch) > room:
                lines.append(line)
                line = ch
            else:
                line += ch
        return [*lines, line] if line else lines or [""]

    rows = []
    for labels in GRID:
        if len(labels) == 1:
            cells = [(labels[0], 0, 1), (nom.fields[labels[0]], 1, 4)]
        else:
            cells = [
                (labels[0], 0, 1),
                (nom.fields[labels[0]], 1, 2),
                (labels[1], 2, 3),
                (nom.fields[labels[1]], 3, 4),
            ]
        wrapped = [(wrap(text, xs[b] - xs[a] - int(24 * scale)), a, b) for text, a, b in cells]
        height = max(len(lines) for lines, _, _ in wrapped) * line_h + int(36 * scale)
        rows.append((wrapped, height))
    total = int(200 * scale) + sum(h for _, h in rows) + int(120 * scale)
    img = Image.new("RGB", (width, max(total, int(2339 * scale))), "white")
    draw = ImageDraw.Draw(img)
    draw.text((int(90 * scale), int(50 * scale)), "附件1", font=font, fill="black")
    draw.text((width // 2 - int(75 * scale), int(100 * scale)), "推荐表", font=title_font, fill="black")
    y = int(200 * scale)
    for wrapped, height in rows:
        draw.line([(xs[0], y), (xs[4], y)], fill="black", width=max(2, int(3 * scale)))
        for lines, a, _end in wrapped:
            for i, line in enumerate(lines):
                draw.text(
                    (xs[a] + int(12 * scale), y + int(18 * scale) + i * line_h), line, font=font, fill="black"
                )
        for x in {xs[a] for _, a, _ in wrapped} | {xs[4]}:
            draw.line([(x, y), (x, y + height)], fill="black", width=max(2, int(3 * scale)))
        y += height
    draw.line([(xs[0], y), (xs[4], y)], fill="black", width=max(2, int(3 * scale)))
    buf = io.BytesIO()
    img.save(buf, format=fmt, dpi=(dpi, dpi), **({"quality": 85} if fmt == "JPEG" else {}))
    return buf.getvalue()


def picture(text: str = "图", size: tuple[int, int] = (320, 200), color: str = "#3a7") -> bytes:
    img = Image.new("RGB", size, color)
    ImageDraw.Draw(img).rectangle([10, 10, size[0] - 10, size[1] - 10], outline="white", width=4)
    del text
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def article_docx(title: str, chars: int = 900, pictures: int = 3) -> bytes:
    """图文案例: an article of about `chars` characters with inline pictures."""
    doc = Document()
    doc.add_heading(title, level=1)
    sentence = "针灸科普账号坚持以群众需求为导向，围绕常见病防治开展线上答疑和健康宣教。"
    body = (sentence * (chars // len(sentence) + 1))[: max(0, chars - len(title))]
    step = max(1, len(body) // (pictures + 1))
    for i in range(pictures + 1):
        doc.add_paragraph(body[i * step : (i + 1) * step] if i < pictures else body[i * step :])
        if i < pictures:
            doc.add_picture(io.BytesIO(picture(color=["#3a7", "#37a", "#a73", "#777"][i % 4])))
    return _save_docx(doc)


def _save_docx(doc) -> bytes:
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()
