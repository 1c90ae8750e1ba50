"""Expand .zip/.7z/.rar attachments into their members, defensively.

Archives from Chinese Windows users carry GBK names without the zip UTF-8
flag, nest archives inside archives, and sometimes are bombs or encrypted.
Every refusal becomes a Problem with a Chinese sentence saying what to do;
nothing here raises on hostile input.
"""

from __future__ import annotations

import io
import mimetypes
import re
import struct
import zipfile
import zlib
from dataclasses import dataclass

from ..config import Limits
from ..model import Attachment, Problem
from .filenames import sanitize_filename

MB = 1024 * 1024
CHUNK = 64 * 1024
ARCHIVE_EXTENSIONS = {".zip", ".7z", ".rar"}
# Below this declared size a high compression ratio is harmless (text, blank forms).
RATIO_FLOOR_BYTES = 1 * MB
_JUNK_NAMES = {".ds_store", "thumbs.db", "desktop.ini", "ehthumbs.db"}

ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
SEVENZIP_MAGIC = b"7z\xbc\xaf\x27\x1c"
RAR_MAGIC = b"Rar!\x1a\x07"


@dataclass
class Budget:
    """Bytes and members still allowed across one archive tree."""

    bytes_left: int
    members_left: int


def archive_type(name: str, data: bytes) -> str | None:
    """'zip', '7z', 'rar' when `name`/`data` is an archive we expand, else None.

    Office files are zips too, so zip magic only counts with a .zip name or
    no extension at all.
    """
    lower = (name or "").lower()
    ext = "." + lower.rsplit(".", 1)[-1] if "." in lower else ""
    if data.startswith(SEVENZIP_MAGIC):
        return "7z"
    if data.startswith(RAR_MAGIC):
        return "rar"
    if data.startswith(ZIP_MAGIC) and ext in ("", ".zip"):
        return "zip"
    if ext in ARCHIVE_EXTENSIONS:
        return ext[1:]
    return None


def expand_archive(
    name: str, data: bytes, limits: Limits, depth: int = 0, budget: Budget | None = None
) -> tuple[list[Attachment], list[Problem]]:
    """Members of archive `name` (origin "name/path"), and Problems for refusals.

    `depth` counts the archives enclosing this one (0 for a mail attachment);
    an archive at depth >= limits.max_archive_depth is refused. An empty
    member list with problems means "could not expand": keep the archive.
    """
    if budget is None:
        budget = Budget(limits.max_unpacked_mb * MB, limits.max_archive_members)
    label = _display(name)
    if depth >= limits.max_archive_depth:
        return [], [
            Problem(
                None,
                "archive_too_deep",
                f"压缩包“{label}”嵌套层数过多（超过 {limits.max_archive_depth} 层），未解压。"
                "请把文件直接放进一个压缩包，或直接作为附件发送。",
            )
        ]
    kind = archive_type(name, data)
    handler = {"zip": _zip, "7z": _sevenzip, "rar": _rar}.get(kind or "")
    if handler is None:
        return [], [_broken(name)]
    try:
        members, problems = handler(name, data, limits, depth, budget)
    except Exception:  # hostile input: any library error is a broken archive
        return [], [_broken(name)]
    if not members and not problems:
        problems = [
            Problem(
                None,
                "archive_empty",
                f"压缩包“{label}”中没有可用的文件。请检查压缩包内容后重新发送。",
            )
        ]
    return members, problems


# ---------------------------------------------------------------- problems


def _display(name: str) -> str:
    return sanitize_filename(name, "压缩包")


def _broken(name: str) -> Problem:
    return Problem(
        None,
        "archive_broken",
        f"压缩包“{_display(name)}”已损坏或格式无法识别，无法解压。请重新压缩（建议 zip 格式）后发送，或直接发送原文件。",
    )


def _bomb(name: str, limits: Limits) -> Problem:
    return Problem(
        None,
        "archive_bomb",
        f"压缩包“{_display(name)}”解压后体积过大（超过 {limits.max_unpacked_mb} MB）或压缩比异常，已拒绝解压。"
        "请直接发送原文件，或分成几个较小的压缩包。",
    )


def _too_many(name: str, limits: Limits) -> Problem:
    return Problem(
        None,
        "archive_too_many",
        f"压缩包“{_display(name)}”内文件过多（超过 {limits.max_archive_members} 个），已拒绝解压。"
        "请只打包推荐表和案例材料后重新发送。",
    )


def _encrypted(name: str, member: str | None = None) -> Problem:
    where = f"压缩包“{_display(name)}”" + (f"中的“{sanitize_filename(member)}”" if member else "")
    return Problem(None, "archive_encrypted", f"{where}设置了密码，无法打开。请去掉密码重新压缩后发送。")


def _unsafe(name: str, member: str) -> Problem:
    shown = member.replace("\x00", "")[:80]
    return Problem(
        None,
        "archive_unsafe_path",
        f"压缩包“{_display(name)}”中的文件“{shown}”路径不安全（含 .. 或绝对路径），已跳过。"
        "请把文件放在普通文件夹中重新压缩后发送。",
    )


# ---------------------------------------------------------------- helpers


def _is_unsafe(path: str) -> bool:
    norm = path.replace("\\", "/")
    if norm.startswith("/") or re.match(r"^[A-Za-z]:", norm) or "\x00" in norm:
        return True
    return any(part == ".." for part in norm.split("/"))


def _is_junk(path: str) -> bool:
    parts = [p for p in path.replace("\\", "/").split("/") if p]
    if not parts:
        return True
    if "__MACOSX" in parts:
        return True
    base = parts[-1]
    return base.lower() in _JUNK_NAMES or base.startswith("._")


def _clean_path(path: str) -> str:
    parts = [sanitize_filename(p) for p in path.replace("\\", "/").split("/") if p and p != "."]
    return "/".join(parts) or "附件"


def _member(archive: str, path: str, data: bytes, raw: bytes | None, defects: list[str]) -> Attachment:
    clean = _clean_path(path)
    base = clean.rsplit("/", 1)[-1]
    ctype = mimetypes.guess_type(base)[0] or "application/octet-stream"
    return Attachment(
        name=base,
        data=data,
        content_type=ctype,
        origin=f"{_display(archive)}/{clean}",
        raw_name=raw,
        defects=list(defects),
    )


def _add_member(
    out: list[Attachment],
    problems: list[Problem],
    archive: str,
    path: str,
    data: bytes,
    raw: bytes | None,
    defects: list[str],
    limits: Limits,
    depth: int,
    budget: Budget,
) -> None:
    """Append one member, expanding it when it is itself an archive."""
    att = _member(archive, path, data, raw, defects)
    if archive_type(att.name, data):
        inner, inner_problems = expand_archive(att.name, data, limits, depth + 1, budget)
        problems.extend(inner_problems)
        if inner:
            prefix = att.origin.rsplit("/", 1)[0]
            for item in inner:
                item.origin = f"{prefix}/{item.origin}"
            out.extend(inner)
            return
    out.append(att)


def _declared_ok(name: str, total: int, packed: int, count: int, limits: Limits, budget: Budget):
    if count > min(limits.max_archive_members, budget.members_left):
        return _too_many(name, limits)
    if total > budget.bytes_left:
        return _bomb(name, limits)
    if total > RATIO_FLOOR_BYTES and total > max(packed, 1) * limits.max_archive_ratio:
        return _bomb(name, limits)
    return None


# ---------------------------------------------------------------- zip


def zip_member_name(info: zipfile.ZipInfo) -> tuple[str, bytes, list[str]]:
    """(name, raw bytes, defects) honouring the UTF-8 flag, else utf-8 then gb18030."""
    if info.flag_bits & 0x800:
        return info.filename, info.filename.encode("utf-8", "surrogateescape"), []
    try:
        raw = info.filename.encode("cp437")
    except UnicodeEncodeError:  # metadata_encoding was set by someone else
        return info.filename, info.filename.encode("utf-8", "surrogateescape"), []
    unicode_path = _unicode_path_extra(info.extra, raw)
    if unicode_path:
        return unicode_path, raw, []
    for codec in ("utf-8", "gb18030"):
        try:
            return raw.decode(codec), raw, []
        except UnicodeDecodeError:
            continue
    return raw.decode("gb18030", "replace"), raw, ["压缩包内文件名编码无法识别，部分字符已替换"]


def _unicode_path_extra(extra: bytes, raw: bytes) -> str | None:
    """Info-ZIP Unicode Path field (0x7075, written by WinRAR), if it matches `raw`.

    Python 3.11's zipfile ignores it; it is only valid while its CRC equals
    the CRC of the legacy name bytes.
    """
    pos = 0
    while pos + 4 <= len(extra):
        tag, size = struct.unpack_from("<HH", extra, pos)
        body = extra[pos + 4 : pos + 4 + size]
        pos += 4 + size
        if tag != 0x7075 or len(body) < 5 or body[0] != 1:
            continue
        (crc,) = struct.unpack_from("<I", body, 1)
        if crc != zlib.crc32(raw):
            return None
        try:
            return body[5:].decode("utf-8")
        except UnicodeDecodeError:
            return None
    return None


def _zip(name: str, data: bytes, limits: Limits, depth: int, budget: Budget):
    out: list[Attachment] = []
    problems: list[Problem] = []
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return [], [_broken(name)]
    with zf:
        entries = []
        for info in zf.infolist():
            path, raw, defects = zip_member_name(info)
            if info.is_dir() or path.endswith(("/", "\\")) or _is_junk(path):
                continue
            entries.append((info, path, raw, defects))
        total = sum(max(info.file_size, 0) for info, *_ in entries)
        refusal = _declared_ok(name, total, len(data), len(entries), limits, budget)
        if refusal:
            return [], [refusal]
        for info, path, raw, defects in entries:
            if _is_unsafe(path):
                problems.append(_unsafe(name, path))
                continue
            if info.flag_bits & 0x1:
                problems.append(_encrypted(name, path))
                continue
            try:
                content = _read_bounded(zf.open(info), budget)
            except _TooBig:
                return [], [*problems, _bomb(name, limits)]
            except (RuntimeError, NotImplementedError):
                problems.append(_encrypted(name, path) if info.flag_bits & 0x1 else _broken(name))
                continue
            except Exception:
                problems.append(_broken(name))
                continue
            budget.members_left -= 1
            _add_member(out, problems, name, path, content, raw, defects, limits, depth, budget)
    return out, problems


class _TooBig(Exception):
    pass


def _read_bounded(stream, budget: Budget) -> bytes:
    """Read counting real bytes: declared sizes can lie."""
    buf = io.BytesIO()
    with stream:
        while True:
            chunk = stream.read(CHUNK)
            if not chunk:
                break
            budget.bytes_left -= len(chunk)
            if budget.bytes_left < 0:
                raise _TooBig
            buf.write(chunk)
    return buf.getvalue()


# ---------------------------------------------------------------- 7z


def _sevenzip(name: str, data: bytes, limits: Limits, depth: int, budget: Budget):
    import py7zr
    from py7zr.io import Py7zIO, WriterFactory

    class _Writer(Py7zIO):
        def __init__(self) -> None:
            self.buf = io.BytesIO()
            self.overflow = False

        def write(self, s) -> int:
            budget.bytes_left -= len(s)
            if budget.bytes_left < 0:
                self.overflow = True
                return len(s)
            return self.buf.write(s)

        def read(self, size=None) -> bytes:
            return self.buf.read(size)

        def seek(self, offset: int, whence: int = 0) -> int:
            return self.buf.seek(offset, whence)

        def flush(self) -> None:
            return None

        def size(self) -> int:
            return len(self.buf.getbuffer())

    class _Factory(WriterFactory):
        def __init__(self) -> None:
            self.products: dict[str, _Writer] = {}

        def create(self, filename: str) -> Py7zIO:
            self.products[filename] = _Writer()
            return self.products[filename]

    try:
        archive = py7zr.SevenZipFile(io.BytesIO(data), mode="r")
    except py7zr.exceptions.PasswordRequired:
        return [], [_encrypted(name)]
    except Exception:
        return [], [_broken(name)]
    problems: list[Problem] = []
    out: list[Attachment] = []
    with archive:
        if archive.needs_password():
            return [], [_encrypted(name)]
        entries = [
            i for i in archive.list() if not i.is_directory and not i.is_symlink and not _is_junk(i.filename)
        ]
        total = sum(int(i.uncompressed or 0) for i in entries)
        refusal = _declared_ok(name, total, len(data), len(entries), limits, budget)
        if refusal:
            return [], [refusal]
        safe = []
        for info in entries:
            if _is_unsafe(info.filename):
                problems.append(_unsafe(name, info.filename))
            else:
                safe.append(info.filename)
        if not safe:
            return [], problems
        factory = _Factory()
        archive.extract(targets=safe, factory=factory)
    if any(w.overflow for w in factory.products.values()) or budget.bytes_left < 0:
        return [], [*problems, _bomb(name, limits)]
    for path in safe:
        writer = factory.products.get(path)
        if writer is None:
            continue
        budget.members_left -= 1
        _add_member(out, problems, name, path, writer.buf.getvalue(), None, [], limits, depth, budget)
    return out, problems


# ---------------------------------------------------------------- rar


def rar_member_name(info) -> tuple[str, bytes | None, list[str]]:
    """RAR 2/3 legacy names are code-page bytes; rarfile tries utf-16le on
    them, which turns GBK into Hangul-looking garbage. Re-decode them."""
    raw = getattr(info, "orig_filename", None)
    if isinstance(raw, bytes) and not (getattr(info, "flags", 0) & 0x0200):
        for codec in ("utf-8", "gb18030"):
            try:
                return raw.decode(codec).replace("\\", "/"), raw, []
            except UnicodeDecodeError:
                continue
        return (
            raw.decode("gb18030", "replace").replace("\\", "/"),
            raw,
            ["压缩包内文件名编码无法识别，部分字符已替换"],
        )
    return str(info.filename), raw if isinstance(raw, bytes) else None, []


def _rar(name: str, data: bytes, limits: Limits, depth: int, budget: Budget):
    import rarfile

    no_tool = Problem(
        None,
        "archive_unsupported",
        f"暂时无法解压 RAR 压缩包“{_display(name)}”。请改用 zip 格式重新压缩后发送，或直接发送原文件。",
    )
    try:
        rarfile.tool_setup()
    except rarfile.RarCannotExec:
        return [], [no_tool]
    try:
        rf = rarfile.RarFile(io.BytesIO(data))
    except rarfile.PasswordRequired:
        return [], [_encrypted(name)]
    except rarfile.RarCannotExec:
        return [], [no_tool]
    except Exception:
        return [], [_broken(name)]
    out: list[Attachment] = []
    problems: list[Problem] = []
    with rf:
        if rf.needs_password():
            return [], [_encrypted(name)]
        entries = [i for i in rf.infolist() if not i.is_dir() and not _is_junk(rar_member_name(i)[0])]
        total = sum(int(i.file_size or 0) for i in entries)
        refusal = _declared_ok(name, total, len(data), len(entries), limits, budget)
        if refusal:
            return [], [refusal]
        for info in entries:
            path, raw, defects = rar_member_name(info)
            if _is_unsafe(path):
                problems.append(_unsafe(name, path))
                continue
            if info.needs_password():
                problems.append(_encrypted(name, path))
                continue
            try:
                content = _read_bounded(rf.open(info), budget)
            except _TooBig:
                return [], [*problems, _bomb(name, limits)]
            except rarfile.RarCannotExec:
                return [], [no_tool]
            except Exception:
                problems.append(_broken(name))
                continue
            budget.members_left -= 1
            _add_member(out, problems, name, path, content, raw, defects, limits, depth, budget)
    return out, problems
