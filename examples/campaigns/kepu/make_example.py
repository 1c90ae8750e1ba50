"""Make the second campaign's example files: 优秀科普作品 申报表 (附件1) and 评分细则 (附件2).

    .venv/bin/python examples/campaigns/kepu/make_example.py

A made-up notice of a 学会 asks its units for one popular-science work each,
with its own 申报表 (15 fields, not the 百佳账号 推荐表) and its own scoring
rules. The files are built the way Word and WPS build them (tests/corpus/
wordml.py: wrapped labels, notes in brackets, merged cells, content controls
with their grey prompts), filled copies are printed and saved as .doc by
LibreOffice, and one unit retypes the form in a WPS sheet. `expected.json`
holds what a reader must find in each filled copy; `form_init.yaml` is what
`python run.py form init` printed for the blank form and the scoring table,
and `inbox_rules.yaml` is that output after review, in a full configuration.

The .docx/.xlsx files are deterministic; the .doc/.pdf copies depend on the
LibreOffice version and are regenerated only with --all.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import openpyxl  # noqa: E402
from corpus.wordml import Writer  # noqa: E402
from fixtures_forms import soffice_convert  # noqa: E402
from openpyxl.styles import Alignment, Border, Font, Side  # noqa: E402

BLANK = "附件1-优秀科普作品申报表.docx"
SCORING = "附件2-评分细则.docx"
FILLED = HERE / "filled"
WIDTHS = [1700, 2453, 1700, 2453]  # A4 text width in twips, four columns
TALL = 1800  # a value cell for a paragraph of text

# The printed form: rows of (label as printed, field) pairs; "" = the field's own label.
ROWS: list[list[tuple[str, str]]] = [
    [("作品名称", "作品名称")],
    [("作品类别", "作品类别"), ("首次发布\n时间", "首次发布时间")],
    [("第一作者", "第一作者"), ("作者单位", "作者单位")],
    [("发布平台", "发布平台"), ("主创人数\n（选填）", "主创人数")],
    [("作品链接\n（网址）", "作品链接")],
    [("累计阅读/\n播放次数", "累计阅读/播放次数")],
    [("作品简介\n（300字以内）", "作品简介")],
    [("推荐理由", "推荐理由")],
    [("联系人", "联系人"), ("联系电话（必填）", "联系电话")],
    [("电子邮箱", "电子邮箱"), ("邮政编码", "邮政编码")],
    [("通讯地址", "通讯地址")],
]
LABELS = [field for row in ROWS for _, field in row]
CATEGORIES = ["图文", "视频", "动漫", "图书", "音频"]

UNITS = {
    "北京针灸学会": {
        "作品名称": "针灸防治颈椎病十问",
        "作品类别": "图文",
        "首次发布时间": "2023年9月15日",
        "第一作者": "李红梅",
        "作者单位": "北京中医药大学针灸推拿学院",
        "发布平台": "微信公众号“北京针灸”",
        "主创人数": "3",
        "作品链接": "https://mp.weixin.qq.com/s/bjzj-kepu-2023",
        "累计阅读/播放次数": "约12.6万次",
        "作品简介": "以问答形式讲解颈椎病的成因、针灸治疗和日常保健，配有穴位示意图。",
        "推荐理由": "内容科学准确，语言通俗，被多家医院转载用于患者教育。",
        "联系人": "王晓明",
        "联系电话": "139 1234 5678",
        "电子邮箱": "wangxm@bjzj.example.cn",
        "邮政编码": "100700",
        "通讯地址": "北京市东城区东直门内南小街16号",
    },
    "上海市针灸学会": {
        "作品名称": "小小银针的大学问",
        "作品类别": "视频",
        "首次发布时间": "2022年11月",
        "第一作者": "陈立群",
        "作者单位": "上海中医药大学附属岳阳医院",
        "发布平台": "哔哩哔哩",
        "主创人数": "",
        "作品链接": "https://www.bilibili.com/video/BV1kepu2022",
        "累计阅读/播放次数": "356000",
        "作品简介": "用动画和实拍讲述针具的演变、针刺的安全性和常见误区，时长8分钟。",
        "推荐理由": "形式新颖，传播广泛，评论区答疑及时，获市级科普奖。",
        "联系人": "赵敏",
        "联系电话": "13816601234",
        "电子邮箱": "zhaomin@shzj.example.cn",
        "邮政编码": "200437",
        "通讯地址": "上海市虹口区甘河路110号",
    },
    "江苏省针灸学会": {
        "作品名称": "艾灸那些事",
        "作品类别": "动漫",
        "首次发布时间": "2024-01-08",
        "第一作者": "周婷",
        "作者单位": "南京中医药大学",
        "发布平台": "抖音",
        "主创人数": "5",
        "作品链接": "https://www.douyin.com/user/jszj-aijiu",
        "累计阅读/播放次数": "1.2万",
        "作品简介": "系列动漫共6集，讲解艾灸的适应证、操作方法和安全注意事项。",
        "推荐理由": "贴近群众生活，纠正了艾灸养生中的常见误区。",
        "联系人": "孙伟",
        "联系电话": "15850501234",
        "电子邮箱": "sunwei@jszj.example.cn",
        "邮政编码": "210029",
        "通讯地址": "南京市汉中路282号",
    },
    "浙江省针灸学会": {
        "作品名称": "穴位按摩缓解眼疲劳",
        "作品类别": "图文",
        "首次发布时间": "2023年3月",
        "第一作者": "吴晓燕",
        "作者单位": "浙江中医药大学",
        "发布平台": "今日头条",
        "主创人数": "2",
        "作品链接": "https://www.toutiao.com/article/zjzj-yanbao",
        "累计阅读/播放次数": "8.5万",
        "作品简介": "图解四个护眼穴位的定位与按摩方法，适合学生和久坐办公人群。",
        "推荐理由": "实用性强，图示清楚，被学校健康课采用。",
        "联系人": "钱亮",
        "联系电话": "13757101234",
        "电子邮箱": "qianliang@zjzj.example.cn",
        "邮政编码": "310053",
        "通讯地址": "杭州市滨江区滨文路548号",
    },
}
# Which unit sends which format (the .doc and .pdf are LibreOffice copies of a filled .docx).
FORMATS = {"北京针灸学会": "docx", "上海市针灸学会": "doc", "江苏省针灸学会": "pdf", "浙江省针灸学会": "xlsx"}

SCORING_ROWS = [  # (group, points of the group, item wording, points)
    ("科学性", 30, "内容科学准确，无知识性错误", 20),
    ("科学性", 30, "引用文献、数据来源可靠", 10),
    ("通俗性", 25, "语言通俗易懂，贴近群众生活", 15),
    ("通俗性", 25, "表现形式生动，图文、音视频运用得当", 10),
    ("创新性", 20, "选题新颖，具有原创性", 20),
    ("传播力", 25, "作品累计阅读、播放量", 15),
    ("传播力", 25, "转发、评论和媒体转载情况", 10),
]


# ---------------------------------------------------------------- the 申报表


def _p(w: Writer, text: str) -> str:
    return w.para(w.run(text) if text else "")


def _value(w: Writer, field: str, value: str | None, controls: bool = True) -> str:
    """The XML of a value cell: blank (Word's grey prompts in content controls) or filled.
    Without `controls` the filled value is plain text, as Word saves content controls in a .doc."""
    if value is not None and not controls:
        return "".join(_p(w, line) for line in value.split("\n"))
    if field == "作品类别":
        if value is None:
            return w.para(w.sdt_run("选择一项。", placeholder=True, kind=_dropdown(CATEGORIES)))
        return w.para(w.dropdown_control(value, CATEGORIES))
    if field == "首次发布时间":
        if value is None:
            return w.para(w.sdt_run("单击或点击以输入日期。", placeholder=True, kind=_date_kind()))
        return w.para(w.date_control(value, "2023-09-15"))
    if field in ("作品名称", "第一作者", "作品链接"):
        if value is None:
            return w.para(w.sdt_run("单击或点击此处输入文字。", placeholder=True))
        return w.para(w.sdt_run(value))
    if value is None:
        return _p(w, "")
    return "".join(_p(w, line) for line in value.split("\n"))


def _dropdown(items: list[str]) -> str:
    entries = "".join(f'<w:listItem w:displayText="{i}" w:value="{i}"/>' for i in items)
    return f"<w:dropDownList>{entries}</w:dropDownList>"


def _date_kind() -> str:
    return (
        "<w:date><w:dateFormat w:val=\"yyyy'年'M'月'd'日'\"/><w:lid w:val=\"zh-CN\"/>"
        '<w:storeMappedDataAs w:val="dateTime"/><w:calendar w:val="gregorian"/></w:date>'
    )


def application_form(values: dict[str, str] | None, opinion: str = "", controls: bool = True) -> bytes:
    """The 申报表 as Word 2016 saves it; `values` None makes the blank form."""
    w = Writer("word2016")
    rows = []
    for printed in ROWS:
        if printed[0][1] == "推荐理由":  # label and value merged down two rows
            value = _value(w, "推荐理由", None if values is None else values["推荐理由"], controls)
            rows.append(
                w.row(
                    w.cell(_p(w, "推荐理由"), WIDTHS[0], vmerge="restart", shade=True)
                    + w.cell(value, sum(WIDTHS[1:]), span=3, vmerge="restart"),
                    height=900,
                )
            )
            rows.append(
                w.row(
                    w.cell(_p(w, ""), WIDTHS[0], vmerge="continue")
                    + w.cell(_p(w, ""), sum(WIDTHS[1:]), span=3, vmerge="continue"),
                    height=900,
                )
            )
            continue
        cells = ""
        for label, field in printed:
            value = _value(w, field, None if values is None else values[field], controls)
            cells += w.cell("".join(_p(w, line) for line in label.split("\n")), WIDTHS[0], shade=True)
            if len(printed) == 1:
                cells += w.cell(value, sum(WIDTHS[1:]), span=3)
            else:
                cells += w.cell(value, WIDTHS[1])
        rows.append(w.row(cells, height=TALL if printed[0][1] == "作品简介" else 567))
    sign = opinion or "\n\n（盖章）\n年    月    日"
    rows.append(
        w.row(
            w.cell(_p(w, "推荐单位") + _p(w, "意见"), WIDTHS[0], shade=True)
            + w.cell("".join(_p(w, line) for line in sign.split("\n")), sum(WIDTHS[1:]), span=3),
            height=1400,
        )
    )
    body = _p(w, "附件1") + w.text_para("优秀科普作品申报表", center=True, size=36)
    body += w.table(rows, WIDTHS)
    body += _p(w, "填表日期：      年    月    日")
    body += _p(w, "注：1. 每个单位限报1部作品；2. 请同时发送作品文件或可访问的链接。")
    return w.package(body)


def scoring_rules() -> bytes:
    """附件2: group (merged down its items) | item | points."""
    w = Writer("wps")
    widths = [1800, 5106, 1400]
    head = "".join(
        w.cell(_p(w, t), wd, shade=True)
        for t, wd in zip(("评价指标", "评价要点", "分值"), widths, strict=True)
    )
    rows = [w.row(head)]
    previous = None
    for group, group_points, item, points in SCORING_ROWS:
        first = group != previous
        previous = group
        label = _p(w, f"{group}（{group_points}分）") if first else _p(w, "")
        rows.append(
            w.row(
                w.cell(label, widths[0], vmerge="restart" if first else "continue")
                + w.cell(_p(w, item), widths[1])
                + w.cell(_p(w, str(points)), widths[2])
            )
        )
    total = sum(p for *_, p in SCORING_ROWS)
    rows.append(
        w.row(w.cell(_p(w, "合计"), widths[0] + widths[1], span=2) + w.cell(_p(w, str(total)), widths[2]))
    )
    body = _p(w, "附件2") + w.text_para("优秀科普作品评分细则", center=True, size=32) + w.table(rows, widths)
    return w.package(body)


def retyped_sheet(values: dict[str, str]) -> bytes:
    """A unit that retyped the form in a WPS sheet: two columns, its own wording for some labels."""
    wording = {"联系电话": "手机", "邮政编码": "邮编", "累计阅读/播放次数": "累计阅读/播放次数（次）"}
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "申报表"
    ws.cell(1, 1, "优秀科普作品申报表").font = Font(bold=True, size=14)
    ws.merge_cells("A1:B1")
    ws.cell(1, 1).alignment = Alignment(horizontal="center")
    thin = Side(style="thin")
    for r, label in enumerate(LABELS, start=2):
        value: object = values[label]
        if label in ("主创人数", "邮政编码") and str(value).isdigit():
            value = int(str(value))  # typed as numbers, as Excel users do
        ws.cell(r, 1, wording.get(label, label))
        ws.cell(r, 2, value)
        for c in (1, 2):
            ws.cell(r, c).border = Border(left=thin, right=thin, top=thin, bottom=thin)
            ws.cell(r, c).alignment = Alignment(wrap_text=True, vertical="center")
    ws.column_dimensions["A"].width = 22
    ws.column_dimensions["B"].width = 60
    buf = io.BytesIO()
    wb.save(buf)
    return _fixed_times(buf.getvalue())


def _fixed_times(xlsx: bytes) -> bytes:
    """The same bytes on every run: openpyxl stamps the save time into docProps/core.xml."""
    import re
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(xlsx)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = re.sub(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", b"2024-05-20T09:00:00Z", data)
            fixed = zipfile.ZipInfo(info.filename, (2024, 5, 20, 9, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(fixed, data)
    return out.getvalue()


def _opinion(unit: str) -> str:
    return f"同意推荐。\n{unit}（盖章）\n2024年5月20日"


# ---------------------------------------------------------------- writing the folder


def build(convert: bool) -> None:
    (HERE / BLANK).write_bytes(application_form(None))
    (HERE / SCORING).write_bytes(scoring_rules())
    FILLED.mkdir(exist_ok=True)
    expected: dict[str, dict] = {}
    to_convert: dict[str, dict[str, bytes]] = {"doc": {}, "pdf": {}}
    for unit, fmt in FORMATS.items():
        values = UNITS[unit]
        name = f"申报表-{unit}.{fmt}"
        expected[name] = {"unit": unit, "fields": values}
        if fmt == "xlsx":
            (FILLED / name).write_bytes(retyped_sheet(values))
            continue
        # Word keeps no content control in a .doc: the copy saved as .doc starts from plain text
        # (LibreOffice would turn a control into legacy form fields and repeat its text).
        data = application_form(values, _opinion(unit), controls=fmt != "doc")
        if fmt == "docx":
            (FILLED / name).write_bytes(data)
        else:
            to_convert[fmt][f"申报表-{unit}.docx"] = data
    for fmt, files in to_convert.items():
        if not files or not convert:
            continue
        target = "doc:MS Word 97" if fmt == "doc" else "pdf:writer_pdf_Export"
        with tempfile.TemporaryDirectory() as tmp:
            for src, made in soffice_convert(files, Path(tmp), target).items():
                (FILLED / f"{Path(src).stem}.{fmt}").write_bytes(made)
    (HERE / "expected.json").write_text(
        json.dumps(expected, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    init = subprocess.run(
        [
            sys.executable,
            str(ROOT / "run.py"),
            "form",
            "init",
            str(HERE / BLANK),
            "--scoring",
            str(HERE / SCORING),
        ],
        check=True,
        capture_output=True,
        cwd=HERE,
    )
    (HERE / "form_init.yaml").write_bytes(init.stdout)


if __name__ == "__main__":
    build(convert="--all" in sys.argv or not any((FILLED).glob("*.pdf")))
    print(f"written to {HERE}")
