"""Long scanned PDFs: only pages that can hold the form are recognised, within budget.

The bundle is 40 pages of dense notice text (grey JPEG scans) with the
stamped 推荐表 as page 31. Costs are asserted as counts of pages checked,
surveyed and recognised (ScanLog), never as wall time; the budget is driven
by a clock that ticks one second per reading, so its cut-off is exact.
"""

from __future__ import annotations

import pytest
import scan_corpus
from scan_corpus import VALUES

from pipeline.campaign import builtin
from pipeline.config import Limits
from pipeline.documents import classify_attachment, read_document
from pipeline.documents.ocr import Budget, PdfPages, read_scan
from pipeline.form import extract_form
from pipeline.model import AttachmentKind

FORM = builtin().form

# On a grey scan the red stamp is grey too and cannot be told from print; it
# covers 邮编's value and touches 联系地址's, so those two are not asserted.
UNDER_GREY_STAMP = ("邮编", "联系地址")


@pytest.fixture(scope="module")
def bundle() -> bytes:
    return scan_corpus.scanned_pdf(pages=40, form_at=31)


class Ticks:
    """A clock that advances one second each time it is read."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        now = self.now
        self.now += 1
        return now


def scan(data: bytes, budget: Budget, whole: bool = True):
    pages = PdfPages(data)
    try:
        return read_scan(pages, "通知汇编.pdf", "pdf", budget, whole=whole)
    finally:
        pages.close()


def test_only_the_form_page_is_recognised(bundle):
    doc, log = scan(bundle, Budget(600))
    assert log.pages == 40
    assert log.read == [31]
    # Text pages have no ruled table, so they get no first look at all; once the
    # form's 15 labels are found, pages 32-40 are not even rendered.
    assert log.surveyed == [31]
    assert log.checked == list(range(1, 32))
    assert not log.out_of_budget
    form = extract_form(doc, FORM)
    assert form.labels_found == 15
    for label, value in VALUES.items():
        if label not in UNDER_GREY_STAMP:
            assert form.fields[label] == value, label
    assert form.sources["手机"] == "通知汇编.pdf 第31页表格1 第8行第4列"
    assert [p.code for p in doc.problems] == ["scan"]


def test_budget_stops_the_search_and_says_so(bundle):
    doc, log = scan(bundle, Budget(10, clock=Ticks()))
    # The budget is read once at the start and once before each page: pages 1-9
    # fit in 10 ticks, page 10 finds it spent.
    assert log.out_of_budget
    assert log.checked == list(range(1, 10))
    assert log.read == []
    incomplete = [p for p in doc.problems if p.code == "scan_incomplete"]
    assert len(incomplete) == 1
    assert "40 页" in incomplete[0].message and "前 9 页" in incomplete[0].message


def test_read_document_finds_the_form_within_the_default_budget(bundle):
    limits = Limits()
    assert limits.ocr_budget_seconds < limits.document_timeout_seconds
    doc = read_document("通知汇编.pdf", bundle, limits)
    assert doc.is_scan and doc.format == "pdf"
    assert [p.code for p in doc.problems] == ["scan"]
    form = extract_form(doc, FORM)
    assert form.found and form.fields["手机"] == VALUES["手机"]
    assert classify_attachment("通知汇编.pdf", bundle, doc, form) is AttachmentKind.FORM


def test_long_scan_without_a_form_is_read_for_its_text():
    """No page shows the form: the first three pages are read so a scanned
    图文案例 is still recognised as one; the rest only get a first look."""
    # Ten lines a page: each page's text is still one paragraph of ~260 characters, at
    # a third of the recognition a full page costs.
    data = scan_corpus.scanned_pdf(pages=4, form_at=None, lines=10)
    doc, log = scan(data, Budget(600))
    assert log.read == [1, 2, 3]
    assert log.surveyed == [4]
    assert not any(p.code == "scan_incomplete" for p in doc.problems)
    # Wrapped lines are reflowed into paragraphs, as the article check needs.
    assert max(len(p) for p in doc.paragraphs) > 200
    assert classify_attachment("案例扫描.pdf", data, doc) is AttachmentKind.ARTICLE
