"""Generators of 推荐表 files in the layouts units actually send.

Each generator takes the 15 values it should write and returns bytes, so a
test compares what the reader found with what the generator wrote. DOCX
layouts use python-docx; constructs python-docx cannot write (content
controls, legacy form fields, text boxes, tracked changes, nested tables)
are written as raw WordprocessingML. PDFs come from LibreOffice.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import tempfile
import zipfile
from datetime import datetime
from pathlib import Path
from xml.sax.saxutils import escape

import docx
import openpyxl
from docx.shared import Pt

from pipeline.campaign import builtin
from pipeline.documents.convert import seed_profile

FORM = builtin().form  # the notice's 附件1
LABELS = FORM.labels

# 附件1 grid: pairs on one row, long fields spanning the three value columns.
GRID_ROWS = FORM.rows

# Label spellings seen in retyped forms (value = how the label is written).
VARIANT_LABELS = {
    "账号名称": "*账号名称：",
    "账号ID/网页链接": "账号ID/网\n页链接",
    "运营人数": "运营\n人数",
    "联系人": "联 系 人",
    "手机": "手\u3000\u3000机：",
    "电子邮箱": "电子邮箱＊",
    "邮编": "邮政编码",
    "粉丝数量": "粉丝数量（截至7月）",
}


def sample_values(i: int = 0) -> dict[str, str]:
    """Plausible, distinct values; no spaces so PDF line wraps rejoin exactly."""
    n = i + 1
    return {
        "账号名称": f"针灸科普{n}号",
        "注册时间": f"{2010 + i % 10}年{1 + i % 12}月",
        "粉丝数量": f"{12 + i}.3万",
        "运营主体": f"中国针灸学会第{n}分会",
        "账号ID/网页链接": f"https://weibo.com/zhenjiu{n}",
        "运营人数": str(3 + i % 7),
        "发布数量": f"{1000 + 37 * i}",
        "账号简介": f"本账号由学会运营，普及针灸知识，传播中医药文化，已坚持更新{n}年。",
        "传播实效": f"多篇科普文章阅读量超过十万，第{n}季系列短视频累计播放五百万次。",
        "推荐理由": f"坚持群众导向，解答群众健康问题，具有示范意义（{n}）。",
        "联系人": f"张{'一二三四五六七八九十'[i % 10]}",
        "手机": f"1380013{8000 + i:04d}",
        "电子邮箱": f"zhenjiu{n}@caam.cn",
        "邮编": f"{100029 + i:06d}",
        "联系地址": f"北京市东城区东直门内南小街{16 + i}号",
    }


# ---------------------------------------------------------------- python-docx layouts


def _set(cell, text: str) -> None:
    """Write text, one paragraph per line (a line break inside a label)."""
    lines = text.split("\n")
    cell.text = lines[0]
    for extra in lines[1:]:
        cell.add_paragraph(extra)


def _save(document) -> bytes:
    buf = io.BytesIO()
    document.save(buf)
    return buf.getvalue()


def docx_grid(
    values: dict[str, str],
    labels: dict[str, str] | None = None,
    extra_rows: bool = True,
    materials_first: bool = False,
    split_effect: bool = False,
    title: bool = True,
) -> bytes:
    """The notice's 附件1 grid: label|value|label|value, long values span 3 columns.

    split_effect: 传播实效's label spans two rows (vMerge) with one value line per row.
    """
    labels = labels or {}
    d = docx.Document()
    style = d.styles["Normal"]
    style.font.size = Pt(10)
    d.add_paragraph("附件1")
    if materials_first:
        d.add_paragraph("报送材料清单")
        mt = d.add_table(rows=3, cols=3)
        mt.style = "Table Grid"
        for r, row in enumerate(
            (("序号", "材料名称", "文件名"), ("1", "推荐表", "推荐表.docx"), ("2", "图文案例", "案例.docx"))
        ):
            for c, text in enumerate(row):
                mt.cell(r, c).text = text
    d.add_paragraph("推荐表")
    rows: list[tuple[str, ...]] = list(GRID_ROWS)
    n_rows = len(rows) + (1 if title else 0) + (2 if extra_rows else 0) + (1 if split_effect else 0)
    t = d.add_table(rows=n_rows, cols=4)
    t.style = "Table Grid"
    r = 0
    if title:
        top = t.cell(0, 0).merge(t.cell(0, 3))
        top.text = "推荐表"
        r = 1
    for row in rows:
        if len(row) == 2:
            for k, label in enumerate(row):
                _set(t.cell(r, 2 * k), labels.get(label, label))
                t.cell(r, 2 * k + 1).text = values[label]
            r += 1
            continue
        label = row[0]
        if label == "传播实效" and split_effect:
            lab = t.cell(r, 0).merge(t.cell(r + 1, 0))
            _set(lab, labels.get(label, label))
            first, second = values[label].split("\n", 1)
            t.cell(r, 1).merge(t.cell(r, 3)).text = first
            t.cell(r + 1, 1).merge(t.cell(r + 1, 3)).text = second
            r += 2
            continue
        _set(t.cell(r, 0), labels.get(label, label))
        t.cell(r, 1).merge(t.cell(r, 3)).text = values[label]
        r += 1
    if extra_rows:
        _set(t.cell(r, 0), "推荐单位（盖章）")
        t.cell(r, 1).merge(t.cell(r, 3)).text = ""
        _set(t.cell(r + 1, 0), "填表日期")
        t.cell(r + 1, 1).merge(t.cell(r + 1, 3)).text = "2021年7月30日"
    return _save(d)


def docx_vertical(values: dict[str, str], labels: dict[str, str] | None = None) -> bytes:
    """A two-column table: label | value on every row."""
    labels = labels or {}
    d = docx.Document()
    d.add_paragraph("推荐表")
    t = d.add_table(rows=len(LABELS), cols=2)
    t.style = "Table Grid"
    for r, label in enumerate(LABELS):
        _set(t.cell(r, 0), labels.get(label, label))
        t.cell(r, 1).text = values[label]
    return _save(d)


def docx_under(values: dict[str, str]) -> bytes:
    """Labels in a row, their values in the row beneath (3 per band)."""
    d = docx.Document()
    bands = [LABELS[i : i + 3] for i in range(0, len(LABELS), 3)]
    t = d.add_table(rows=2 * len(bands), cols=3)
    t.style = "Table Grid"
    for b, band in enumerate(bands):
        for c, label in enumerate(band):
            t.cell(2 * b, c).text = label
            t.cell(2 * b + 1, c).text = values[label]
    return _save(d)


def docx_paragraphs(values: dict[str, str], two_per_line: bool = True) -> bytes:
    """No table: "账号名称：…" lines; long values on the following paragraphs."""
    d = docx.Document()
    d.add_paragraph("推荐表")
    short = [lab for lab in LABELS if lab not in ("账号简介", "传播实效", "推荐理由")]
    if two_per_line:
        pairs = [short[i : i + 2] for i in range(0, len(short), 2)]
        for pair in pairs:
            d.add_paragraph("    ".join(f"{lab}：{values[lab]}" for lab in pair))
    else:
        for lab in short:
            d.add_paragraph(f"{lab}：{values[lab]}")
    for lab in ("账号简介", "传播实效", "推荐理由"):
        d.add_paragraph(f"{lab}：")
        for line in values[lab].split("\n"):
            d.add_paragraph(line)
    d.add_paragraph("推荐单位（盖章）：")
    return _save(d)


# ---------------------------------------------------------------- raw WordprocessingML

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
NS = (
    f'xmlns:w="{W}" '
    'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" '
    'xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape" '
    'xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing" '
    'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" '
    'xmlns:pic="http://schemas.openxmlformats.org/drawingml/2006/picture" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" '
    'xmlns:v="urn:schemas-microsoft-com:vml" '
    'mc:Ignorable="wps"'
)


def _r(text: str) -> str:
    return f'<w:r><w:t xml:space="preserve">{escape(text)}</w:t></w:r>'


def _p(inner: str) -> str:
    return f"<w:p>{inner}</w:p>"


def _tc(inner: str, span: int = 1, vmerge: str | None = None) -> str:
    pr = ""
    if span > 1:
        pr += f'<w:gridSpan w:val="{span}"/>'
    if vmerge == "restart":
        pr += '<w:vMerge w:val="restart"/>'
    elif vmerge == "continue":
        pr += "<w:vMerge/>"
    return f"<w:tc><w:tcPr>{pr}</w:tcPr>{inner}</w:tc>"


# Each construct wraps a value so the reader has to dig it out; keys are labels.
def construct_cells(values: dict[str, str]) -> dict[str, str]:
    """label -> the value cell XML (w:tc) using one tricky construct each."""
    v = values
    plc = (
        "<w:sdt><w:sdtPr><w:showingPlcHdr/></w:sdtPr><w:sdtContent>"
        + _r("单击或点击此处输入文字。")
        + "</w:sdtContent></w:sdt>"
    )
    textbox = (
        '<w:r><mc:AlternateContent><mc:Choice Requires="wps"><w:drawing><wp:anchor><a:graphic>'
        '<a:graphicData uri="http://schemas.microsoft.com/office/word/2010/wordprocessingShape"><wps:wsp>'
        f"<wps:txbx><w:txbxContent>{_p(_r(v['账号简介']))}</w:txbxContent></wps:txbx>"
        "</wps:wsp></a:graphicData></a:graphic></wp:anchor></w:drawing></mc:Choice>"
        f"<mc:Fallback><w:pict><v:shape><v:textbox><w:txbxContent>{_p(_r(v['账号简介']))}</w:txbxContent>"
        "</v:textbox></v:shape></w:pict></mc:Fallback></mc:AlternateContent></w:r>"
    )
    formtext = (
        '<w:r><w:fldChar w:fldCharType="begin"><w:ffData><w:textInput/></w:ffData></w:fldChar></w:r>'
        '<w:r><w:instrText xml:space="preserve"> FORMTEXT </w:instrText></w:r>'
        '<w:r><w:fldChar w:fldCharType="separate"/></w:r>'
        + _r(v["联系人"])
        + '<w:r><w:fldChar w:fldCharType="end"/></w:r>'
    )
    phone = v["手机"]
    tracked = (
        _r(phone[:3])
        + '<w:del w:id="1" w:author="x"><w:r><w:delText>99999</w:delText></w:r></w:del>'
        + f'<w:ins w:id="2" w:author="x">{_r(phone[3:])}</w:ins>'
    )
    nested = "<w:tbl><w:tr>" + _tc(_p(_r(v["传播实效"]))) + "</w:tr></w:tbl>" + _p("")
    moved = '<w:moveFrom w:id="3" w:author="x"><w:r><w:t>旧地址</w:t></w:r></w:moveFrom>' + _r(v["联系地址"])
    return {
        "账号名称": _tc(_p(f"<w:sdt><w:sdtPr/><w:sdtContent>{_r(v['账号名称'])}</w:sdtContent></w:sdt>")),
        "注册时间": _tc(f"<w:sdt><w:sdtPr/><w:sdtContent>{_p(_r(v['注册时间']))}</w:sdtContent></w:sdt>"),
        "粉丝数量": _tc(_p(_r(v["粉丝数量"]))),
        "运营主体": _tc(_p(plc)),  # placeholder only: reads as empty
        "账号ID/网页链接": _tc(_p(_r(v["账号ID/网页链接"])), span=3),
        "运营人数": _tc(_p(_r(v["运营人数"]))),
        "发布数量": _tc(_p(_r(v["发布数量"]))),
        "账号简介": _tc(_p(textbox), span=3),
        "传播实效": _tc(nested, span=3),
        "推荐理由": _tc(_p(_r(v["推荐理由"])), span=3),
        "联系人": _tc(_p(formtext)),
        "手机": _tc(_p(tracked)),
        "电子邮箱": _tc(_p(_r(v["电子邮箱"]))),
        "邮编": _tc(_p(_r(v["邮编"]))),
        "联系地址": _tc(_p(moved), span=3),
    }


def construct_expected(values: dict[str, str]) -> dict[str, str]:
    """What a correct reader must find in docx_constructs(values)."""
    out = dict(values)
    out["运营主体"] = ""  # only placeholder text
    return out


def docx_constructs(values: dict[str, str], wrap_row_in_sdt: bool = True, image: bool = True) -> bytes:
    """附件1 grid written as raw XML with content controls, fields, text box, revisions..."""
    cells = construct_cells(values)
    rows = []
    rows.append("<w:tr>" + _tc(_p(_r("推荐表")), span=4) + "</w:tr>")
    for row in GRID_ROWS:
        tcs = ""
        for label in row:
            label_tc = _tc(_p(_r(label)))
            if label == "邮编":  # an sdt wrapped around the label cell itself
                label_tc = f"<w:sdt><w:sdtPr/><w:sdtContent>{label_tc}</w:sdtContent></w:sdt>"
            tcs += label_tc + cells[label]
        tr = f"<w:tr>{tcs}</w:tr>"
        if wrap_row_in_sdt and row == ("运营人数", "发布数量"):
            tr = f"<w:sdt><w:sdtPr/><w:sdtContent>{tr}</w:sdtContent></w:sdt>"
        rows.append(tr)
    grid = "<w:tblGrid>" + '<w:gridCol w:w="2000"/>' * 4 + "</w:tblGrid>"
    pic = ""
    if image:
        pic = _p(
            '<w:r><w:drawing><wp:inline><a:graphic><a:graphicData uri="http://schemas.openxmlformats.org/'
            'drawingml/2006/picture"><pic:pic><pic:blipFill><a:blip r:embed="rIdImg1"/></pic:blipFill>'
            "</pic:pic></a:graphicData></a:graphic></wp:inline></w:drawing></w:r>"
        )
    body = _p(_r("附件1")) + f"<w:tbl>{grid}{''.join(rows)}</w:tbl>" + pic + _p(_r("推荐单位（盖章）："))
    return build_docx_package(body, image=image)


def build_docx_package(body_xml: str, image: bool = False, macro: bool = False, prolog: str = "") -> bytes:
    """Zip a minimal WordprocessingML package around `body_xml`."""
    main_ct = (
        "application/vnd.ms-word.document.macroEnabled.main+xml"
        if macro
        else "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
    )
    ct = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Default Extension="png" ContentType="image/png"/>'
        f'<Override PartName="/word/document.xml" ContentType="{main_ct}"/></Types>'
    )
    rels = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/officeDocument" Target="word/document.xml"/></Relationships>'
    )
    doc_rels = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        + (
            '<Relationship Id="rIdImg1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
            'relationships/image" Target="media/image1.png"/>'
            if image
            else ""
        )
        + "</Relationships>"
    )
    document = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>{prolog}'
        f"<w:document {NS}><w:body>{body_xml}<w:sectPr/></w:body></w:document>"
    )
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", ct)
        zf.writestr("_rels/.rels", rels)
        zf.writestr("word/_rels/document.xml.rels", doc_rels)
        zf.writestr("word/document.xml", document)
        if image:
            zf.writestr("word/media/image1.png", _png())
        if macro:
            zf.writestr("word/vbaProject.bin", b"\xd0\xcf\x11\xe0" + b"\0" * 60)
    return buf.getvalue()


def _png() -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (4, 4), (200, 30, 30)).save(buf, "PNG")
    return buf.getvalue()


# ---------------------------------------------------------------- xlsx


def _typed(label: str, value: str):
    """Store numbers and dates the way Excel users type them."""
    if label in ("手机", "运营人数", "发布数量", "邮编") and value.isdigit():
        return int(value)
    return value


def xlsx_grid(
    values: dict[str, str],
    date_cell: datetime | None = None,
    materials_sheet: bool = False,
    labels: dict[str, str] | None = None,
) -> bytes:
    """附件1 grid in a sheet with merged value cells; numbers stored as numbers."""
    labels = labels or {}
    wb = openpyxl.Workbook()
    ws = wb.active
    if materials_sheet:
        ws.title = "材料清单"
        for row in (("序号", "材料名称"), (1, "推荐表"), (2, "图文案例")):
            ws.append(list(row))
        ws = wb.create_sheet("推荐表")
    else:
        ws.title = "推荐表"
    ws.cell(1, 1, "推荐表")
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=4)
    r = 2
    for row in GRID_ROWS:
        for k, label in enumerate(row):
            ws.cell(r, 2 * k + 1, labels.get(label, label))
            value = _typed(label, values[label])
            if label == "注册时间" and date_cell is not None:
                value = date_cell
            ws.cell(r, 2 * k + 2, value)
        if len(row) == 1:
            ws.merge_cells(start_row=r, start_column=2, end_row=r, end_column=4)
        r += 1
    ws.cell(r, 1, "填表日期")
    ws.cell(r, 2, "2021-07-30")
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def xlsx_vertical(values: dict[str, str]) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Sheet1"
    for label in LABELS:
        ws.append([label, _typed(label, values[label])])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# ---------------------------------------------------------------- PDF via LibreOffice


ENCRYPT_FILTER = (
    'pdf:writer_pdf_Export:{"EncryptFile":{"type":"boolean","value":"true"},'
    '"DocumentOpenPassword":{"type":"string","value":"123456"}}'
)


def soffice_convert(
    files: dict[str, bytes], outdir: Path, target: str = "pdf", timeout: int = 180
) -> dict[str, bytes]:
    """Convert documents in ONE `soffice --convert-to` call (private profile, own session,
    timeout); returns the output of each input, keyed by the input's name.

    `target` may carry filter options (e.g. ENCRYPT_FILTER for a password-protected PDF);
    the output's extension is the part before the first ':'.
    """
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if not soffice:
        raise RuntimeError("需要 LibreOffice（soffice）来生成测试文件")
    outdir.mkdir(parents=True, exist_ok=True)
    src = Path(tempfile.mkdtemp(dir=outdir))
    profile = Path(tempfile.mkdtemp(dir=outdir))
    seed_profile(profile)  # the product's profile settings (no render tests at start)
    paths = []
    for name, data in files.items():
        p = src / name
        p.write_bytes(data)
        paths.append(str(p))
    cmd = [
        soffice,
        f"-env:UserInstallation={profile.as_uri()}",
        "--headless",
        "--norestore",
        "--convert-to",
        target,
        "--outdir",
        str(outdir),
        *paths,
    ]
    env = dict(os.environ, HOME=str(profile))
    subprocess.run(cmd, check=True, timeout=timeout, capture_output=True, env=env, start_new_session=True)
    ext = target.split(":", 1)[0]
    out = {}
    for name in files:
        made = outdir / f"{Path(name).stem}.{ext}"
        if not made.exists():
            raise RuntimeError(f"LibreOffice 未生成 {made.name}")
        out[name] = made.read_bytes()
    return out


def soffice_to_pdf(
    files: dict[str, bytes], outdir: Path, timeout: int = 180, target: str = "pdf"
) -> dict[str, bytes]:
    return soffice_convert(files, outdir, target, timeout)


def image_only_pdf() -> bytes:
    """A 'scanned' PDF: one page that is just a picture, no text layer."""
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (600, 300), "white")
    ImageDraw.Draw(img).rectangle((20, 20, 580, 280), outline="black", width=3)
    buf = io.BytesIO()
    img.save(buf, "PDF", resolution=100)
    return buf.getvalue()
