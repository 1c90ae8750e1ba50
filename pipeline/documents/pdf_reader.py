"""Read a text-layer PDF into the Document model with pdfplumber.

Ruled tables become Tables with explicit spans (derived from the cell
boxes), their text read glyph by glyph (pdf_cells.py: wrapped lines and
numbers rejoined, no spaces from CJK spacing); text outside the tables
becomes paragraphs so nothing is read twice. Text printed struck through
(tracked deletions) is dropped (pdf_revisions.py). "(cid:N)" glyphs are
first decoded with PDFium (pdf_glyphs.py); a PDF still without a usable
text layer (a scan, or fonts nobody can decode) is returned with the
Problem "pdf_no_text" so the dispatcher can OCR it; no OCR happens here.
"""

from __future__ import annotations

import io
import re

from ..config import Limits
from ..model import Document, Problem
from .errors import DocumentError
from .pdf_boxes import find_tables
from .pdf_cells import line_separator, table_from
from .pdf_glyphs import cid_chars, decode_cids
from .pdf_revisions import struck_chars

MAX_PAGES = 60
_CID = re.compile(r"\(cid:\d+\)")

NO_TEXT = Problem(
    None,
    "pdf_no_text",
    "PDF 文件没有可识别的文字（可能是扫描件或字体未嵌入），系统将尝试文字识别；"
    "如识别结果有误，请改发 Word 版推荐表。",
)


def join_lines(text: str) -> str:
    """Join wrapped lines: no space next to CJK or inside a URL/e-mail, else one space."""
    lines = [ln.strip() for ln in text.split("\n")]
    lines = [ln for ln in lines if ln]
    if not lines:
        return ""
    out = lines[0]
    for ln in lines[1:]:
        out += line_separator(out, ln) + ln
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
    pdfium_doc = None
    try:
        pages = pdf.pages
        if len(pages) > MAX_PAGES:
            doc.problems.append(
                Problem(
                    None, "pdf_truncated", f"PDF 文件“{name}”超过 {MAX_PAGES} 页，仅读取了前 {MAX_PAGES} 页。"
                )
            )
        for number, page in enumerate(pages[:MAX_PAGES]):
            doc.image_count += len(page.images)
            if not page.chars:
                continue
            if cid_chars(page.chars):
                pdfium_doc = pdfium_doc or _open_pdfium(data)
                if pdfium_doc is not None:
                    decode_cids(pdfium_doc, number, page.chars)
            struck = struck_chars(page)
            found = find_tables(page)
            for tbl in found:
                table = table_from(tbl, f"表格{len(doc.tables) + 1}", page.chars, struck)
                doc.tables.append(table)
                all_text.extend(c.text for c in table.cells)
            boxes = [t.bbox for t in found]
            chars = [c for c in page.chars if id(c) not in struck and not (boxes and _inside(c, boxes))]
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
        if pdfium_doc is not None:
            pdfium_doc.close()
    if _garbled("\n".join(all_text)):
        doc.tables.clear()
        doc.paragraphs.clear()
        doc.problems.append(NO_TEXT)
    return doc


def _inside(obj: dict, boxes: list[tuple]) -> bool:
    x = (obj["x0"] + obj["x1"]) / 2
    y = (obj["top"] + obj["bottom"]) / 2
    return any(x0 <= x <= x1 and top <= y <= bottom for x0, top, x1, bottom in boxes)


def _open_pdfium(data: bytes):
    """A PDFium view of the same file, for glyphs pdfminer cannot decode; None if it will not open."""
    import pypdfium2

    try:
        return pypdfium2.PdfDocument(data)
    except Exception:  # PDFium refuses some files pdfminer reads: keep pdfminer's text
        return None
