"""normalize_fields / validate_fields: examples and round-trip properties."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest
from fixtures_forms import LABELS, sample_values
from hypothesis import given
from hypothesis import strategies as st

from pipeline.campaign import FormSpec, builtin
from pipeline.form.normalize import normalize_fields, to_date, to_email, to_int, to_phone, to_postcode
from pipeline.form.validate import validate_fields

FORM = builtin().form


def requiring(*labels: str) -> FormSpec:
    """The built-in form with only `labels` required."""
    return replace(FORM, fields=tuple(replace(f, required=f.label in labels) for f in FORM.fields))


FULLWIDTH = str.maketrans("0123456789.,", "０１２３４５６７８９．，")


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("12.3万", 123000),
        ("10万+", 100000),
        ("1.2亿", 120000000),
        ("１２３４", 1234),
        ("1,024", 1024),
        ("约5000人", 5000),
        ("5000余人", 5000),
        ("3人", 3),
        ("1296篇", 1296),
        ("123000.0", 123000),
        ("超过10万", 100000),
        ("2w", 20000),
    ],
)
def test_to_int_examples(text, number):
    assert to_int(text) == number


@pytest.mark.parametrize("text", ["", "很多", "微博12万，微信3万", "12万3", "-5", "请输入", "1,0,2"])
def test_to_int_rejects(text):
    assert to_int(text) is None


@given(st.integers(min_value=0, max_value=10**12))
def test_int_with_separators_roundtrips(n):
    assert to_int(f"{n:,}") == n
    assert to_int(f"{n:,}".translate(FULLWIDTH)) == n
    assert to_int(str(n).translate(FULLWIDTH)) == n
    assert to_int(f"约{n}人") == n


@given(st.integers(min_value=0, max_value=10**8), st.integers(min_value=0, max_value=9))
def test_wan_roundtrips(whole, tenth):
    n = whole * 10000 + tenth * 1000
    assert to_int(f"{whole}.{tenth}万") == n
    assert to_int(f"{whole}.{tenth}万+") == n


@pytest.mark.parametrize(
    ("text", "phone"),
    [
        ("13800138000", "13800138000"),
        ("138 0013 8000", "13800138000"),
        ("138-0013-8000", "13800138000"),
        ("+86 138 0013 8000", "13800138000"),
        ("0086-13800138000", "13800138000"),
        ("１３８００１３８０００", "13800138000"),
        ("13800138000.0", "13800138000"),
        ("13800138000（微信同号）", "13800138000"),
    ],
)
def test_to_phone(text, phone):
    assert to_phone(text) == phone


@given(st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True), st.sampled_from(["", "+86", "0086", "+86 "]))
def test_phone_roundtrip(number, prefix):
    spaced = f"{number[:3]} {number[3:7]}-{number[7:]}"
    assert to_phone(prefix + spaced) == number


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("2015年6月", "2015-06"),
        ("2015.6", "2015-06"),
        ("2015/06/12", "2015-06-12"),
        ("2015-6-12", "2015-06-12"),
        ("2015年6月12日", "2015-06-12"),
        ("2015-06-12 00:00:00", "2015-06-12"),
        ("42170", "2015-06-15"),
        ("20150612", "2015-06-12"),
    ],
)
def test_to_date(text, iso):
    assert to_date(text) == iso


@pytest.mark.parametrize("text", ["去年", "2015", "2015-13", "2015-02-30", "", "12345"])
def test_to_date_rejects(text):
    assert to_date(text) is None


@given(st.dates(min_value=date(1990, 1, 1), max_value=date(2099, 12, 31)))
def test_date_roundtrip(d):
    iso = d.isoformat()
    assert to_date(f"{d.year}年{d.month}月{d.day}日") == iso
    assert to_date(f"{d.year}/{d.month:02d}/{d.day:02d}") == iso
    assert to_date(f"{d.year}.{d.month}") == iso[:7]
    serial = (d - date(1899, 12, 30)).days
    assert to_date(str(serial)) == iso


def test_excel_serial_epoch():
    assert to_date("43313") == (date(1899, 12, 30) + timedelta(days=43313)).isoformat()


def test_postcode_email():
    assert to_postcode(" 100029 ") == "100029"
    assert to_postcode("１０００２９") == "100029"
    assert to_postcode("10002") is None
    assert to_email(" ZhenJiu@CAAM.cn ") == "zhenjiu@caam.cn"
    assert to_email("zhenjiu＠caam.cn") == "zhenjiu@caam.cn"
    assert to_email("zhenjiu@caam") is None


def test_normalize_fields_on_sample():
    values = sample_values(0)
    out = normalize_fields(values, FORM)
    assert set(out) == set(LABELS)
    assert out["粉丝数量"] == int(float(values["粉丝数量"].rstrip("万")) * 10000 + 0.5)
    assert out["运营人数"] == int(values["运营人数"])
    assert out["发布数量"] == int(values["发布数量"])
    assert out["手机"] == values["手机"]
    assert out["账号ID/网页链接"] == values["账号ID/网页链接"]
    assert validate_fields(values, out, FORM) == []


def test_validate_messages_are_chinese_and_specific():
    values = sample_values(1)
    values.update({"手机": "010-6408", "运营主体": "  ", "推荐理由": "单击此处输入文字。"})
    problems = validate_fields(values, normalize_fields(values, FORM), requiring("运营主体", "推荐理由"))
    codes = {p.field: p.code for p in problems}
    assert codes == {"手机": "phone_invalid", "运营主体": "missing", "推荐理由": "missing"}
    phone = next(p for p in problems if p.field == "手机")
    assert (
        phone.message
        == "「手机」应为11位手机号码（如 13812345678），当前填写为“010-6408”，请更正后重新发送。"
    )
    reason = next(p for p in problems if p.field == "推荐理由")
    assert "提示语" in reason.message


def test_optional_empty_fields_pass_and_a_missing_link_has_its_own_code():
    values = dict.fromkeys(LABELS, "")
    assert validate_fields(values, normalize_fields(values, FORM), requiring()) == []
    problems = validate_fields(values, normalize_fields(values, FORM), requiring("账号ID/网页链接"))
    assert [(p.field, p.code, p.message) for p in problems] == [
        (
            "账号ID/网页链接",
            "link_missing",
            "推荐表未填写「账号ID/网页链接」，请填写账号ID或可直接打开的网页链接后重新发送。",
        )
    ]


def test_landline_is_not_a_mobile():
    values = sample_values(2)
    values["手机"] = "01064089967"  # 11 digits, but a Beijing landline
    problems = validate_fields(values, normalize_fields(values, FORM), FORM)
    assert [(p.field, p.code) for p in problems] == [("手机", "phone_invalid")]


@pytest.mark.parametrize(
    "text",
    [
        "单击或点击此处输入文字。",
        "Click or tap here to enter text.",
        "单击此处输入文字",
        "请输入",
        "选择一项。",
    ],
)
def test_placeholders_count_as_missing(text):
    values = sample_values(3)
    values["联系人"] = text
    problems = validate_fields(values, normalize_fields(values, FORM), requiring("联系人"))
    assert [(p.field, p.code) for p in problems] == [("联系人", "missing")]
