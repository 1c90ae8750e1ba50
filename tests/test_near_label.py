"""A label the recogniser misread by one character is still the label (ocr_page snaps
it), and nothing further from a label, or between two labels, is taken for one."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from pipeline.campaign import builtin, vocabulary
from pipeline.campaign.vocabulary import one_edit
from pipeline.documents.ocr_page import _snap_labels
from pipeline.model import Cell, Table

VOCAB = vocabulary(builtin().form)


def _distance(a: str, b: str) -> int:
    """Levenshtein distance, the plain way (the reference one_edit is checked against)."""
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        prev, row[0] = row[0], i
        for j, cb in enumerate(b, start=1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (ca != cb))
    return row[-1]


@given(st.text(alphabet="账号名称链接ab", max_size=6), st.text(alphabet="账号名称链接ab", max_size=6))
def test_one_edit_is_distance_one(a, b):
    assert one_edit(a, b) == (_distance(a, b) == 1)


def test_near_labels():
    assert VOCAB.near_label("账号ID/页链接") == "账号ID/网页链接"  # a dropped character
    assert VOCAB.near_label("账号简价") == "账号简介"  # a misread one
    assert VOCAB.near_label("账号ID/网页链接") is None  # the label itself is matched, not snapped
    assert VOCAB.near_label("注材间") is None  # two characters off 注册时间
    assert VOCAB.near_label("手") is None  # 手机 is too short to guess from one character
    assert VOCAB.near_label("浙江省针灸学会") is None


def _table(*texts: str) -> Table:
    return Table("表格1", [Cell(row=i, col=0, text=t) for i, t in enumerate(texts)])


def test_a_misread_label_cell_becomes_the_label_once():
    table = _table("账号名称", "账号ID/页链接", "https://weibo.com/x")
    _snap_labels([table], None)
    assert [c.text for c in table.cells] == ["账号名称", "账号ID/网页链接", "https://weibo.com/x"]


def test_a_label_already_on_the_page_is_not_made_twice():
    table = _table("账号ID/网页链接", "账号ID/页链接")
    _snap_labels([table], None)
    assert [c.text for c in table.cells] == ["账号ID/网页链接", "账号ID/页链接"]
