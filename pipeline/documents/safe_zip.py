"""Open OOXML (zip) packages and their XML parts without trusting them.

A .docx/.xlsx is a zip: before reading anything we check the member count,
the declared unpacked sizes and the compression ratio (zip bombs), and every
read is capped again because declared sizes can lie. XML is parsed with lxml
with entities, network and huge trees off, and any DOCTYPE is rejected (XXE,
billion laughs). Shared by the docx/xlsx readers and the conversion helper.
"""

from __future__ import annotations

import io
import zipfile
import zlib

from lxml import etree

from ..config import Limits
from .errors import DocumentError

MB = 1024 * 1024
# An Office package has a few dozen parts; thousands means something is wrong.
MAX_MEMBERS = 5000
# Small parts compress extremely well (runs of spaces); only flag big ones.
RATIO_MIN_SIZE = 1 * MB

_PARSER_KW = dict(
    resolve_entities=False,
    no_network=True,
    huge_tree=False,
    load_dtd=False,
    dtd_validation=False,
    remove_comments=True,
    remove_pis=True,
)


def _limits(limits: Limits | None) -> Limits:
    return limits if limits is not None else Limits()


def open_zip(data: bytes, name: str, limits: Limits | None = None) -> zipfile.ZipFile:
    """Open `data` as a zip after bomb checks; raise DocumentError otherwise."""
    lim = _limits(limits)
    if not data.startswith(b"PK"):
        if data.startswith(b"\xd0\xcf\x11\xe0"):
            raise DocumentError(
                "ole_not_ooxml",
                f"文件“{name}”不是新版 Office 格式（可能已加密或是旧版 .doc/.xls），请另存为 .docx/.xlsx 后重新发送。",
            )
        raise DocumentError("not_zip", f"文件“{name}”已损坏或不是有效的 Office 文档，请重新保存后发送。")
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise DocumentError("corrupt", f"文件“{name}”已损坏或不完整，无法打开，请重新保存后发送。") from exc
    if len(infos) > MAX_MEMBERS:
        raise DocumentError("zip_bomb", f"文件“{name}”内部结构异常（包含过多部件），请重新保存后发送。")
    total = 0
    for info in infos:
        if info.flag_bits & 0x1:
            raise DocumentError("encrypted", f"文件“{name}”设置了密码，无法读取，请取消密码后重新发送。")
        total += info.file_size
        if info.file_size >= RATIO_MIN_SIZE:
            ratio = info.file_size / max(info.compress_size, 1)
            if ratio > lim.max_archive_ratio:
                raise DocumentError(
                    "zip_bomb", f"文件“{name}”内部压缩比异常（疑似压缩炸弹），已拒绝处理，请重新保存后发送。"
                )
    if total > lim.max_unpacked_mb * MB:
        raise DocumentError(
            "too_large", f"文件“{name}”解压后超过 {lim.max_unpacked_mb} MB，请压缩图片或拆分后重新发送。"
        )
    return zf


def has_member(zf: zipfile.ZipFile, member: str) -> bool:
    try:
        zf.getinfo(member)
    except KeyError:
        return False
    return True


def read_member(zf: zipfile.ZipFile, member: str, name: str, limits: Limits | None = None) -> bytes:
    """Read one part, stopping at the unpacked limit even if sizes lied."""
    cap = _limits(limits).max_unpacked_mb * MB
    try:
        with zf.open(member) as fh:
            data = fh.read(cap + 1)
    except KeyError as exc:
        raise DocumentError(
            "missing_part", f"文件“{name}”缺少必要的内容（{member}），请重新保存后发送。"
        ) from exc
    except (zipfile.BadZipFile, OSError, EOFError, zlib.error, ValueError, NotImplementedError) as exc:
        raise DocumentError("corrupt", f"文件“{name}”已损坏或不完整，无法读取，请重新保存后发送。") from exc
    if len(data) > cap:
        raise DocumentError("too_large", f"文件“{name}”内容过大，已拒绝处理，请压缩或拆分后重新发送。")
    return data


def parse_xml(data: bytes, name: str) -> etree._Element:
    """Parse an XML part safely; any DOCTYPE is refused outright."""
    head = data[:4096]
    if b"<!DOCTYPE" in head.upper() or b"<\x00!\x00D\x00O\x00C\x00" in head.upper():
        raise DocumentError("xml_doctype", f"文件“{name}”包含不允许的 XML 声明（DOCTYPE），已拒绝处理。")
    parser = etree.XMLParser(**_PARSER_KW)
    try:
        root = etree.fromstring(data, parser=parser)
    except (etree.XMLSyntaxError, ValueError) as exc:
        raise DocumentError("corrupt", f"文件“{name}”内容已损坏（XML 无法解析），请重新保存后发送。") from exc
    if root is None:
        raise DocumentError("corrupt", f"文件“{name}”内容为空，请重新保存后发送。")
    if root.getroottree().docinfo.doctype:
        raise DocumentError("xml_doctype", f"文件“{name}”包含不允许的 XML 声明（DOCTYPE），已拒绝处理。")
    return root
