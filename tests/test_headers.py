"""headers.decode_header_value against what Chinese clients really send."""

from __future__ import annotations

import base64
from email import message_from_bytes
from email.header import Header
from email.policy import compat32, default

from pipeline.message.headers import addresses, decode_header_value, raw_header


def test_gb2312_labelled_subject_with_gbk_only_char():
    raw = b"Subject: =?gb2312?B?" + base64.b64encode("关于朱镕基同志的推荐".encode("gbk")) + b"?=\r\n\r\n"
    # The stdlib's modern policy silently garbles it; we must not.
    assert message_from_bytes(raw, policy=default)["Subject"] != "关于朱镕基同志的推荐"
    msg = message_from_bytes(raw, policy=compat32)
    assert decode_header_value(raw_header(msg, "Subject")) == "关于朱镕基同志的推荐"


def test_encoded_word_split_mid_character():
    # thunderbird-android#2499: "399元" with 元 (D4 AA) split across two words.
    data = "399元".encode("gb2312")
    assert data[3:] == b"\xd4\xaa"
    first = base64.b64encode(data[:4]).decode()
    second = base64.b64encode(data[4:]).decode()
    value = f"=?GB2312?B?{first}?=\r\n =?gb2312?B?{second}?="
    raw = f"Subject: {value}\r\n\r\n".encode()
    assert message_from_bytes(raw, policy=default)["Subject"] != "399元"
    assert decode_header_value(value) == "399元"


def test_utf8_q_words_split_mid_character():
    data = "推荐表".encode()
    q = "".join(f"={b:02X}" for b in data)
    value = f"=?utf-8?Q?{q[:6]}?= =?UTF-8?Q?{q[6:]}?="  # split after 2 of 3 bytes
    assert decode_header_value(value) == "推荐表"


def test_whitespace_between_different_text_is_kept():
    word = "=?utf-8?B?" + base64.b64encode("推荐".encode()).decode() + "?="
    assert decode_header_value(f"Re: {word} 材料") == "Re: 推荐 材料"
    assert decode_header_value(f"{word}   {word}") == "推荐推荐"


def test_raw_8bit_gbk_subject():
    raw = b"Subject: \xcd\xc6\xbc\xf6\xb1\xed\xa3\xa8\xd6\xec\xe9F\xbb\xf9\xa3\xa9\r\n\r\n"
    msg = message_from_bytes(raw, policy=compat32)
    assert decode_header_value(raw_header(msg, "Subject")) == "推荐表（朱镕基）"
    # the compat32 Header object path too
    assert decode_header_value(msg["Subject"]) == "推荐表（朱镕基）"


def test_raw_8bit_utf8_subject():
    raw = "Subject: 推荐材料\r\n\r\n".encode()
    msg = message_from_bytes(raw, policy=compat32)
    assert decode_header_value(raw_header(msg, "Subject")) == "推荐材料"


def test_broken_base64_does_not_raise():
    defects: list[str] = []
    out = decode_header_value("=?utf-8?B?5o6o6I2Q!!!?= tail", defects)
    assert out.endswith("tail")
    assert decode_header_value("=?no-such?B?AAAA?=") is not None


def test_header_object_input():
    assert decode_header_value(Header("推荐表", "utf-8")) == "推荐表"
    assert decode_header_value(None) == ""


def test_addresses_decode_names_after_splitting():
    name = base64.b64encode("张三, 办公室".encode("gbk")).decode()
    pairs = addresses(f'"=?gbk?B?{name}?=" <Zhang.San@Example.CN>, li@x.cn')
    assert pairs == [("张三, 办公室", "zhang.san@example.cn"), ("", "li@x.cn")]
