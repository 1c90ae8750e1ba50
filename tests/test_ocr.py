"""Scans and phone photos of the 推荐表, read by PP-OCR through read_document.

The documents come from tests/scan_corpus.py: the notice's 附件1 filled with
values tesseract used to misread (1.1万, 许诺, 庐阳区), rendered at 200 dpi,
stamped, turned, photographed, saved as JPEG/PNG/HEIC/PDF. What we assert:

- the clean scan and the turned copies of it (same pixels, turned losslessly):
  all 15 values exactly;
- stamped and photographed copies: exactly the short fields a unit must get
  right (name, fans, contact, phone, e-mail, 邮编, address, URL), and at
  least 13 of 15 overall. On this machine they read all 15, but JPEG q70,
  perspective resampling and a different CPU's ONNX kernels can change a
  character in the long free-text fields, which staff check anyway (every
  scan goes to 待人工核对).
"""

from __future__ import annotations

import io
import json

import pytest
import scan_corpus
from intake_env import run
from PIL import Image, ImageDraw, ImageFont, ImageOps
from scan_corpus import VALUES as FILLED

from pipeline.campaign import builtin
from pipeline.documents import read_document
from pipeline.form import extract_form

FORM = builtin().form

SHORT_FIELDS = ("账号名称", "粉丝数量", "账号ID/网页链接", "联系人", "手机", "电子邮箱", "邮编", "联系地址")


@pytest.fixture(scope="module")
def corpus() -> dict[str, bytes]:
    return scan_corpus.corpus()


def read(name: str, data: bytes):
    doc = read_document(name, data)
    return doc, extract_form(doc, FORM)


def exact(form) -> list[str]:
    return [label for label, value in FILLED.items() if form.fields[label] == value]


@pytest.mark.parametrize("name", ["扫描件.png", "倒置扫描件.png", "横放扫描件.png"])
def test_scan_reads_all_15_values_exactly(corpus, name):
    doc, form = read(name, corpus[name])
    assert doc.is_scan and doc.format == "png"
    assert form.found and form.labels_found == 15
    assert form.fields == FILLED
    assert form.sources["推荐理由"] == f"{name} 表格1 第7行第2列"  # a cell of the rebuilt grid
    assert [p.code for p in doc.problems] == ["scan"]


@pytest.mark.parametrize(
    ("name", "fmt"),
    [("盖章扫描件.jpg", "jpeg"), ("手机拍照.jpg", "jpeg"), ("手机拍照.heic", "heic"), ("扫描件.pdf", "pdf")],
)
def test_stamped_and_photographed_forms(corpus, name, fmt):
    doc, form = read(name, corpus[name])
    assert doc.is_scan and doc.format == fmt
    assert form.found
    for label in SHORT_FIELDS:
        assert form.fields[label] == FILLED[label], (label, form.fields[label])
    assert len(exact(form)) >= 13, {k: v for k, v in form.fields.items() if v != FILLED[k]}
    # The red stamp sits on 邮编's value; dropping the red before recognition
    # is what makes it readable (without it PP-OCR reads the stamp's "学会").
    assert form.fields["邮编"] == "230001"
    codes = [p.code for p in doc.problems]
    assert codes == ["scan"]  # a scanned PDF's "pdf_no_text" is replaced by the scan notice


def test_close_up_photo_without_page_edges(corpus):
    """No desk around the page: the table's own outline gives the perspective."""
    photo = Image.open(io.BytesIO(corpus["手机拍照.jpg"]))

    photo = ImageOps.exif_transpose(photo)
    w, h = photo.size
    crop = photo.crop((int(w * 0.17), int(h * 0.17), int(w * 0.83), int(h * 0.80)))
    buf = io.BytesIO()
    crop.save(buf, "JPEG", quality=70)
    _, form = read("近景.jpg", buf.getvalue())
    for label in SHORT_FIELDS:
        assert form.fields[label] == FILLED[label], label
    assert len(exact(form)) >= 13


def test_case_picture_is_not_read_as_form():
    img = Image.new("RGB", (1600, 1200), (40, 120, 200))
    ImageDraw.Draw(img).ellipse([400, 300, 1200, 900], fill=(250, 200, 0))
    buf = io.BytesIO()
    img.save(buf, format="JPEG")
    doc = read_document("活动照片.jpg", buf.getvalue())
    assert doc.format == "jpeg"
    assert doc.problems == []  # no "scan" notice for a picture that is not the form
    assert not extract_form(doc, FORM).found


def test_broken_image_is_corrupt(corpus):
    doc = read_document("推荐表.png", corpus["扫描件.png"][:2000])
    assert [p.code for p in doc.problems] == ["corrupt"]


def test_run_extract_on_a_scan(corpus, tmp_path):
    path = tmp_path / "推荐表扫描件.pdf"
    path.write_bytes(corpus["扫描件.pdf"])
    out = json.loads(run(tmp_path / "none.yaml", "extract", str(path)).stdout)
    (obj,) = out
    assert obj["is_scan"] is True and obj["format"] == "pdf"
    for label in SHORT_FIELDS:
        assert obj["fields"][label] == FILLED[label], label
    assert obj["normalized"]["手机"] == "13956012345"
    assert not any(p["code"] == "form_not_found" for p in obj["problems"])


# ------------------------------------------------------------ the older 10-field grid

FONT = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"

# A 300-dpi grid of ten fields (test_formats_pipeline mails it too).
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
    """A ruled grid of ten 推荐表 fields as a 300 dpi scan would show it."""
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


def test_small_screenshot_of_a_grid():
    """A 300-dpi grid shrunk to a 990 px phone screenshot: upscaled, every value exact."""
    doc, form = read("小图.jpg", form_image("JPEG", 0.4))
    assert {k: form.fields[k] for k in VALUES} == VALUES
    assert form.labels_found == 10
