"""Sheets as a person prints them: each worksheet of a workbook converted to PDF by
LibreOffice (one PDF per sheet: the other sheets print nothing, and formulas still see them),
then measured with pdfplumber: the smallest font on the printed page, the pages,
their orientation and text. Pages can be rendered to PNG to look at
(test-artifacts/printed/)."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import openpyxl
from fixtures_forms import soffice_convert

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts" / "printed"
READABLE_PT = 9.0  # the smallest body text a person reads on A4 without a magnifier


@dataclass
class PrintedSheet:
    name: str
    pdf: bytes
    pages: int
    smallest: float  # pt, over every character printed
    landscape: bool
    text: str  # every page's text, spaces removed
    overflow: float  # pt a character reaches past the table's right edge (the header's fill); <= 0 is fine

    def page_text(self, number: int) -> str:
        import pdfplumber

        with pdfplumber.open(io.BytesIO(self.pdf)) as doc:
            return (doc.pages[number].extract_text() or "").replace(" ", "")


def _one_sheet_copies(path: Path) -> dict[str, bytes]:
    wb = openpyxl.load_workbook(path)
    copies = {}
    for index, name in enumerate(wb.sheetnames):
        copy = openpyxl.load_workbook(path)
        for other in copy.worksheets:
            if other.title != name:
                # An empty print area: LibreOffice skips empty pages, and formulas still see the sheet.
                other.print_area = "XFD1048576"
        copy.active = index
        buf = io.BytesIO()
        copy.save(buf)
        copies[f"sheet{index}.xlsx"] = buf.getvalue()
    return copies


def print_workbook(path: Path, workdir: Path, *, tag: str = "") -> dict[str, PrintedSheet]:
    """Each sheet of the workbook at `path` printed to PDF (sheet name -> what printed).
    With `tag`, each PDF is also kept under test-artifacts/printed/ to look at."""
    import pdfplumber

    names = openpyxl.load_workbook(path, read_only=True).sheetnames
    pdfs = soffice_convert(_one_sheet_copies(path), workdir / "printed")
    out = {}
    for index, name in enumerate(names):
        data = pdfs[f"sheet{index}.xlsx"]
        with pdfplumber.open(io.BytesIO(data)) as doc:
            sizes = [round(c["size"], 1) for p in doc.pages for c in p.chars if c["text"].strip()]
            text = "".join((p.extract_text() or "") for p in doc.pages).replace(" ", "")
            first = doc.pages[0]
            out[name] = PrintedSheet(
                name,
                data,
                len(doc.pages),
                min(sizes, default=0.0),
                first.width > first.height,
                text,
                max((_overflow(p) for p in doc.pages), default=0.0),
            )
        if tag:
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            (ARTIFACTS / f"{tag}-{name}.pdf").write_bytes(data)
    return out


def _overflow(page) -> float:
    """How far text runs past the table's right edge (a clipped cell still has its glyphs
    in the PDF): the right edge is the header row's fill."""
    fills = [r for r in page.rects if r.get("fill") and r["top"] < 80]
    if not fills:
        return 0.0
    edge = max(r["x1"] for r in fills)
    body = [c for c in page.chars if c["text"].strip() and c["top"] < page.height - 60]  # not the footer
    return max((c["x1"] for c in body), default=0.0) - edge


def render_page(pdf: bytes, name: str, page: int = 0, scale: float = 1.4) -> Path:
    """One printed page as a PNG under test-artifacts/printed/ (to look at)."""
    import pypdfium2

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    doc = pypdfium2.PdfDocument(pdf)
    image = doc[page].render(scale=scale).to_pil()
    target = ARTIFACTS / f"{name}-p{page + 1}.png"
    image.save(target)
    doc.close()
    return target
