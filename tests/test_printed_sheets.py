"""Every sheet a person prints, printed: each worksheet converted to PDF by LibreOffice
and measured (tests/printed.py). The body is never below 9 pt on A4, a few accounts
print down the page like the form, long text wraps, and links print as addresses.
(A few accounts read down the page in their filled 推荐表, the form itself.)
The pages are kept as PDFs and PNGs under test-artifacts/printed/ to look at."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

import pdfplumber
from fixtures_forms import soffice_convert
from printed import READABLE_PT, print_workbook, render_page

from pipeline.campaign import builtin
from pipeline.model import Status
from pipeline.reports.form_docx import render_form_docx
from pipeline.reports.scoring import build_scoring_xlsx
from pipeline.reports.summary import build_packet_summary, build_summary_xlsx
from pipeline.reports.views import AttachmentView, SubmissionView, UnitRow

FORM = builtin().form
LONG = "本账号长期发布针灸科普内容，" * 12  # a long 账号简介 that must wrap, not widen the page
BASE = "https://intake.example.cn/"


def _view(case_no: str, unit: str, name: str) -> SubmissionView:
    fields = {label: f"{label}内容" for label in FORM.labels}
    fields |= {"账号名称": name, "账号简介": LONG, "账号ID/网页链接": f"https://weibo.com/u/{case_no[-3:]}"}
    return SubmissionView(
        case_no=case_no,
        unit=unit,
        sender="a@example.cn",
        message_id=f"{case_no}@x",
        arrival=datetime(2021, 8, 1, 1, 30, tzinfo=UTC),
        status=Status.ACCEPTED,
        fields=fields,
        normalized={},
        problems=[],
        attachments=[AttachmentView("附件1推荐表.docx", "推荐表", "a" * 64, 20480, None)],
        subject="推荐材料",
    )


UNITS = ["北京针灸学会", "上海市针灸学会", "天津针灸学会", "河北省针灸学会", "江苏省针灸学会"]
VIEWS = [_view(f"TJ-2021-{i:03d}", u, f"{u[:2]}针灸科普") for i, u in enumerate(UNITS, start=1)]


def _accounts(views: list[SubmissionView]) -> list[dict]:
    out = []
    for i, v in enumerate(views, start=1):
        folder = f"{i:02d}_{v.unit}"
        out.append(
            {
                "folder": folder,
                "files": [f"{folder}/附件1推荐表.docx", f"{folder}/案例.pdf"],
                "form_file": f"{folder}/附件1推荐表.docx",
            }
        )
    return out


def _look(sheet, tag: str) -> None:
    for page in range(min(sheet.pages, 2)):
        render_page(sheet.pdf, f"{tag}-{sheet.name}", page)
    # Nothing runs past the table's edge (a linked address is one unbreakable line: its
    # column must hold it, or LibreOffice clips it).
    assert sheet.overflow <= 1.0, (tag, sheet.name, sheet.overflow)


def test_summary_prints_readable_with_addresses(tmp_path: Path):
    rows = [UnitRow(v.unit, v) for v in VIEWS] + [UnitRow("山东省针灸学会", None)]
    path = build_summary_xlsx(rows, VIEWS, tmp_path / "汇总表.xlsx", link_base=BASE)
    printed = print_workbook(path, tmp_path, tag="汇总表")
    assert set(printed) == {"汇总", "推荐表内容", "全部来信"}
    for sheet in printed.values():
        _look(sheet, "汇总表")
        assert sheet.smallest >= READABLE_PT, (sheet.name, sheet.smallest)
    # The 原件 column prints where the case is, not a word that was a link on screen.
    assert f"{BASE}case/TJ-2021-001" in printed["汇总"].text
    assert "打开" not in printed["汇总"].text
    # The long 简介 is printed whole (wrapped), not cut at the column's edge.
    # (lines of neighbouring cells interleave in the text, so count a character only 简介 has)
    assert printed["推荐表内容"].text.count("期") == LONG.count("期") * len(VIEWS)


def test_packet_record_for_one_account_reads_like_the_form(tmp_path: Path):
    """One account up: its sheet prints readable, and its record laid out like the form
    (the filled 推荐表 beside it in the packet) prints on portrait A4, body >= 9 pt,
    the long 简介 whole."""
    path = build_packet_summary(VIEWS[:1], _accounts(VIEWS[:1]), tmp_path / "推荐账号汇总表.xlsx", form=FORM)
    sheet = print_workbook(path, tmp_path, tag="推荐账号1")["推荐账号"]
    _look(sheet, "推荐账号1")
    assert sheet.smallest >= READABLE_PT, sheet.smallest
    docx = render_form_docx(VIEWS[0].fields, VIEWS[0].unit, FORM, tmp_path / "推荐表.docx").path
    pdf = soffice_convert({"推荐表.docx": docx.read_bytes()}, tmp_path / "form-pdf")["推荐表.docx"]
    render_page(pdf, "推荐表-1")
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        chars = [c for p in doc.pages for c in p.chars if c["text"].strip()]
        text = "".join(p.extract_text() for p in doc.pages).replace(" ", "").replace("\n", "")
        assert doc.pages[0].width < doc.pages[0].height  # portrait, like the form
    assert min(c["size"] for c in chars) >= READABLE_PT
    for label in FORM.labels:  # (a long label wraps around its value's first line)
        assert label.replace(" ", "")[:5] in text, label
    assert text.count("期") == LONG.count("期")


def test_packet_sheet_for_many_accounts_stays_readable(tmp_path: Path):
    path = build_packet_summary(VIEWS, _accounts(VIEWS), tmp_path / "推荐账号汇总表.xlsx", form=FORM)
    printed = print_workbook(path, tmp_path, tag="推荐账号5")
    for sheet in printed.values():
        _look(sheet, "推荐账号5")
        assert sheet.smallest >= READABLE_PT, (sheet.name, sheet.smallest)
        assert "江苏省针灸学会" in sheet.text


def test_scoring_sheet_prints_readable(tmp_path: Path):
    scores = {("王评委", "TJ-2021-001", item.name): item.points for item in builtin().scoring.items}
    path = build_scoring_xlsx(VIEWS, tmp_path / "评分表.xlsx", ["王评委", "李评委"], scores, link_base=BASE)
    printed = print_workbook(path, tmp_path, tag="评分表")
    for sheet in printed.values():
        _look(sheet, "评分表")
        assert sheet.smallest >= READABLE_PT, (sheet.name, sheet.smallest)
