"""Upstream packet: zip parts, manifest hashes, size limits, hostile names."""

from __future__ import annotations

import hashlib
import io
import json
import os
import zipfile
from datetime import datetime, timedelta, timezone
from pathlib import Path, PurePosixPath

import docx
import openpyxl
import pytest

from pipeline.campaign import builtin
from pipeline.model import Status
from pipeline.reports.packet import build_packet, safe_name
from pipeline.reports.views import AttachmentView, SubmissionView, UnitRow  # noqa: F401

FORM = builtin().form

BJ = timezone(timedelta(hours=8))


def stored(tmp: Path, name: str, data: bytes, kind: str) -> AttachmentView:
    path = tmp / "store" / hashlib.sha256(data).hexdigest()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return AttachmentView(name, kind, hashlib.sha256(data).hexdigest(), len(data), path)


def view(case_no: str, unit: str, name: str, attachments: list[AttachmentView], **extra) -> SubmissionView:
    fields = {label: f"{label}值" for label in builtin().form.labels}
    fields["账号名称"] = name
    return SubmissionView(
        case_no=case_no,
        unit=unit,
        sender="s@example.cn",
        message_id=f"{case_no}@mail.example.cn",
        arrival=datetime(2021, 8, 1, 9, 30, tzinfo=BJ),
        status=Status.ACCEPTED,
        fields=fields,
        normalized={},
        problems=[],
        attachments=attachments,
        selected=True,
        **extra,
    )


@pytest.fixture()
def accounts(tmp_path: Path):
    a = view(
        "TJ-001",
        "北京针灸学会",
        "京针之声",
        [
            stored(tmp_path, "推荐表.docx", b"original form bytes", "推荐表"),
            stored(tmp_path, "图文案例.docx", os.urandom(30_000), "图文案例"),
            stored(tmp_path, "../../etc/passwd", b"root:x:0:0", "其他"),
        ],
        big_links=["https://mail.qq.com/cgi-bin/ftnExs_download?k=abc"],
    )
    b = view(
        "TJ-002",
        "上海/市针灸学会",
        "CON",
        [
            stored(tmp_path, "视频.mp4", os.urandom(40_000), "视频"),
            stored(tmp_path, "图片1.jpg", os.urandom(35_000), "图片"),
            AttachmentView("丢失的文件.pdf", "其他", "0" * 64, 10, None),
        ],
    )
    units = [UnitRow("北京针灸学会", a), UnitRow("上海/市针灸学会", b), UnitRow("天津针灸学会", None)]
    return a, b, units


def members(zip_path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(zip_path) as zf:
        assert zf.testzip() is None
        return {info.filename: zf.read(info) for info in zf.infolist()}


def test_single_part_carries_only_what_the_next_level_needs(accounts, tmp_path: Path):
    a, b, units = accounts
    packet = build_packet(
        [a, b],
        tmp_path / "out",
        level_name="中国针灸学会",
        max_mail_bytes=50_000_000,
    )
    assert [p.name for p in packet.zip_paths] == ["推荐材料_中国针灸学会.zip"]
    files = members(packet.zip_paths[0])
    names = set(files)
    # Staff data stays home: no manifest, no Message-IDs, no other units.
    assert not any(n.endswith(".json") for n in names)
    blob = b"".join(files.values())
    assert b"TJ-001@mail.example.cn" not in blob and "天津针灸学会".encode() not in blob
    manifest = json.loads(packet.manifest_path.read_text(encoding="utf-8"))
    assert {f["path"] for f in manifest["files"]} == names
    for entry in manifest["files"]:
        data = files[entry["path"]]
        assert hashlib.sha256(data).hexdigest() == entry["sha256"] and len(data) == entry["size"]
    folder_a = "1_京针之声"
    # One 推荐表 per account: the rendered one; the unit's own form file is not repeated.
    assert {f"{folder_a}/推荐表.docx", f"{folder_a}/图文案例.docx", f"{folder_a}/超大附件链接.txt"} <= names
    assert b"original form bytes" not in blob
    assert [n for n in names if n.startswith(folder_a) and "推荐表" in n] == [f"{folder_a}/推荐表.docx"]
    assert "qq.com" in files[f"{folder_a}/超大附件链接.txt"].decode("utf-8")
    # Hostile names: no traversal, no slash from the unit name, no reserved Windows name.
    for name in names:
        parts = PurePosixPath(name).parts
        assert not name.startswith("/") and ".." not in parts and len(parts) <= 2
    assert "2_CON" in {PurePosixPath(n).parts[0] for n in names}
    assert any(n.endswith("/.._.._etc_passwd") or n.endswith("/_.._etc_passwd") for n in names), names
    # Missing stored file is reported, not fatal.
    assert any("丢失的文件.pdf" in p for p in packet.problems) and manifest["problems"] == packet.problems
    with zipfile.ZipFile(packet.zip_paths[0]) as zf:
        assert all(info.flag_bits & 0x800 for info in zf.infolist() if not info.filename.isascii())
    # The rendered form is a normal 附件1 grid with the submission's values.
    form = docx.Document(io.BytesIO(files[f"{folder_a}/推荐表.docx"]))
    table = form.tables[0]
    assert table.cell(0, 0).text == "账号名称" and table.cell(0, 1).text == "京针之声"
    assert table.cell(7, 2).text == "手机" and table.cell(7, 3).text == "手机值"
    # The summary: one row per nominated account, linked to its files in the zip.
    ws = openpyxl.load_workbook(io.BytesIO(files["推荐账号汇总表.xlsx"])).active
    header = [c.value for c in ws[1]]
    assert (
        header[:3] == ["序号", "报送单位", "账号名称"] and "问题" not in header and "受理编号" not in header
    )
    assert ws.max_row == 3
    assert [ws.cell(r, 3).value for r in (2, 3)] == ["京针之声", "CON"]
    form_cell = ws.cell(2, header.index("推荐表") + 1)
    assert form_cell.hyperlink.target == f"{folder_a}/推荐表.docx"
    assert ws.page_setup.orientation == "landscape" and ws.print_title_rows == "$1:$1"
    zips = packet.manifest["zips"][0]
    assert zips["sha256"] == hashlib.sha256(packet.zip_paths[0].read_bytes()).hexdigest()


def test_split_parts_respect_limit(accounts, tmp_path: Path):
    a, b, units = accounts
    big = stored(tmp_path, "超长视频.mp4", os.urandom(200_000), "视频")
    b.attachments.append(big)
    limit = 120_000
    out = tmp_path / "out"
    out.mkdir()
    (out / "推荐材料_省级_1of9.zip").write_bytes(b"stale")
    packet = build_packet([a, b], out, level_name="省级", max_mail_bytes=limit)
    count = len(packet.zip_paths)
    assert count >= 3
    assert [p.name for p in packet.zip_paths] == [
        f"推荐材料_省级_{i}of{count}.zip" for i in range(1, count + 1)
    ]
    assert sorted(p.name for p in out.glob("*.zip")) == sorted(
        p.name for p in packet.zip_paths
    )  # stale part removed
    seen: dict[str, bytes] = {}
    manifest = packet.manifest
    for number, path in enumerate(packet.zip_paths, start=1):
        files = members(path)
        if number == 1:  # the summary and every 推荐表 are in the first part
            assert "推荐账号汇总表.xlsx" in files and sum(n.endswith("/推荐表.docx") for n in files) == 2
        oversize = [n for n in files if n in packet.oversize]
        if oversize:
            assert len(files) == 1  # a too-big file travels alone
        else:
            assert path.stat().st_size <= limit, (path.name, path.stat().st_size)
        for name, data in files.items():
            assert name not in seen  # never split or duplicated
            seen[name] = data
        assert {f["path"] for f in manifest["files"] if f["part"] == number} == set(files)
    assert {f["path"] for f in manifest["files"]} == set(seen)
    for entry in manifest["files"]:
        assert hashlib.sha256(seen[entry["path"]]).hexdigest() == entry["sha256"]
    assert packet.oversize == ["2_CON/超长视频.mp4"]
    assert [f["oversize"] for f in manifest["files"] if f["path"] == packet.oversize[0]] == [True]
    assert any("超长视频.mp4" in p and "超过单封邮件大小上限" in p for p in packet.problems)
    assert seen["2_CON/超长视频.mp4"] == big.path.read_bytes()


def test_safe_name():
    assert safe_name("../a/b\\c:d*?.docx") == "_a_b_c_d__.docx"
    assert safe_name("CON") == "_CON" and safe_name("x_CON") == "x_CON"
    assert safe_name("  ..  ") == "未命名"
    assert safe_name("NUL.txt") == "_NUL.txt"
    assert safe_name("a\x00b\x1f.pdf") == "a_b_.pdf"
    long = safe_name("长" * 300 + ".docx")
    assert long.endswith(".docx") and len(long) <= 90


def test_badly_decoded_text_does_not_break_the_packet(tmp_path: Path):
    bad = view("TJ-009", "坏\ud800单位", "名\udcff称", [stored(tmp_path, "a\udcfe.pdf", b"%PDF-1.4", "其他")])
    bad.decisions = ["决定\ud800"]
    packet = build_packet(
        [bad],
        tmp_path / "o",
        level_name="省\ud800级",
        max_mail_bytes=10_000_000,
    )
    files = members(packet.zip_paths[0])
    manifest = packet.manifest
    assert len(manifest["files"]) == 3  # 汇总表, rendered form, the pdf
    assert not any("?" in name for name in files)
    for entry in manifest["files"]:
        assert hashlib.sha256(files[entry["path"]]).hexdigest() == entry["sha256"]


def test_next_level_reads_the_packet_form(accounts, tmp_path: Path):
    """The rendered 推荐表 in the packet goes back through this software's own reader unchanged."""
    documents = pytest.importorskip("pipeline.documents")
    form = pytest.importorskip("pipeline.form")
    a, _, units = accounts
    a.fields.update({"账号简介": "第一段\n第二段", "账号名称": "京针<之声> & 'Q'", "手机": "13800000000"})
    packet = build_packet([a], tmp_path / "out", level_name="省级", max_mail_bytes=10_000_000)
    data = members(packet.zip_paths[0])["1_京针_之声_ & 'Q'/推荐表.docx"]
    doc = documents.read_document("推荐表.docx", data)
    assert doc.problems == []
    result = form.extract_form(doc, FORM)
    assert result.labels_found == len(FORM.labels)
    assert result.fields == a.fields


def test_packet_of_another_campaign(tmp_path: Path):
    """A campaign nominating works: folders by the work's name, its 申报表 filled, 推荐作品汇总表."""
    from pipeline.campaign import FieldSpec, FormSpec, Kind

    work = FormSpec(
        fields=(FieldSpec("作品名称"), FieldSpec("作者"), FieldSpec("作品简介", kind=Kind.LONG_TEXT)),
        title="申报表",
        name="附件2 申报表",
        identity="作品名称",
    )
    v = view("TJ-001", "北京针灸学会", "", [stored(tmp_path, "视频.mp4", b"mp4", "视频")])
    v.fields = {"作品名称": "穴位/科普", "作者": "张三", "作品简介": "第一段\n第二段"}
    packet = build_packet([v], tmp_path / "out", level_name="学会", max_mail_bytes=10_000_000, form=work)
    files = members(packet.zip_paths[0])
    assert set(files) == {"推荐作品汇总表.xlsx", "1_穴位_科普/申报表.docx", "1_穴位_科普/视频.mp4"}
    table = docx.Document(io.BytesIO(files["1_穴位_科普/申报表.docx"])).tables[0]
    assert [[c.text for c in row.cells] for row in table.rows] == [
        ["作品名称", "穴位/科普", "作者", "张三"],
        ["作品简介", "第一段\n第二段", "第一段\n第二段", "第一段\n第二段"],
    ]
    assert packet.manifest["accounts"][0]["作品名称"] == "穴位/科普" and packet.problems == []
    ws = openpyxl.load_workbook(io.BytesIO(files["推荐作品汇总表.xlsx"]))["推荐作品"]
    assert [c.value for c in ws[1]][:5] == ["序号", "报送单位", "作品名称", "作者", "作品简介"]
