"""OCR of scanned PDFs and photos of the 推荐表 (tesseract chi_sim+eng).

Form scans are tables: tesseract reads ruled tables badly (it returned
"HET RR" for a clean synthetic form), so we erase long ruling lines first,
then read with --psm 6 and preserve_interword_spaces=1, which keeps the
wide gap between a label cell and its value as a run of spaces. Each text
line becomes one paragraph ("账号名称 针灸之窗 注册时间 2019年3月1日") for the
form locator. LSTM output puts spaces between Han characters
(tesseract-ocr/tesseract#991), which we strip inside a cell.
Accuracy is not guaranteed: callers mark results is_scan for staff review.
"""

from __future__ import annotations

import io
import re

from PIL import Image, ImageDraw, ImageOps

from ..model import Document, Problem

MAX_PAGES = 3
RENDER_DPI = 300
MAX_PIXELS = 40_000_000  # per page/image after scaling (A4 at 300 dpi is 8.7 M)
MIN_WIDTH = 1600  # small phone screenshots are upscaled for tesseract
LANG = "chi_sim+eng"
TESSERACT_CONFIG = "--psm 6 -c preserve_interword_spaces=1"

_CJK = r"\u2e80-\u2fff\u3000-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef"
_CJK_SPACE = re.compile(rf"(?<=[{_CJK}]) (?=[{_CJK}0-9A-Za-z])|(?<=[0-9A-Za-z]) (?=[{_CJK}])")
_GAP = re.compile(r" {2,}|\s*\|\s*")
# Frequent tesseract confusions on the form's own labels.
_LABEL_FIXES = {"账号1D": "账号ID", "账号lD": "账号ID", "账号1d": "账号ID"}


def scan_problem(name: str) -> Problem:
    return Problem(
        None,
        "scan",
        f"《{name}》是扫描件或照片，推荐表内容由文字识别预填，工作人员将人工核对；"
        "如有 Word/WPS 电子版，请一并发送以免识别错误",
    )


def ocr_image(data: bytes, name: str, timeout: float = 60) -> Document:
    """OCR a photo/scan (jpeg, png, bmp, tiff, webp) into a Document."""
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS * 4  # refuse decompression bombs outright
    with Image.open(io.BytesIO(data)) as img:
        img = ImageOps.exif_transpose(img)
        img = _bounded(img)
        lines = ocr_lines(img, timeout)
    return _document(name, "image", lines)


def ocr_pdf(data: bytes, name: str, timeout: float = 60) -> Document:
    """Render the first pages of a text-less PDF at 300 dpi and OCR them."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(data)
    lines: list[str] = []
    try:
        for index in range(min(len(pdf), MAX_PAGES)):
            page = pdf[index]
            width, height = page.get_size()  # points
            scale = RENDER_DPI / 72
            if width * height * scale * scale > MAX_PIXELS:
                scale = (MAX_PIXELS / (width * height)) ** 0.5
            img = page.render(scale=scale).to_pil()
            lines.extend(ocr_lines(img, timeout))
            page.close()
    finally:
        pdf.close()
    return _document(name, "pdf", lines)


def ocr_lines(img: Image.Image, timeout: float = 60) -> list[str]:
    """Text lines of one page, cells separated by a single space."""
    import pytesseract

    clean = remove_rules(_binarize(img))
    text = pytesseract.image_to_string(clean, lang=LANG, config=TESSERACT_CONFIG, timeout=timeout)
    return [line for line in (clean_line(raw) for raw in text.splitlines()) if line]


def clean_line(raw: str) -> str:
    """Split a line on wide gaps/rules into cells, tidy them, write "标签：值"."""
    cells = []
    for cell in _GAP.split(raw.strip()):
        cell = _CJK_SPACE.sub("", cell.strip(" |_—-"))
        for wrong, right in _LABEL_FIXES.items():
            cell = cell.replace(wrong, right)
        if cell:
            cells.append(cell)
    return join_cells(cells)


def join_cells(cells: list[str]) -> str:
    """Join a row's cells; a form label is tied to the value cell after it with "：".

    The table grid is gone after OCR, so "账号名称 针灸之窗" would be ambiguous
    running text; "账号名称：针灸之窗" is the unambiguous line form the locator reads.
    """
    try:
        from ..form.labels import match_label
    except ImportError:  # locator not available: plain spacing still carries the text
        return " ".join(cells)
    out: list[str] = []
    i = 0
    while i < len(cells):
        cell = cells[i]
        if match_label(cell) and i + 1 < len(cells) and not match_label(cells[i + 1]):
            out.append(f"{cell}：{cells[i + 1]}")
            i += 2
            continue
        out.append(f"{cell}：" if match_label(cell) else cell)
        i += 1
    return " ".join(out)


def _document(name: str, fmt: str, lines: list[str]) -> Document:
    return Document(file=name, format=fmt, paragraphs=lines, is_scan=True, problems=[scan_problem(name)])


def _bounded(img: Image.Image) -> Image.Image:
    width, height = img.size
    if width * height > MAX_PIXELS:
        factor = (MAX_PIXELS / (width * height)) ** 0.5
        img = img.resize((max(1, int(width * factor)), max(1, int(height * factor))), Image.LANCZOS)
    elif width < MIN_WIDTH and width * height * 4 <= MAX_PIXELS:
        img = img.resize((width * 2, height * 2), Image.LANCZOS)
    return img


def _binarize(img: Image.Image) -> Image.Image:
    if img.mode in ("RGBA", "LA", "P"):
        background = Image.new("RGB", img.size, "white")
        rgba = img.convert("RGBA")
        background.paste(rgba, mask=rgba.getchannel("A"))
        img = background
    gray = ImageOps.autocontrast(img.convert("L"), cutoff=1)
    return gray.point(lambda v: 0 if v < 160 else 255)


def remove_rules(bw: Image.Image, segment: int = 120, fill: float = 0.75) -> Image.Image:
    """Whiten horizontal/vertical runs that are dark over a whole `segment`.

    Text strokes are never that long at scan resolution, table rules are.
    Box-resizing each strip to one pixel gives its mean darkness cheaply,
    without numpy; two window offsets catch rules that start mid-window.
    """
    width, height = bw.size
    out = bw.copy()
    draw = ImageDraw.Draw(out)
    limit = 255 * (1 - fill)
    for offset in (0, segment // 2):
        count = (width - offset) // segment
        if count > 0:
            small = bw.crop((offset, 0, offset + count * segment, height)).resize((count, height), Image.BOX)
            px = small.load()
            for y in range(height):
                for i in range(count):
                    if px[i, y] < limit:
                        x0 = offset + i * segment
                        draw.line([(x0, y), (x0 + segment - 1, y)], fill=255)
        count = (height - offset) // segment
        if count > 0:
            small = bw.crop((0, offset, width, offset + count * segment)).resize((width, count), Image.BOX)
            px = small.load()
            for j in range(count):
                for x in range(width):
                    if px[x, j] < limit:
                        y0 = offset + j * segment
                        draw.line([(x, y0), (x, y0 + segment - 1)], fill=255)
    return out
