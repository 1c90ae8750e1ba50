"""filenames.attachment_filename / sanitize_filename on client-built parts."""

from __future__ import annotations

from email import message_from_bytes
from email.policy import compat32

import pytest
from mime_builders import (
    attachment,
    encoded_word,
    fake_pdf,
    file_part,
    foxmail_raw_gbk_attachment,
    rfc2047_inside_rfc2231_attachment,
    rfc2231_attachment,
)

from pipeline.message.filenames import attachment_filename, sanitize_filename


def _part(raw: bytes):
    return message_from_bytes(raw, policy=compat32)


def test_foxmail_raw_gbk_filename_recovered():
    part = _part(foxmail_raw_gbk_attachment("朱镕基推荐表.docx", b"x"))
    # What the stdlib gives: replacement characters.
    assert "推荐表" not in (part.get_filename() or "")
    name, raw = attachment_filename(part)
    assert name == "朱镕基推荐表.docx"
    assert raw == "朱镕基推荐表.docx".encode("gbk")


def test_rfc2231_gb2312_with_character_split_across_sections():
    name = "镕推荐表.pdf"
    encoded = name.encode("gbk")
    raw_part = rfc2231_attachment(name, fake_pdf(), "gb2312", split_at=3)  # inside 推 (2 bytes at 2..3)
    assert encoded[2:4] == "推".encode("gbk")
    decoded, raw = attachment_filename(_part(raw_part))
    assert decoded == name
    assert raw == encoded


def test_rfc2231_utf8_single_section():
    raw = file_part(
        b"x",
        [
            ("Content-Type", "application/pdf"),
            ("Content-Disposition", "attachment; filename*=UTF-8''%E6%8E%A8%E8%8D%90%E8%A1%A8.pdf"),
        ],
    )
    assert attachment_filename(_part(raw))[0] == "推荐表.pdf"


def test_rfc2047_inside_rfc2231_sections():
    raw = rfc2047_inside_rfc2231_attachment("推荐表（正式版）.docx", b"x")
    assert attachment_filename(_part(raw))[0] == "推荐表（正式版）.docx"


def test_rfc2047_as_the_value_of_filename_star():
    word = encoded_word("推荐表（终稿）.docx".encode("gbk"), "gb2312")
    for disp in (f'attachment; filename*="{word}"', f"attachment; filename*=utf-8''{word}"):
        raw = file_part(b"x", [("Content-Type", "application/octet-stream"), ("Content-Disposition", disp)])
        assert attachment_filename(_part(raw))[0] == "推荐表（终稿）.docx", disp


def test_rfc2047_quoted_filename():
    raw = attachment("案例图文.docx", b"x")
    assert attachment_filename(_part(raw))[0] == "案例图文.docx"


def test_content_type_name_fallback():
    raw = file_part(b"x", [("Content-Type", 'application/msword; name="=?gbk?B?zca89rHt?=.doc"')])
    assert attachment_filename(_part(raw))[0] == "推荐表.doc"


def test_clean_plain_name_preferred_over_garbled_2231():
    raw = file_part(
        b"x",
        [
            (
                "Content-Disposition",
                "attachment; filename*=utf-8''%FF%FE%FF.pdf; filename=\"=?utf-8?B?5o6o6I2Q6KGo?=.pdf\"",
            )
        ],
    )
    assert attachment_filename(_part(raw))[0] == "推荐表.pdf"


def test_no_name():
    raw = file_part(b"x", [("Content-Type", "application/pdf")])
    assert attachment_filename(_part(raw)) == (None, None)


@pytest.mark.parametrize(
    "name, expected",
    [
        ("../../etc/passwd", "passwd"),
        ("/etc/shadow", "shadow"),
        ("C:\\Windows\\x.docx", "x.docx"),
        ("C:x", "x"),
        ("..", "附件"),
        ("", "附件"),
        ("   ", "附件"),
        (".docx", "附件.docx"),
        ("推荐表\x00\x1f.docx", "推荐表__.docx"),
        ("a<b>c|d?.pdf", "a_b_c_d_.pdf"),
        ("con.txt", "_con.txt"),
        ("推荐表.docx. ", "推荐表.docx"),
    ],
)
def test_sanitize_filename(name, expected):
    assert sanitize_filename(name) == expected


def test_sanitize_nfc_and_length_keeps_extension():
    decomposed = "e\u0301" * 10 + ".pdf"
    assert sanitize_filename(decomposed) == "\u00e9" * 10 + ".pdf"
    long = "推" * 500 + ".docx"
    out = sanitize_filename(long)
    assert out.endswith(".docx") and len(out) <= 120


def test_sanitize_default_and_bidi():
    assert sanitize_filename(None, default="材料") == "材料"
    assert "\u202e" not in sanitize_filename("abc\u202excod.pdf")
