"""Print with a black-and-white stamp over it (ocr_overprint) and the label cell
such a stamp made unreadable (ocr_label_guess), on small drawn pages."""

from __future__ import annotations

import numpy as np

from pipeline.campaign import Kind, builtin
from pipeline.documents.ocr_cells import STAMP, UNREAD
from pipeline.documents.ocr_confidence import DOUBTFUL_FLAGS, doubts
from pipeline.documents.ocr_label_guess import GUESSED, place_stamped_labels
from pipeline.documents.ocr_overprint import print_rows, stamp_tail
from pipeline.documents.ocr_stamp import Stamp
from pipeline.model import Cell, Table
from pipeline.web.scan_marks import WHY

TH = 40.0


def _characters(box: np.ndarray, top: int, bottom: int, lefts: range, width: int = 20) -> None:
    for left in lefts:
        box[top:bottom, left : left + width] = 1


def test_print_rows_are_the_rows_the_line_spreads_across():
    box = np.zeros((70, 400), np.uint8)
    _characters(box, 20, 48, range(10, 390, 30))  # a line of 13 characters
    box[48:66, 200:240] = 1  # the stamp's lettering under two of them, touching
    box[0:20, 300:305] = 1  # an arc of the ring above
    top, bottom = print_rows(box, TH)
    assert 18 <= top <= 20 and 48 <= bottom <= 50  # the line, not the marks around it


def test_print_rows_of_an_empty_or_dotted_box_is_none():
    assert print_rows(np.zeros((60, 200), np.uint8), TH) is None
    dots = np.zeros((60, 200), np.uint8)
    dots[30:34, ::25] = 1  # nothing a text height's half tall
    assert print_rows(dots, TH) is None


# A stamp whose disc the line's right end runs into: inner edge at 112 px from the centre.
STAMP_ON_LINE = Stamp(cx=300.0, cy=70.0, r=120.0, ring=8.0)
Y0, X0 = 50, 0  # the line's band: page rows 50..90


def _line(*, lettering_top: int, lettering_bottom: int) -> np.ndarray:
    band = np.zeros((40, 420), np.uint8)
    _characters(band, 2, 40, range(10, 160, 30))  # print, outside the stamp, on the line
    _characters(band, lettering_top, lettering_bottom, range(270, 330, 30))  # inside the ring
    return band


def test_the_lettering_at_a_lines_end_is_its_stamp_tail():
    band = _line(lettering_top=0, lettering_bottom=12)  # above the line's foot: along the arc
    assert stamp_tail(band, X0, Y0, STAMP_ON_LINE, TH) == X0 + 270


def test_print_inside_the_stamp_sitting_on_the_line_is_not_its_tail():
    band = _line(lettering_top=4, lettering_bottom=40)  # down to the line's foot: print
    assert stamp_tail(band, X0, Y0, STAMP_ON_LINE, TH) is None


def test_a_line_wholly_under_the_stamp_or_leaving_it_has_no_tail():
    band = np.zeros((40, 420), np.uint8)
    _characters(band, 0, 12, range(250, 340, 30))  # every bit inside the disc
    assert stamp_tail(band, X0, Y0, STAMP_ON_LINE, TH) is None
    _characters(band, 2, 40, range(380, 410, 30))  # ...and on out of it: it ends in print
    assert stamp_tail(band, X0, Y0, STAMP_ON_LINE, TH) is None


def test_print_the_ring_crosses_stops_the_tail():
    band = _line(lettering_top=0, lettering_bottom=12)
    # A character on the ring's inner edge (the address's 号 under the ring) before the lettering.
    ys, xs = np.mgrid[Y0 : Y0 + 40, 0:420]
    dist = np.hypot(xs - STAMP_ON_LINE.cx, ys - STAMP_ON_LINE.cy)
    band[(dist > 106) & (dist < 116) & (xs > 190) & (xs < 250) & (ys < Y0 + 14)] = 1
    assert stamp_tail(band, X0, Y0, STAMP_ON_LINE, TH) == X0 + 270


def _row(
    row: int, label: str, value: str, flags: tuple[str, ...] = (), conf: float | None = None
) -> list[Cell]:
    return [Cell(row, 0, label, confidence=conf, flags=flags), Cell(row, 1, value, flags=(STAMP,))]


def test_an_unreadable_label_under_a_stamp_is_named_by_its_value():
    table = Table(
        "表格1",
        [
            *_row(0, "联系人", "陈立群"),
            *_row(1, "", "13857106284", (STAMP, UNREAD), 0.0),
            *_row(2, "高缩", "310007", (STAMP,), 0.38),  # read, but as no label and unsure
        ],
    )
    place_stamped_labels([table], builtin().form)
    texts = {(c.row, c.col): c for c in table.cells}
    assert texts[1, 0].text == "手机" and texts[2, 0].text == "邮编"
    assert GUESSED in texts[1, 1].flags and GUESSED in texts[2, 1].flags
    # The value whose label was guessed always goes to staff.
    assert "label_guessed" in doubts(Kind.PHONE, "13857106284", texts[1, 1])


def test_labels_are_not_guessed_without_a_stamp_a_telling_value_or_a_missing_field():
    table = Table(
        "表格1",
        [
            *_row(0, "", "13857106284"),  # no stamp over the label cell
            *_row(1, "", "浙江省杭州市", (STAMP, UNREAD), 0.0),  # free text fits any text field
            *_row(2, "邮编", "310007"),
            *_row(3, "", "310007", (STAMP, UNREAD), 0.0),  # 邮编 is on the page already
            *_row(4, "编号", "13857106284", (STAMP,), 0.99),  # read surely: some other label
        ],
    )
    before = [c.text for c in table.cells]
    place_stamped_labels([table], builtin().form)
    assert [c.text for c in table.cells] == before
    assert not any(GUESSED in c.flags for c in table.cells)


def test_on_a_soft_page_an_unreadable_label_is_named_without_a_stamp():
    """Out of focus, 邮编 reads "RCA" with no stamp near it (the 720 px thumbnail): on a
    soft page any unsure cell that reads as no label is named by its value, and the
    value goes to staff; a label read surely stays as read."""
    table = Table(
        "表格1",
        [*_row(0, "RCA", "310007", conf=0.47), *_row(1, "编号", "13857106284", conf=0.99)],
    )
    place_stamped_labels([table], builtin().form)
    assert [c.text for c in table.cells if c.col == 0] == ["RCA", "编号"]  # not soft: as read
    place_stamped_labels([table], builtin().form, soft=True)
    texts = {(c.row, c.col): c for c in table.cells}
    assert texts[0, 0].text == "邮编" and GUESSED in texts[0, 1].flags
    assert texts[1, 0].text == "编号" and GUESSED not in texts[1, 1].flags


def test_staff_are_told_each_reason_in_words():
    """Every geometry flag that makes a value uncertain has its sentence on the case page
    (a guessed label said only the generic 识别结果需对照原件)."""
    assert DOUBTFUL_FLAGS <= set(WHY)
