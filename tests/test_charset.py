"""charset.decode_bytes: GB labels widened, strict first, defects recorded."""

from __future__ import annotations

import pytest

from pipeline.message.charset import decode_bytes, normalize_charset


@pytest.mark.parametrize(
    "label", ["gb2312", "GB2312", "gbk", "cp936", "euc-cn", "x-gbk", "gb_2312-80", '"gb2312"']
)
def test_gb_labels_become_gb18030(label):
    assert normalize_charset(label) == "gb18030"


def test_gb2312_label_with_gbk_only_char_decodes_strictly():
    # 镕 (E9 46) is GBK, not GB2312: the gb2312 codec would fail or substitute.
    data = "朱镕基".encode("gbk")
    with pytest.raises(UnicodeDecodeError):
        data.decode("gb2312")
    assert decode_bytes(data, "gb2312") == ("朱镕基", None)


def test_wrong_label_falls_back_to_utf8_with_defect():
    # 9 UTF-8 bytes cannot be GB18030 (odd length), so utf-8 is used and noted.
    text, defect = decode_bytes("推荐表".encode(), "gb2312")
    assert text == "推荐表"
    assert defect and "utf-8" in defect
    text, defect = decode_bytes("推荐表".encode("gbk"), "utf-8")
    assert text == "推荐表"
    assert defect and "gb18030" in defect


def test_undecodable_bytes_are_replaced_and_reported():
    text, defect = decode_bytes(b"\xff\xfe\xff\x80abc\xff", "utf-8")
    assert "abc" in text and "\ufffd" in text
    assert defect and "替换" in defect


def test_unknown_label_is_reported_but_decoded():
    text, defect = decode_bytes("中文".encode(), "x-no-such-charset")
    assert text == "中文"
    assert defect and "x-no-such-charset" in defect


def test_non_text_codec_label_is_refused():
    assert normalize_charset("base64") is None
    assert decode_bytes(b"aGVsbG8=", "base64")[0] == "aGVsbG8="


def test_latin1_label_on_utf8_bytes():
    assert decode_bytes("推荐".encode(), "iso-8859-1") == ("推荐", None)
    assert decode_bytes("café".encode("latin-1"), "iso-8859-1") == ("café", None)


def test_empty():
    assert decode_bytes(b"", "gb2312") == ("", None)
