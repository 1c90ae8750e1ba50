"""A reply's own text (quote and signature cut off: pipeline/message/quotes.py) and the
"栏目：内容" corrections in it (pipeline/form/reply_lines.py), on replies written the way
QQ Mail, 163, Foxmail, Outlook, Apple Mail and Gmail write them (tests/reply_samples.py)."""

from __future__ import annotations

import email
from email import policy
from pathlib import Path

import pytest
from reply_samples import CLIENTS, Received, netease, qq

from pipeline.campaign import builtin
from pipeline.config import load_config
from pipeline.form.reply_lines import reply_values
from pipeline.message import parse_message
from pipeline.message.quotes import new_text

FORM = builtin().form
KEPU = Path(__file__).resolve().parent.parent / "examples" / "campaigns" / "kepu" / "inbox_rules.yaml"

# The receipt as the unit got it: its echo of the form holds other values for the same
# fields, so a quote read as the unit's words would be seen.
RECEIPT = Received(
    "<174.2.99@society.example.cn>",
    "【回执】TJ-20210721-0001 需补正：天津推荐表",
    "天津市针灸学会：\n\n您好！已收到贵单位的邮件，处理结果如下。\n\n受理编号：TJ-20210721-0001\n处理结果：需补正\n\n"
    "1. 【手机】「手机」应为11位手机号码（如 13812345678），当前填写为“022-2345678”，请更正后重新发送。\n\n"
    "系统识别的推荐表内容（请核对，补正时如有误请一并更正）：\n  账号名称：津门针灸\n  手机：022-2345678\n"
    "  电子邮箱：wangxm@example.cn\n  邮编：3000\n\n回复本邮件时请保留主题中的受理编号 TJ-20210721-0001。\n",
)
LINES = "手机：13912345678\n邮编：300010"
SENDER, NAME = "tjzj@tj.example.cn", "天津市针灸学会"


def _pairs(text: str, spec=FORM) -> list[tuple[str, str]]:
    return [(v.label, v.value) for v in reply_values(text, spec)]


@pytest.mark.parametrize("client", list(CLIENTS))
def test_each_clients_reply_reads_as_the_units_lines_only(client):
    raw = CLIENTS[client](RECEIPT, LINES, SENDER, NAME)
    parsed = parse_message(raw)
    assert "TJ-20210721-0001" in parsed.subject  # the case is found by the subject too
    assert parsed.in_reply_to == "174.2.99@society.example.cn"
    assert "受理编号" not in parsed.new_text and "022-2345678" not in parsed.new_text
    assert _pairs(parsed.new_text) == [("手机", "13912345678"), ("邮编", "300010")]
    assert "022-2345678" in parsed.body_text  # the quote itself is kept (the case number is found in it)


@pytest.mark.parametrize("client", list(CLIENTS))
def test_each_clients_html_part_alone_reads_the_same(client):
    """An HTML-only reply (or a text part that lost its lines): the quote's container or its
    header cuts the text as well."""
    msg = email.message_from_bytes(CLIENTS[client](RECEIPT, LINES, SENDER, NAME), policy=policy.default)
    html = msg.get_body(("html",)).get_content()
    text = new_text("", html)
    assert _pairs(text) == [("手机", "13912345678"), ("邮编", "300010")]
    assert "受理编号" not in text


@pytest.mark.parametrize("build", [qq, netease], ids=["QQ邮箱", "网易163"])
def test_html_only_replies_in_gbk(build):
    raw = build(RECEIPT, "邮编改为300010", SENDER, NAME, html_only=True)
    assert b"text/plain" not in raw and (b"gb18030" in raw.lower() or b"gbk" in raw.lower())
    parsed = parse_message(raw)
    assert _pairs(parsed.new_text) == [("邮编", "300010")]


def test_lines_typed_into_the_quote_are_not_read():
    """People answer inside the quoted receipt; only the text above the quote is theirs."""
    edited = RECEIPT.text.replace("  手机：022-2345678", "  手机：13900000000")
    inside = Received(RECEIPT.message_id, RECEIPT.subject, edited)
    for client, build in CLIENTS.items():
        parsed = parse_message(build(inside, "改好了，见下文。", SENDER, NAME))
        assert _pairs(parsed.new_text) == [], client
        assert "13900000000" in parsed.body_text


def test_a_plain_gt_quote_without_attribution_and_an_outlook_rule():
    assert new_text("手机：13912345678\n\n> 手机：022-2345678\n> 邮编：3000") == "手机：13912345678"
    outlook_web = "邮编：300010\n\n________________________________\n发件人: 学会 <a@b.cn>\n发送时间: 2021年7月22日\n手机：1"
    assert new_text(outlook_web) == "邮编：300010"
    original = "邮编：300010\n-----原始邮件-----\n发件人：学会\n手机：022-2345678"
    assert new_text(original) == "邮编：300010"
    mobile_qq = (
        "邮编：300010\n\n------------------ Original ------------------\nFrom: 学会\nDate: Thu\n手机：1"
    )
    assert new_text(mobile_qq) == "邮编：300010"
    master = (
        "邮编：300010\n发自网易邮箱大师\n---- 回复的原邮件 ----\n| 发件人 | 学会 |\n| 日期 | 2021年07月22日 |"
    )
    assert new_text(master) == "邮编：300010"


@pytest.mark.parametrize(
    "signature",
    [
        "-- \n王晓明\n天津市针灸学会\n邮箱：office@tj.example.cn",
        "发自我的iPhone\n邮箱：office@tj.example.cn",
        "发自网易邮箱大师",
        "Sent from my iPad",
        "----------------------------\n王晓明  联系电话：022-23456789",
    ],
)
def test_signatures_end_the_units_text(signature):
    text = new_text(f"手机：13912345678\n\n{signature}")
    assert _pairs(text) == [("手机", "13912345678")]


def test_a_from_line_without_a_header_block_is_the_units_text():
    """发件人 alone (no 日期/收件人/主题 after it) is not a quote header."""
    text = "发件人：王晓明（联系人）\n手机：13912345678"
    assert new_text(text) == text


def test_labels_and_their_wordings_from_the_campaign():
    text = (
        "您好，按回执修改如下：\n"
        "联系电话: 139 1234 5678\n"
        "邮箱：wang@tj.example.cn；邮政编码：300010\n"
        "运营人数改为 6\n"
        "账号简介：天津市针灸学会官方账号，\n普及针灸知识。\n\n谢谢！"
    )
    assert _pairs(text) == [
        ("手机", "139 1234 5678"),
        ("电子邮箱", "wang@tj.example.cn"),
        ("邮编", "300010"),
        ("运营人数", "6"),
        ("账号简介", "天津市针灸学会官方账号，\n普及针灸知识"),
    ]


def test_prose_and_empty_values_are_no_corrections():
    text = "手机号码已更正，见附件。\n受理编号：TJ-20210721-0001\n联系人：（未填写）\n推荐单位：天津市针灸学会\n邮编：\n"
    assert _pairs(text) == []


def test_a_label_written_twice_counts_once():
    assert _pairs("手机：13912345678\n手机：13800000000") == [("手机", "13912345678")]


def test_another_campaigns_form():
    spec = load_config(KEPU).form
    text = "手机：13912345678\n邮编：300010\n作品网址：https://example.cn/v/1\n账号名称：不是这张表的栏目"
    assert _pairs(text, spec) == [
        ("联系电话", "13912345678"),
        ("邮政编码", "300010"),
        ("作品链接", "https://example.cn/v/1"),
    ]
