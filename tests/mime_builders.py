"""Build raw messages byte by byte the way Chinese clients write them.

The stdlib's generators would "fix" exactly the quirks we must survive
(raw 8-bit GBK names, gb2312 labels on GBK bytes, encoded-words split in
the middle of a character), so tests assemble the bytes themselves.
"""

from __future__ import annotations

import base64
import hashlib
import io
import struct
import zipfile
from urllib.parse import quote_from_bytes

CRLF = b"\r\n"

Header = tuple[str, bytes | str]


def _b(value: bytes | str) -> bytes:
    return value if isinstance(value, bytes) else value.encode("utf-8")  # raw 8-bit, as some clients do


def b64_lines(data: bytes) -> bytes:
    """Base64 wrapped at 76 columns, as every client does."""
    text = base64.b64encode(data)
    return CRLF.join(text[i : i + 76] for i in range(0, len(text), 76))


def encoded_word(data: bytes, charset: str = "utf-8", kind: str = "B") -> str:
    if kind.upper() == "B":
        return f"=?{charset}?B?{base64.b64encode(data).decode()}?="
    q = "".join(chr(c) if 33 <= c < 127 and c not in b"=?_" else f"={c:02X}" for c in data)
    return f"=?{charset}?Q?{q}?="


def part(headers: list[Header], body: bytes) -> bytes:
    head = b"".join(_b(k) + b": " + _b(v) + CRLF for k, v in headers)
    return head + CRLF + body


def message(headers: list[Header], body: bytes) -> bytes:
    return part(headers, body)


def multipart(subtype: str, parts: list[bytes], headers: list[Header] = (), boundary: str = "") -> bytes:
    """By default the boundary is made from what it encloses: the same parts give the same
    bytes (Hypothesis replays a case and must see the same lengths; a numbered boundary
    grew a digit between a run and its replay), and a nested multipart's differs from its
    parent's, whose parts contain it."""
    boundary = boundary or f"----=_Part_{subtype}_{hashlib.sha256(b''.join(parts)).hexdigest()[:16]}"
    hdrs = [*headers, ("Content-Type", f'multipart/{subtype}; boundary="{boundary}"')]
    if not any(k.lower() == "mime-version" for k, _ in headers):
        hdrs.insert(0, ("MIME-Version", "1.0"))
    body = b"This is a multi-part message in MIME format." + CRLF
    for p in parts:
        body += CRLF + b"--" + boundary.encode() + CRLF + p
    body += CRLF + b"--" + boundary.encode() + b"--" + CRLF
    return part(hdrs, body)


def envelope(
    subject: str = "推荐材料",
    sender: str = "unit@example.cn",
    sender_name: str = "省针灸学会",
    msgid: str | None = "<abc123@example.cn>",
    charset: str = "utf-8",
    extra: list[Header] = (),
) -> list[Header]:
    """Typical top-level headers, encoded-words for the Chinese parts.

    A gb2312 label gets GBK bytes, as Chinese clients really send.
    """
    codec = _codec(charset)
    hdrs: list[Header] = [
        ("From", f"{encoded_word(sender_name.encode(codec), charset)} <{sender}>"),
        ("To", "intake@example.org"),
        ("Subject", encoded_word(subject.encode(codec), charset)),
        ("Date", "Mon, 02 Aug 2021 10:15:00 +0800"),
    ]
    if msgid:
        hdrs.append(("Message-ID", msgid))
    return [*hdrs, *extra]


def _codec(charset: str) -> str:
    return "gb18030" if charset.lower() in ("gb2312", "gbk", "gb18030") else charset


def text_part(text: str, charset: str = "utf-8", subtype: str = "plain", cte: str = "base64") -> bytes:
    data = text.encode(_codec(charset))
    if cte == "base64":
        body = b64_lines(data)
    else:
        body = data
    return part(
        [("Content-Type", f'text/{subtype}; charset="{charset}"'), ("Content-Transfer-Encoding", cte)],
        body,
    )


def file_part(data: bytes, headers: list[Header]) -> bytes:
    """An attachment part with the given headers, base64 body."""
    return part([*headers, ("Content-Transfer-Encoding", "base64")], b64_lines(data))


def attachment(name: str, data: bytes, ctype: str = "application/octet-stream") -> bytes:
    """RFC 2047 names, as QQ/163 web mail write them."""
    word = encoded_word(name.encode("utf-8"))
    return file_part(
        data,
        [
            ("Content-Type", f'{ctype}; name="{word}"'),
            ("Content-Disposition", f'attachment; filename="{word}"'),
        ],
    )


def foxmail_raw_gbk_attachment(name: str, data: bytes) -> bytes:
    """Foxmail/old Outlook: raw 8-bit GBK bytes in the quoted filename."""
    raw = name.encode("gbk")
    return file_part(
        data,
        [
            ("Content-Type", b'application/octet-stream; name="' + raw + b'"'),
            ("Content-Disposition", b'attachment; filename="' + raw + b'"'),
        ],
    )


def rfc2231_attachment(name: str, data: bytes, charset: str = "gb2312", split_at: int | None = None) -> bytes:
    """filename*0*=charset''%XX; filename*1*=%XX (split at byte `split_at`)."""
    raw = name.encode("gbk" if charset.lower() in ("gb2312", "gbk") else charset)
    split_at = len(raw) // 2 if split_at is None else split_at
    first, second = quote_from_bytes(raw[:split_at], safe=""), quote_from_bytes(raw[split_at:], safe="")
    disp = f"attachment;\r\n\tfilename*0*={charset}''{first};\r\n\tfilename*1*={second}"
    return file_part(data, [("Content-Type", "application/octet-stream"), ("Content-Disposition", disp)])


def rfc2047_inside_rfc2231_attachment(name: str, data: bytes) -> bytes:
    """An encoded-word split over RFC 2231 continuation sections."""
    word = encoded_word(name.encode("utf-8"))
    half = len(word) // 2
    disp = f'attachment;\r\n\tfilename*0="{word[:half]}";\r\n\tfilename*1="{word[half:]}"'
    return file_part(data, [("Content-Type", "application/octet-stream"), ("Content-Disposition", disp)])


def forwarded(inner: bytes) -> bytes:
    """A message/rfc822 part holding `inner` (Outlook/Foxmail "作为附件转发")."""
    return part(
        [("Content-Type", "message/rfc822"), ("Content-Disposition", 'attachment; filename="forward.eml"')],
        inner,
    )


# ---------------------------------------------------------------- files


class RawNameZipInfo(zipfile.ZipInfo):
    """ZipInfo that writes the name bytes as given, without the UTF-8 flag.

    zipfile would otherwise store a non-ASCII name as UTF-8 with flag 0x800,
    unlike Windows' built-in zipper and old WinRAR.
    """

    def __init__(self, raw: bytes):
        super().__init__(raw.decode("cp437"))
        self.raw_name = raw
        self.compress_type = zipfile.ZIP_DEFLATED

    def _encodeFilenameFlags(self):  # noqa: N802 - overrides zipfile's name
        return self.raw_name, self.flag_bits & ~0x800


def zip_bytes(files: dict[str, bytes], encoding: str | None = None) -> bytes:
    """A zip; with `encoding` ("gbk") names are raw bytes without the UTF-8 flag.

    Every member has the same fixed timestamp, so the same files always give the
    same bytes (tests compare a member with a freshly built copy).
    """
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            if encoding:
                zf.writestr(RawNameZipInfo(name.encode(encoding)), data)
            else:
                info = zipfile.ZipInfo(name, date_time=(2021, 7, 20, 9, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                zf.writestr(info, data)
    return buf.getvalue()


def fake_docx(text: str = "推荐表") -> bytes:
    """A tiny OOXML-shaped zip (enough for magic sniffing)."""
    return zip_bytes(
        {
            "[Content_Types].xml": b"<Types/>",
            "word/document.xml": f"<w:document><w:t>{text}</w:t></w:document>".encode(),
        }
    )


def fake_pdf() -> bytes:
    return b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def zeros_zip(size: int, name: str = "zeros.txt") -> bytes:
    """A zip holding `size` zero bytes, written streamed (a small bomb)."""
    buf = io.BytesIO()
    chunk = bytes(1024 * 1024)
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        info = zipfile.ZipInfo(name)
        info.compress_type = zipfile.ZIP_DEFLATED
        with zf.open(info, "w", force_zip64=True) as fp:
            left = size
            while left > 0:
                n = min(left, len(chunk))
                fp.write(chunk[:n])
                left -= n
    return buf.getvalue()


def tnef_bytes(files: list[tuple[bytes, bytes]], oem_codepage: int = 936) -> bytes:
    """A minimal winmail.dat: version, OEM code page, then per file
    rendering data, title (raw code-page bytes) and data attributes."""

    def obj(level: int, name: int, atype: int, data: bytes) -> bytes:
        checksum = sum(data) & 0xFFFF
        return struct.pack("<BHHI", level, name, atype, len(data)) + data + struct.pack("<H", checksum)

    out = struct.pack("<IH", 0x223E9F78, 0)
    out += obj(1, 0x9006, 0x0008, struct.pack("<I", 0x00010000))
    out += obj(1, 0x9007, 0x0008, struct.pack("<II", oem_codepage, 0))
    for title, data in files:
        out += obj(2, 0x9002, 0x0006, bytes(14))
        out += obj(2, 0x8010, 0x0001, title + b"\x00")
        out += obj(2, 0x800F, 0x0006, data)
    return out


def rar4_stored(files: list[tuple[bytes, bytes]]) -> bytes:
    """A RAR 4 archive of stored (uncompressed) files with raw legacy names,
    as old WinRAR on Chinese Windows writes them (no Unicode name flag)."""
    import zlib

    def block(head_type: int, flags: int, body: bytes) -> bytes:
        size = 7 + len(body)
        rest = struct.pack("<BHH", head_type, flags, size) + body
        return struct.pack("<H", zlib.crc32(rest) & 0xFFFF) + rest

    out = b"Rar!\x1a\x07\x00" + block(0x73, 0, bytes(6))
    for name, data in files:
        body = struct.pack(
            "<IIBIIBBHI",
            len(data),  # packed size
            len(data),  # unpacked size
            2,  # host OS: Windows
            zlib.crc32(data),
            0x5A000000,  # DOS time
            20,  # version needed
            0x30,  # method: store
            len(name),
            0x20,  # attributes: archive
        )
        out += block(0x74, 0x8000, body + name) + data
    return out + b"\xc4\x3d\x7b\x00\x40\x07\x00"
