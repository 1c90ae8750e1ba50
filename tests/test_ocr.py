"""OCR of photographed/scanned forms with tesseract chi_sim.

OCR is not exact: we assert only on what a clean print is reliably read as
(account name, phone digits, e-mail, 邮编), not on every field. Dates with
mixed CJK/digits are the usual casualties ("2019年3月:1日").
"""

from __future__ import annotations

import io

import pytest
from PIL import Image, ImageDraw, ImageFont

from pipeline.documents import read_document
from pipeline.documents.ocr import clean_line, ocr_image, remove_rules
from pipeline.form import extract_form

FONT = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"

VALUES = {
    "账号名称": "针灸之窗",
    "注册时间": "2019年3月1日",
    "粉丝数量": "125000",
    "运营主体": "中国针灸学会",
    "运营人数": "5",
    "发布数量": "1024",
    "联系人": "张三",
    "手机": "13912345678",
    "电子邮箱": "zhangsan@example.com",
    "邮编": "100700",
}
ROWS = [
    ("账号名称", "注册时间"),
    ("粉丝数量", "运营主体"),
    ("运营人数", "发布数量"),
    ("联系人", "手机"),
    ("电子邮箱", "邮编"),
]


def form_image(fmt: str = "PNG", scale: float = 1.0) -> bytes:
    """A ruled 推荐表 grid as a 300 dpi scan would show it."""
    width, height = int(2480 * scale), int(1400 * scale)
    img = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(img)
    font = ImageFont.truetype(FONT, int(36 * scale))
    draw.text(
        (int(1050 * scale), int(60 * scale)),
        "推荐表",
        font=ImageFont.truetype(FONT, int(60 * scale)),
        fill="black",
    )
    xs = [int(x * scale) for x in (150, 650, 1250, 1750, 2330)]
    y = int(200 * scale)
    row_h = int(120 * scale)
    for left, right in ROWS:
        draw.line([(xs[0], y), (xs[4], y)], fill="black", width=3)
        for x in xs:
            draw.line([(x, y), (x, y + row_h)], fill="black", width=3)
        for col, text in enumerate((left, VALUES[left], right, VALUES[right])):
            draw.text((xs[col] + int(20 * scale), y + int(40 * scale)), text, font=font, fill="black")
        y += row_h
    draw.line([(xs[0], y), (xs[4], y)], fill="black", width=3)
    buf = io.BytesIO()
    img.save(buf, format=fmt, **({"quality": 80} if fmt == "JPEG" else {}))
    return buf.getvalue()


@pytest.mark.parametrize(("name", "fmt"), [("推荐表.png", "PNG"), ("推荐表照片.jpg", "JPEG")])
def test_photo_of_form_is_read(name, fmt):
    doc = read_document(name, form_image(fmt))
    assert doc.is_scan
    assert [p.code for p in doc.problems] == ["scan"]
    assert "人工核对" in doc.problems[0].message
    form = extract_form(doc)
    assert form.found
    for label in ("账号名称", "手机", "电子邮箱", "邮编", "联系人"):
        assert form.fields[label] == VALUES[label], (label, doc.paragraphs)


def test_small_photo_is_upscaled_and_read():
    doc = read_document("form.png", form_image(scale=0.5))
    form = extract_form(doc)
    assert form.fields["手机"] == VALUES["手机"], doc.paragraphs


def test_scanned_pdf_is_ocred():
    img = Image.open(io.BytesIO(form_image()))
    buf = io.BytesIO()
    img.save(buf, format="PDF", resolution=300)
    doc = read_document("扫描件.pdf", buf.getvalue())
    assert doc.is_scan and doc.format == "pdf"
    codes = [p.code for p in doc.problems]
    assert "scan" in codes and "pdf_no_text" not in codes
    form = extract_form(doc)
    assert form.fields["手机"] == VALUES["手机"]
    assert form.fields["账号名称"] == VALUES["账号名称"]


def test_case_picture_is_not_flagged_as_scan():
    img = Image.new("RGB", (800, 600), (40, 120, 200))
    ImageDraw.Draw(img).ellipse([200, 150, 600, 450], fill=(250, 200, 0))
    buf = io.BytesIO()
    img.save(buf, format="JPEG")
    doc = read_document("活动照片.jpg", buf.getvalue())
    assert doc.format == "jpeg"
    assert doc.problems == []
    assert not extract_form(doc).found


def test_broken_image_is_corrupt():
    data = form_image()[:2000]
    doc = read_document("推荐表.png", data)
    assert [p.code for p in doc.problems] == ["corrupt"]


def test_clean_line_strips_cjk_spaces_and_ties_labels():
    assert (
        clean_line("账 号 名 称     针 灸 之 窗   | 手机    139 1234") == "账号名称：针灸之窗 手机：139 1234"
    )
    assert clean_line("本 账 号 由 学 会 运 营") == "本账号由学会运营"


def test_remove_rules_erases_lines_not_text():
    img = Image.new("L", (1200, 400), 255)
    draw = ImageDraw.Draw(img)
    draw.line([(0, 50), (1199, 50)], fill=0, width=3)
    draw.line([(600, 0), (600, 399)], fill=0, width=3)
    draw.text((100, 150), "账号名称", font=ImageFont.truetype(FONT, 40), fill=0)
    cleaned = remove_rules(img)
    assert cleaned.getpixel((300, 50)) == 255 and cleaned.getpixel((600, 300)) == 255
    ink = sum(1 for x in range(100, 300) for y in range(140, 210) if cleaned.getpixel((x, y)) == 0)
    assert ink > 200  # the characters are still there


def test_ocr_image_directly():
    doc = ocr_image(form_image(), "x.png")
    assert any("13912345678" in line for line in doc.paragraphs)
