"""The same corpus documents saved as Word's one-file XML (.xml), as Word 2003 and WPS write it.

`to_word2003` turns a .docx built by wordml.py into WordprocessingML 2003
(`w:wordDocument`, Word 2003's and WPS's "Word XML 文档"): the
mso-application processing instruction, document properties, fonts,
styles and docPr before the body, the body in a wx:sect; tracked changes as
aml:annotation (Word.Insertion / Word.Deletion around aml:content), merges
as w:vmerge, hyphenated attribute names (w:h-rule, w:line-pitch), text
boxes as VML only (2003 has no DrawingML), content controls unwrapped (2003
has none), legacy form fields' settings as w:fldData (the binary FFData of
[MS-DOC] 2.9.78, base64). `to_flat_opc` writes Word 2007's "Word XML 文档":
the package's parts in one pkg:package.
"""

from __future__ import annotations

import base64
import io
import struct
import zipfile

from lxml import etree

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
W03 = "http://schemas.microsoft.com/office/word/2003/wordml"
WX = "http://schemas.microsoft.com/office/word/2003/auxHint"
AML = "http://schemas.microsoft.com/aml/2001/core"
MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"
V = "urn:schemas-microsoft-com:vml"
O = "urn:schemas-microsoft-com:office:office"  # noqa: E741
W10 = "urn:schemas-microsoft-com:office:word"
PKG = "http://schemas.microsoft.com/office/2006/xmlPackage"
NSMAP = {"w": W03, "v": V, "w10": W10, "o": O, "wx": WX, "aml": AML}
ATTRS = {"hRule": "h-rule", "lineRule": "line-rule", "linePitch": "line-pitch", "charSpace": "char-space"}
VALUES = {"atLeast": "at-least"}
DROP_ATTRS = {"rsidR", "rsidRDefault", "rsidP", "rsidTr", "rsidDel", "rsidRPr", "firstRow", "lastRow"}
DROP_ATTRS |= {"firstColumn", "lastColumn", "noHBand", "noVBand"}


def _parts(docx: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(docx)) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def to_word2003(docx: bytes, author: str = "张三") -> bytes:
    """The .docx's content as a Word 2003 XML document."""
    parts = _parts(docx)
    body = etree.fromstring(parts["word/document.xml"]).find(f"{{{W}}}body")
    styles = etree.fromstring(parts["word/styles.xml"])
    convert = _Converter()
    root = etree.Element(f"{{{W03}}}wordDocument", nsmap=NSMAP)
    root.set(f"{{{W03}}}macrosPresent", "no")
    root.set(f"{{{W03}}}embeddedObjPresent", "no")
    root.set(f"{{{W03}}}ocxPresent", "no")
    root.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
    props = etree.SubElement(root, f"{{{O}}}DocumentProperties")
    for tag, text in (("Author", author), ("LastAuthor", author), ("Revision", "2"), ("Pages", "1")):
        etree.SubElement(props, f"{{{O}}}{tag}").text = text
    fonts = etree.SubElement(root, f"{{{W03}}}fonts")
    default = etree.SubElement(fonts, f"{{{W03}}}defaultFonts")
    for key, font in (("ascii", "Times New Roman"), ("fareast", "宋体"), ("h-ansi", "Times New Roman")):
        default.set(f"{{{W03}}}{key}", font)
    out_styles = etree.SubElement(root, f"{{{W03}}}styles")
    etree.SubElement(out_styles, f"{{{W03}}}versionOfBuiltInStylenames").set(f"{{{W03}}}val", "4")
    for style in styles.findall(f"{{{W}}}style"):
        for converted in convert(style):
            if style.get(f"{{{W}}}default") == "1":
                converted.set(f"{{{W03}}}default", "on")
            out_styles.append(converted)
    doc_pr = etree.SubElement(root, f"{{{W03}}}docPr")
    etree.SubElement(doc_pr, f"{{{W03}}}view").set(f"{{{W03}}}val", "print")
    etree.SubElement(doc_pr, f"{{{W03}}}defaultTabStop").set(f"{{{W03}}}val", "420")
    new_body = etree.SubElement(root, f"{{{W03}}}body")
    sect = etree.SubElement(new_body, f"{{{WX}}}sect")
    for child in body:
        sect.extend(convert(child))
    xml = etree.tostring(root, encoding="UTF-8", xml_declaration=False)
    return (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n'
        b'<?mso-application progid="Word.Document"?>\r\n' + xml
    )


_SKIPPED = {
    "sdtPr",
    "sdtEndPr",
    "moveFromRangeStart",
    "moveFromRangeEnd",
    "moveToRangeStart",
    "moveToRangeEnd",
    "bookmarkStart",
    "bookmarkEnd",
    "tblLook",
}


class _Converter:
    """.docx elements as 2003 XML; annotation ids numbered per document."""

    def __init__(self) -> None:
        self.ids = 0

    def __call__(self, el: etree._Element) -> list[etree._Element]:
        q = etree.QName(el)
        ns, local = q.namespace, q.localname
        if ns == MC and local == "AlternateContent":
            fallback = el.find(f"{{{MC}}}Fallback")
            pict = fallback.find(f"{{{W}}}pict") if fallback is not None else None
            return self(pict) if pict is not None else []
        if ns not in (W, V, O, W10) or (ns == W and local in _SKIPPED):
            return []
        if ns == W and local == "sdt":  # 2003 has no content controls: the content stands alone
            content = el.find(f"{{{W}}}sdtContent")
            return [x for child in (content if content is not None else []) for x in self(child)]
        if ns == W and local in ("del", "ins", "moveFrom", "moveTo"):
            return [
                self._annotation(el, "Word.Deletion" if local in ("del", "moveFrom") else "Word.Insertion")
            ]
        if ns == W and local == "fldChar":
            return [_field_char(el)]
        tag = f"{{{W03 if ns == W else ns}}}{'vmerge' if (ns, local) == (W, 'vMerge') else local}"
        out = etree.Element(tag)
        for key, value in el.attrib.items():
            kq = etree.QName(key)
            if kq.localname in DROP_ATTRS:
                continue
            name = ATTRS.get(kq.localname, kq.localname)
            out.set(f"{{{W03}}}{name}" if kq.namespace == W else key, VALUES.get(value, value))
        out.text = el.text
        for child in el:
            converted = self(child)
            out.extend(converted)
            if converted:
                converted[-1].tail = child.tail
        return [out]

    def _annotation(self, el: etree._Element, kind: str) -> etree._Element:
        self.ids += 1
        ann = etree.Element(f"{{{AML}}}annotation")
        ann.set(f"{{{AML}}}id", str(self.ids))
        ann.set(f"{{{W03}}}type", kind)
        ann.set(f"{{{AML}}}author", el.get(f"{{{W}}}author", "张三"))
        ann.set(f"{{{AML}}}createdate", el.get(f"{{{W}}}date", "2021-07-28T09:30:00Z"))
        if len(el):
            content = etree.SubElement(ann, f"{{{AML}}}content")
            for child in el:
                content.extend(self(child))
        return ann


def _field_char(el: etree._Element) -> etree._Element:
    out = etree.Element(f"{{{W03}}}fldChar")
    out.set(f"{{{W03}}}fldCharType", el.get(f"{{{W}}}fldCharType", ""))
    ff = el.find(f"{{{W}}}ffData")
    if ff is not None:
        etree.SubElement(out, f"{{{W03}}}fldData").text = base64.b64encode(ffdata(ff)).decode()
    return out


def _xstz(text: str) -> bytes:
    return struct.pack("<H", len(text)) + text.encode("utf-16-le") + b"\0\0"


def ffdata(ff: etree._Element) -> bytes:
    """[MS-DOC] 2.9.78 FFData for a .docx w:ffData: text, check box or drop-down."""

    def val(path: str, attr: str = "val", default: str = "") -> str:
        node = ff.find(path, {"w": W})
        return node.get(f"{{{W}}}{attr}", default) if node is not None else default

    name = val("w:name")
    if ff.find(f"{{{W}}}ddList") is not None:
        entries = [e.get(f"{{{W}}}val", "") for e in ff.findall(f"{{{W}}}ddList/{{{W}}}listEntry")]
        chosen = int(val("w:ddList/w:result", default="0") or 0)
        bits = 2 | (min(chosen, 31) << 2)
        out = struct.pack("<IHHH", 0xFFFFFFFF, bits, 0, 0) + _xstz(name) + struct.pack("<H", 0)
        out += b"".join(_xstz("") for _ in range(5))
        out += struct.pack("<HHH", 0xFFFF, len(entries), 0)
        out += b"".join(struct.pack("<H", len(e)) + e.encode("utf-16-le") for e in entries)
        return out
    if ff.find(f"{{{W}}}checkBox") is not None:
        checked = ff.find(f"{{{W}}}checkBox/{{{W}}}checked") is not None
        bits = 1 | ((1 if checked else 0) << 2)
        out = struct.pack("<IHHH", 0xFFFFFFFF, bits, 0, 20) + _xstz(name) + struct.pack("<H", 0)
        return out + b"".join(_xstz("") for _ in range(5))
    out = struct.pack("<IHHH", 0xFFFFFFFF, 0, 0, 0) + _xstz(name) + _xstz("")
    return out + b"".join(_xstz("") for _ in range(5))


def to_flat_opc(docx: bytes) -> bytes:
    """The .docx as Word 2007's one-file "Word XML 文档" (Flat OPC)."""
    parts = _parts(docx)
    root = etree.Element(f"{{{PKG}}}package", nsmap={"pkg": PKG})
    for name, data in parts.items():
        if name == "[Content_Types].xml":
            continue
        part = etree.SubElement(root, f"{{{PKG}}}part")
        part.set(f"{{{PKG}}}name", "/" + name)
        kind = (
            "application/vnd.openxmlformats-package.relationships+xml"
            if name.endswith(".rels")
            else "application/xml"
        )
        part.set(f"{{{PKG}}}contentType", kind)
        holder = etree.SubElement(part, f"{{{PKG}}}xmlData")
        holder.append(etree.fromstring(data))
    xml = etree.tostring(root, encoding="UTF-8")
    return (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n'
        b'<?mso-application progid="Word.Document"?>\r\n' + xml
    )
