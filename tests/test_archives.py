"""archives.expand_archive: GBK names, nesting, bombs, traversal, encryption."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

import py7zr
import pytest
from mime_builders import RawNameZipInfo, fake_docx, fake_pdf, rar4_stored, zeros_zip, zip_bytes

from pipeline.config import Limits
from pipeline.message import archives
from pipeline.message.archives import expand_archive, zip_member_name

LIMITS = Limits()


def _codes(problems):
    return [p.code for p in problems]


def test_gbk_names_without_utf8_flag():
    data = zip_bytes({"附件1-省学会推荐表.docx": fake_docx(), "案例/图文.pdf": fake_pdf()}, encoding="gbk")
    infos = zipfile.ZipFile(io.BytesIO(data)).infolist()
    assert all(not i.flag_bits & 0x800 for i in infos)
    assert infos[0].filename != "附件1-省学会推荐表.docx"  # what zipfile shows: cp437 mojibake
    members, problems = expand_archive("材料.zip", data, LIMITS)
    assert problems == []
    assert [(m.name, m.origin) for m in members] == [
        ("附件1-省学会推荐表.docx", "材料.zip/附件1-省学会推荐表.docx"),
        ("图文.pdf", "材料.zip/案例/图文.pdf"),
    ]
    assert members[0].raw_name == "附件1-省学会推荐表.docx".encode("gbk")
    assert members[0].data == fake_docx()
    assert members[1].content_type == "application/pdf"


def test_utf8_flag_and_utf8_without_flag():
    flagged = zip_bytes({"推荐表.docx": fake_docx()})
    assert zipfile.ZipFile(io.BytesIO(flagged)).infolist()[0].flag_bits & 0x800
    assert expand_archive("a.zip", flagged, LIMITS)[0][0].name == "推荐表.docx"
    # macOS Archive Utility: UTF-8 bytes, no flag
    unflagged = zip_bytes({"推荐表.docx": fake_docx()}, encoding="utf-8")
    info = zipfile.ZipFile(io.BytesIO(unflagged)).infolist()[0]
    assert zip_member_name(info)[0] == "推荐表.docx"


def test_info_zip_unicode_path_extra_field():
    # WinRAR: legacy name bytes in some code page, plus a 0x7075 field with UTF-8.
    legacy = "推荐表.docx".encode("big5", "replace")  # not GBK, so only the extra field can give the name
    info = RawNameZipInfo(legacy)
    utf8 = "推荐表.docx".encode()
    info.extra = struct.pack("<HHBI", 0x7075, 5 + len(utf8), 1, zlib.crc32(legacy)) + utf8
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr(info, fake_docx())
    members, problems = expand_archive("a.zip", buf.getvalue(), LIMITS)
    assert [m.name for m in members] == ["推荐表.docx"] and problems == []
    assert members[0].raw_name == legacy


def test_junk_entries_skipped():
    data = zip_bytes(
        {
            "__MACOSX/._推荐表.docx": b"junk",
            "材料/.DS_Store": b"junk",
            "材料/Thumbs.db": b"junk",
            "材料/": b"",
            "材料/推荐表.docx": fake_docx(),
        }
    )
    members, problems = expand_archive("a.zip", data, LIMITS)
    assert [m.name for m in members] == ["推荐表.docx"] and problems == []


@pytest.mark.parametrize("bad", ["../../etc/passwd", "/etc/passwd", "C:\\x", "a/../../b.docx"])
def test_path_traversal_members_refused(bad):
    data = zip_bytes({bad: b"evil", "ok.pdf": fake_pdf()})
    members, problems = expand_archive("a.zip", data, LIMITS)
    assert [m.name for m in members] == ["ok.pdf"]
    assert _codes(problems) == ["archive_unsafe_path"]
    assert "路径不安全" in problems[0].message


def test_nested_zips_refused_beyond_depth_3():
    level4 = zip_bytes({"推荐表.docx": fake_docx()})
    level3 = zip_bytes({"第四层.zip": level4})
    level2 = zip_bytes({"第三层.zip": level3})
    level1 = zip_bytes({"第二层.zip": level2})
    members, problems = expand_archive("第一层.zip", level1, LIMITS)
    assert _codes(problems) == ["archive_too_deep"]
    assert "3 层" in problems[0].message
    # the too-deep archive is kept (not opened) so staff can look at it
    assert [m.name for m in members] == ["第四层.zip"]
    assert members[0].origin == "第一层.zip/第二层.zip/第三层.zip/第四层.zip"


def test_nested_zip_within_depth_is_expanded():
    inner = zip_bytes({"推荐表.docx": fake_docx()}, encoding="gbk")
    outer = zip_bytes({"材料/内层.zip": inner, "说明.pdf": fake_pdf()})
    members, problems = expand_archive("外层.zip", outer, LIMITS)
    assert problems == []
    assert sorted(m.origin for m in members) == ["外层.zip/材料/内层.zip/推荐表.docx", "外层.zip/说明.pdf"]


def test_zip_bomb_by_declared_size_and_ratio():
    bomb = zeros_zip(201 * 1024 * 1024)
    assert len(bomb) < 2 * 1024 * 1024
    members, problems = expand_archive("bomb.zip", bomb, LIMITS)
    assert members == [] and _codes(problems) == ["archive_bomb"]


def test_zip_bomb_ratio_below_total_limit():
    bomb = zeros_zip(20 * 1024 * 1024)
    members, problems = expand_archive("bomb.zip", bomb, LIMITS)
    assert members == [] and _codes(problems) == ["archive_bomb"]


def _lie_about_sizes(data: bytes, size: int) -> bytes:
    """Patch local and central headers to declare `size` uncompressed bytes."""
    out = bytearray(data)
    pos = out.find(b"PK\x01\x02")
    struct.pack_into("<I", out, pos + 24, size)
    pos = out.find(b"PK\x03\x04")
    struct.pack_into("<I", out, pos + 22, size)
    return bytes(out)


def test_lying_sizes_are_caught_by_counting_real_bytes():
    honest = zip_bytes({"a.txt": b"A" * (3 * 1024 * 1024)})
    liar = _lie_about_sizes(honest, 100)
    small = Limits(max_unpacked_mb=1)
    members, problems = expand_archive("liar.zip", liar, small)
    # zipfile stops at the declared size and the CRC check fails: refused either way
    assert all(m.size <= 1024 * 1024 for m in members)
    assert problems


def test_actual_byte_budget(monkeypatch):
    # Declared sizes pass, real bytes exceed the budget → bomb.
    data = zip_bytes({"a.bin": bytes(range(256)) * 4096, "b.bin": bytes(range(256)) * 4096})  # 2 x 1 MB
    monkeypatch.setattr(archives, "_declared_ok", lambda *a: None)
    budget = archives.Budget(bytes_left=3 * 1024 * 1024, members_left=10)
    members, problems = expand_archive("a.zip", data, LIMITS, budget=budget)
    assert members and not problems
    budget = archives.Budget(bytes_left=3 * 1024 * 1024 // 2, members_left=10)
    members, problems = expand_archive("a.zip", data, LIMITS, budget=budget)
    assert members == [] and _codes(problems) == ["archive_bomb"]


def test_too_many_members():
    data = zip_bytes({f"{i}.txt": b"x" for i in range(12)})
    members, problems = expand_archive("many.zip", data, Limits(max_archive_members=10))
    assert members == [] and _codes(problems) == ["archive_too_many"]


def test_encrypted_zip_member():
    data = bytearray(zip_bytes({"推荐表.docx": fake_docx()}))
    # set the "encrypted" general-purpose flag in local and central headers
    for sig, off in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        pos = data.find(sig)
        flags = struct.unpack_from("<H", data, pos + off)[0]
        struct.pack_into("<H", data, pos + off, flags | 0x1)
    members, problems = expand_archive("加密.zip", bytes(data), LIMITS)
    assert members == [] and _codes(problems) == ["archive_encrypted"]
    assert "去掉密码" in problems[0].message


def test_broken_zip():
    members, problems = expand_archive("坏.zip", b"PK\x03\x04garbage" * 10, LIMITS)
    assert members == [] and _codes(problems) == ["archive_broken"]


def _sevenzip(files: dict[str, bytes], password: str | None = None) -> bytes:
    buf = io.BytesIO()
    with py7zr.SevenZipFile(buf, "w", password=password) as z:
        for name, data in files.items():
            z.writestr(data, name)
    return buf.getvalue()


def test_7z_members():
    data = _sevenzip({"材料/推荐表.docx": fake_docx(), "案例.pdf": fake_pdf()})
    members, problems = expand_archive("材料.7z", data, LIMITS)
    assert problems == []
    assert sorted(m.origin for m in members) == ["材料.7z/材料/推荐表.docx", "材料.7z/案例.pdf"]
    assert {m.name: m.data for m in members}["推荐表.docx"] == fake_docx()


def test_7z_bomb_checked_before_extracting():
    data = _sevenzip({"zeros.bin": bytes(30 * 1024 * 1024)})
    members, problems = expand_archive("bomb.7z", data, LIMITS)
    assert members == [] and _codes(problems) == ["archive_bomb"]


def test_7z_encrypted():
    data = _sevenzip({"推荐表.docx": fake_docx()}, password="secret")
    members, problems = expand_archive("加密.7z", data, LIMITS)
    assert members == [] and _codes(problems) == ["archive_encrypted"]


def test_rar_without_backend_is_a_problem(monkeypatch):
    import rarfile

    def no_tool():
        raise rarfile.RarCannotExec("no unrar")

    monkeypatch.setattr(rarfile, "tool_setup", no_tool)
    members, problems = expand_archive("材料.rar", b"Rar!\x1a\x07\x00" + b"x" * 50, LIMITS)
    assert members == [] and _codes(problems) == ["archive_unsupported"]
    assert "zip" in problems[0].message


def test_rar_legacy_gbk_names():
    data = rar4_stored([("材料\\推荐表.docx".encode("gbk"), fake_docx()), (b"../evil.txt", b"x")])
    members, problems = expand_archive("材料.rar", data, LIMITS)
    assert [(m.name, m.origin) for m in members] == [("推荐表.docx", "材料.rar/材料/推荐表.docx")]
    assert members[0].data == fake_docx()
    assert members[0].raw_name == "材料\\推荐表.docx".encode("gbk")
    assert _codes(problems) == ["archive_unsafe_path"]


def test_garbage_rar_is_broken():
    members, problems = expand_archive("材料.rar", b"Rar!\x1a\x07\x00" + b"x" * 50, LIMITS)
    assert members == [] and _codes(problems)[0] in ("archive_broken", "archive_empty", "archive_unsupported")


def test_empty_zip():
    members, problems = expand_archive("空.zip", zip_bytes({"__MACOSX/._a": b"x"}), LIMITS)
    assert members == [] and _codes(problems) == ["archive_empty"]
