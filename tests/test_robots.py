"""robots.automatic_reason: auto-replies, bounces, lists and our own receipts."""

from __future__ import annotations

from email import message_from_bytes
from email.policy import compat32

import pytest
from mime_builders import encoded_word, envelope, message, multipart, part, text_part

from pipeline.message import parse_message
from pipeline.message.robots import automatic_reason


def _reason(headers, body: bytes = b"hello", own=()):
    raw = message(headers, body)
    return automatic_reason(message_from_bytes(raw, policy=compat32), body.decode("utf-8", "replace"), own)


def test_normal_submission_is_not_automatic():
    raw = multipart("mixed", [text_part("您好，推荐材料见附件。")], envelope("推荐材料-广东省针灸学会"))
    assert parse_message(raw).automatic is None
    assert _reason(envelope(extra=[("Auto-Submitted", "no")])) is None
    assert _reason(envelope("Re: 自动回复的问题")) is None  # only at the start


def test_qq_auto_reply_body():
    # QQ Mail's responder: no special header known, body prefix only.
    body = "这是来自QQ邮箱的假期自动回复邮件。\r\n您好，我最近正在休假中，无法亲自回复您的邮件。"
    raw = multipart("alternative", [text_part(body, "gb18030")], envelope("Re: 推荐材料", charset="gb18030"))
    reason = parse_message(raw).automatic
    assert reason == "自动回复（QQ邮箱自动回复）"


@pytest.mark.parametrize(
    "subject",
    [
        "自动回复: 推荐材料",
        "自動回覆：推荐材料",
        "自动答复：x",
        "Auto-Reply: x",
        "Automatic reply: x",
        "out of office: x",
        "AutoReply",
    ],
)
def test_auto_reply_subjects(subject):
    assert "自动回复" in _reason(envelope(subject))


@pytest.mark.parametrize(
    "header, expected",
    [
        (("Auto-Submitted", "auto-replied"), "Auto-Submitted: auto-replied"),
        (("Auto-Submitted", "auto-generated"), "Auto-Submitted: auto-generated"),
        (("X-Autoreply", "yes"), "X-Autoreply"),
        (("X-Autorespond", "x"), "X-Autorespond"),
        (("Precedence", "bulk"), "Precedence: bulk"),
        (("Precedence", "auto_reply"), "Precedence: auto_reply"),
        (("List-Id", "<news.example.cn>"), "List-Id"),
        (("List-Unsubscribe", "<mailto:u@x.cn>"), "List-Unsubscribe"),
        (("Return-Path", "<>"), "Return-Path"),
    ],
)
def test_headers(header, expected):
    reason = _reason(envelope(extra=[header]))
    assert reason and expected in reason


def test_x_auto_response_suppress_is_not_an_auto_reply():
    assert _reason(envelope(extra=[("X-Auto-Response-Suppress", "All")])) is None


def test_163_bounce_multipart_report():
    report = part(
        [("Content-Type", "message/delivery-status")],
        b"Reporting-MTA: dns; m12.mail.163.com\r\n\r\nFinal-Recipient: rfc822; nobody@x.cn\r\nAction: failed\r\nStatus: 5.1.1\r\n",
    )
    raw = multipart(
        "report",
        [text_part("您发送的邮件无法投递。"), report],
        [
            ("From", "Postmaster@163.com"),
            ("To", "intake@163.com"),
            ("Subject", encoded_word("系统退信".encode("gbk"), "gb2312")),
            ("Message-ID", "<bounce1@163.com>"),
        ],
    ).replace(b"multipart/report;", b"multipart/report; report-type=delivery-status;")
    p = parse_message(raw)
    assert p.automatic and "multipart/report" in p.automatic
    assert p.attachments == []


@pytest.mark.parametrize("sender", ["MAILER-DAEMON@qq.com", "postmaster@126.com"])
def test_bounce_senders(sender):
    assert "退信" in _reason([("From", sender), ("Subject", "x")])


@pytest.mark.parametrize(
    "subject",
    [
        "系统退信",
        "退信：推荐材料",
        "Undelivered Mail Returned to Sender",
        "Delivery Status Notification (Failure)",
    ],
)
def test_bounce_subjects(subject):
    assert "退信" in _reason(envelope(subject))


def test_list_mail():
    raw = message(
        [
            *envelope("学会通讯"),
            ("List-Id", "学会通讯 <news.caam.cn>"),
            ("Content-Type", "text/plain; charset=utf-8"),
        ],
        "本期内容".encode(),
    )
    assert "List-Id" in parse_message(raw).automatic


def test_own_receipt_and_own_address():
    receipt = envelope(
        "【回执】TJ-20210801-0007 已受理",
        sender="intake@caam.cn",
        extra=[("X-Intake-Receipt", "TJ-20210801-0007")],
    )
    assert "回执" in _reason(receipt)
    assert "本系统邮箱" in _reason(envelope(sender="Intake@CAAM.cn"), own=["intake@caam.cn"])
    assert _reason(envelope(sender="other@caam.cn"), own=["intake@caam.cn"]) is None
    raw = message(envelope(sender="INTAKE@caam.cn"), b"x")
    assert parse_message(raw, own_addresses=["intake@caam.cn"]).automatic
