"""The real-document corpus: each case is a structure found in files units send.

Positive cases are 推荐表 with exact expected values for the 15 fields;
negative cases are documents that are not the 推荐表 (contest and forum
报名表, 申请表, 会议通知, cover letters, manifests, summary sheets, English
office files) and must yield no fields at all. The structures reproduce
what we found in public files: apache/poi test-data (delins.docx,
58067.docx tracked changes; 55966.docx/60316.docx content controls with
w:showingPlcHdr; form_footnotes.docx, a visa form whose photo column sits
right of labels that stand above their values; Tika-792.docx moves),
Chinese contest/forum 报名表 on GitHub (team-member tables with phones and
e-mails of other people, "所在地址及邮编", "（必填，用于通知与联系）" left in
value cells), and the packet's 汇总表.xlsx.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field

import openpyxl

from pipeline.model import FORM_LABELS

from .rawpdf import cid_form_pdf
from .wordml import Writer

GRID_ROWS: tuple[tuple[str, ...], ...] = (
    ("账号名称", "注册时间"),
    ("粉丝数量", "运营主体"),
    ("账号ID/网页链接",),
    ("运营人数", "发布数量"),
    ("账号简介",),
    ("传播实效",),
    ("推荐理由",),
    ("联系人", "手机"),
    ("电子邮箱", "邮编"),
    ("联系地址",),
)
WIDTHS = [1550, 2603, 1550, 2603]  # A4 text width, as the notice's 附件1
EMPTY = {label: "" for label in FORM_LABELS}


def values(city: str, n: int) -> dict[str, str]:
    """Distinct plausible values per case (no spaces, so PDF wraps rejoin exactly)."""
    return {
        "账号名称": f"{city}针灸",
        "注册时间": f"201{n % 10}年{n % 12 + 1}月",
        "粉丝数量": str(15600 + 111 * n),
        "运营主体": f"{city}市针灸学会",
        "账号ID/网页链接": f"https://weibo.com/zhenjiu{n:02d}",
        "运营人数": str(3 + n % 5),
        "发布数量": str(1680 + 7 * n),
        "账号简介": f"{city}市针灸学会官方科普账号，普及针灸知识，传播中医药文化。",
        "传播实效": f"年阅读量超过{n + 1}百万次，多篇文章被人民网转载。",
        "推荐理由": "坚持群众路线，答疑解惑，服务基层群众健康。",
        "联系人": "王晓东",
        "手机": f"138{n:04d}5678",
        "电子邮箱": f"zhenjiu{n:02d}@163.com",
        "邮编": f"{116001 + n:06d}",
        "联系地址": f"{city}市中山区人民路{n + 1}号",
    }


@dataclass
class Case:
    """One corpus document: how to build it and what a correct reader finds."""

    name: str  # file stem
    build: Callable[[], bytes]
    expected: dict[str, str]  # all 15 labels; all "" for a document that is not the form
    ext: str = "docx"
    # Extra copies made with LibreOffice: "doc" (Word 97 round trip), "pdf" (printed).
    variants: tuple[str, ...] = ()
    # Per-variant differences from `expected` (e.g. what a .doc round trip keeps).
    variant_expected: dict[str, dict[str, str]] = field(default_factory=dict)
    note: str = ""

    @property
    def positive(self) -> bool:
        return any(self.expected.values())


# ---------------------------------------------------------------- helpers


def _para(w: Writer, text: str) -> str:
    return w.para(w.run(text) if text else "")


def grid(
    w: Writer,
    v: dict[str, str],
    inner: dict[str, str] | None = None,
    labels: dict[str, str] | None = None,
    after: dict[str, list[str]] | None = None,
) -> str:
    """The 附件1 grid; `inner` overrides a value cell's XML, `after` adds rows after a label's row."""
    inner = inner or {}
    labels = labels or {}
    after = after or {}
    rows = [w.row(w.cell(w.text_para("推荐表", center=True, size=32), sum(WIDTHS), span=4), height=680)]
    for row in GRID_ROWS:
        cells = ""
        for label in row:
            cells += w.cell(_para(w, labels.get(label, label)), WIDTHS[0], shade=True)
            content = inner.get(label, _para(w, v[label]))
            if len(row) == 1:
                cells += w.cell(content, sum(WIDTHS[1:]), span=3)
            else:
                cells += w.cell(content, WIDTHS[1])
        rows.append(
            w.row(
                cells, height=900 if len(row) == 1 and row[0] in ("账号简介", "传播实效", "推荐理由") else 454
            )
        )
        for label in row:
            rows.extend(after.get(label, []))
    return w.table(rows, WIDTHS)


def framed(w: Writer, table: str, track: bool = False) -> bytes:
    body = _para(w, "附件1") + w.text_para("推荐表", center=True, size=36) + table
    body += _para(w, "推荐单位（盖章）：") + _para(w, "填表日期：2021年7月30日")
    return w.package(body, track_revisions=track)


# ---------------------------------------------------------------- positive cases


def word2016_tracked() -> tuple[bytes, dict[str, str]]:
    """Word 2016 with Track Changes: a corrected count, a moved address, a re-typed row under labels."""
    w = Writer("word2016")
    v = values("大连", 1)
    inner = {
        "粉丝数量": w.para(w.deleted("8000") + w.inserted(v["粉丝数量"])),
        "联系人": w.para(w.run(v["联系人"]) + w.moved_from(v["联系地址"], "move78311522")),
        "联系地址": w.para(w.moved_to(v["联系地址"], "move78311522")),
        "推荐理由": w.para(w.run(v["推荐理由"]) + w.deleted("（待补充）")),
    }
    table = grid(w, v, inner)
    # A second table for the contacts, labels above values; the first values
    # row was deleted as a whole and re-typed in an inserted row.
    head = w.cell(_para(w, "电子邮箱"), 4153, shade=True) + w.cell(_para(w, "邮编"), 4153, shade=True)
    old = w.cell(w.para(w.deleted("old_mail@163.com")), 4153) + w.cell(w.para(w.deleted("100000")), 4153)
    new = w.cell(w.para(w.inserted(v["电子邮箱"])), 4153) + w.cell(w.para(w.inserted(v["邮编"])), 4153)
    contacts = w.table([w.row(head), w.deleted_row(old), w.inserted_row(new)], [4153, 4153])
    table = table.replace(_label_row(w, table, "电子邮箱"), "")
    body = _para(w, "附件1") + w.text_para("推荐表", center=True, size=36) + table + _para(w, "") + contacts
    body += _para(w, "推荐单位（盖章）：")
    return w.package(body, track_revisions=True), v


def _label_row(w: Writer, table: str, label: str) -> str:
    """The w:tr XML of the grid row holding `label` (to move it elsewhere)."""
    at = table.index(f">{label}<")
    start = max(table.rfind("<w:tr>", 0, at), table.rfind("<w:tr ", 0, at))
    end = table.index("</w:tr>", at) + len("</w:tr>")
    return table[start:end]


def row_deleted_unmarked() -> tuple[bytes, dict[str, str]]:
    """A two-column form where a row is deleted only in w:trPr (its runs are not marked)."""
    w = Writer("wps")
    v = values("沈阳", 2)
    rows = []
    for label in FORM_LABELS:
        if label == "发布数量":
            stale = w.cell(_para(w, label), 2400, shade=True) + w.cell(_para(w, "1500"), 5906)
            rows.append(w.deleted_row(stale))
            fresh = w.cell(_para(w, label), 2400, shade=True) + w.cell(_para(w, v[label]), 5906)
            rows.append(w.inserted_row(fresh))
            continue
        rows.append(w.row(w.cell(_para(w, label), 2400, shade=True) + w.cell(_para(w, v[label]), 5906)))
    body = w.text_para("推荐表", center=True, size=36) + w.table(rows, [2400, 5906])
    return w.package(body, track_revisions=True), v


def word2016_controls() -> tuple[bytes, dict[str, str]]:
    """Content controls: text, date picker, drop-down, rich text, a placeholder, controls around a row and a cell."""
    w = Writer("word2016")
    v = values("鞍山", 3)
    v["注册时间"] = "2013年4月1日"
    inner = {
        "账号名称": w.para(w.sdt_run(v["账号名称"])),
        "注册时间": w.para(w.date_control(v["注册时间"], "2013-04-01")),
        "运营主体": w.para(w.dropdown_control(v["运营主体"], ["请选择", v["运营主体"], "其他"])),
        "运营人数": w.para(w.sdt_run("单击或点击此处输入文字。", placeholder=True)),
        "账号简介": (
            '<w:sdt><w:sdtPr><w:id w:val="-2041233"/><w:richText/></w:sdtPr><w:sdtContent>'
            + _para(w, v["账号简介"])
            + "</w:sdtContent></w:sdt>"
        ),
        "邮编": w.para(w.sdt_run("单击或点击此处输入文字。", placeholder=True)),
    }
    v["运营人数"] = ""
    v["邮编"] = ""
    table = grid(w, v, inner)
    # Word's repeating-section control wraps the whole 联系人/手机 row.
    row = _label_row(w, table, "联系人")
    table = table.replace(
        row, f'<w:sdt><w:sdtPr><w:id w:val="-88112"/></w:sdtPr><w:sdtContent>{row}</w:sdtContent></w:sdt>'
    )
    return framed(w, table), v


def saved_as_word97() -> tuple[bytes, dict[str, str]]:
    """The content-control form after Word saved it as .doc: the prompts stay behind as plain grey text."""
    w = Writer("word2016")
    v = values("海城", 17)
    grey = '<w:color w:val="808080"/>'
    inner = {
        "运营人数": w.para(w.run("单击或点击此处输入文字。", grey)),
        "邮编": w.para(w.run("单击此处输入文字。", grey)),
        "注册时间": w.para(w.run("单击或点击以输入日期。", grey)),
    }
    for label in inner:
        v[label] = ""
    return framed(w, grid(w, v, inner)), v


def legacy_fields() -> tuple[bytes, dict[str, str]]:
    """Word 97-2003 form fields (FORMTEXT, FORMDROPDOWN, FORMCHECKBOX) in a protected form."""
    w = Writer("word2016")
    v = values("抚顺", 4)
    inner = {
        label: w.para(w.formtext(v[label], f"Text{i}"))
        for i, label in enumerate(("账号名称", "联系人", "手机", "电子邮箱", "推荐理由"), 1)
    }
    inner["运营人数"] = w.para(
        w.formdropdown([str(k) for k in range(1, 11)], int(v["运营人数"]) - 1, "Dropdown1")
    )
    inner["邮编"] = w.para(w.formtext("", "Text9"))
    v["邮编"] = ""
    table = grid(w, v, inner)
    agree = w.row(
        w.cell(_para(w, "同意公开"), WIDTHS[0], shade=True)
        + w.cell(
            w.para(
                w.formcheckbox(True, "Check1")
                + w.run("同意")
                + w.formcheckbox(False, "Check2")
                + w.run("不同意")
            ),
            sum(WIDTHS[1:]),
            span=3,
        )
    )
    table = table.replace("</w:tbl>", agree + "</w:tbl>")
    return framed(w, table), v


def wps_textboxes() -> tuple[bytes, dict[str, str]]:
    """WPS: values typed into text boxes inside cells (DrawingML + VML fallback) and a label over two rows."""
    w = Writer("wps")
    v = values("本溪", 5)
    first, second = "年阅读量超过六百万次。", "多篇文章被人民网转载。"
    v["传播实效"] = f"{first}\n{second}"
    inner = {"账号简介": w.para(w.textbox(v["账号简介"], 3)), "推荐理由": w.para(w.textbox(v["推荐理由"], 4))}
    table = grid(w, v, inner)
    row = _label_row(w, table, "传播实效")
    split = w.row(
        w.cell(_para(w, "传播实效"), WIDTHS[0], vmerge="restart", shade=True)
        + w.cell(_para(w, first), sum(WIDTHS[1:]), span=3)
    ) + w.row(
        w.cell(_para(w, ""), WIDTHS[0], vmerge="continue") + w.cell(_para(w, second), sum(WIDTHS[1:]), span=3)
    )
    table = table.replace(row, split)
    return framed(w, table), v


def vmerge_photo_column() -> tuple[bytes, dict[str, str]]:
    """A logo column merged down four rows beside label|value pairs, and a row that starts one column in."""
    w = Writer("word2016")
    v = values("丹东", 6)
    widths = [1550, 4756, 2000]
    rows = []
    for i, label in enumerate(("账号名称", "注册时间", "粉丝数量", "运营主体")):
        logo = w.cell(
            _para(w, "账号头像" if i == 0 else ""), widths[2], vmerge="restart" if i == 0 else "continue"
        )
        rows.append(
            w.row(
                w.cell(_para(w, label), widths[0], shade=True) + w.cell(_para(w, v[label]), widths[1]) + logo
            )
        )
    for label in FORM_LABELS[4:]:
        rows.append(
            w.row(
                w.cell(_para(w, label), widths[0], shade=True)
                + w.cell(_para(w, v[label]), widths[1] + widths[2], span=2)
            )
        )
    note = w.row(
        w.cell(_para(w, "（本表一式两份）"), widths[1] + widths[2], span=2),
        trpr_extra='<w:gridBefore w:val="1"/>',
    )
    rows.append(note)
    return framed(w, w.table(rows, widths)), v


def visa_label_above() -> tuple[bytes, dict[str, str]]:
    """Labels above their values, with a photo-instructions column on the right (Word's visa-form layout)."""
    w = Writer("word2016")
    v = values("锦州", 7)
    widths = [1400, 1400, 1400, 1400, 2706]
    side = ["账号头像（二寸）", "", "尺寸：40 mm x 35 mm", "白色背景", "正面免冠", "近期截图"]

    def lab(text: str, span: int) -> str:
        return w.cell(_para(w, text), 1400 * span, span=span, shade=True)

    def val(text: str, span: int) -> str:
        return w.cell(_para(w, text), 1400 * span, span=span)

    bands = [
        [("账号名称", 2), ("注册时间", 2)],
        [("粉丝数量", 2), ("运营主体", 2)],
        [("账号ID/网页链接", 2), ("运营人数", 1), ("发布数量", 1)],
    ]
    rows = []
    for b, band in enumerate(bands):
        rows.append(w.row("".join(lab(t, s) for t, s in band) + w.cell(_para(w, side[2 * b]), widths[4])))
        rows.append(
            w.row("".join(val(v[t], s) for t, s in band) + w.cell(_para(w, side[2 * b + 1]), widths[4]))
        )
    for label in FORM_LABELS[7:]:
        rows.append(w.row(lab(label, 1) + w.cell(_para(w, v[label]), 1400 * 3 + widths[4], span=4)))
    return framed(w, w.table(rows, widths)), v


def combined_labels() -> tuple[bytes, dict[str, str]]:
    """Retyped form with combined labels: 联系人及手机, 所在地址及邮编."""
    w = Writer("wps")
    v = values("营口", 8)
    rows = []
    for row in GRID_ROWS[:7]:
        cells = ""
        for label in row:
            cells += w.cell(_para(w, label), WIDTHS[0], shade=True)
            cells += w.cell(
                _para(w, v[label]),
                sum(WIDTHS[1:]) if len(row) == 1 else WIDTHS[1],
                span=3 if len(row) == 1 else 1,
            )
        rows.append(w.row(cells))
    rows.append(
        w.row(
            w.cell(_para(w, "联系人及手机"), WIDTHS[0], shade=True)
            + w.cell(_para(w, f"{v['联系人']}  {v['手机']}"), WIDTHS[1])
            + w.cell(_para(w, "电子邮箱"), WIDTHS[2], shade=True)
            + w.cell(_para(w, v["电子邮箱"]), WIDTHS[3])
        )
    )
    rows.append(
        w.row(
            w.cell(_para(w, "所在地址及邮编"), WIDTHS[0], shade=True)
            + w.cell(_para(w, f"{v['联系地址']}，{v['邮编']}"), sum(WIDTHS[1:]), span=3)
        )
    )
    return framed(w, w.table(rows, WIDTHS)), v


def combined_labels_2() -> tuple[bytes, dict[str, str]]:
    """Combined labels the other way round: 联系人及电话 on two lines, 联系地址及邮编 with "邮编：" inside."""
    w = Writer("word2016")
    v = values("阜新", 9)
    table = grid(w, v)
    contact = w.row(
        w.cell(_para(w, "联系人及电话"), WIDTHS[0], shade=True)
        + w.cell(_para(w, v["联系人"]) + _para(w, v["手机"]), WIDTHS[1])
        + w.cell(_para(w, "电子邮箱"), WIDTHS[2], shade=True)
        + w.cell(_para(w, v["电子邮箱"]), WIDTHS[3])
    )
    address = w.row(
        w.cell(_para(w, "联系地址及邮编"), WIDTHS[0], shade=True)
        + w.cell(_para(w, f"{v['联系地址']}（邮编：{v['邮编']}）"), sum(WIDTHS[1:]), span=3)
    )
    for label in ("联系人", "电子邮箱", "联系地址"):
        table = table.replace(_label_row(w, table, label), "")
    table = table.replace("</w:tbl>", contact + address + "</w:tbl>")
    return framed(w, table), v


def instructions_left_in() -> tuple[bytes, dict[str, str]]:
    """A template's pre-printed hints and Word prompts left in value cells, filled or not."""
    w = Writer("word2016")
    v = values("辽阳", 10)
    texts = {
        "运营人数": "（必填，用于统计运营团队规模）",
        "手机": "（优先填写联系人手机号）",
        "发布数量": "单击或点击此处输入文字。",
        "邮编": "Click or tap here to enter text.",
        "账号ID/网页链接": f"（请填写可直接打开的网页链接）{v['账号ID/网页链接']}",
        "联系人": f"{v['联系人']}（必填）",
        "注册时间": f"{v['注册时间']}（填写至月）",
    }
    inner = {label: _para(w, text) for label, text in texts.items()}
    labels = {"推荐理由": "推荐理由（不超过300字）", "电子邮箱": "电子邮箱（用于接收回执）"}
    for label in ("运营人数", "手机", "发布数量", "邮编"):
        v[label] = ""
    return framed(w, grid(w, v, inner, labels)), v


def flattened_text() -> tuple[bytes, dict[str, str]]:
    """Label-glued text where a table was lost in conversion (as LibreOffice produced from some .doc)."""
    w = Writer("word2016")
    v = values("盘锦", 11)
    v["注册时间"] = "2016-08-01"
    glued = "".join(f"{label}{v[label]}" for label in FORM_LABELS[:10])
    tail = "".join(f"{label}{v[label]}" for label in FORM_LABELS[10:])
    body = (
        _para(w, "附件1")
        + _para(w, "推荐表")
        + _para(w, glued)
        + _para(w, tail)
        + _para(w, "推荐单位（盖章）")
    )
    return w.package(body), v


def narrow_cells() -> tuple[bytes, dict[str, str]]:
    """Six narrow columns: phone, 邮编 and dates wrap inside their cells when printed."""
    w = Writer("word2016")
    v = values("铁岭", 12)
    v["注册时间"] = "2016年3月"
    widths = [1100, 1168, 1100, 1168, 1100, 1168]
    pairs = [
        ("账号名称", "注册时间", "粉丝数量"),
        ("运营主体", "运营人数", "发布数量"),
        ("联系人", "手机", "邮编"),
    ]
    rows = []
    for triple in pairs:
        cells = ""
        for label in triple:
            cells += w.cell(_para(w, label), 1100, shade=True) + w.cell(_para(w, v[label]), 1168)
        rows.append(w.row(cells))
    for label in ("账号ID/网页链接", "账号简介", "传播实效", "推荐理由", "电子邮箱", "联系地址"):
        rows.append(
            w.row(w.cell(_para(w, label), 1100, shade=True) + w.cell(_para(w, v[label]), 5604, span=5))
        )
    return framed(w, w.table(rows, widths)), v


# ---------------------------------------------------------------- negative cases


def _kv_table(w: Writer, rows: list[list[tuple[str, int]]], widths: list[int]) -> str:
    """Rows of (text, span) cells; odd cells shaded like labels."""
    out = []
    for row in rows:
        cells = ""
        col = 0
        for text, span in row:
            width = sum(widths[col : col + span])
            cells += w.cell(_para(w, text), width, span=span)
            col += span
        out.append(w.row(cells))
    return w.table(out, widths)


def design_contest_form() -> tuple[bytes, dict[str, str]]:
    """An empty 设计大赛报名表 whose footer names the organiser's contact, phone, e-mail and web site."""
    w = Writer("word2016")
    widths = [1400, 2753, 1400, 2753]
    rows = [
        [("作品名称", 1), ("", 3)],
        [("参赛者姓名", 1), ("", 1), ("所在单位", 1), ("", 1)],
        [("手机", 1), ("", 1), ("电子邮箱", 1), ("", 1)],
        [("通讯地址", 1), ("", 1), ("邮编", 1), ("", 1)],
        [("作品简介（300字以内）", 1), ("", 3)],
        [("设计说明", 1), ("", 3)],
    ]
    body = w.text_para("第三届中医药文化创意设计大赛报名表", center=True, size=32) + _kv_table(
        w, rows, widths
    )
    for line in (
        "主办单位：辽宁省针灸学会",
        "联系人：刘老师  联系电话：024-31207000  手机：13904001234",
        "电子邮箱：sjds2021@163.com",
        "网址：http://www.lnzj.org.cn/sjds",
        "通讯地址：沈阳市皇姑区北陵大街33号  邮编：110032",
    ):
        body += _para(w, line)
    return w.package(body), EMPTY


def team_contest_form() -> tuple[bytes, dict[str, str]]:
    """A filled contest 报名表: team members in rows under a header of 姓名/职务/手机号码/邮箱."""
    w = Writer("wps")
    widths = [1600, 1700, 1400, 1806, 1800]
    rows = [
        [("团队名称", 1), ("星火队", 4)],
        [("团队信息", 5)],
        [("姓名", 1), ("学历及年级", 1), ("职务", 1), ("手机号码", 1), ("邮箱", 1)],
        [("赵明", 1), ("研究生二年级", 1), ("团队负责人", 1), ("18201603482", 1), ("zhaoming@qq.com", 1)],
        [("钱亮", 1), ("研究生一年级", 1), ("团队成员", 1), ("18801321911", 1), ("qianliang@126.com", 1)],
        [("孙伟", 1), ("本科四年级", 1), ("指导教师", 1), ("13401156407", 1), ("sunwei@bjut.edu.cn", 1)],
        [("参赛题目", 1), ("基于深度学习的针灸穴位识别", 4)],
        [("作品简介", 1), ("利用卷积神经网络识别体表穴位，辅助针灸教学。", 4)],
    ]
    body = w.text_para("报 名 表", center=True, size=32) + _para(w, "所在学校/学院：（盖章）")
    body += _kv_table(w, rows, widths)
    return w.package(body), EMPTY


def forum_form() -> tuple[bytes, dict[str, str]]:
    """A doctoral forum 报名表 with 电话, 邮箱, 所在地址及邮编 and an abstract."""
    w = Writer("word2016")
    widths = [1800, 2353, 1800, 2353]
    rows = [
        [("姓名", 1), ("周婷", 1), ("年级", 1), ("博士二年级", 1)],
        [("所在学校", 1), ("辽宁中医药大学", 1), ("专业", 1), ("针灸推拿学", 1)],
        [("电话", 1), ("13998765432", 1), ("邮箱", 1), ("zhouting@lnutcm.edu.cn", 1)],
        [("导师姓名", 1), ("吴教授", 1), ("导师职称", 1), ("教授", 1)],
        [("所在地址及邮编", 1), ("沈阳市皇姑区崇山东路79号 110847", 3)],
        [("征文题目", 1), ("电针对慢性疼痛的干预研究", 3)],
        [("摘要（800字以内）", 1), ("本文观察电针对慢性疼痛模型大鼠的镇痛作用。", 3)],
    ]
    body = _para(w, "附件1") + w.text_para("2022年博士生学术论坛报名表", center=True, size=30)
    return w.package(body + _kv_table(w, rows, widths)), EMPTY


def community_form() -> tuple[bytes, dict[str, str]]:
    """A 竞选报名表 whose value cells still hold the pre-printed instructions."""
    w = Writer("wps")
    widths = [1800, 2353, 1800, 2353]
    rows = [
        [("竞选报名表", 4)],
        [("昵称", 1), ("（必填，无需真实姓名）", 1), ("邮箱", 1), ("（必填，用于通知与联系）", 1)],
        [("社交媒体账号\n联系方式", 1), ("（选填，如微博、微信公众号等）", 3)],
        [("个人简介", 1), ("（必填，简要介绍您的背景、技能或相关经历）", 3)],
        [("手机", 1), ("（优先填写队长手机号）", 3)],
        [("长远愿景", 1), ("（选填，可附链接或邮件附件）", 3)],
    ]
    return w.package(_kv_table(w, rows, widths)), EMPTY


def meeting_notice() -> tuple[bytes, dict[str, str]]:
    """A 会议通知 with the organiser's contacts in the text and an empty 回执 table."""
    w = Writer("word2016")
    body = w.text_para("关于召开2021年针灸科普工作会议的通知", center=True, size=32)
    for line in (
        "各市针灸学会：",
        "为总结交流针灸科普工作经验，定于2021年8月20日在沈阳召开全省针灸科普工作会议。现将有关事项通知如下：",
        "一、会议时间：2021年8月20日上午9:00",
        "二、会议地点：沈阳市和平区南京北街1号会议中心",
        "三、主办单位：辽宁省针灸学会",
        "四、请各单位于8月10日前将回执发送至联系邮箱。",
        "联系人：陈静",
        "联系电话：024-23456789  手机：13700001111",
        "电子邮箱：lnzjxh@126.com",
        "地址：沈阳市和平区南京北街1号  邮编：110001",
        "网址：http://www.lnzj.org.cn",
        "附件：会议回执",
    ):
        body += _para(w, line)
    rows = [
        [("单位名称", 1), ("姓名", 1), ("职务", 1), ("手机", 1), ("电子邮箱", 1), ("备注", 1)],
        [("", 1)] * 6,
        [("", 1)] * 6,
    ]
    body += _kv_table(w, rows, [1600, 1200, 1200, 1500, 1600, 1206])
    return w.package(body), EMPTY


def application_form() -> tuple[bytes, dict[str, str]]:
    """An 申请表 (lab kit application) with 手机/邮箱/邮寄地址/作品简介."""
    w = Writer("word2016")
    widths = [1600, 1300, 1200, 1500, 1200, 1506]
    rows = [
        [("实验平台申请表", 6)],
        [("申请人姓名", 1), ("", 1), ("专业", 1), ("", 1), ("学校", 1), ("", 1)],
        [("手机", 1), ("", 1), ("入学时间", 1), ("", 1), ("邮箱", 1), ("", 1)],
        [("指导老师姓名", 1), ("", 1), ("职称", 1), ("", 1), ("职务", 1), ("", 1)],
        [("作品名称", 1), ("", 5)],
        [("作品简介（200-300字）", 1), ("", 5)],
        [("邮寄地址", 1), ("", 5)],
        [("指导老师意见", 1), ("指导老师签字：", 5)],
    ]
    body = _kv_table(w, rows, widths) + _para(w, "本申请表需打印、填写、签字后，发送电子版至企业邮箱。")
    return w.package(body), EMPTY


def paper_recommendation() -> tuple[bytes, dict[str, str]]:
    """An 优秀论文推荐表: shares 推荐理由 and the contact block with our form, nothing else."""
    w = Writer("word2016")
    widths = [1800, 2353, 1800, 2353]
    rows = [
        [("论文题目", 1), ("针刺治疗失眠的临床观察", 3)],
        [("作者", 1), ("李华", 1), ("工作单位", 1), ("大连市中医医院", 1)],
        [("主办单位", 1), ("辽宁省针灸学会", 3)],
        [("论文简介", 1), ("观察针刺治疗失眠的疗效。", 3)],
        [("推荐理由", 1), ("选题新颖，数据可靠。", 3)],
        [("联系人", 1), ("李华", 1), ("手机", 1), ("13898765432", 1)],
        [("电子邮箱", 1), ("lihua@dlzy.cn", 1), ("邮编", 1), ("116013", 1)],
        [("联系地址", 1), ("大连市西岗区长江路321号", 3)],
    ]
    body = w.text_para("优秀论文推荐表", center=True, size=32) + _kv_table(w, rows, widths)
    return w.package(body), EMPTY


def cover_letter() -> tuple[bytes, dict[str, str]]:
    """A 推荐函 sent with the form: mentions the account and the contacts in running text."""
    w = Writer("word2016")
    body = w.text_para("推荐函", center=True, size=36)
    for line in (
        "中国针灸学会信息与会员部：",
        "根据《关于组织推荐走好网上群众路线“百佳账号”的通知》要求，我会推荐官方微信公众号“大连针灸”参加推选活动。"
        "该账号开通以来坚持科普宣传，粉丝数量稳步增长，推荐理由详见推荐表。",
        "联系人：王晓东，手机：13812345678，电子邮箱：dlzj@163.com。",
        "联系地址：大连市中山区人民路1号，邮编：116001。",
        "大连市针灸学会",
        "2021年7月30日",
    ):
        body += _para(w, line)
    return w.package(body), EMPTY


def manifest_list() -> tuple[bytes, dict[str, str]]:
    """A 报送材料清单 (manifest) listing the files of the submission."""
    w = Writer("wps")
    rows = [
        [("序号", 1), ("材料名称", 1), ("文件名", 1), ("备注", 1)],
        [("1", 1), ("推荐表", 1), ("推荐表.docx", 1), ("账号名称、粉丝数量等", 1)],
        [("2", 1), ("图文案例", 1), ("图文案例.docx", 1), ("", 1)],
        [("3", 1), ("视频案例", 1), ("视频.mp4", 1), ("", 1)],
    ]
    body = w.text_para("报送材料清单", center=True, size=32) + _kv_table(w, rows, [1000, 2400, 2600, 2306])
    body += _para(w, "联系人：王晓东  手机：13812345678  电子邮箱：dlzj@163.com")
    return w.package(body), EMPTY


def english_contact_form() -> tuple[bytes, dict[str, str]]:
    """An English registration form (Name, Phone, E-mail, Address, Postcode)."""
    w = Writer("word2016")
    rows = [
        [("Conference Registration Form", 4)],
        [("Name", 1), ("John Smith", 1), ("Organisation", 1), ("Acme Ltd", 1)],
        [("Phone", 1), ("+44 20 7946 0018", 1), ("E-mail", 1), ("john.smith@example.com", 1)],
        [("Address", 1), ("1 High Street, London", 1), ("Postcode", 1), ("SW1A 1AA", 1)],
        [("Dietary requirements", 1), ("None", 3)],
    ]
    return w.package(_kv_table(w, rows, [1800, 2353, 1800, 2353])), EMPTY


def english_contacts_xlsx() -> tuple[bytes, dict[str, str]]:
    """An English contact list: Name | Phone | Email | Address | ZIP, several rows."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Contacts"
    ws.append(["Name", "Company", "Phone", "Email", "Address", "ZIP"])
    ws.append(["Ann Lee", "Northwind", "555-0100", "ann@example.com", "1 Main St", "10001"])
    ws.append(["Bob Ray", "Contoso", "555-0101", "bob@example.com", "2 Oak Ave", "94105"])
    return _xlsx(wb), EMPTY


def _summary_sheet(records: list[dict[str, str]]) -> bytes:
    from pipeline.reports.summary import UNIT_HEADERS

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "汇总"
    ws.append(list(UNIT_HEADERS))
    for i, rec in enumerate(records):
        row = {
            "单位": f"{rec['运营主体']}",
            "状态": "需补正" if i else "已受理",
            "受理编号": f"TJ-20210730-{i + 1:04d}",
            "发件人": f"unit{i}@example.cn",
            "收到时间": "2021-07-30 10:00",
            "问题": "「手机」应为11位手机号码" if i else "",
            "附件": "推荐表：推荐表.docx（12 KB）",
            "人工决定": "",
            "其他来信（封）": 0,
            **rec,
        }
        ws.append([row.get(h, "") for h in UNIT_HEADERS])
    return _xlsx(wb)


def summary_one_record() -> tuple[bytes, dict[str, str]]:
    """The packet's 汇总表.xlsx with a single account: read as a form only because nothing better exists."""
    v = values("葫芦岛", 13)
    return _summary_sheet([v]), v


def summary_many_records() -> tuple[bytes, dict[str, str]]:
    """The packet's 汇总表.xlsx with three accounts: a list, never a form."""
    return _summary_sheet([values("朝阳", 14), values("锦州", 15), values("大连", 16)]), EMPTY


def _xlsx(wb) -> bytes:
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# ---------------------------------------------------------------- the corpus


def _case(name: str, func: Callable[[], tuple[bytes, dict[str, str]]], **kw) -> Case:
    data, expected = func()
    return Case(name, lambda: data, dict(expected), note=(func.__doc__ or "").strip(), **kw)


def cid_glyphs() -> tuple[bytes, dict[str, str]]:
    """A PDF whose text layer pdfminer shows as (cid:N) codes but PDFium decodes."""
    v = values("营口", 20)
    return cid_form_pdf([(label, v[label]) for label in FORM_LABELS]), v


def all_cases() -> list[Case]:
    """Every corpus case, positives first."""
    return [
        _case("word2016_tracked", word2016_tracked, variants=("pdf",)),
        _case("row_deleted_unmarked", row_deleted_unmarked),
        _case("word2016_controls", word2016_controls, variants=("pdf",)),
        _case("saved_as_word97", saved_as_word97, variants=("doc",)),
        _case("legacy_fields", legacy_fields, variants=("doc",)),
        _case("wps_textboxes", wps_textboxes, variants=("pdf",)),
        _case("vmerge_photo_column", vmerge_photo_column, variants=("doc", "pdf")),
        _case("visa_label_above", visa_label_above, variants=("pdf",)),
        _case("combined_labels", combined_labels, variants=("pdf",)),
        _case("combined_labels_2", combined_labels_2),
        _case("instructions_left_in", instructions_left_in, variants=("doc", "pdf")),
        _case("flattened_text", flattened_text, variants=("doc",)),
        _case("narrow_cells", narrow_cells, variants=("pdf",)),
        _case("cid_glyphs", cid_glyphs, ext="pdf"),
        _case("summary_one_record", summary_one_record, ext="xlsx"),
        # negatives
        _case("设计大赛报名表", design_contest_form, variants=("doc", "pdf")),
        _case("竞赛报名表", team_contest_form, variants=("pdf",)),
        _case("论坛报名表", forum_form),
        _case("竞选报名表", community_form),
        _case("会议通知", meeting_notice, variants=("pdf",)),
        _case("申请表", application_form, variants=("doc",)),
        _case("优秀论文推荐表", paper_recommendation),
        _case("推荐函", cover_letter),
        _case("报送材料清单", manifest_list),
        _case("registration_form", english_contact_form),
        _case("contacts", english_contacts_xlsx, ext="xlsx"),
        _case("汇总表", summary_many_records, ext="xlsx"),
    ]
