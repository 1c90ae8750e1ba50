"""PDF cell text from glyphs: wrapped numbers, CJK spacing, struck-through deletions, (cid:N) glyphs."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

from pipeline.documents.pdf_cells import _drop_deleted_rows, cell_text
from pipeline.documents.pdf_glyphs import _plausible
from pipeline.documents.pdf_reader import read_pdf
from pipeline.documents.pdf_revisions import struck_chars
from pipeline.model import Cell

REAL = Path(__file__).parent / "corpus" / "real"
SIZE = 10.5


def _run(text: str, x: float, baseline: float, width: float = 6.7, gap: float = 0.0) -> list[dict]:
    """Glyph dicts as pdfplumber gives them (top-down page coordinates, baseline in matrix[5])."""
    out = []
    for ch in text:
        top = 800 - baseline - SIZE * 0.9
        out.append(
            {
                "text": ch,
                "x0": x,
                "x1": x + width,
                "top": top,
                "bottom": top + SIZE,
                "size": SIZE,
                "matrix": (1, 0, 0, 1, x, baseline),
            }
        )
        x += width + gap
    return out


def test_number_broken_by_the_cell_edge_is_rejoined():
    # Cell 295.9..354.4 with 5.5pt padding: "1380012" fills the line, "5678" wraps.
    chars = _run("1380012", 301.4, 600) + _run("5678", 301.4, 588)
    assert cell_text(chars, 295.9, 354.4) == "13800125678"


def test_numbers_on_lines_that_did_not_fill_the_cell_stay_apart():
    chars = _run("1000", 301.4, 600) + _run("2000", 301.4, 588)
    assert cell_text(chars, 295.9, 400.0) == "1000 2000"


def test_gap_next_to_cjk_is_not_a_space_but_between_latin_words_it_is():
    chars = _run("2016", 200, 600) + _run("年", 200 + 4 * 6.7 + 3.5, 600, width=10.5)
    assert cell_text(chars, 195, 400) == "2016年"
    words = _run("Dalian", 200, 600) + _run("Zhenjiu", 200 + 6 * 6.7 + 4.0, 600)
    assert cell_text(words, 195, 400) == "Dalian Zhenjiu"


def test_space_glyphs_between_cjk_and_digits_are_dropped():
    chars = (
        _run("人民路", 200, 600, width=10.5) + _run(" 2 ", 231.5, 600, width=2.4) + _run("号", 240, 600, 10.5)
    )
    assert cell_text(chars, 195, 400) == "人民路2号"


def test_cjk_lines_join_without_space_and_mixed_fonts_share_a_line():
    line1 = _run("邮编", 200, 600, width=10.5)
    for ch in line1:  # a CJK font's box sits a point lower than the digits' box
        ch["top"] += 1
    chars = line1 + _run("116013", 222, 600) + _run("针灸", 200, 588, width=10.5)
    assert cell_text(chars, 195, 400) == "邮编116013针灸"


def test_fully_struck_row_is_removed_and_rows_renumber():
    label = Cell(0, 0, "电子邮箱")
    old = Cell(1, 0, "")
    new = Cell(2, 0, "a@b.cn")
    merged = Cell(0, 1, "备注", row_span=3)
    cells = _drop_deleted_rows([label, old, new, merged], {id(old)})
    assert [(c.row, c.text, c.row_span) for c in cells] == [
        (0, "电子邮箱", 1),
        (1, "a@b.cn", 1),
        (0, "备注", 2),
    ]


def _page(chars, lines=(), rects=()):
    return SimpleNamespace(chars=chars, lines=list(lines), rects=list(rects))


def _hline(x0, x1, y):
    return {"x0": x0, "x1": x1, "top": y - 0.25, "bottom": y + 0.25}


def test_strike_through_marks_only_the_struck_run():
    deleted = _run("8000", 200, 600)
    kept = _run("12000", 200 + 4 * 6.7, 600)
    top = deleted[0]["top"]
    strike = _hline(200, 200 + 4 * 6.7, top + 0.7 * SIZE)
    underline = _hline(200 + 4 * 6.7, 200 + 9 * 6.7, top + SIZE + 1.0)
    struck = struck_chars(_page(deleted + kept, [strike, underline]))
    assert struck == {id(c) for c in deleted}


def test_a_border_running_through_text_is_not_a_strike():
    chars = _run("13812345678", 200, 600)
    border = _hline(60, 540, chars[0]["top"] + 0.6 * SIZE)
    assert struck_chars(_page(chars, [border])) == set()


def test_pdfium_echo_is_accepted_only_when_it_reads_as_chinese():
    def glyphs(codes):
        return [({"text": f"(cid:{n})"}, chr(n)) for n in codes]

    assert _plausible(glyphs([0x63A8, 0x8350, 0x8868, 0x31, 0x32]))  # 推荐表12, codes are Unicode
    assert not _plausible(glyphs(range(0x21, 0x40)))  # a subset font's glyph numbers echoed
    assert _plausible([({"text": "(cid:7)"}, "推")])  # PDFium had a map of its own


def test_no_usable_text_still_goes_to_ocr():
    """Fonts nobody can decode (ToUnicode removed): the reader says pdf_no_text."""
    data = (REAL / "narrow_cells.pdf").read_bytes()
    stripped = re.sub(rb"/ToUnicode \d+ 0 R", lambda m: b" " * len(m.group(0)), data)
    assert stripped != data and len(stripped) == len(data)
    doc = read_pdf(stripped, "x.pdf")
    assert [p.code for p in doc.problems] == ["pdf_no_text"]
    assert doc.tables == [] and doc.paragraphs == []
