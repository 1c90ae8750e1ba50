"""OCR of scanned PDFs and photos of the 推荐表 with PP-OCR (rapidocr-onnxruntime).

Per page: drop the red stamp, flatten a photographed page, take a cheap
first look (ocr_survey: orientation, skew, text size, which labels show),
turn and scale the page so lines are ~30 px high (~150 dpi for 小四 print),
recognise it, and rebuild the ruled table from the text boxes' geometry
(table_grid, ocr_layout) so pipeline/form/ finds the 15 fields by label as
in a Word table.

Cost control: a long scanned PDF (a bundle of notices with the form on
page 31) is searched on ~1000 px renders: a few-millisecond test for a
ruled table first, the first look only for pages that have one, and full
recognition only for pages that show form labels; pages of running text
cost a render. Everything stops at the per-document budget
(Limits.ocr_budget_seconds). A short scan (≤ 3 pages) is read whole, since
a scanned 图文案例 needs its text to be recognised as one. Accuracy is not
guaranteed: results are marked is_scan for staff.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from ..campaign import FormSpec
from ..config import Limits
from ..model import Document, Problem, Table
from . import ocr_engine, scan_prep
from .form_labels import form_vocabulary, labels_shown
from .ocr_layout import page_layout
from .ocr_survey import SIDE, Survey, survey
from .table_grid import find_grids, looks_ruled

log = logging.getLogger(__name__)

MAX_PAGES = 200  # pages of one scanned PDF we will even look at
READ_WHOLE = 3  # a scan this short is read in full
MAX_FORM_PAGES = 4  # pages read in full because they show form labels
RENDER_DPI = 200
LINE_PX = 30  # detected line height to recognise at
MIN_SIDE, MAX_SIDE = 1000, 2400  # long side of the page we recognise


def scan_problem(name: str, title: str = "推荐表") -> Problem:
    """`title`: what the campaign calls its form (推荐表, 申报表)."""
    return Problem(
        None,
        "scan",
        f"《{name}》是扫描件或照片，{title}内容由文字识别预填，工作人员将人工核对；"
        "如有 Word/WPS 电子版，请一并发送以免识别错误",
    )


def _unread_problem(name: str, pages: int, seen: int, title: str) -> Problem:
    return Problem(
        None,
        "scan_incomplete",
        f"《{name}》是 {pages} 页的扫描件，系统在限定时间内只查看了前 {seen} 页，未在其中找到{title}；"
        f"如{title}在后面的页中，请将{title}单独扫描或拍照后发送",
    )


# ---------------------------------------------------------------- budget and log


class Budget:
    """Seconds one document may spend in OCR; `clock` is injectable for tests."""

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.deadline = clock() + seconds

    def spent(self) -> bool:
        return self.clock() >= self.deadline


@dataclass
class ScanLog:
    """What happened to each page (1-based numbers), for logs, tests and bench."""

    pages: int = 0
    checked: list[int] = field(default_factory=list)  # quick ruling test on a preview
    surveyed: list[int] = field(default_factory=list)  # first look (detection, labels)
    read: list[int] = field(default_factory=list)  # recognised in full
    out_of_budget: bool = False


# ---------------------------------------------------------------- page sources


class Pages(Protocol):
    """A scanned document's pages as BGR arrays."""

    count: int

    def preview(self, index: int) -> np.ndarray:
        """About SIDE px on the long side, cheap to make."""
        ...

    def full(self, index: int) -> np.ndarray:
        """The page at scanning resolution (≤ scan_prep.MAX_SIDE)."""
        ...


class ImagePages:
    """The frames of a photo or (multi-page TIFF) scan, decoded once."""

    def __init__(self, data: bytes) -> None:
        self.frames = list(scan_prep.image_frames(data))
        self.count = len(self.frames)

    def preview(self, index: int) -> np.ndarray:
        return scan_prep.fit(self.frames[index], SIDE, enlarge=False)

    def full(self, index: int) -> np.ndarray:
        return self.frames[index]


class PdfPages:
    """Pages of a text-less PDF, rendered by pdfium on demand."""

    def __init__(self, data: bytes) -> None:
        import pypdfium2 as pdfium

        self.pdf = pdfium.PdfDocument(data)
        self.count = min(len(self.pdf), MAX_PAGES)

    def _render(self, index: int, long_side: float) -> np.ndarray:
        page = self.pdf[index]
        try:
            width, height = page.get_size()
            scale = min(long_side / max(width, height), RENDER_DPI / 72)
            return page.render(scale=scale).to_numpy()[:, :, :3]
        finally:
            page.close()

    def preview(self, index: int) -> np.ndarray:
        return self._render(index, SIDE)

    def full(self, index: int) -> np.ndarray:
        return self._render(index, scan_prep.MAX_SIDE)

    def close(self) -> None:
        self.pdf.close()


# ---------------------------------------------------------------- entry points


def ocr_image(
    data: bytes,
    name: str,
    limits: Limits | None = None,
    clock: Callable[[], float] = time.monotonic,
    form: FormSpec | None = None,
) -> Document:
    """OCR a photo/scan (JPEG, PNG, BMP, TIFF, WebP, HEIC) into a Document."""
    doc, _ = read_scan(ImagePages(data), name, "image", _budget(limits, clock), whole=False, form=form)
    return doc


def ocr_pdf(
    data: bytes,
    name: str,
    limits: Limits | None = None,
    clock: Callable[[], float] = time.monotonic,
    form: FormSpec | None = None,
) -> Document:
    """OCR a PDF without a text layer: the pages that can hold the form, within budget."""
    pages = PdfPages(data)
    try:
        doc, _ = read_scan(pages, name, "pdf", _budget(limits, clock), whole=True, form=form)
    finally:
        pages.close()
    return doc


def _budget(limits: Limits | None, clock: Callable[[], float]) -> Budget:
    limits = limits or Limits()
    # Stop early enough that the page in progress finishes before the sandbox deadline.
    seconds = min(limits.ocr_budget_seconds, 0.7 * limits.document_timeout_seconds)
    return Budget(seconds, clock)


def read_scan(
    pages: Pages, name: str, fmt: str, budget: Budget, whole: bool, form: FormSpec | None = None
) -> tuple[Document, ScanLog]:
    """Read the pages that matter. A short document is read page by page (with
    `whole`, even pages without form labels: a scanned article must yield its
    text); a long one is searched for the form (_find_form). `form` is the
    campaign's form whose labels are looked for (None: the built-in 附件1)."""
    title = form.title if form is not None else "推荐表"
    doc = Document(file=name, format=fmt, is_scan=True, problems=[scan_problem(name, title)])
    scan = _Scan(doc, pages, budget, ScanLog(pages=pages.count), form=form)
    if pages.count <= READ_WHOLE:
        for index in range(pages.count):
            if scan.spent():
                break
            scan.read(index, pages.full(index), always=whole)
    else:
        scan.find_form(whole)
    if scan.log.out_of_budget and not scan.form_pages:
        seen = max(scan.log.checked + scan.log.read + [0])
        doc.problems.append(_unread_problem(name, pages.count, seen, title))
    log.info(
        "OCR %s: %d pages, surveyed %s, read %s%s",
        name,
        pages.count,
        scan.log.surveyed,
        scan.log.read,
        " (budget spent)" if scan.log.out_of_budget else "",
    )
    return doc, scan.log


@dataclass
class _Scan:
    """One document's OCR in progress."""

    doc: Document
    pages: Pages
    budget: Budget
    log: ScanLog
    form_pages: int = 0
    form: FormSpec | None = None

    def spent(self) -> bool:
        if self.budget.spent():
            self.log.out_of_budget = True
        return self.log.out_of_budget

    def find_form(self, whole: bool) -> None:
        """Round 1: pages with a ruled table get a first look, and those showing
        form labels are read. If none did: the first pages are read (for the
        text), then round 2 looks at the pages without ruling (a borderless or
        badly photographed form), all within the budget."""
        unruled = []
        for index in range(self.pages.count):
            if self.spent():
                return
            preview = scan_prep.drop_red(self.pages.preview(index))
            self.log.checked.append(index + 1)
            if not looks_ruled(scan_prep.grey(preview)):
                unruled.append(index)
            elif self.look(index, preview) and _form_complete(self.doc, self.form):
                return
        if self.form_pages:
            return
        if whole:
            for index in range(READ_WHOLE):
                if self.spent():
                    return
                self.read(index, self.pages.full(index), always=True)
        for index in unruled:
            if self.form_pages or self.spent():
                return
            if index + 1 not in self.log.read:
                self.look(index, scan_prep.drop_red(self.pages.preview(index)))

    def look(self, index: int, preview: np.ndarray) -> bool:
        """First look at one page; read it in full if it shows form labels."""
        self.log.surveyed.append(index + 1)
        if not survey(preview, self.form).may_hold_form or self.form_pages >= MAX_FORM_PAGES:
            return False
        self.form_pages += 1
        self.read(index, self.pages.full(index), always=True)
        return True

    def read(self, index: int, img: np.ndarray, always: bool) -> None:
        """Prepare and recognise one page into the document. Without `always`, a
        page whose first look shows no form label in legible text (a case
        photo) is not recognised in full."""
        page, first = prepare(img, self.form)
        if not always and not first.may_hold_form:
            return
        self.log.read.append(index + 1)
        many = self.pages.count > 1
        tables, paragraphs = read_page(page, first, f"第{index + 1}页表格{{}}" if many else "表格{}")
        self.doc.tables.extend(tables)
        self.doc.paragraphs.extend(paragraphs)


def prepare(img: np.ndarray, form: FormSpec | None = None) -> tuple[np.ndarray, Survey]:
    """Stamp dropped, page flattened, then the first look at a ~SIDE px copy."""
    page = scan_prep.flatten(scan_prep.drop_red(img))
    return page, survey(scan_prep.fit(page, SIDE, enlarge=False), form)


def read_page(page: np.ndarray, look: Survey, table_name: str = "表格{}") -> tuple[list[Table], list[str]]:
    """Turn, level and scale the page as the survey says, recognise it, lay it out."""
    upright = scan_prep.turn(page, look.quarter, look.skew)
    small_long = min(SIDE, max(page.shape[:2]))
    line = look.text_height * max(page.shape[:2]) / small_long if look.text_height else 0
    long_side = max(upright.shape[:2]) * (LINE_PX / line if line else 1.0)
    upright = scan_prep.fit(upright, int(min(MAX_SIDE, max(MIN_SIDE, long_side))))
    boxes = ocr_engine.read_text(upright)
    if not boxes:
        return [], []
    height = float(np.median([b.height for b in boxes]))
    grids = find_grids(scan_prep.grey(upright), boxes, height)
    return page_layout(boxes, grids, table_name)


def _form_complete(doc: Document, form: FormSpec | None) -> bool:
    """Every label of the form is shown: no need to look at further pages."""
    return len(labels_shown(doc, form)) == len(form_vocabulary(form).spec.labels)
