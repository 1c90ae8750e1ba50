"""A reply staff compose opens once (issue 20.9): the salutation and 您好 are added only
when staff did not write their own."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from pipeline.staff.replies import _opening

ROW = SimpleNamespace(unit="天津市针灸学会", sender_name="王老师", sender="tjzj@tj.example.cn")


@pytest.mark.parametrize(
    ("typed", "opening"),
    [
        ("可以用网盘链接。", ["天津市针灸学会：", "", "您好！", ""]),
        ("您好！可以用网盘链接。", ["天津市针灸学会：", ""]),
        ("王老师您好，可以用网盘链接。", ["天津市针灸学会：", ""]),
        ("你好：\n可以。", ["天津市针灸学会：", ""]),
        ("天津市针灸学会：\n\n您好！可以。", []),
        ("尊敬的王老师\n可以。", []),
        ("感谢来信：可以，请写明链接。", ["天津市针灸学会：", "", "您好！", ""]),
    ],
)
def test_the_opening_is_added_only_where_staff_left_it_out(typed, opening):
    assert _opening(None, ROW, typed) == opening
