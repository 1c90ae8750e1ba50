"""OCR of scanned PDFs and photos of the 推荐表 with PP-OCR (rapidocr-onnxruntime).

Each page is read by ocr_page: the stamp's red dropped, a photographed page
flattened, a cheap first look (ocr_survey: orientation, skew, text size,
which labels show), the page turned upright, round stamps found and their ink
taken off (ocr_stamp), the ruled grid found (table_grid) and read cell by
cell (ocr_cells), or, without a grid, the page recognised whole and laid out
by its labels (ocr_labels), so pipeline/form/ finds the fields by label as in
a Word table. Cells carry the recogniser's score, geometry flags and their box
on the original page; ocr_confidence turns them into the form's `uncertain`.

Cost control: a long scanned PDF (a bundle of notices with the form on
page 31) is searched on ~1000 px renders: a few-millisecond test for a
ruled table first, the first look only for pages that have one, and full
recognition only for pages that show form labels; pages of running text
cost a render. Everything stops at the per-document budget
(Limits.ocr_budget_seconds). A short scan (≤ 3 pages) is read whole, since
a scanned 图文案例 needs its text to be recognised as one. Accuracy is not
guaranteed: results are marked is_scan for staff. Running out of memory or
time is the machine's trouble, not the file's: documents/__init__.py retries
`lean` (smaller pages), then hands the scan to staff unread.
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
from ..model import Document, Problem
from . import ocr_page, scan_prep
from .errors import DocumentError
from .form_labels import form_vocabulary, labels_shown
from .ocr_survey import SIDE, survey
from .table_grid import looks_ruled

log = logging.getLogger(__name__)

MAX_PAGES = 200  # pages of one scanned PDF we will even look at
READ_WHOLE = 3  # a scan this short is read in full
MAX_FORM_PAGES = 4  # pages read in full because they show form labels
RENDER_DPI = 200
# The second try, after the sandbox ran out of memory or time: smaller pages.
LEAN_SIDE, LEAN_DPI = 2000, 150


def scan_problem(name: str, title: str = "推荐表") -> Problem:
    """`title`: what the campaign calls its form (推荐表, 申报表)."""
    return Problem(
        None,
        "scan",
        f"《{name}》是扫描件或照片，{title}内容由文字识别预填，工作人员将人工核对；"
        "如有 Word/WPS 电子版，请一并发送以免识别错误",
    )


def incomplete_problem(name: str, pages: int, seen: int, title: str = "推荐表") -> Problem:
    """The one note for a long scan searched only in part (the time ran out, or it
    has more pages than we look at): how many pages it has, how many were seen.
    `title`: what the campaign calls its form."""
    return Problem(
        None,
        "scan_incomplete",
        f"《{name}》是 {pages} 页的扫描件，系统只查看了前 {seen} 页，未在其中找到{title}；"
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
    """A scanned document's pages as BGR arrays: `count` of them are looked at, of
    `total` (a PDF beyond MAX_PAGES pages)."""

    count: int
    total: int

    def preview(self, index: int) -> np.ndarray:
        """About SIDE px on the long side, cheap to make."""
        ...

    def full(self, index: int) -> np.ndarray:
        """The page at scanning resolution (≤ scan_prep.MAX_SIDE)."""
        ...


class ImagePages:
    """The frames of a photo or (multi-page TIFF) scan, decoded once. Bytes no
    decoder accepts are a damaged file (DocumentError); running out of memory
    is not (MemoryError goes up as it is)."""

    def __init__(self, data: bytes, max_side: int = scan_prep.MAX_SIDE) -> None:
        from PIL import Image, UnidentifiedImageError

        try:
            self.frames = list(scan_prep.image_frames(data, max_side))
        except Image.DecompressionBombError as exc:
            raise DocumentError("too_large", "像素过多，无法识别，请缩小图片后重新发送") from exc
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as exc:
            raise DocumentError("corrupt", "无法打开（图片已损坏或不完整），请重新导出后发送") from exc
        self.count = self.total = len(self.frames)

    def preview(self, index: int) -> np.ndarray:
        return scan_prep.fit(self.frames[index], SIDE, enlarge=False)

    def full(self, index: int) -> np.ndarray:
        return self.frames[index]


class PdfPages:
    """Pages of a text-less PDF, rendered by pdfium on demand."""

    def __init__(self, data: bytes, dpi: int = RENDER_DPI) -> None:
        import pypdfium2 as pdfium

        self.pdf = pdfium.PdfDocument(data)
        self.total = len(self.pdf)
        self.count = min(self.total, MAX_PAGES)
        self.dpi = dpi

    def _render(self, index: int, long_side: float) -> np.ndarray:
        page = self.pdf[index]
        try:
            width, height = page.get_size()
            scale = min(long_side / max(width, height), self.dpi / 72)
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
    lean: bool = False,
    form: FormSpec | None = None,
) -> Document:
    """OCR a photo/scan (JPEG, PNG, BMP, TIFF, WebP, HEIC) into a Document.
    `lean`: the second try after the machine ran short (smaller pages); `form`: the
    campaign's form whose labels are looked for (None: the built-in 附件1)."""
    pages = ImagePages(data, LEAN_SIDE if lean else scan_prep.MAX_SIDE)
    doc, _ = read_scan(pages, name, "image", _budget(limits, clock), whole=False, lean=lean, form=form)
    return doc


def ocr_pdf(
    data: bytes,
    name: str,
    limits: Limits | None = None,
    clock: Callable[[], float] = time.monotonic,
    lean: bool = False,
    form: FormSpec | None = None,
) -> Document:
    """OCR a PDF without a text layer: the pages that can hold the form, within budget."""
    pages = PdfPages(data, LEAN_DPI if lean else RENDER_DPI)
    try:
        doc, _ = read_scan(pages, name, "pdf", _budget(limits, clock), whole=True, lean=lean, form=form)
    finally:
        pages.close()
    return doc


def _budget(limits: Limits | None, clock: Callable[[], float]) -> Budget:
    limits = limits or Limits()
    # Stop early enough that the page in progress finishes before the sandbox deadline.
    seconds = min(limits.ocr_budget_seconds, 0.7 * limits.document_timeout_seconds)
    return Budget(seconds, clock)


def read_scan(
    pages: Pages,
    name: str,
    fmt: str,
    budget: Budget,
    whole: bool,
    lean: bool = False,
    form: FormSpec | None = None,
) -> tuple[Document, ScanLog]:
    """Read the pages that matter. A short document is read page by page (with
    `whole`, even pages without form labels: a scanned article must yield its
    text); a long one is searched for the form (_find_form). `form` is the
    campaign's form whose labels are looked for (None: the built-in 附件1)."""
    title = form.title if form is not None else "推荐表"
    doc = Document(file=name, format=fmt, is_scan=True, problems=[scan_problem(name, title)])
    scan = _Scan(doc, pages, budget, ScanLog(pages=pages.total), lean=lean, form=form)
    if pages.count <= READ_WHOLE:
        for index in range(pages.count):
            if scan.spent():
                break
            scan.read(index, pages.full(index), always=whole)
    else:
        scan.find_form(whole)
    searched_part = scan.log.out_of_budget or pages.total > pages.count
    if searched_part and not scan.form_pages:
        seen = max(scan.log.checked + scan.log.read + [0])
        doc.problems.append(incomplete_problem(name, pages.total, seen, title))
    log.info(
        "OCR %s: %d pages, surveyed %s, read %s%s%s",
        name,
        pages.total,
        scan.log.surveyed,
        scan.log.read,
        " (budget spent)" if scan.log.out_of_budget else "",
        " (lean)" if lean else "",
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
    lean: bool = False
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
        prepared = ocr_page.first_look(img, self.form)
        if not always and not prepared[2].may_hold_form:
            return
        self.log.read.append(index + 1)
        many = self.pages.count > 1
        name = f"第{index + 1}页表格{{}}" if many else "表格{}"
        page = ocr_page.read_page(img, index + 1, name, prepared, lean=self.lean, form=self.form)
        self.doc.tables.extend(page.tables)
        self.doc.paragraphs.extend(page.paragraphs)
        if _shows_form(page, self.form):
            self.doc.form_seen = True


def _shows_form(page: ocr_page.PageText, form: FormSpec | None) -> bool:
    """Whether a page shows the form, however poorly it reads: its first look named
    a label only this form has and another one, or the page is a ruled table under
    the form's title (推荐表). Contact labels alone (联系人, 手机, 地址: every form and
    many a leaflet has them) are not enough: a stranger's picture must not pass
    for a submission."""
    spec = form_vocabulary(form).spec
    labels = page.look.labels
    distinctive = [label for label in labels if (f := spec.field(label)) is not None and not f.weak_evidence]
    if len(labels) >= 2 and distinctive:
        return True
    title = spec.title
    return page.grid and any(title in "".join(p.split()) for p in page.paragraphs[:6])


def _form_complete(doc: Document, form: FormSpec | None) -> bool:
    """Every label of the form is shown: no need to look at further pages."""
    return len(labels_shown(doc, form)) == len(form_vocabulary(form).spec.labels)
