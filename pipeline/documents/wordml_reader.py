"""Read Word's single-file XML documents (.xml): WordprocessingML 2003 and Flat OPC.

Word 2003's "XML 文档" (also written by WPS and by Word's "Word 2003 XML"
save-as) is one XML file, `w:wordDocument`, in a namespace of its own but
close to .docx XML: the same paragraphs, runs, tables and VML text boxes,
with a few differences that are renamed here before the .docx walker reads
it. Sections and sub-sections are wrapped in wx:sect; tracked changes are
aml:annotation elements of type Word.Insertion / Word.Deletion around
aml:content (read as w:ins / w:del, so deletions stay deleted); merges are
w:vmerge / w:hmerge; some attribute names carry hyphens (w:h-rule,
w:line-pitch). Custom-schema tags (Word 2003 "smart documents") wrapping
paragraphs or runs are unwrapped; comments and bookmarks are dropped.
Word 2007 and later save "Word XML 文档" as Flat OPC instead: a pkg:package
holding the .docx parts as XML, whose document part is read as is.
"""

from __future__ import annotations

import base64
import binascii
import struct

from lxml import etree

from ..config import Limits
from ..model import Document
from .docx_reader import W_MAIN, walk_document
from .errors import DocumentError
from .safe_zip import parse_xml

W2003 = "http://schemas.microsoft.com/office/word/2003/wordml"
WX = "http://schemas.microsoft.com/office/word/2003/auxHint"
AML = "http://schemas.microsoft.com/aml/2001/core"
PKG = "http://schemas.microsoft.com/office/2006/xmlPackage"
V = "urn:schemas-microsoft-com:vml"

# 2003 names that .docx spells differently (elements and attributes).
_ELEMENTS = {"vmerge": "vMerge", "hmerge": "hMerge", "hlink": "hyperlink"}
_ATTRIBUTES = {
    "h-rule": "hRule",
    "line-rule": "lineRule",
    "line-pitch": "linePitch",
    "char-space": "charSpace",
}
_VALUES = {"at-least": "atLeast", "on": "1", "off": "0"}
# Namespaces whose elements are Word's own (never custom-schema wrappers).
_KNOWN = {
    W2003,
    WX,
    AML,
    V,
    "urn:schemas-microsoft-com:office:office",
    "urn:schemas-microsoft-com:office:word",
    "uuid:C2F41010-65B3-11d1-A29F-00AA00C14882",
}
MAX_ELEMENTS = 2_000_000


def read_wordml(data: bytes, name: str, limits: Limits | None = None) -> Document:
    """Parse a Word 2003 XML or Flat OPC document; DocumentError when it is neither."""
    root = parse_xml(data, name)
    doc = Document(file=name, format="xml")
    if etree.QName(root).namespace == PKG:
        main, styles = _flat_opc(root, name)
        walk_document(main, lambda: styles, doc)
        doc.image_count = sum(
            1 for part in root.iter(f"{{{PKG}}}part") if "/media/" in part.get(f"{{{PKG}}}name", "")
        )
        return doc
    if root.tag != f"{{{W2003}}}wordDocument":
        raise DocumentError("not_wordml", f"文件“{name}”不是 Word 文档，请另存为 Word（.docx）后发送。")
    _as_docx(root)
    walk_document(root, lambda: root.find(f"{{{W_MAIN}}}styles"), doc)
    doc.image_count = sum(1 for _ in root.iter(f"{{{W_MAIN}}}binData"))
    return doc


def _flat_opc(root: etree._Element, name: str) -> tuple[etree._Element, etree._Element | None]:
    parts = {}
    for part in root.iter(f"{{{PKG}}}part"):
        data = part.find(f"{{{PKG}}}xmlData")
        if data is not None and len(data):
            parts[part.get(f"{{{PKG}}}name", "")] = data[0]
    main = parts.get("/word/document.xml")
    if main is None:
        main = next((el for el in parts.values() if el.tag == f"{{{W_MAIN}}}document"), None)
    if main is None:
        raise DocumentError("not_wordml", f"文件“{name}”不是 Word 文档，请另存为 Word（.docx）后发送。")
    return main, parts.get("/word/styles.xml")


def _as_docx(root: etree._Element) -> None:
    """Rename and unwrap the 2003 tree in place so it reads as a .docx main part."""
    elements = list(root.iter())
    if len(elements) > MAX_ELEMENTS:
        raise DocumentError("too_large", "文件内容过大，已拒绝处理，请另存为 Word（.docx）后发送。")
    for el in elements:
        tag = el.tag
        if not isinstance(tag, str):
            continue
        qname = etree.QName(tag)
        ns, local = qname.namespace, qname.localname
        if ns == W2003 and local == "fldData":
            _form_field(el)
        elif ns == W2003:
            el.tag = f"{{{W_MAIN}}}{_ELEMENTS.get(local, local)}"
            _attributes(el)
        elif ns == AML and local == "annotation":
            kind = el.get(f"{{{W2003}}}type", "")
            if kind == "Word.Insertion":
                el.tag = f"{{{W_MAIN}}}ins"
            elif kind == "Word.Deletion":
                el.tag = f"{{{W_MAIN}}}del"
            else:  # bookmarks, comments, formatting changes: nothing to read
                _remove(el)
        elif ns == AML and local == "content":
            _unwrap(el)
        elif ns == WX and local in ("sect", "sub-section", "pBdrGroup"):
            _unwrap(el)
        elif ns not in _KNOWN and el is not root:
            _unwrap(el)  # a custom-schema tag around Word content


def _attributes(el: etree._Element) -> None:
    for key, value in list(el.attrib.items()):
        qname = etree.QName(key)
        if qname.namespace != W2003:
            continue
        del el.attrib[key]
        el.set(f"{{{W_MAIN}}}{_ATTRIBUTES.get(qname.localname, qname.localname)}", _VALUES.get(value, value))


def _form_field(el: etree._Element) -> None:
    """w:fldData (a legacy form field's settings, base64 of [MS-DOC] FFData) as .docx's w:ffData,
    so a drop-down reads as its chosen entry and a check box as ☑/☐."""
    try:
        raw = base64.b64decode("".join((el.text or "").split()), validate=False)
        parsed = _ffdata(raw)
    except (binascii.Error, ValueError, struct.error, UnicodeDecodeError):
        parsed = None
    parent = el.getparent()
    if parent is None:
        return
    parent.remove(el)
    if parsed is None:
        return
    kind, chosen, entries = parsed
    ff = etree.SubElement(parent, f"{{{W_MAIN}}}ffData")
    if kind == 2:
        dd = etree.SubElement(ff, f"{{{W_MAIN}}}ddList")
        etree.SubElement(dd, f"{{{W_MAIN}}}result").set(f"{{{W_MAIN}}}val", str(chosen))
        for entry in entries:
            etree.SubElement(dd, f"{{{W_MAIN}}}listEntry").set(f"{{{W_MAIN}}}val", entry)
    elif kind == 1:
        box = etree.SubElement(ff, f"{{{W_MAIN}}}checkBox")
        etree.SubElement(box, f"{{{W_MAIN}}}checked").set(f"{{{W_MAIN}}}val", "1" if chosen else "0")
    else:
        etree.SubElement(ff, f"{{{W_MAIN}}}textInput")


DEFAULT_RESULT = 25  # FFData.iRes: "use the default (wDef)"


def _ffdata(raw: bytes) -> tuple[int, int, list[str]] | None:
    """(type 0 text / 1 check box / 2 drop-down, chosen index or checked state, entries)."""
    start = raw.find(b"\xff\xff\xff\xff")
    if start < 0:
        return None
    pos = start + 4
    bits, _cch, _hps = struct.unpack_from("<HHH", raw, pos)
    pos += 6
    kind, result = bits & 0x3, (bits >> 2) & 0x1F
    _, pos = _xstz(raw, pos)  # name
    default = 0
    if kind == 0:
        _, pos = _xstz(raw, pos)  # default text
    else:
        (default,) = struct.unpack_from("<H", raw, pos)
        pos += 2
    for _ in range(5):  # format, help, status text, entry and exit macros
        _, pos = _xstz(raw, pos)
    chosen = default if result == DEFAULT_RESULT else result
    entries: list[str] = []
    if kind == 2:
        _extend, count, _extra = struct.unpack_from("<HHH", raw, pos)
        pos += 6
        for _ in range(min(count, 100)):
            (length,) = struct.unpack_from("<H", raw, pos)
            entries.append(raw[pos + 2 : pos + 2 + 2 * length].decode("utf-16-le"))
            pos += 2 + 2 * length
    return kind, chosen, entries


def _xstz(raw: bytes, pos: int) -> tuple[str, int]:
    (length,) = struct.unpack_from("<H", raw, pos)
    end = pos + 2 + 2 * length
    if end + 2 > len(raw):
        raise ValueError("truncated FFData")
    return raw[pos + 2 : end].decode("utf-16-le"), end + 2


def _unwrap(el: etree._Element) -> None:
    """Replace `el` by its children (its text and tail kept in place)."""
    parent = el.getparent()
    if parent is None:
        return
    index = parent.index(el)
    children = list(el)
    for offset, child in enumerate(children):
        parent.insert(index + offset, child)
    if children:
        last = children[-1]
        last.tail = (last.tail or "") + (el.tail or "")
    parent.remove(el)


def _remove(el: etree._Element) -> None:
    parent = el.getparent()
    if parent is not None:
        parent.remove(el)
