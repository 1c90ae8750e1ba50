"""WordprocessingML written the way Word 2016 and WPS Office write it.

The corpus needs structures python-docx cannot write (tracked changes,
content controls, legacy form fields, text boxes with mc:AlternateContent),
so documents are assembled from XML strings here. Word 2016 output carries
rsids on paragraphs, runs and rows and a full namespace set; WPS output has
no rsids, its own custom-data namespace and eastAsia font hints. Packages
are deterministic (fixed zip timestamps) so a regenerated file is
byte-identical to the checked-in one.
"""

from __future__ import annotations

import io
import itertools
import zipfile
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
A_NS = "http://schemas.openxmlformats.org/drawingml/2006/main"
WORD2016_NS = (
    'xmlns:wpc="http://schemas.microsoft.com/office/word/2010/wordprocessingCanvas" '
    'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" '
    'xmlns:o="urn:schemas-microsoft-com:office:office" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" '
    'xmlns:m="http://schemas.openxmlformats.org/officeDocument/2006/math" '
    'xmlns:v="urn:schemas-microsoft-com:vml" '
    'xmlns:wp14="http://schemas.microsoft.com/office/word/2010/wordprocessingDrawing" '
    'xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing" '
    'xmlns:w10="urn:schemas-microsoft-com:office:word" '
    f'xmlns:w="{W_NS}" '
    'xmlns:w14="http://schemas.microsoft.com/office/word/2010/wordml" '
    'xmlns:w15="http://schemas.microsoft.com/office/word/2012/wordml" '
    'xmlns:wpg="http://schemas.microsoft.com/office/word/2010/wordprocessingGroup" '
    'xmlns:wpi="http://schemas.microsoft.com/office/word/2010/wordprocessingInk" '
    'xmlns:wne="http://schemas.microsoft.com/office/word/2006/wordml" '
    'xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape" '
    'mc:Ignorable="w14 w15 wp14"'
)
WPS_NS = WORD2016_NS.replace(
    'mc:Ignorable="w14 w15 wp14"',
    'xmlns:wpsCustomData="http://www.wps.cn/officeDocument/2013/wpsCustomData" mc:Ignorable="w14 w15 wp14"',
)
DATE = "2021-07-28T09:30:00Z"
# DrawingML relativeFrom -> VML mso-position-*-relative
_VML_REL = {"column": "text", "paragraph": "text", "margin": "margin", "page": "page"}
ZIP_TIME = (2021, 7, 28, 9, 30, 0)


@dataclass
class Writer:
    """Builds one document; `flavor` is "word2016" or "wps"."""

    flavor: str = "word2016"
    author: str = "张三"
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))
    _rsids: itertools.count = field(default_factory=lambda: itertools.count(0x00A21C40, 0x1F3))

    # ------------------------------------------------------------ ids

    def rsid(self) -> str:
        return f"{next(self._rsids) & 0xFFFFFFFF:08X}"

    def rev_id(self) -> int:
        return next(self._ids)

    def _rev(self) -> str:
        return f'w:id="{self.rev_id()}" w:author="{self.author}" w:date="{DATE}"'

    # ------------------------------------------------------------ runs

    def rpr(self, extra: str = "") -> str:
        if self.flavor == "wps":
            return f'<w:rPr><w:rFonts w:hint="eastAsia" w:ascii="宋体" w:hAnsi="宋体"/>{extra}</w:rPr>'
        return f'<w:rPr><w:rFonts w:ascii="宋体" w:hAnsi="宋体"/>{extra}<w:sz w:val="21"/></w:rPr>'

    def run(self, text: str, extra: str = "") -> str:
        """A run; "\n" in text becomes w:br (a line break inside the paragraph)."""
        parts = []
        for i, line in enumerate(text.split("\n")):
            if i:
                parts.append("<w:br/>")
            parts.append(f'<w:t xml:space="preserve">{escape(line)}</w:t>')
        attrs = f' w:rsidR="{self.rsid()}"' if self.flavor == "word2016" else ""
        return f"<w:r{attrs}>{self.rpr(extra)}{''.join(parts)}</w:r>"

    def deleted(self, text: str) -> str:
        attrs = f' w:rsidDel="{self.rsid()}"' if self.flavor == "word2016" else ""
        return (
            f"<w:del {self._rev()}><w:r{attrs}>{self.rpr()}"
            f'<w:delText xml:space="preserve">{escape(text)}</w:delText></w:r></w:del>'
        )

    def inserted(self, text: str) -> str:
        return f"<w:ins {self._rev()}>{self.run(text)}</w:ins>"

    def moved_from(self, text: str, name: str) -> str:
        rng = self.rev_id()
        return (
            f'<w:moveFromRangeStart w:id="{rng}" w:author="{self.author}" w:date="{DATE}" w:name="{name}"/>'
            f"<w:moveFrom {self._rev()}>{self.run(text)}</w:moveFrom>"
            f'<w:moveFromRangeEnd w:id="{rng}"/>'
        )

    def moved_to(self, text: str, name: str) -> str:
        rng = self.rev_id()
        return (
            f'<w:moveToRangeStart w:id="{rng}" w:author="{self.author}" w:date="{DATE}" w:name="{name}"/>'
            f"<w:moveTo {self._rev()}>{self.run(text)}</w:moveTo>"
            f'<w:moveToRangeEnd w:id="{rng}"/>'
        )

    # ------------------------------------------------------------ content controls and fields

    def sdt_run(self, text: str, placeholder: bool = False, kind: str = "<w:text/>") -> str:
        """A run-level content control; a placeholder shows Word's grey prompt text."""
        sid = -(1000000 + self.rev_id() * 7919)
        plc = (
            '<w:placeholder><w:docPart w:val="DefaultPlaceholder_-1854013440"/></w:placeholder><w:showingPlcHdr/>'
            if placeholder
            else ""
        )
        style = '<w:rStyle w:val="a3"/>' if placeholder else ""
        return (
            f'<w:sdt><w:sdtPr><w:id w:val="{sid}"/>{plc}{kind}</w:sdtPr><w:sdtEndPr/>'
            f"<w:sdtContent>{self.run(text, style)}</w:sdtContent></w:sdt>"
        )

    def date_control(self, text: str, iso: str) -> str:
        kind = (
            f"<w:date w:fullDate=\"{iso}T00:00:00Z\"><w:dateFormat w:val=\"yyyy'年'M'月'd'日'\"/>"
            '<w:lid w:val="zh-CN"/><w:storeMappedDataAs w:val="dateTime"/><w:calendar w:val="gregorian"/></w:date>'
        )
        return self.sdt_run(text, kind=kind)

    def dropdown_control(self, shown: str, items: list[str]) -> str:
        entries = "".join(f'<w:listItem w:displayText="{escape(i)}" w:value="{escape(i)}"/>' for i in items)
        return self.sdt_run(shown, kind=f"<w:dropDownList>{entries}</w:dropDownList>")

    def formtext(self, value: str, name: str) -> str:
        """A legacy text form field (Word 97-2003 "旧式窗体"); empty shows five en spaces."""
        shown = value or "\u2002" * 5
        bm = self.rev_id()
        return (
            f'<w:r>{self.rpr()}<w:fldChar w:fldCharType="begin"><w:ffData><w:name w:val="{name}"/>'
            '<w:enabled/><w:calcOnExit w:val="0"/><w:textInput/></w:ffData></w:fldChar></w:r>'
            f'<w:bookmarkStart w:id="{bm}" w:name="{name}"/>'
            f'<w:r>{self.rpr()}<w:instrText xml:space="preserve"> FORMTEXT </w:instrText></w:r>'
            f'<w:r>{self.rpr()}<w:fldChar w:fldCharType="separate"/></w:r>'
            f'<w:r>{self.rpr("<w:noProof/>")}<w:t xml:space="preserve">{escape(shown)}</w:t></w:r>'
            f'<w:r>{self.rpr()}<w:fldChar w:fldCharType="end"/></w:r><w:bookmarkEnd w:id="{bm}"/>'
        )

    def formdropdown(self, items: list[str], selected: int, name: str) -> str:
        """A legacy drop-down form field: the chosen entry lives only in ffData."""
        entries = "".join(f'<w:listEntry w:val="{escape(i)}"/>' for i in items)
        return (
            f'<w:r>{self.rpr()}<w:fldChar w:fldCharType="begin"><w:ffData><w:name w:val="{name}"/>'
            f'<w:enabled/><w:calcOnExit w:val="0"/><w:ddList><w:result w:val="{selected}"/>{entries}'
            "</w:ddList></w:ffData></w:fldChar></w:r>"
            f'<w:r>{self.rpr()}<w:instrText xml:space="preserve"> FORMDROPDOWN </w:instrText></w:r>'
            f'<w:r>{self.rpr()}<w:fldChar w:fldCharType="separate"/></w:r>'
            f'<w:r>{self.rpr()}<w:fldChar w:fldCharType="end"/></w:r>'
        )

    def formcheckbox(self, checked: bool, name: str) -> str:
        state = "<w:checked/>" if checked else ""
        return (
            f'<w:r>{self.rpr()}<w:fldChar w:fldCharType="begin"><w:ffData><w:name w:val="{name}"/>'
            f'<w:enabled/><w:calcOnExit w:val="0"/><w:checkBox><w:sizeAuto/><w:default w:val="0"/>{state}'
            "</w:checkBox></w:ffData></w:fldChar></w:r>"
            f'<w:r>{self.rpr()}<w:instrText xml:space="preserve"> FORMCHECKBOX </w:instrText></w:r>'
            f'<w:r>{self.rpr()}<w:fldChar w:fldCharType="end"/></w:r>'
        )

    def textbox(
        self,
        text: str,
        shape_id: int,
        *,
        h: tuple[str, int] = ("column", 0),
        v: tuple[str, int] = ("paragraph", 0),
        size: tuple[int, int] = (3600000, 540000),
        wrap: str = "<wp:wrapTopAndBottom/>",
        line: bool = False,
        layout_in_cell: bool = True,
    ) -> str:
        """A floating text box: DrawingML in mc:Choice, the same text again as VML in mc:Fallback.

        `h`/`v` are (relativeFrom, offset in EMU) as Word writes wp:positionH/V; `line` draws
        Word's default 0.75 pt black border (a box inserted from the ribbon has one, WPS's not)."""
        inner = "".join(self.para(self.run(line_)) for line_ in text.split("\n"))
        name = "文本框 " + str(shape_id)
        cx, cy = size
        border = (
            '<a:ln w="9525"><a:solidFill><a:srgbClr val="000000"/></a:solidFill></a:ln>'
            if line
            else '<a:ln w="6350"><a:noFill/></a:ln>'
        )
        stroke = "" if line else ' stroked="f"'
        vml_style = (
            f"position:absolute;margin-left:{h[1] / 12700:g}pt;margin-top:{v[1] / 12700:g}pt;"
            f"width:{cx / 12700:g}pt;height:{cy / 12700:g}pt;z-index:251659264"
            if (h, v, size) != (("column", 0), ("paragraph", 0), (3600000, 540000))
            else "position:absolute;margin-left:0;margin-top:0;width:283.5pt;height:42.5pt;z-index:251659264"
        )
        if h[0] != "column" or v[0] != "paragraph":
            vml_style += (
                f";mso-position-horizontal-relative:{_VML_REL.get(h[0], h[0])}"
                f";mso-position-vertical-relative:{_VML_REL.get(v[0], v[0])}"
            )
        return (
            f'<w:r>{self.rpr("<w:noProof/>")}<mc:AlternateContent><mc:Choice Requires="wps"><w:drawing>'
            '<wp:anchor distT="45720" distB="45720" distL="114300" distR="114300" simplePos="0" '
            f'relativeHeight="{251659264 + shape_id}" behindDoc="0" locked="0" '
            f'layoutInCell="{1 if layout_in_cell else 0}" allowOverlap="1">'
            f'<wp:simplePos x="0" y="0"/><wp:positionH relativeFrom="{h[0]}"><wp:posOffset>{h[1]}</wp:posOffset>'
            f'</wp:positionH><wp:positionV relativeFrom="{v[0]}"><wp:posOffset>{v[1]}</wp:posOffset></wp:positionV>'
            f'<wp:extent cx="{cx}" cy="{cy}"/><wp:effectExtent l="0" t="0" r="0" b="0"/>'
            f'{wrap}<wp:docPr id="{shape_id}" name="{name}"/><wp:cNvGraphicFramePr/>'
            f'<a:graphic xmlns:a="{A_NS}"><a:graphicData '
            'uri="http://schemas.microsoft.com/office/word/2010/wordprocessingShape"><wps:wsp>'
            f'<wps:cNvSpPr txBox="1"/><wps:spPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="{cx}" cy="{cy}"/>'
            f'</a:xfrm><a:prstGeom prst="rect"><a:avLst/></a:prstGeom><a:noFill/>{border}</wps:spPr>'
            f"<wps:txbx><w:txbxContent>{inner}</w:txbxContent></wps:txbx>"
            '<wps:bodyPr rot="0" vert="horz" wrap="square" lIns="91440" tIns="45720" rIns="91440" '
            'bIns="45720" anchor="t" anchorCtr="0"><a:spAutoFit/></wps:bodyPr></wps:wsp></a:graphicData>'
            "</a:graphic></wp:anchor></w:drawing></mc:Choice><mc:Fallback><w:pict>"
            f'<v:shape id="{name}" o:spid="_x0000_s{1025 + shape_id}" type="#_x0000_t202" '
            f'style="{vml_style}"{stroke}>'
            f"<v:textbox><w:txbxContent>{inner}</w:txbxContent></v:textbox>"
            "</v:shape></w:pict></mc:Fallback></mc:AlternateContent></w:r>"
        )

    def vml_textbox(self, text: str, shape_id: int, style: str) -> str:
        """A VML-only text box (w:pict/v:shape/v:textbox), as Word 2003-compatible documents keep them."""
        inner = "".join(self.para(self.run(line_)) for line_ in text.split("\n"))
        return (
            f'<w:r>{self.rpr("<w:noProof/>")}<w:pict><v:shapetype id="_x0000_t202" coordsize="21600,21600" '
            'o:spt="202" path="m,l,21600r21600,l21600,xe"><v:stroke joinstyle="miter"/>'
            '<v:path gradientshapeok="t" o:connecttype="rect"/></v:shapetype>'
            f'<v:shape id="_x0000_s{1025 + shape_id}" type="#_x0000_t202" style="{style}">'
            f"<v:textbox><w:txbxContent>{inner}</w:txbxContent></v:textbox></v:shape></w:pict></w:r>"
        )

    # ------------------------------------------------------------ blocks

    def para(self, inner: str, ppr: str = "") -> str:
        if self.flavor == "word2016":
            r = self.rsid()
            attrs = f' w:rsidR="{r}" w:rsidRDefault="{r}" w:rsidP="{r}"'
        else:
            attrs = ""
        pr = f"<w:pPr>{ppr}</w:pPr>" if ppr else ""
        return f"<w:p{attrs}>{pr}{inner}</w:p>"

    def text_para(self, text: str, center: bool = False, size: int | None = None) -> str:
        ppr = '<w:jc w:val="center"/>' if center else ""
        extra = f'<w:b/><w:sz w:val="{size}"/>' if size else ""
        return self.para(self.run(text, extra) if text else "", ppr)

    def cell(
        self,
        inner: str,
        width: int,
        span: int = 1,
        vmerge: str | None = None,
        shade: bool = False,
        tcpr_extra: str = "",
    ) -> str:
        """A w:tc; `inner` is paragraph XML (or plain text, wrapped in one paragraph)."""
        if not inner.startswith("<w:p") and not inner.startswith("<w:tbl") and not inner.startswith("<w:sdt"):
            inner = self.para(self.run(inner) if inner else "")
        pr = f'<w:tcW w:w="{width}" w:type="dxa"/>'
        if span > 1:
            pr += f'<w:gridSpan w:val="{span}"/>'
        if vmerge == "restart":
            pr += '<w:vMerge w:val="restart"/>'
        elif vmerge == "continue":
            pr += "<w:vMerge/>"
        if shade:
            pr += '<w:shd w:val="clear" w:color="auto" w:fill="F2F2F2"/>'
        pr += '<w:vAlign w:val="center"/>' + tcpr_extra
        return f"<w:tc><w:tcPr>{pr}</w:tcPr>{inner}</w:tc>"

    def row(self, cells: str, height: int = 454, trpr_extra: str = "") -> str:
        attrs = ""
        if self.flavor == "word2016":
            r = self.rsid()
            attrs = f' w:rsidR="{r}" w:rsidTr="{r}"'
        return f'<w:tr{attrs}><w:trPr><w:trHeight w:val="{height}"/>{trpr_extra}</w:trPr>{cells}</w:tr>'

    def deleted_row(self, cells: str) -> str:
        """A row removed with Track Changes on (w:trPr/w:del); cells say whether their runs are marked too."""
        return self.row(cells, trpr_extra=f"<w:del {self._rev()}/>")

    def inserted_row(self, cells: str) -> str:
        return self.row(cells, trpr_extra=f"<w:ins {self._rev()}/>")

    def table(self, rows: list[str], widths: list[int]) -> str:
        borders = "".join(
            f'<w:{side} w:val="single" w:sz="4" w:space="0" w:color="auto"/>'
            for side in ("top", "left", "bottom", "right", "insideH", "insideV")
        )
        grid = "".join(f'<w:gridCol w:w="{w}"/>' for w in widths)
        return (
            f'<w:tbl><w:tblPr><w:tblW w:w="{sum(widths)}" w:type="dxa"/><w:jc w:val="center"/>'
            f'<w:tblBorders>{borders}</w:tblBorders><w:tblLayout w:type="fixed"/>'
            '<w:tblLook w:val="04A0" w:firstRow="1" w:lastRow="0" w:firstColumn="1" w:lastColumn="0" '
            'w:noHBand="0" w:noVBand="1"/></w:tblPr>'
            f"<w:tblGrid>{grid}</w:tblGrid>{''.join(rows)}</w:tbl>"
        )

    # ------------------------------------------------------------ package

    def document(self, body: str) -> str:
        ns = WORD2016_NS if self.flavor == "word2016" else WPS_NS
        sect = (
            '<w:sectPr><w:pgSz w:w="11906" w:h="16838"/><w:pgMar w:top="1440" w:right="1800" '
            'w:bottom="1440" w:left="1800" w:header="851" w:footer="992" w:gutter="0"/>'
            '<w:cols w:space="425"/><w:docGrid w:type="lines" w:linePitch="312"/></w:sectPr>'
        )
        return (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n'
            f"<w:document {ns}><w:body>{body}{sect}</w:body></w:document>"
        )

    def package(self, body: str, track_revisions: bool = False) -> bytes:
        """A complete .docx (styles, settings, app properties) around `body`."""
        parts = {
            "[Content_Types].xml": _CONTENT_TYPES,
            "_rels/.rels": _RELS,
            "docProps/app.xml": _app(self.flavor),
            "word/_rels/document.xml.rels": _DOC_RELS,
            "word/document.xml": self.document(body),
            "word/styles.xml": _STYLES,
            "word/settings.xml": _settings(track_revisions),
        }
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
            for name, text in parts.items():
                info = zipfile.ZipInfo(name, ZIP_TIME)
                info.compress_type = zipfile.ZIP_DEFLATED
                zf.writestr(info, text.encode("utf-8"))
        return buf.getvalue()


_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
    '<Override PartName="/word/styles.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml"/>'
    '<Override PartName="/word/settings.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.settings+xml"/>'
    '<Override PartName="/docProps/app.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/></Types>'
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'extended-properties" Target="docProps/app.xml"/>'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'officeDocument" Target="word/document.xml"/></Relationships>'
)
_DOC_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'styles" Target="styles.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'settings" Target="settings.xml"/></Relationships>'
)
# Word's Chinese UI names the placeholder style "占位符文本" with styleId "a3".
_STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n'
    f'<w:styles xmlns:w="{W_NS}"><w:docDefaults><w:rPrDefault><w:rPr>'
    '<w:rFonts w:asciiTheme="minorHAnsi" w:eastAsiaTheme="minorEastAsia" w:hAnsiTheme="minorHAnsi"/>'
    '<w:kern w:val="2"/><w:sz w:val="21"/><w:lang w:val="en-US" w:eastAsia="zh-CN" w:bidi="ar-SA"/>'
    "</w:rPr></w:rPrDefault><w:pPrDefault/></w:docDefaults>"
    '<w:style w:type="paragraph" w:default="1" w:styleId="a"><w:name w:val="Normal"/><w:qFormat/>'
    '<w:pPr><w:widowControl w:val="0"/><w:jc w:val="both"/></w:pPr></w:style>'
    '<w:style w:type="character" w:styleId="a3"><w:name w:val="Placeholder Text"/>'
    '<w:basedOn w:val="a0"/><w:uiPriority w:val="99"/><w:semiHidden/><w:rPr><w:color w:val="808080"/>'
    "</w:rPr></w:style></w:styles>"
)


def _settings(track: bool) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n'
        f'<w:settings xmlns:w="{W_NS}"><w:zoom w:percent="100"/>'
        + ("<w:trackRevisions/>" if track else "")
        + '<w:defaultTabStop w:val="420"/><w:drawingGridVerticalSpacing w:val="156"/>'
        '<w:characterSpacingControl w:val="compressPunctuation"/><w:compat>'
        "<w:spaceForUL/><w:balanceSingleByteDoubleByteWidth/><w:doNotLeaveBackslashAlone/>"
        "<w:ulTrailSpace/><w:doNotExpandShiftReturn/><w:adjustLineHeightInTable/>"
        '<w:useFELayout/><w:compatSetting w:name="compatibilityMode" '
        'w:uri="http://schemas.microsoft.com/office/word" w:val="15"/></w:compat></w:settings>'
    )


def _app(flavor: str) -> str:
    app = (
        "Microsoft Office Word"
        if flavor == "word2016"
        else "WPS Office_11.1.0.10314_F1E327BC-269C-435d-A152-05C5408002CA"
    )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n'
        '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
        f"<Application>{app}</Application><DocSecurity>0</DocSecurity><AppVersion>16.0000</AppVersion>"
        "</Properties>"
    )
