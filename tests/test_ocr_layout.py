"""Ruled grid + OCR boxes → Table cells and paragraphs the label locator reads.

Grids are found in images drawn here; text boxes are made where the text
was drawn, so the layout is checked without the recogniser's variance.
"""

from __future__ import annotations

import cv2
import numpy as np

from pipeline.documents.ocr_engine import TextBox
from pipeline.documents.ocr_labels import LOOSE, label_table
from pipeline.documents.ocr_layout import page_layout, paragraphs, text_rows
from pipeline.documents.table_grid import find_grids

# Column x and row y of a 4 x 4 ruled table; (1,1)-(1,3) merged, (2,0)-(3,0) merged.
XS = [100, 300, 600, 800, 1100]
YS = [100, 170, 240, 400, 470]


def table_image(grey_ring: bool = False) -> np.ndarray:
    img = np.full((600, 1200), 245, np.uint8)
    for y in (YS[0], YS[1], YS[2], YS[4]):
        cv2.line(img, (XS[0], y), (XS[4], y), 0, 3)
    cv2.line(img, (XS[1], YS[3]), (XS[4], YS[3]), 0, 3)  # not under column 0: rows 2-3 merge there
    for x in (XS[0], XS[1], XS[4]):
        cv2.line(img, (x, YS[0]), (x, YS[4]), 0, 3)
    for x in (XS[2], XS[3]):  # columns 1-3 merged in row 1 only
        cv2.line(img, (x, YS[0]), (x, YS[1]), 0, 3)
        cv2.line(img, (x, YS[2]), (x, YS[4]), 0, 3)
    if grey_ring:  # a grey-scanned 公章: its ring has straight-ish bits inside cells
        cv2.circle(img, (700, 330), 120, 90, 9)
    return img


def box(x0: float, y0: float, x1: float, y1: float, text: str) -> TextBox:
    return TextBox(((x0, y0), (x1, y0), (x1, y1), (x0, y1)), text, 0.99)


def cells_of(img: np.ndarray, boxes: list[TextBox]):
    grids = find_grids(img, boxes, 28.0)
    tables, paras = page_layout(boxes, grids, "表格{}")
    return grids, tables, paras


def test_grid_spans_from_missing_rules():
    (grid,) = find_grids(table_image(), [], 28.0)
    spans = {(c.row, c.col): (c.row_span, c.col_span) for c in grid.cells}
    assert spans[(1, 1)] == (1, 3)
    assert spans[(2, 0)] == (2, 1)
    assert spans[(0, 3)] == (1, 1)
    assert (3, 0) not in spans  # covered by the merged cell above
    assert len(grid.cells) == 16 - 2 - 1


def test_stamp_ring_does_not_split_cells():
    plain = find_grids(table_image(), [], 28.0)[0]
    ringed = find_grids(table_image(grey_ring=True), [], 28.0)[0]
    assert sorted((c.row, c.col, c.row_span, c.col_span) for c in ringed.cells) == sorted(
        (c.row, c.col, c.row_span, c.col_span) for c in plain.cells
    )


def test_a_rule_through_a_text_line_is_still_a_rule():
    """The detector's box for a label set to its cell's edge reaches over the column
    rule (kepu's "作品名称" row in a 200-dpi grey copy); the rule under the blanked line
    is one rule again, so label and value stay in their own cells. A line over a
    place with no rule (the merged row 1) joins nothing."""
    crossing = [box(110, 112, 330, 158, "作品名称艾"), box(315, 185, 700, 225, "https://weibo.com/u/58214")]
    (grid,) = find_grids(table_image(), crossing, 28.0)
    (plain,) = find_grids(table_image(), [], 28.0)
    assert sorted((c.row, c.col, c.row_span, c.col_span) for c in grid.cells) == sorted(
        (c.row, c.col, c.row_span, c.col_span) for c in plain.cells
    )


def soft_form(rows: int = 5) -> np.ndarray:
    """A form as a small photo out of focus shows it: faint rules (150 on 228 paper,
    blurred), and dense label text set tight above and below each rule of the label
    column (the two lines of "账号ID/网页链接" fill their cell), which lowers the
    adaptive threshold's local mean until the rule's piece there is lost."""
    img = np.full((120 + 80 * rows, 900), 228, np.uint8)
    ys = [100 + 80 * i for i in range(rows + 1)]
    rng = np.random.default_rng(3)
    for y in ys:
        cv2.line(img, (100, y), (800, y), 150, 3)
    for x in (100, 260, 800):
        cv2.line(img, (x, ys[0]), (x, ys[-1]), 150, 3)
    for y in ys[1:-1]:
        for top in (y - 36, y + 6):
            for k in range(4):
                x0 = 112 + 36 * k
                img[top : top + 30, x0 : x0 + 30] = np.where(rng.random((30, 30)) < 0.55, 60, 228)
    return cv2.GaussianBlur(img, (0, 0), 2.0)


def test_a_faint_rule_crowded_by_labels_still_parts_their_cells():
    """On the 720 px thumbnail three label cells (粉丝数量, 账号ID/网页链接, 运营人数)
    came out as one, their values left without a label: the rules between them,
    found beside the values, are followed into the label column as thin dark lines
    against the paper."""
    (grid,) = find_grids(soft_form(), [], 40.0)
    assert sorted((c.row, c.col, c.row_span, c.col_span) for c in grid.cells) == [
        (r, c, 1, 1) for r in range(5) for c in range(2)
    ]


def test_a_label_centred_in_a_merged_cell_does_not_pass_for_a_rule():
    """A label set in the middle of a cell two rows high sits where the missing rule
    would run; a line of text is as thick as it is high, not a thin line: the cell
    stays merged."""
    img = table_image()
    rng = np.random.default_rng(4)
    for k in range(4):
        x0 = 130 + 36 * k
        img[386:416, x0 : x0 + 30] = np.where(rng.random((30, 30)) < 0.55, 60, 245)
    (grid,) = find_grids(cv2.GaussianBlur(img, (0, 0), 2.0), [], 28.0)
    assert {(c.row, c.col): (c.row_span, c.col_span) for c in grid.cells}[(2, 0)] == (2, 1)


def test_the_top_of_a_ring_where_a_rule_would_run_does_not_pass_for_one():
    """A stamp's ring whose top crosses a merged cell where the missing rule would
    run is thin and dark there too, but curved: the cell stays merged (the ring as
    the page shows it, not found as a stamp)."""
    img = np.full((900, 1200), 245, np.uint8)
    img[:600] = table_image()
    cv2.circle(img, (200, 400 + 216), 216, 120, 4)  # its top at y 400, in column 0
    (grid,) = find_grids(cv2.GaussianBlur(img, (0, 0), 1.5), [], 28.0)
    assert {(c.row, c.col): (c.row_span, c.col_span) for c in grid.cells}[(2, 0)] == (2, 1)


def test_text_goes_to_its_cell_and_wrapped_lines_join():
    boxes = [
        box(115, 115, 250, 150, "账号名称"),
        box(315, 115, 500, 150, "安徽针灸"),
        box(115, 185, 230, 220, "账号ID/网"),
        box(315, 190, 700, 220, "https://weibo.com/u/58214"),
        box(115, 222, 200, 238, "页链接"),
        box(315, 222, 420, 238, "36790"),
        box(115, 300, 250, 335, "推荐理由"),
        box(315, 250, 780, 285, "账号坚持群众导向，常年开展线上"),
        box(315, 290, 560, 325, "健康咨询，特此推荐。"),
        box(400, 20, 700, 60, "推荐表"),
        box(100, 520, 400, 560, "推荐单位（盖章）："),
    ]
    _, (table,), paras = cells_of(table_image(), boxes)
    text = {(c.row, c.col): c.text for c in table.cells}
    assert text[(0, 0)] == "账号名称" and text[(0, 1)] == "安徽针灸"
    assert text[(1, 0)] == "账号ID/网页链接"
    assert text[(1, 1)] == "https://weibo.com/u/5821436790"
    assert text[(2, 1)] == "账号坚持群众导向，常年开展线上健康咨询，特此推荐。"
    assert text[(2, 0)] == "推荐理由"
    assert text[(0, 3)] == ""  # an empty value cell stays, so a label never takes the cell below
    assert paras == ["推荐表", "推荐单位（盖章）："]


def test_rows_cluster_by_centre_height():
    boxes = [box(10, 100, 60, 130, "b"), box(0, 102, 9, 128, "a"), box(0, 150, 50, 180, "c")]
    assert [[b.text for b in row] for row in text_rows(boxes)] == [["a", "b"], ["c"]]


def test_running_text_is_reflowed_into_paragraphs():
    rows = [
        [box(160, 100, 1000, 130, "第一段第一行写满了整行")],
        [box(100, 140, 1000, 170, "第一段第二行也写满")],
        [box(100, 180, 400, 210, "第一段完。")],
        [box(160, 220, 1000, 250, "第二段缩进开头写满")],
        [box(100, 260, 300, 290, "第二段完。")],
    ]
    assert paragraphs(rows) == [
        "第一段第一行写满了整行第一段第二行也写满第一段完。",
        "第二段缩进开头写满第二段完。",
    ]


def test_borderless_rows_keep_cells_apart():
    boxes = [box(100, 100, 220, 130, "账号名称"), box(400, 100, 520, 130, "安徽针灸")]
    assert page_layout(boxes, [], "表格{}") == ([], ["账号名称  安徽针灸"])


def is_label(text: str) -> bool:
    return text in ("账号名称", "注册时间", "账号ID/网页链接", "账号简介", "联系人", "手机")


def test_a_label_wrapped_over_two_lines_is_one_label_without_a_grid():
    """The photo lost its rules: "账号ID/网" over "页链接" in the label column."""
    boxes = [
        box(100, 100, 220, 130, "账号ID/网"),
        box(400, 100, 900, 130, "https://weibo.com/zjszjxh"),
        box(100, 136, 170, 166, "页链接"),
    ]
    _, paras = page_layout(boxes, [], "表格{}", is_label)
    assert paras == ["账号ID/网页链接  https://weibo.com/zjszjxh"]


def test_labels_lay_out_a_form_without_a_grid():
    """Rows run halfway between the left labels; a value centred in its tall cell
    (first line above its label's line) stays with its label, a second label in
    the row takes what is to its right."""
    boxes = [
        box(300, 20, 500, 50, "推荐表"),
        box(100, 100, 220, 130, "账号名称"),
        box(300, 100, 420, 130, "浙江针灸"),
        box(600, 100, 720, 130, "注册时间"),
        box(800, 100, 980, 130, "2017年5月8日"),
        box(300, 160, 980, 190, "浙江省针灸学会官方账号，宣传针灸防病治病知识，发布学会学术活"),
        box(100, 180, 220, 210, "账号简介"),
        box(300, 200, 500, 230, "动与义诊信息。"),
        box(100, 260, 220, 290, "联系人"),
        box(300, 260, 400, 290, "陈立群"),
        box(600, 260, 680, 290, "手机"),
        box(800, 260, 980, 290, "13857106284"),
        box(500, 400, 900, 430, "推荐单位（盖章）：浙江省针灸学会"),
    ]
    table, rest = label_table(boxes, is_label, "表格1")
    cells = {(c.row, c.col): c for c in table.cells}
    assert cells[(0, 1)].text == "浙江针灸" and cells[(0, 3)].text == "2017年5月8日"
    assert cells[(1, 1)].text == "浙江省针灸学会官方账号，宣传针灸防病治病知识，发布学会学术活动与义诊信息。"
    assert cells[(1, 1)].flags == (LOOSE,)  # several lines placed by geometry: staff check it
    assert cells[(2, 3)].text == "13857106284" and cells[(2, 3)].flags == ()
    assert [b.text for b in rest] == ["推荐表", "推荐单位（盖章）：浙江省针灸学会"]
