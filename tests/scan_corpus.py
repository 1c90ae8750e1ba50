"""Scans and phone photos of a filled 推荐表, rendered here (no fetching).

Why rendered: a unit prints the notice's 附件1, fills it, stamps it (公章),
then scans it or photographs it with a phone. We draw exactly that: the
附件1 grid at 200 dpi with a CJK font, a red circular stamp over part of the
values (ink multiplies, so the black text under it stays black), rotated
pages, a phone photo (page on a desk, perspective, 4.5° skew, uneven light,
JPEG q70, EXIF orientation), a HEIC photo, and scanned PDFs where the form
is one page among pages of dense government text. Everything is
deterministic (seeded), so a failing value is reproducible.

The second half (WORD_CONDITIONS) starts from the Word form itself, printed
by LibreOffice (checked in), and makes what office copiers and phones make
of it: grey and 1-bit copies at 150-300 dpi with the 公章 over 推荐单位 and
the date or over values, a colour scan, WeChat photos (tilted, shadowed,
without table rules, out of focus, and a blurred thumbnail); WORD_VALUES is their
truth (tests/test_ocr_corpus.py, bench/ocr.py).

    python tests/scan_corpus.py OUTDIR      # writes every variant, to look at
    python tests/scan_corpus.py --word-pdf  # prints the Word form to tests/scans/word_form.pdf again
"""

from __future__ import annotations

import functools
import io
import math
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from pipeline.campaign import builtin

FONT_DIR = Path("/usr/share/fonts/opentype/noto")
SANS = FONT_DIR / "NotoSansCJK-Regular.ttc"
SANS_BOLD = FONT_DIR / "NotoSansCJK-Bold.ttc"
SERIF = FONT_DIR / "NotoSerifCJK-Regular.ttc"
DPI = 200
A4 = (round(210 / 25.4 * DPI), round(297 / 25.4 * DPI))  # 1654 x 2339

# A realistic filled form; the values OCR engines get wrong on purpose:
# 1.1万 (tesseract: 1万), 许诺 (许读), 庐阳区 (启阳区), a URL, an e-mail.
VALUES: dict[str, str] = {
    "账号名称": "安徽针灸",
    "注册时间": "2016年3月15日",
    "粉丝数量": "1.1万",
    "运营主体": "安徽省针灸学会",
    "账号ID/网页链接": "https://weibo.com/u/5821436790",
    "运营人数": "4人",
    "发布数量": "1286篇",
    "账号简介": "安徽省针灸学会官方微博，普及针灸科学知识，发布学会动态与义诊信息。",
    "传播实效": "累计阅读量超过300万次，单篇最高阅读量5.8万，多篇科普文章被人民网、安徽日报转载。",
    "推荐理由": (
        "账号坚持群众导向，常年开展线上健康咨询，及时回应群众关切；内容权威、形式新颖，"
        "以图文和短视频普及针灸防病知识，在基层群众中影响广泛，传播效果突出，特此推荐。"
    ),
    "联系人": "许诺",
    "手机": "13956012345",
    "电子邮箱": "xunuo@ahzjxh.org.cn",
    "邮编": "230001",
    "联系地址": "安徽省合肥市庐阳区阜南路88号",
}

# The notice's 附件1 grid: one label = its value spans the three other columns.
GRID = builtin().form.rows
STAMP_UNIT = "安徽省针灸学会"


def _font(path: Path, px: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(path), px)


def _wrap(text: str, font: ImageFont.FreeTypeFont, width: int) -> list[str]:
    """Greedy character wrap, as Word wraps CJK text in a cell."""
    lines, line = [], ""
    for ch in text:
        if font.getlength(line + ch) > width and line:
            lines.append(line)
            line = ch
        else:
            line += ch
    return lines + [line] if line else lines


def render_form(values: dict[str, str] | None = None, title: str = "推荐表") -> Image.Image:
    """The filled 附件1 as printed on A4 and scanned at 200 dpi (white paper, RGB)."""
    values = values or VALUES
    page = Image.new("RGB", A4, "white")
    draw = ImageDraw.Draw(page)
    px = round(12 / 72 * DPI)  # 小四 (12 pt)
    label_font, value_font = _font(SANS, px), _font(SERIF, px)
    draw.text((200, 170), "附件1", font=_font(SANS, round(14 / 72 * DPI)), fill="black")
    title_font = _font(SANS_BOLD, round(22 / 72 * DPI))
    draw.text(((A4[0] - title_font.getlength(title)) / 2, 260), title, font=title_font, fill="black")
    left, right = 200, A4[0] - 200
    label_w = 200
    value_w = (right - left - 2 * label_w) // 2
    cols = [left, left + label_w, left + label_w + value_w, left + 2 * label_w + value_w, right]
    pad, line_h = 14, round(px * 1.5)
    y = 400
    for labels in GRID:
        if len(labels) == 1:
            cells = [
                (cols[0], cols[1], labels[0], label_font),
                (cols[1], cols[4], values[labels[0]], value_font),
            ]
        else:
            a, b = labels
            cells = [
                (cols[0], cols[1], a, label_font),
                (cols[1], cols[2], values[a], value_font),
                (cols[2], cols[3], b, label_font),
                (cols[3], cols[4], values[b], value_font),
            ]
        wrapped = [_wrap(text, font, x1 - x0 - 2 * pad) for x0, x1, text, font in cells]
        lines = max(len(w) for w in wrapped)
        height = max(2, lines) * line_h + 2 * pad if lines > 1 else round(px * 2.6)
        if labels[0] in ("账号简介", "传播实效", "推荐理由"):
            height = max(height, 5 * line_h)
        for (x0, _x1, _text, font), text_lines in zip(cells, wrapped, strict=True):
            top = y + (height - len(text_lines) * line_h) / 2 + (line_h - px) / 2 - px * 0.12
            for i, line in enumerate(text_lines):
                draw.text((x0 + pad, top + i * line_h), line, font=font, fill="black")
        draw.line([(left, y), (right, y)], fill="black", width=3)
        for x in {cells[0][0]} | {c[1] for c in cells}:
            draw.line([(x, y), (x, y + height)], fill="black", width=3)
        y += height
    draw.line([(left, y), (right, y)], fill="black", width=3)
    sign = _font(SANS, px)
    draw.text((cols[2] - 40, y + 80), "推荐单位（盖章）：", font=sign, fill="black")
    draw.text((cols[3], y + 160), "2021年7月28日", font=sign, fill="black")
    return page


def stamp(size: int = 330, unit: str = STAMP_UNIT, seed: int = 1) -> Image.Image:
    """A round 公章: red ring, star, the unit's name along the arc; white elsewhere."""
    rng = np.random.default_rng(seed)
    img = Image.new("RGB", (size, size), "white")
    draw = ImageDraw.Draw(img)
    red = (214, 32, 44)
    c = size / 2
    draw.ellipse([6, 6, size - 6, size - 6], outline=red, width=max(2, round(size * 0.03)))
    r_star, points = size * 0.17, []
    for k in range(10):
        r = r_star if k % 2 == 0 else r_star * 0.4
        a = -math.pi / 2 + k * math.pi / 5
        points.append((c + r * math.cos(a), c + r * math.sin(a)))
    draw.polygon(points, fill=red)
    font = _font(SANS_BOLD, round(size * 0.13))
    span = math.radians(220)
    for i, ch in enumerate(unit):
        a = -math.pi / 2 - span / 2 + span * (i + 0.5) / len(unit)
        glyph = Image.new("L", (font.size * 2, font.size * 2), 0)
        ImageDraw.Draw(glyph).text((font.size / 2, font.size / 3), ch, font=font, fill=255)
        glyph = glyph.rotate(-math.degrees(a) - 90, resample=Image.BICUBIC)
        inset = size / 15 + font.size * 0.6
        gx = c + (c - inset) * math.cos(a) - glyph.width / 2
        gy = c + (c - inset) * math.sin(a) - glyph.height / 2
        img.paste(Image.new("RGB", glyph.size, red), (round(gx), round(gy)), glyph)
    label = _font(SANS_BOLD, round(size * 0.09))
    text = "推荐专用章"
    draw.text((c - label.getlength(text) / 2, c + size * 0.22), text, font=label, fill=red)
    # Uneven ink: lighten random specks so the stamp is not a perfect vector.
    arr = np.asarray(img).astype(np.int16)
    specks = rng.random(arr.shape[:2]) < 0.18
    arr[specks] = arr[specks] + (255 - arr[specks]) * 0.6
    return Image.fromarray(arr.clip(0, 255).astype(np.uint8))


def stamped(page: Image.Image, where: tuple[int, int] | None = None) -> Image.Image:
    """Press the stamp on the page; ink multiplies, so text under it stays black."""
    seal = stamp()
    x, y = where or (900, 1640)  # over the 联系人/手机/电子邮箱 rows' values
    region = page.crop((x, y, x + seal.width, y + seal.height))
    inked = Image.fromarray(
        (np.asarray(region, np.uint16) * np.asarray(seal, np.uint16) // 255).astype(np.uint8)
    )
    out = page.copy()
    out.paste(inked, (x, y))
    return out


def scanned(page: Image.Image, seed: int = 2, gray: bool = True) -> Image.Image:
    """What a flatbed makes of it: off-white paper, slight blur and noise."""
    rng = np.random.default_rng(seed)
    img = page.convert("L") if gray else page
    arr = cv2.GaussianBlur(np.asarray(img), (0, 0), 0.7).astype(np.float32) * (243 / 255)
    noise = rng.standard_normal(arr.shape[:2], dtype=np.float32) * 4
    arr += noise if gray else noise[..., None]
    return Image.fromarray(arr.clip(0, 255).astype(np.uint8))


def rotated(img: Image.Image, degrees: int) -> Image.Image:
    """A page fed sideways or upside down (counter-clockwise degrees)."""
    return img.rotate(degrees, expand=True)


def phone_photo(
    page: Image.Image, seed: int = 3, skew: float = 4.5, size: tuple[int, int] = (3024, 4032)
) -> Image.Image:
    """The page lying on a desk, shot from above and a little to the side."""
    rng = np.random.default_rng(seed)
    w, h = size
    src = np.float32([[0, 0], [page.width, 0], [page.width, page.height], [0, page.height]])
    # Page fills ~85% of the frame; the top edge is further away (narrower).
    mw, mh = w * 0.08, h * 0.06
    dst = np.float32([[mw + 110, mh + 40], [w - mw - 60, mh], [w - mw + 40, h - mh], [mw - 20, h - mh - 30]])
    centre = dst.mean(axis=0)
    a = math.radians(skew)
    rot = np.float32([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])
    dst = (dst - centre) @ rot.T * 0.93 + centre
    matrix = cv2.getPerspectiveTransform(src, dst.astype(np.float32))
    desk = (60, 78, 96)  # BGR, a brown desk
    photo = cv2.warpPerspective(
        np.asarray(page.convert("RGB"))[:, :, ::-1], matrix, (w, h), flags=cv2.INTER_AREA, borderValue=desk
    )
    # Light from the top left, a warm cast, sensor noise, a soft lens.
    yy, xx = np.mgrid[0:64, 0:64].astype(np.float32) / 63
    ramp = cv2.resize(1.02 - 0.35 * (0.6 * xx + 0.4 * yy), (w, h))
    light = cv2.merge([ramp * 0.88, ramp * 0.96, ramp])
    noise = rng.standard_normal((h, w), dtype=np.float32) * 5
    out = cv2.add(cv2.multiply(photo.astype(np.float32), light), cv2.merge([noise, noise, noise]))
    out = cv2.GaussianBlur(out.clip(0, 255).astype(np.uint8), (0, 0), 1.0)
    return Image.fromarray(out[:, :, ::-1])


def jpeg(img: Image.Image, quality: int = 70, orientation: int | None = None) -> bytes:
    """JPEG bytes; with `orientation`, the pixels are stored turned as a phone stores
    them and the EXIF tag says how to turn them back (6 = rotate 90° clockwise)."""
    exif = Image.Exif()
    if orientation == 6:
        img = img.rotate(90, expand=True)
        exif[0x0112] = 6
    buf = io.BytesIO()
    img.convert("RGB").save(buf, "JPEG", quality=quality, exif=exif.tobytes() if orientation else b"")
    return buf.getvalue()


def png(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "PNG", dpi=(DPI, DPI), compress_level=1)
    return buf.getvalue()


def heic(img: Image.Image, quality: int = 60) -> bytes:
    from pillow_heif import from_pillow

    buf = io.BytesIO()
    from_pillow(img.convert("RGB")).save(buf, quality=quality, enc_params={"preset": "ultrafast"})
    return buf.getvalue()


# ---------------------------------------------------------------- long scanned PDFs

_GOV = (
    "为深入贯彻落实党中央、国务院关于网络强国建设的决策部署，进一步加强和改进网上群众工作，",
    "推动各地各部门政务新媒体规范健康发展，现就做好有关工作通知如下。各单位要高度重视，",
    "切实加强组织领导，明确责任分工，细化工作措施，确保各项任务落到实处。要坚持正确政治方向，",
    "牢牢把握正确舆论导向，严格落实信息内容审核把关制度，健全完善值班值守和应急处置机制，",
    "及时回应社会关切，积极引导网上舆论。要坚持以人民为中心，畅通网上群众诉求渠道，",
    "做好群众留言办理工作，办实事、解难题，切实提升服务群众的能力和水平。要加强队伍建设，",
    "定期开展业务培训，提高运营人员的政治素质和业务能力。各推荐单位应认真组织遴选，",
    "严格审核把关，确保报送材料真实准确，并按照通知要求按时报送。对工作中遇到的问题，",
    "请及时与活动组委会联系。本通知自印发之日起施行，此前有关规定与本通知不一致的，以本通知为准。",
)


BODIES = 6  # distinct page bodies; a bundle cycles them (only the folio differs)


FULL_PAGE = 29  # lines of body text on a full page of the notice


@functools.cache
def _scanned_body(variant: int, lines: int = FULL_PAGE) -> Image.Image:
    """A page of a 红头文件-style notice (`lines` lines of 三号 body text; 29 fill it),
    scanned grey."""
    rng = np.random.default_rng(variant)
    page = Image.new("L", A4, 255)
    draw = ImageDraw.Draw(page)
    font = _font(SERIF, round(15 / 72 * DPI))
    text = "".join(_GOV[int(i)] for i in rng.permutation(len(_GOV)))
    wrapped = _wrap("　　" + (text * 3)[: lines * 26], font, A4[0] - 420)
    for i, line in enumerate(wrapped[:lines]):
        draw.text((210, 230 + i * round(font.size * 1.7)), line, font=font, fill=0)
    return scanned(page, seed=variant)


def government_page(number: int, lines: int = FULL_PAGE) -> Image.Image:
    """Page `number` of the notice, as scanned (grey), with its folio —N—."""
    page = _scanned_body(number % BODIES, lines).copy()
    font = _font(SERIF, round(15 / 72 * DPI))
    folio = f"—{number}—"
    ImageDraw.Draw(page).text(((A4[0] - font.getlength(folio)) / 2, A4[1] - 180), folio, font=font, fill=20)
    return page


def scanned_pdf(
    pages: int = 40, form_at: int | None = 31, dpi: int = DPI, quality: int = 60, lines: int = FULL_PAGE
) -> bytes:
    """A scanned bundle: the notice's text pages (`lines` lines each) with the stamped
    form at page `form_at` (1-based). Pages are grey JPEGs inside the PDF, as scanner
    software writes them; the stamp is therefore grey too."""
    form = scanned(stamped(render_form()), gray=True)
    images = [form if n == form_at else government_page(n, lines) for n in range(1, pages + 1)]
    buf = io.BytesIO()
    images[0].save(buf, "PDF", resolution=dpi, save_all=True, append_images=images[1:], quality=quality)
    return buf.getvalue()


def image_pdf(img: Image.Image, dpi: int = DPI) -> bytes:
    """One scanned page as a PDF with no text layer ("scan to PDF")."""
    buf = io.BytesIO()
    img.save(buf, "PDF", resolution=dpi, quality=75)
    return buf.getvalue()


# ---------------------------------------------------------------- the Word form, printed (issue 19)
#
# What units really send: the notice's 附件1 typed in Word, printed, stamped
# with the unit's 公章 over 推荐单位 and the date (the ring crossing the table's
# last rows), then put on an office copier (grey or black-and-white, 150-300
# dpi) or photographed with a phone and sent over WeChat (1080 px wide, JPEG
# q60, tilted, in perspective, with a shadow). The Word file is made by
# word_form_docx() and printed to PDF by LibreOffice once: that PDF is checked
# in (tests/scans/word_form.pdf; `python tests/scan_corpus.py --word-pdf`
# makes it again), so every machine rasterises the same print. Everything
# after the print is drawn here, seeded.

WORD_PDF = Path(__file__).resolve().parent / "scans" / "word_form.pdf"
WORD_UNIT = "浙江省针灸学会"
WORD_DATE = "2021年7月28日"

# The truth of every page below (the values the Word form holds).
WORD_VALUES: dict[str, str] = {
    "账号名称": "浙江针灸",
    "注册时间": "2017年5月8日",
    "粉丝数量": "3.2万",
    "运营主体": "浙江省针灸学会",
    "账号ID/网页链接": "https://weibo.com/zjszjxh",
    "运营人数": "6人",
    "发布数量": "2318篇",
    "账号简介": "浙江省针灸学会官方账号，宣传针灸防病治病知识，发布学会学术活动与义诊信息。",
    "传播实效": "累计阅读量超过420万次，单篇最高阅读量6.7万，多篇文章被浙江日报、健康报转载。",
    "推荐理由": (
        "账号坚持群众导向，常年开展线上健康咨询，及时回应群众关切；内容权威，形式新颖，"
        "以图文和短视频普及针灸知识，传播效果突出，特此推荐。"
    ),
    "联系人": "陈立群",
    "手机": "13857106284",
    "电子邮箱": "chenliqun@zjzjxh.org.cn",
    "邮编": "310007",
    "联系地址": "浙江省杭州市西湖区天目山路219号",
}


def word_form_docx(values: dict[str, str] | None = None) -> bytes:
    """附件1 as a unit types it in Word: A4, 小四 宋体-like serif, the four-column grid
    with narrow label columns (so 账号ID/网页链接 wraps as on the notice), tall rows
    for the long texts, and 推荐单位（盖章） and the date under the table."""
    import docx
    from docx.enum.table import WD_ALIGN_VERTICAL, WD_ROW_HEIGHT_RULE
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt

    values = values or WORD_VALUES

    def typeface(target, east_asia: str, size: float, bold: bool = False) -> None:
        target.font.name = "Times New Roman"
        target.font.size = Pt(size)
        target.font.bold = bold
        rpr = target.element.get_or_add_rPr()
        fonts = rpr.find(qn("w:rFonts"))
        if fonts is None:
            fonts = rpr.makeelement(qn("w:rFonts"), {})
            rpr.append(fonts)
        fonts.set(qn("w:eastAsia"), east_asia)

    d = docx.Document()
    section = d.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.left_margin = section.right_margin = Cm(2.6)
    section.top_margin, section.bottom_margin = Cm(2.5), Cm(2.2)
    typeface(d.styles["Normal"], "Noto Serif CJK SC", 12)
    typeface(d.add_paragraph().add_run("附件1"), "Noto Sans CJK SC", 16)
    title = d.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    typeface(title.add_run("推荐表"), "Noto Sans CJK SC", 22, bold=True)
    widths = [Cm(2.4), Cm(5.5), Cm(2.4), Cm(5.5)]
    table = d.add_table(rows=len(GRID), cols=4)
    table.style = "Table Grid"
    table.autofit = False
    for column, width in zip(table.columns, widths, strict=True):
        column.width = width
    for labels, row in zip(GRID, table.rows, strict=True):
        row.height_rule = WD_ROW_HEIGHT_RULE.AT_LEAST
        row.height = Cm(3.0 if labels[0] in ("账号简介", "传播实效", "推荐理由") else 1.1)
        cells = row.cells
        for cell, width in zip(cells, widths, strict=True):
            cell.width = width
        if len(labels) == 1:
            pairs = [(cells[0], labels[0]), (cells[1].merge(cells[3]), values[labels[0]])]
        else:
            a, b = labels
            pairs = [(cells[0], a), (cells[1], values[a]), (cells[2], b), (cells[3], values[b])]
        for cell, text in pairs:
            cell.text = text
            cell.vertical_alignment = WD_ALIGN_VERTICAL.CENTER
    d.add_paragraph()
    d.add_paragraph(f"推荐单位（盖章）：{WORD_UNIT}").paragraph_format.left_indent = Cm(7.5)
    d.add_paragraph(WORD_DATE).paragraph_format.left_indent = Cm(10.5)
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def make_word_pdf() -> bytes:
    """Print word_form_docx() to PDF with LibreOffice (what `--word-pdf` checks in)."""
    import tempfile

    from fixtures_forms import soffice_to_pdf

    with tempfile.TemporaryDirectory() as tmp:
        return soffice_to_pdf({"word_form.docx": word_form_docx()}, Path(tmp))["word_form.docx"]


@functools.cache
def printed_page(dpi: int) -> Image.Image:
    """The checked-in print of the Word form as paper at `dpi` (RGB, white)."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(WORD_PDF.read_bytes())
    try:
        return pdf[0].render(scale=dpi / 72).to_pil().convert("RGB")
    finally:
        pdf.close()


@functools.cache
def _anchor_mm(text: str) -> tuple[float, float, float, float]:
    """(left, top, right, bottom) in mm of `text` on the printed page (from its text layer)."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(WORD_PDF.read_bytes())
    try:
        page = pdf[0]
        height = page.get_height()
        textpage = page.get_textpage()
        found = textpage.search(text).get_next()
        if found is None:
            raise LookupError(f"{text!r} is not on the printed form")
        first, count = found
        boxes = [textpage.get_charbox(i) for i in range(first, first + count)]
        mm = 25.4 / 72
        return (
            min(b[0] for b in boxes) * mm,
            (height - max(b[3] for b in boxes)) * mm,
            max(b[2] for b in boxes) * mm,
            (height - min(b[1] for b in boxes)) * mm,
        )
    finally:
        pdf.close()


def stamp_spot(spot: str) -> tuple[float, float]:
    """Where the 公章's centre lands (mm from the page's top left).

    seal:   on 推荐单位（盖章）：浙江省针灸学会 and the date, as units stamp; the
            ring crosses the table's last rule and the 联系地址 row.
    values: pressed higher, over the 手机/邮编 values and the rules between them.
    """
    if spot == "seal":
        _, top, right, _ = _anchor_mm("（盖章）")  # the unit's name follows it, the date below
        return right + 14, top + 3
    if spot == "values":
        left, top, right, bottom = _anchor_mm("310007")
        return left - 4, top - 3
    raise ValueError(spot)


def press_stamp(page: Image.Image, dpi: int, spot: str = "seal", seed: int = 5) -> Image.Image:
    """The unit's 40 mm 公章, turned a little as a hand presses it, multiplied into the page."""
    rng = np.random.default_rng(seed)
    size = round(40 / 25.4 * dpi)
    seal = stamp(size=size, unit=WORD_UNIT, seed=seed).rotate(
        float(rng.uniform(-25, 25)), resample=Image.BICUBIC, fillcolor="white"
    )
    x_mm, y_mm = stamp_spot(spot)
    x, y = round(x_mm / 25.4 * dpi - size / 2), round(y_mm / 25.4 * dpi - size / 2)
    region = page.crop((x, y, x + size, y + size))
    inked = Image.fromarray(
        (np.asarray(region, np.uint16) * np.asarray(seal, np.uint16) // 255).astype(np.uint8)
    )
    out = page.copy()
    out.paste(inked, (x, y))
    return out


def copier(page: Image.Image, dpi: int, seed: int = 7) -> np.ndarray:
    """An office copier's grey scan (float luminance, 0-255): ITU-R 601 weights (a
    公章 red becomes a mid grey ~90), optics blur, paper tone, sensor noise."""
    rng = np.random.default_rng(seed)
    rgb = np.asarray(page.convert("RGB"), np.float32)
    lum = rgb @ np.float32([0.299, 0.587, 0.114])
    lum = cv2.GaussianBlur(lum, (0, 0), 0.45 * dpi / 150)
    lum = 18 + lum * (232 - 18) / 255  # the copier's black point and paper white
    return lum + rng.standard_normal(lum.shape, dtype=np.float32) * 3


def grey_scan(page: Image.Image, dpi: int, seed: int = 7) -> Image.Image:
    return Image.fromarray(copier(page, dpi, seed).clip(0, 255).astype(np.uint8))


def bw_scan(page: Image.Image, dpi: int, seed: int = 7, threshold: int = 140) -> Image.Image:
    """Black-and-white (1-bit) copy: one fixed threshold, so the red ink turns black
    and its light specks white."""
    return Image.fromarray(copier(page, dpi, seed) < threshold).point(lambda v: 0 if v else 255).convert("1")


def phone_shot(
    page: Image.Image,
    *,
    tilt: float,
    width: int = 1080,
    shadow: bool = False,
    blur: float = 0.0,
    quality: int = 60,
    seed: int = 11,
) -> bytes:
    """A phone photo of the page on a desk, as WeChat delivers it: the page in
    perspective (far edge narrower), turned `tilt`° clockwise, light falling off
    across it (with `shadow`, the phone's and a hand's shadow over part of the
    table), a soft lens (`blur` adds defocus at the final size), scaled to
    `width` px and saved as JPEG `quality`."""
    rng = np.random.default_rng(seed)
    w, h = 2 * width, round(2 * width * 4 / 3)
    src = np.float32([[0, 0], [page.width, 0], [page.width, page.height], [0, page.height]])
    mw, mh = w * 0.07, h * 0.05
    dst = np.float32(
        [[mw + 0.045 * w, mh + 0.01 * h], [w - mw - 0.03 * w, mh], [w - mw, h - mh], [mw, h - mh - 0.008 * h]]
    )
    centre = dst.mean(axis=0)
    a = math.radians(tilt)
    rot = np.float32([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])
    dst = (dst - centre) @ rot.T * 0.9 + centre
    matrix = cv2.getPerspectiveTransform(src, dst.astype(np.float32))
    desk = (52, 70, 92)  # BGR, a brown desk
    photo = cv2.warpPerspective(
        np.asarray(page.convert("RGB"))[:, :, ::-1], matrix, (w, h), flags=cv2.INTER_AREA, borderValue=desk
    ).astype(np.float32)
    yy, xx = np.mgrid[0:64, 0:64].astype(np.float32) / 63
    ramp = 1.0 - 0.3 * (0.7 * xx + 0.3 * yy)
    if shadow:
        # The phone's shadow: a soft dark band from the right edge over the lower third.
        band = ((xx > 0.55 + 0.25 * yy) & (yy > 0.55)).astype(np.float32)
        ramp *= 1 - 0.5 * cv2.GaussianBlur(band, (0, 0), 2.0)
    light = cv2.resize(ramp, (w, h), interpolation=cv2.INTER_CUBIC)
    photo *= cv2.merge([light * 0.9, light * 0.97, light])
    photo += rng.standard_normal((h, w), dtype=np.float32)[..., None] * 4
    photo = cv2.GaussianBlur(photo.clip(0, 255), (0, 0), 1.2)
    small = cv2.resize(photo, (width, round(width * 4 / 3)), interpolation=cv2.INTER_AREA)
    if blur:
        small = cv2.GaussianBlur(small, (0, 0), blur)
    return jpeg(Image.fromarray(small.clip(0, 255).astype(np.uint8)[:, :, ::-1]), quality=quality)


def _pdf_of(img: Image.Image, dpi: int) -> bytes:
    """Scan to PDF: grey pages as JPEG, 1-bit pages as CCITT G4 (what copiers write)."""
    buf = io.BytesIO()
    img.save(buf, "PDF", resolution=dpi, **({} if img.mode == "1" else {"quality": 75}))
    return buf.getvalue()


def _tiff_g4(img: Image.Image, dpi: int) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "TIFF", compression="group4", dpi=(dpi, dpi))
    return buf.getvalue()


def _jpeg_scan(img: Image.Image, dpi: int) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=75, dpi=(dpi, dpi))
    return buf.getvalue()


def _png_scan(img: Image.Image, dpi: int) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "PNG", dpi=(dpi, dpi))
    return buf.getvalue()


@dataclass(frozen=True)
class Condition:
    """One way a unit's form reaches us: a key for bench rows, the file name it is
    sent under, and how it is made."""

    key: str
    name: str
    make: Callable[[], bytes]
    photo: bool = False


def _scan(
    kind: str,
    dpi: int,
    spot: str | None,
    save: Callable[[Image.Image, int], bytes],
    seed: int | None = None,
) -> Callable[[], bytes]:
    """`seed`: another stamp (turned and inked anew) and other copier noise."""

    def make() -> bytes:
        page = printed_page(dpi)
        if spot:
            page = press_stamp(page, dpi, spot, **({"seed": seed} if seed else {}))
        noise = {"seed": seed} if seed else {}
        return save(grey_scan(page, dpi, **noise) if kind == "grey" else bw_scan(page, dpi, **noise), dpi)

    return make


def _colour_scan(dpi: int) -> bytes:
    page = press_stamp(printed_page(dpi), dpi)
    return _jpeg_scan(scanned(page, gray=False), dpi)


def _photo(ruled: bool = True, stamp_seed: int = 5, **kwargs) -> Callable[[], bytes]:
    def make() -> bytes:
        page = printed_page(220) if ruled else without_rules(printed_page(220))
        return phone_shot(press_stamp(page, 220, seed=stamp_seed), **kwargs)

    return make


def without_rules(page: Image.Image) -> Image.Image:
    """The form as typed without table borders (or with borders too faint to print):
    the long straight rules painted over in paper white, the text left as it is."""
    ink = (np.asarray(page.convert("L")) < 160).astype(np.uint8)
    across = cv2.morphologyEx(ink, cv2.MORPH_OPEN, np.ones((1, 120), np.uint8))
    down = cv2.morphologyEx(ink, cv2.MORPH_OPEN, np.ones((120, 1), np.uint8))
    rules = cv2.dilate(across | down, np.ones((5, 5), np.uint8)).astype(bool)
    out = np.asarray(page.convert("RGB")).copy()
    out[rules] = 255
    return Image.fromarray(out)


WORD_CONDITIONS: tuple[Condition, ...] = (
    Condition("grey150", "推荐表扫描_灰度150.pdf", _scan("grey", 150, "seal", _pdf_of)),
    Condition("grey200", "推荐表扫描_灰度200.jpg", _scan("grey", 200, "seal", _jpeg_scan)),
    Condition("grey300", "推荐表扫描_灰度300.pdf", _scan("grey", 300, "seal", _pdf_of)),
    Condition("grey200_over_values", "推荐表扫描_章压字.jpg", _scan("grey", 200, "values", _jpeg_scan)),
    Condition("grey200_unstamped", "推荐表扫描_未盖章.png", _scan("grey", 200, None, _png_scan)),
    Condition("bw150", "推荐表扫描_黑白150.png", _scan("bw", 150, "seal", _png_scan)),
    Condition("bw200", "推荐表扫描_黑白200.tif", _scan("bw", 200, "seal", _tiff_g4)),
    Condition("bw300", "推荐表扫描_黑白300.pdf", _scan("bw", 300, "seal", _pdf_of)),
    Condition("bw200_over_values", "推荐表扫描_黑白章压字.tif", _scan("bw", 200, "values", _tiff_g4)),
    Condition("colour200", "推荐表扫描_彩色200.jpg", lambda: _colour_scan(200)),
    Condition("photo_tilt3", "微信图片_倾斜3度.jpg", _photo(tilt=3.0), photo=True),
    Condition("photo_tilt6", "微信图片_倾斜6度.jpg", _photo(tilt=-6.0, seed=12), photo=True),
    Condition("photo_shadow", "微信图片_阴影.jpg", _photo(tilt=4.0, shadow=True, seed=13), photo=True),
    Condition("photo_no_rules", "微信图片_无表格线.jpg", _photo(ruled=False, tilt=3.0, seed=15), photo=True),
    # A soft phone photo as WeChat sends it (1080 px, q60) out of focus by 1 px: legible
    # to a person (a 10.5 pt character ~15 px), the "blurred phone photo" condition.
    Condition("photo_blurred", "微信图片_模糊.jpg", _photo(tilt=3.5, blur=1.0, seed=14), photo=True),
    # The same photo sent as a 720 px thumbnail: 2/3 of WeChat's size, with the same
    # 1 px blur at its own size (a character ~10 px). Beyond the recogniser itself
    # (RapidOCR alone reads about 6 of its 15 values): still the form, handed to staff.
    Condition(
        "photo_small_blurred",
        "微信图片_小图模糊.jpg",
        _photo(tilt=3.5, width=720, blur=1.0, seed=14),
        photo=True,
    ),
)


# More photos out of focus like photo_blurred (other noise seeds and tilts), for
# bench/ocr.py --blur-seeds: one photo says little about marks the blur makes faint.
BLUR_TILTS = (2.0, -3.0, 4.5, -2.5, 3.0, -4.0, 5.0, -1.5, 2.5, -3.5)


def blurred_photos(count: int) -> list[Condition]:
    """`count` photos 1 px out of focus, seeds 30, 31, ..., tilts from BLUR_TILTS."""
    return [
        Condition(
            f"photo_blurred_s{30 + i}",
            "微信图片_模糊.jpg",
            _photo(tilt=BLUR_TILTS[i % len(BLUR_TILTS)], blur=1.0, seed=30 + i),
            photo=True,
        )
        for i in range(count)
    ]


def restamped(count: int) -> list[Condition]:
    """The stamped copies and photos again, `count` times over with other seeds (21,
    22, ...): another stamp (turned and inked anew, so its ring and lettering fall
    elsewhere), other copier noise, other photo tilts and noise; for bench/ocr.py
    --stamp-seeds: one sheet per condition says little about where a stamp falls."""
    out: list[Condition] = []
    for i in range(count):
        seed = 21 + i
        out += [
            Condition(
                f"grey150_s{seed}", "推荐表扫描_灰度150.pdf", _scan("grey", 150, "seal", _pdf_of, seed)
            ),
            Condition(
                f"grey200_s{seed}", "推荐表扫描_灰度200.jpg", _scan("grey", 200, "seal", _jpeg_scan, seed)
            ),
            Condition(
                f"grey300_s{seed}", "推荐表扫描_灰度300.pdf", _scan("grey", 300, "seal", _pdf_of, seed)
            ),
            Condition(f"bw150_s{seed}", "推荐表扫描_黑白150.png", _scan("bw", 150, "seal", _png_scan, seed)),
            Condition(f"bw200_s{seed}", "推荐表扫描_黑白200.tif", _scan("bw", 200, "seal", _tiff_g4, seed)),
            Condition(f"bw300_s{seed}", "推荐表扫描_黑白300.pdf", _scan("bw", 300, "seal", _pdf_of, seed)),
            Condition(
                f"photo_tilt_s{seed}",
                "微信图片_倾斜.jpg",
                _photo(tilt=3.0 + i, seed=seed, stamp_seed=seed),
                photo=True,
            ),
            Condition(
                f"photo_shadow_s{seed}",
                "微信图片_阴影.jpg",
                _photo(tilt=-4.0 - 0.5 * i, shadow=True, seed=seed, stamp_seed=seed),
                photo=True,
            ),
        ]
    return out


def word_corpus() -> dict[str, bytes]:
    """key -> file bytes of every WORD_CONDITIONS entry (a few seconds)."""
    return {c.key: c.make() for c in WORD_CONDITIONS}


# ---------------------------------------------------------------- the corpus


def corpus() -> dict[str, bytes]:
    """Every variant the tests use, by file name (about 3 s to build)."""
    page = render_form()
    clean = scanned(page)
    seal = scanned(stamped(page), gray=False)
    photo = phone_photo(stamped(page))
    return {
        "扫描件.png": png(clean),
        "盖章扫描件.jpg": jpeg(seal, quality=80),
        "倒置扫描件.png": png(rotated(clean, 180)),
        "横放扫描件.png": png(rotated(clean, 90)),
        "手机拍照.jpg": jpeg(photo, quality=70, orientation=6),
        "手机拍照.heic": heic(photo),
        "扫描件.pdf": image_pdf(seal),
    }


if __name__ == "__main__":
    if sys.argv[1:] == ["--word-pdf"]:
        WORD_PDF.write_bytes(make_word_pdf())
        print(f"{WORD_PDF.stat().st_size / 1024:8.0f} KB  {WORD_PDF}")
        sys.exit(0)
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "scan_corpus")
    out.mkdir(parents=True, exist_ok=True)
    files = corpus() | {c.name: c.make() for c in WORD_CONDITIONS}
    for name, data in files.items():
        (out / name).write_bytes(data)
        print(f"{len(data) / 1024:8.0f} KB  {out / name}")
