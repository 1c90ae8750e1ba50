"""Decide what a file really is from its bytes, never from its name.

Senders rename files freely (a .docx saved as .wps, a BIFF .xls called .et,
an HTML page called .doc), so every routing decision starts here.
The extension is used only to pick a label between formats that share
a container (doc vs wps, xls vs et).
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass

import olefile

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

# Kinds the dispatcher routes on.
DOCX = "docx"
XLSX = "xlsx"
PPTX = "pptx"
ODT = "odt"
ODS = "ods"
OFD = "ofd"
DOC = "doc"
XLS = "xls"
PPT = "ppt"
RTF = "rtf"
HTML = "html"
WORDML = "wordml"  # Word 2003 XML / Flat OPC: one XML file
PDF = "pdf"
IMAGE = "image"
VIDEO = "video"
AUDIO = "audio"
ARCHIVE = "archive"
ENCRYPTED = "encrypted"
CORRUPT = "corrupt"
UNKNOWN = "unknown"

IMAGE_SUBTYPES = ("jpeg", "png", "gif", "bmp", "tiff", "webp", "heic", "avif")
OCR_IMAGES = ("jpeg", "png", "gif", "bmp", "tiff", "webp", "heic")

# ISO BMFF brands (bytes 8..12 after "ftyp") of still images.
_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"heim", b"heis", b"mif1", b"msf1", b"avif", b"avis"}
_QUICKTIME_BRANDS = {b"qt  "}
_AUDIO_BRANDS = {b"M4A ", b"M4B ", b"M4P "}


@dataclass(frozen=True)
class Sniffed:
    """What the bytes are: `kind` routes, `subtype` refines, `label` is shown."""

    kind: str
    subtype: str = ""
    detail: str = ""  # why, for corrupt/unknown (English, logs only)

    @property
    def label(self) -> str:
        """The Document.format value for this file."""
        return self.subtype or self.kind


def extension(name: str) -> str:
    """Lower-case extension without the dot ("" when none)."""
    base = name.rsplit("/", 1)[-1]
    return base.rsplit(".", 1)[-1].lower() if "." in base else ""


def sniff(data: bytes, name: str = "") -> Sniffed:
    """Classify `data`; never raises."""
    try:
        return _sniff(data, extension(name))
    except Exception as exc:  # hostile input must not crash routing
        return Sniffed(CORRUPT, detail=f"sniff failed: {type(exc).__name__}")


def _sniff(data: bytes, ext: str) -> Sniffed:
    head = data[:64]
    if not data:
        return Sniffed(CORRUPT, detail="empty file")
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return _sniff_zip(data, ext)
    if head.startswith(OLE_MAGIC):
        return _sniff_ole(data, ext)
    if b"%PDF-" in data[:1024]:
        return Sniffed(PDF, "pdf")
    image = _image_type(head)
    if image:
        return Sniffed(IMAGE, image)
    media = _media_type(head)
    if media:
        return media
    archive = _archive_type(head)
    if archive:
        return Sniffed(ARCHIVE, archive)
    text = _text_head(data)
    if text.startswith(b"{\\rtf"):
        return Sniffed(RTF, "wps" if ext == "wps" else "rtf")
    if _looks_like_wordml(text):
        return Sniffed(WORDML, "xml")
    if _looks_like_html(text):
        # Word/WPS/Excel "save as web page" files are often sent as .doc/.xls.
        return Sniffed(HTML, ext if ext in ("doc", "wps", "xls", "et") else "html")
    if text.startswith(b"mime-version:") and ext in ("doc", "mht", "mhtml"):
        return Sniffed(UNKNOWN, "mht", detail="MHTML web archive")
    return Sniffed(UNKNOWN, detail="no known signature")


_HTML_STARTS = (b"<!doctype html", b"<html", b"<head", b"<body", b"<meta", b"<table", b"<style", b"<title")


def _text_head(data: bytes) -> bytes:
    """The first 2 KB as lower-case ASCII-compatible bytes, whatever the encoding.

    Word saves web pages as UTF-16 ("Unicode") with or without a BOM; a
    NUL in every other byte is how a BOM-less one shows itself.
    """
    head = data[:4096]
    encoding = ""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        encoding = "utf-16"
    elif len(head) >= 64 and head[1:64:2].count(0) > 28 and head[0:64:2].count(0) < 4:
        encoding = "utf-16-le"
    elif len(head) >= 64 and head[0:64:2].count(0) > 28 and head[1:64:2].count(0) < 4:
        encoding = "utf-16-be"
    if encoding:
        head = head[: len(head) // 2 * 2].decode(encoding, errors="replace").encode("utf-8", errors="replace")
    return head[:2048].lstrip(b"\xef\xbb\xbf \t\r\n").lower()


def _looks_like_wordml(text: bytes) -> bool:
    """Word's one-file XML: a 2003 w:wordDocument, or a Flat OPC package marked as a Word document."""
    if not text.startswith((b"<?xml", b"<?mso-application", b"<w:worddocument", b"<pkg:package")):
        return False
    return b"<w:worddocument" in text or (b"<pkg:package" in text and b'progid="word.document"' in text)


def _looks_like_html(text: bytes) -> bool:
    if text.startswith(_HTML_STARTS):
        return True
    # An XML declaration or a comment may come first (Excel's web-page .xls).
    return text.startswith((b"<?xml", b"<!--")) and b"<html" in text


def _image_type(head: bytes) -> str:
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "gif"
    if head.startswith(b"BM") and len(head) >= 26:
        return "bmp"
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return "tiff"
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "webp"
    if head[4:8] == b"ftyp" and head[8:12] in _HEIF_BRANDS:
        # AV1 stills share the container; pillow-heif decodes only HEVC ones.
        brands = head[8 : int.from_bytes(head[:4], "big")]
        return "avif" if b"avif" in brands or b"avis" in brands else "heic"
    return ""


def _media_type(head: bytes) -> Sniffed | None:
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in _AUDIO_BRANDS:
            return Sniffed(AUDIO, "m4a")
        if brand in _QUICKTIME_BRANDS:
            return Sniffed(VIDEO, "mov")
        if brand.startswith(b"3g"):
            return Sniffed(VIDEO, "3gp")
        return Sniffed(VIDEO, "mp4")
    if head[4:8] in (b"moov", b"mdat", b"wide", b"free"):
        return Sniffed(VIDEO, "mov")
    if head.startswith(b"RIFF") and head[8:12] == b"AVI ":
        return Sniffed(VIDEO, "avi")
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return Sniffed(VIDEO, "webm" if b"webm" in head else "mkv")
    if head.startswith(b"FLV\x01"):
        return Sniffed(VIDEO, "flv")
    if head.startswith(b"\x30\x26\xb2\x75\x8e\x66\xcf\x11"):
        return Sniffed(VIDEO, "wmv")
    if head.startswith(b"\x00\x00\x01\xba") or head.startswith(b"\x00\x00\x01\xb3"):
        return Sniffed(VIDEO, "mpeg")
    if head.startswith(b"ID3") or head[:2] in (b"\xff\xfb", b"\xff\xf3", b"\xff\xf2"):
        return Sniffed(AUDIO, "mp3")
    if head.startswith(b"RIFF") and head[8:12] == b"WAVE":
        return Sniffed(AUDIO, "wav")
    return None


def _archive_type(head: bytes) -> str:
    if head.startswith(b"Rar!\x1a\x07"):
        return "rar"
    if head.startswith(b"7z\xbc\xaf\x27\x1c"):
        return "7z"
    if head.startswith(b"\x1f\x8b"):
        return "gz"
    if head.startswith(b"BZh"):
        return "bz2"
    if head.startswith(b"\xfd7zXZ\x00"):
        return "xz"
    if head.startswith(b"\x78\x9f\x3e\x22"):
        return "tnef"
    return ""


def _sniff_zip(data: bytes, ext: str) -> Sniffed:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = set(zf.namelist())
            mimetype = b""
            if "mimetype" in names and zf.getinfo("mimetype").file_size < 200:
                mimetype = zf.read("mimetype").strip()
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, NotImplementedError) as exc:
        # Office files are zips; a truncated one fails here.
        if ext in ("docx", "docm", "xlsx", "xlsm", "wps", "et", "doc", "xls", "pptx", "odt", "ods"):
            return Sniffed(CORRUPT, ext, detail=f"bad zip: {exc}")
        return Sniffed(CORRUPT, "zip", detail=f"bad zip: {exc}")
    if "word/document.xml" in names or any(n.startswith("word/") for n in names):
        return Sniffed(DOCX, ext if ext in ("docm", "wps") else "docx")
    if "xl/workbook.xml" in names or any(n.startswith("xl/") for n in names):
        return Sniffed(XLSX, ext if ext in ("xlsm", "et") else "xlsx")
    if any(n.startswith("ppt/") for n in names):
        return Sniffed(PPTX, "pptx")
    if mimetype == b"application/vnd.oasis.opendocument.text":
        return Sniffed(ODT, "odt")
    if mimetype == b"application/vnd.oasis.opendocument.spreadsheet":
        return Sniffed(ODS, "ods")
    if "OFD.xml" in names:
        return Sniffed(OFD, "ofd")
    if "[Content_Types].xml" in names:
        return Sniffed(CORRUPT, ext or "ooxml", detail="OOXML package without main part")
    return Sniffed(ARCHIVE, "zip")


def _sniff_ole(data: bytes, ext: str) -> Sniffed:
    try:
        ole = olefile.OleFileIO(io.BytesIO(data))
    except Exception as exc:
        return Sniffed(
            CORRUPT, ext if ext in ("doc", "wps", "xls", "et") else "ole", detail=f"bad OLE: {exc}"
        )
    try:
        # OLE directory names compare case-insensitively ([MS-CFB] 2.6.4): writers
        # other than Office emit "WORKBOOK" or "worddocument", which Office opens.
        streams = {"/".join(s).lower() for s in ole.listdir(streams=True, storages=True)}
    finally:
        ole.close()
    # OOXML saved with a password is an OLE container holding EncryptedPackage.
    if "encryptedpackage" in streams or "encryptioninfo" in streams:
        return Sniffed(ENCRYPTED, _ooxml_label(ext))
    if "worddocument" in streams:
        return Sniffed(DOC, "wps" if ext == "wps" else "doc")
    if "workbook" in streams or "book" in streams:
        return Sniffed(XLS, "et" if ext == "et" else "xls")
    if "powerpoint document" in streams:
        return Sniffed(PPT, "ppt")
    if ext in ("doc", "wps", "xls", "et", "docx", "xlsx"):
        # Named as an Office file but the main stream is gone: damaged, not exotic.
        return Sniffed(CORRUPT, ext, detail="OLE without a known main stream")
    return Sniffed(UNKNOWN, "ole", detail="OLE without a known main stream (e.g. Outlook .msg)")


def _ooxml_label(ext: str) -> str:
    if ext in ("xlsx", "xlsm", "xls", "et"):
        return "xlsx" if ext.startswith("xlsx") else ext
    if ext in ("docx", "docm", "doc", "wps"):
        return ext
    return "office"
