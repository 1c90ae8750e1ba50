"""Read a text-layer PDF into the Document model with pdfplumber.

Ruled tables become Tables with explicit spans (derived from the cell
boxes); text outside the tables becomes paragraphs so nothing is read twice.
Lines that wrap inside a cell are joined without a space between CJK
characters. A PDF without a usable text layer (a scan, or "(cid:NN)"
garbage from fonts without ToUnicode) is returned with the Problem
"pdf_no_text" so the dispatcher can OCR it; no OCR happens here.
"""

from __future__ import annotations

import io
import re
import unicodedata

from ..config import Limits
from ..model import Cell, Document, Problem, Table
from .errors import DocumentError

MAX_PAGES = 60
_CID = re.compile(r"\(cid:\d+\)")

NO_TEXT = Problem(
    None,
    "pdf_no_text",
    "PDF 文件没有可识别的文字（可能是扫描件或字体未嵌入），系统将尝试文字识别；"
    "如识别结果有误，请改发 Word 版推荐表。",
)


def _is_cjk(ch: str) -> bool:
    if not ch:
        return False
    o = ord(ch)
    return (
        0x2E80 <= o <= 0x9FFF
        or 0xF900 <= o <= 0xFAFF
        or 0xFF00 <= o <= 0xFFEF
        or 0x3000 <= o <= 0x303F
        or 0x20000 <= o <= 0x2FFFF
    )


def join_lines(text: str) -> str:
    """Join wrapped lines: no space next to CJK or inside a URL/e-mail, else one space."""
    lines = [ln.strip() for ln in text.split("\n")]
    lines = [ln for ln in lines if ln]
    if not lines:
        return ""
    out = lines[0]
    for ln in lines[1:]:
        prev = out[-1]
        last_token = out.rsplit(" ", 1)[-1]
        urlish = any(m in last_token for m in ("://", "www.", "@", "/")) or (
            "." in last_token and last_token.isascii()
        )
        if _is_cjk(prev) or _is_cjk(ln[0]) or urlish:
            out += ln
        else:
            out += " " + ln
    return out


def _garbled(text: str) -> bool:
    if not text.strip():
        return True
    cids = len(_CID.findall(text))
    bad = text.count("\ufffd") + cids * 5
    visible = sum(1 for ch in text if not ch.isspace())
    return bad * 5 > visible  # more than ~20% garbage


def read_pdf(data: bytes, name: str, limits: Limits | None = None) -> Document:
    """Parse a PDF; raise DocumentError if it cannot be opened at all."""
    import pdfplumber
    from pdfminer.pdfdocument import PDFPasswordIncorrect
    from pdfplumber.utils import extract_text

    doc = Document(file=name, format="pdf")
    if not data.lstrip()[:1024].find(b"%PDF") >= 0:
        raise DocumentError("not_pdf", f"文件“{name}”不是有效的 PDF 文件，请重新导出后发送。")
    try:
        pdf = pdfplumber.open(io.BytesIO(data))
    except Exception as exc:
        # pdfplumber wraps pdfminer errors: PdfminerException(PDFPasswordIncorrect())
        if isinstance(exc, PDFPasswordIncorrect) or any(
            isinstance(a, PDFPasswordIncorrect) for a in exc.args
        ):
            raise DocumentError(
                "encrypted", f"PDF 文件“{name}”设置了打开密码，请取消密码后重新发送。"
            ) from exc
        raise DocumentError(
            "corrupt", f"PDF 文件“{name}”已损坏或不完整，无法打开，请重新导出后发送。"
        ) from exc
    all_text: list[str] = []
    try:
        pages = pdf.pages
        if len(pages) > MAX_PAGES:
            doc.problems.append(
                Problem(
                    None, "pdf_truncated", f"PDF 文件“{name}”超过 {MAX_PAGES} 页，仅读取了前 {MAX_PAGES} 页。"
                )
            )
        for page in pages[:MAX_PAGES]:
            doc.image_count += len(page.images)
            if not page.chars:
                continue
            found = page.find_tables()
            for tbl in found:
                table = _table(tbl, f"表格{len(doc.tables) + 1}")
                doc.tables.append(table)
                all_text.extend(c.text for c in table.cells)
            boxes = [t.bbox for t in found]
            chars = [c for c in page.chars if not _inside(c, boxes)] if boxes else page.chars
            text = extract_text(chars) if chars else ""
            all_text.append(text)
            doc.paragraphs.extend(ln.strip() for ln in text.split("\n") if ln.strip())
            page.flush_cache()
    except DocumentError:
        raise
    except Exception as exc:
        raise DocumentError("corrupt", f"PDF 文件“{name}”内容已损坏，无法读取，请重新导出后发送。") from exc
    finally:
        pdf.close()
    if _garbled("\n".join(all_text)):
        doc.tables.clear()
        doc.paragraphs.clear()
        doc.problems.append(NO_TEXT)
    return doc


def _inside(obj: dict, boxes: list[tuple]) -> bool:
    x = (obj["x0"] + obj["x1"]) / 2
    y = (obj["top"] + obj["bottom"]) / 2
    return any(x0 <= x <= x1 and top <= y <= bottom for x0, top, x1, bottom in boxes)


def _table(tbl, name: str) -> Table:
    """Convert a pdfplumber table to Cells with spans from the cell boxes."""
    table = Table(name=name)
    xs = sorted({round(c[0], 1) for c in tbl.cells})
    tops = sorted({round(c[1], 1) for c in tbl.cells})
    rows = tbl.rows
    texts = tbl.extract()
    for row, row_texts in zip(rows, texts, strict=False):
        for bbox, text in zip(row.cells, row_texts, strict=False):
            if bbox is None:
                continue
            x0, top, x1, bottom = (round(v, 1) for v in bbox)
            col = xs.index(x0)
            r = tops.index(top)
            col_span = max(1, sum(1 for x in xs if x0 <= x < x1 - 0.5))
            row_span = max(1, sum(1 for y in tops if top <= y < bottom - 0.5))
            clean = unicodedata.normalize("NFC", join_lines(text or ""))
            table.cells.append(Cell(row=r, col=col, text=clean, row_span=row_span, col_span=col_span))
    return table
