"""Receipts only to real addresses, with well-formed headers (issue 12, item 5), as found:
`From: <script>alert(1)</script> <attacker2@evil.test>` was read as the sender
`script` and answered with `RCPT TO:<script>`; a broken RFC 2047 word was copied
into the receipt's Subject and an invalid one silently dropped."""

from __future__ import annotations

import email
import re
from datetime import timedelta
from email import policy

import pytest
from intake_env import DEADLINE, Nomination, export, run, submission, write_config

from pipeline.message.headers import addresses, decode_header_value

CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
MAILBOX = re.compile(r"[a-z0-9._%+-]+@[a-z0-9-]+(\.[a-z0-9-]+)*\.[a-z]{2,}")


def hostile(sender_header: bytes, subject_header: bytes, msg_id: str, unit: str, account: str) -> bytes:
    """A real submission whose From/Subject lines are replaced byte for byte."""
    raw = submission(
        "placeholder@x.example.cn", "placeholder", msg_id, nomination=Nomination.sample(unit, account)
    )
    raw = raw.replace(b"From: placeholder@x.example.cn", b"From: " + sender_header, 1)
    return raw.replace(b"Subject: placeholder", b"Subject: " + subject_header, 1)


@pytest.fixture
def answered(tmp_path, dovecot_server, imap_account, smtp_server):
    config = write_config(tmp_path, dovecot_server, imap_account, smtp_server)
    user, password = imap_account
    mails = [
        hostile(
            b"<script>alert(1)</script> <attacker2@evil.test>", b"hello", "x-1@evil.test", "某单位", "某号"
        ),
        hostile(
            b"bjzj@bj.example.cn", b"=?utf-8?B?5o6o6I2Q6KGo", "b-1@bj.example.cn", "北京针灸学会", "北京针灸"
        ),
        hostile(
            b"tjzj@tj.example.cn",
            b"=?utf-8?B?5p2Q5paZ?= =?utf-8?B?####?=",
            "t-1@tj.example.cn",
            "天津市针灸学会",
            "津门针灸",
        ),
        hostile(
            b"jszj@js.example.cn",
            b"=?no-such?B?AAAA?= end",
            "j-1@js.example.cn",
            "江苏省针灸学会",
            "江苏针灸",
        ),
    ]
    for i, raw in enumerate(mails):
        dovecot_server.append(user, password, "INBOX", raw, DEADLINE - timedelta(days=3, minutes=-i))
    run(config, "once", "--quiet")
    return config, smtp_server


def test_receipt_goes_to_the_angle_bracketed_address_never_to_a_fragment(answered):
    config, smtp = answered
    sent = smtp.messages()
    assert len(sent) == 4
    for m in sent:
        assert m.rcpts and all(MAILBOX.fullmatch(r) for r in m.rcpts), m.rcpts
    attacker = next(r for r in export(config) if r["message_id"] == "x-1@evil.test")
    assert attacker["sender"] == "attacker2@evil.test"
    assert sorted(r for m in sent for r in m.rcpts) == [
        "attacker2@evil.test",
        "bjzj@bj.example.cn",
        "jszj@js.example.cn",
        "tjzj@tj.example.cn",
    ]


def test_receipt_subjects_decode_what_they_can_and_keep_the_rest_visible(answered):
    config, smtp = answered
    subjects = {}
    for m in smtp.messages():
        msg = email.message_from_bytes(m.data, policy=policy.default)
        assert not msg.defects, msg.defects
        for name, value in msg.items():
            assert not value.defects, (name, value.defects)
            assert not CONTROL.search(str(value)), (name, str(value))
        for line in m.data.split(b"\r\n\r\n", 1)[0].split(b"\r\n"):
            assert line.isascii() and len(line) <= 998
        subjects[m.rcpts[0]] = str(msg["Subject"])
    assert subjects["bjzj@bj.example.cn"].endswith("推荐表")  # the word without its "?=" is decoded
    assert subjects["tjzj@tj.example.cn"].endswith("材料=?utf-8?B?####?=")  # the invalid word stays visible
    assert subjects["jszj@js.example.cn"].endswith("=?no-such?B?AAAA?= end")  # no NUL bytes smuggled in


@pytest.mark.parametrize(
    "header, expected",
    [
        ("<script>alert(1)</script> <attacker2@evil.test>", ["attacker2@evil.test"]),
        ("ceo@bank.example.cn <attacker@evil.test>", ["attacker@evil.test"]),
        ('"x" <script>', []),
        ("noaddress", []),
        ("<a@localhost>", []),
        ("x@[127.0.0.1]", []),
        ('"Zhang, San" <Z@X.cn>, <bad>, q@r.example', ["z@x.cn", "q@r.example"]),
        ("=?utf-8?B?5byg5LiJ?= <zs@x.cn>", ["zs@x.cn"]),
    ],
)
def test_addresses_are_parsed_strictly(header, expected):
    assert [a for _, a in addresses(header)] == expected


def test_header_words_decode_or_stay_as_written():
    assert decode_header_value("=?utf-8?B?5o6o6I2Q") == "推荐"
    assert decode_header_value("前=?utf-8?B?####?=后") == "前=?utf-8?B?####?=后"
    assert decode_header_value("=?utf-8?B?5o6o?= =?utf-8?B?6I2Q?=") == "推荐"
    assert decode_header_value("a\x00b") == "ab"
