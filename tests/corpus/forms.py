"""The 推荐表 cases of the corpus: each builder returns (file bytes, the 15 values a reader must find)."""

from __future__ import annotations

from .layout import FORM, GRID_ROWS, WIDTHS, framed, grid, label_row, para, values
from .rawpdf import cid_form_pdf
from .wordml import Writer


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
    head = w.cell(para(w, "电子邮箱"), 4153, shade=True) + w.cell(para(w, "邮编"), 4153, shade=True)
    old = w.cell(w.para(w.deleted("old_mail@163.com")), 4153) + w.cell(w.para(w.deleted("100000")), 4153)
    new = w.cell(w.para(w.inserted(v["电子邮箱"])), 4153) + w.cell(w.para(w.inserted(v["邮编"])), 4153)
    contacts = w.table([w.row(head), w.deleted_row(old), w.inserted_row(new)], [4153, 4153])
    table = table.replace(label_row(w, table, "电子邮箱"), "")
    body = para(w, "附件1") + w.text_para("推荐表", center=True, size=36) + table + para(w, "") + contacts
    body += para(w, "推荐单位（盖章）：")
    return w.package(body, track_revisions=True), v


def row_deleted_unmarked() -> tuple[bytes, dict[str, str]]:
    """A two-column form where a row is deleted only in w:trPr (its runs are not marked)."""
    w = Writer("wps")
    v = values("沈阳", 2)
    rows = []
    for label in FORM.labels:
        if label == "发布数量":
            stale = w.cell(para(w, label), 2400, shade=True) + w.cell(para(w, "1500"), 5906)
            rows.append(w.deleted_row(stale))
            fresh = w.cell(para(w, label), 2400, shade=True) + w.cell(para(w, v[label]), 5906)
            rows.append(w.inserted_row(fresh))
            continue
        rows.append(w.row(w.cell(para(w, label), 2400, shade=True) + w.cell(para(w, v[label]), 5906)))
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
            + para(w, v["账号简介"])
            + "</w:sdtContent></w:sdt>"
        ),
        "邮编": w.para(w.sdt_run("单击或点击此处输入文字。", placeholder=True)),
    }
    v["运营人数"] = ""
    v["邮编"] = ""
    table = grid(w, v, inner)
    # Word's repeating-section control wraps the whole 联系人/手机 row.
    row = label_row(w, table, "联系人")
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
        w.cell(para(w, "同意公开"), WIDTHS[0], shade=True)
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
    row = label_row(w, table, "传播实效")
    split = w.row(
        w.cell(para(w, "传播实效"), WIDTHS[0], vmerge="restart", shade=True)
        + w.cell(para(w, first), sum(WIDTHS[1:]), span=3)
    ) + w.row(
        w.cell(para(w, ""), WIDTHS[0], vmerge="continue") + w.cell(para(w, second), sum(WIDTHS[1:]), span=3)
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
            para(w, "账号头像" if i == 0 else ""), widths[2], vmerge="restart" if i == 0 else "continue"
        )
        rows.append(
            w.row(w.cell(para(w, label), widths[0], shade=True) + w.cell(para(w, v[label]), widths[1]) + logo)
        )
    for label in FORM.labels[4:]:
        rows.append(
            w.row(
                w.cell(para(w, label), widths[0], shade=True)
                + w.cell(para(w, v[label]), widths[1] + widths[2], span=2)
            )
        )
    note = w.row(
        w.cell(para(w, "（本表一式两份）"), widths[1] + widths[2], span=2),
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
        return w.cell(para(w, text), 1400 * span, span=span, shade=True)

    def val(text: str, span: int) -> str:
        return w.cell(para(w, text), 1400 * span, span=span)

    bands = [
        [("账号名称", 2), ("注册时间", 2)],
        [("粉丝数量", 2), ("运营主体", 2)],
        [("账号ID/网页链接", 2), ("运营人数", 1), ("发布数量", 1)],
    ]
    rows = []
    for b, band in enumerate(bands):
        rows.append(w.row("".join(lab(t, s) for t, s in band) + w.cell(para(w, side[2 * b]), widths[4])))
        rows.append(
            w.row("".join(val(v[t], s) for t, s in band) + w.cell(para(w, side[2 * b + 1]), widths[4]))
        )
    for label in FORM.labels[7:]:
        rows.append(w.row(lab(label, 1) + w.cell(para(w, v[label]), 1400 * 3 + widths[4], span=4)))
    return framed(w, w.table(rows, widths)), v


def combined_labels() -> tuple[bytes, dict[str, str]]:
    """Retyped form with combined labels: 联系人及手机, 所在地址及邮编."""
    w = Writer("wps")
    v = values("营口", 8)
    rows = []
    for row in GRID_ROWS[:7]:
        cells = ""
        for label in row:
            cells += w.cell(para(w, label), WIDTHS[0], shade=True)
            cells += w.cell(
                para(w, v[label]),
                sum(WIDTHS[1:]) if len(row) == 1 else WIDTHS[1],
                span=3 if len(row) == 1 else 1,
            )
        rows.append(w.row(cells))
    rows.append(
        w.row(
            w.cell(para(w, "联系人及手机"), WIDTHS[0], shade=True)
            + w.cell(para(w, f"{v['联系人']}  {v['手机']}"), WIDTHS[1])
            + w.cell(para(w, "电子邮箱"), WIDTHS[2], shade=True)
            + w.cell(para(w, v["电子邮箱"]), WIDTHS[3])
        )
    )
    rows.append(
        w.row(
            w.cell(para(w, "所在地址及邮编"), WIDTHS[0], shade=True)
            + w.cell(para(w, f"{v['联系地址']}，{v['邮编']}"), sum(WIDTHS[1:]), span=3)
        )
    )
    return framed(w, w.table(rows, WIDTHS)), v


def combined_labels_2() -> tuple[bytes, dict[str, str]]:
    """Combined labels the other way round: 联系人及电话 on two lines, 联系地址及邮编 with "邮编：" inside."""
    w = Writer("word2016")
    v = values("阜新", 9)
    table = grid(w, v)
    contact = w.row(
        w.cell(para(w, "联系人及电话"), WIDTHS[0], shade=True)
        + w.cell(para(w, v["联系人"]) + para(w, v["手机"]), WIDTHS[1])
        + w.cell(para(w, "电子邮箱"), WIDTHS[2], shade=True)
        + w.cell(para(w, v["电子邮箱"]), WIDTHS[3])
    )
    address = w.row(
        w.cell(para(w, "联系地址及邮编"), WIDTHS[0], shade=True)
        + w.cell(para(w, f"{v['联系地址']}（邮编：{v['邮编']}）"), sum(WIDTHS[1:]), span=3)
    )
    for label in ("联系人", "电子邮箱", "联系地址"):
        table = table.replace(label_row(w, table, label), "")
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
    inner = {label: para(w, text) for label, text in texts.items()}
    labels = {"推荐理由": "推荐理由（不超过300字）", "电子邮箱": "电子邮箱（用于接收回执）"}
    for label in ("运营人数", "手机", "发布数量", "邮编"):
        v[label] = ""
    return framed(w, grid(w, v, inner, labels)), v


def flattened_text() -> tuple[bytes, dict[str, str]]:
    """Label-glued text where a table was lost in conversion (as LibreOffice produced from some .doc)."""
    w = Writer("word2016")
    v = values("盘锦", 11)
    v["注册时间"] = "2016-08-01"
    glued = "".join(f"{label}{v[label]}" for label in FORM.labels[:10])
    tail = "".join(f"{label}{v[label]}" for label in FORM.labels[10:])
    body = para(w, "附件1") + para(w, "推荐表") + para(w, glued) + para(w, tail) + para(w, "推荐单位（盖章）")
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
            cells += w.cell(para(w, label), 1100, shade=True) + w.cell(para(w, v[label]), 1168)
        rows.append(w.row(cells))
    for label in ("账号ID/网页链接", "账号简介", "传播实效", "推荐理由", "电子邮箱", "联系地址"):
        rows.append(w.row(w.cell(para(w, label), 1100, shade=True) + w.cell(para(w, v[label]), 5604, span=5)))
    return framed(w, w.table(rows, widths)), v


def cid_glyphs() -> tuple[bytes, dict[str, str]]:
    """A PDF whose text layer pdfminer shows as (cid:N) codes but PDFium decodes."""
    v = values("营口", 20)
    return cid_form_pdf([(label, v[label]) for label in FORM.labels]), v


TWIP = 635  # EMU per twip
NO_WRAP = "<wp:wrapNone/>"  # "浮于文字上方", as a box dragged over a table is left


def textboxes_over_cells() -> tuple[bytes, dict[str, str]]:
    """Values typed into Word text boxes dragged over their empty value cells, anchored elsewhere:
    in the label's cell (one with Word's default border), in the title above the table, in the
    line under it (positioned from the page), and a VML-only box (Word 2003 compatibility mode)."""
    w = Writer("word2016")
    v = values("长春", 21)
    size = (2400 * TWIP, 400 * TWIP)

    def box(label: str, shape: int, **kw) -> str:
        return w.textbox(v[label], shape, size=size, wrap=NO_WRAP, **kw)

    right_column = sum(WIDTHS[:3]) + 80  # the right value column, from the margin (twips)
    in_label_cell = ("column", (WIDTHS[0] + 80) * TWIP)
    labels = {
        "账号名称": w.para(w.run("账号名称") + box("账号名称", 11, h=in_label_cell, line=True)),
        "粉丝数量": w.para(w.run("粉丝数量") + box("粉丝数量", 12, h=in_label_cell)),
        "联系地址": w.para(
            w.run("联系地址")
            + w.vml_textbox(
                v["联系地址"],
                13,
                f"position:absolute;margin-left:{(WIDTHS[0] + 80) / 20:g}pt;margin-top:1pt;width:300pt;"
                "height:20pt;z-index:251661312;mso-position-horizontal-relative:text;"
                "mso-position-vertical-relative:text",
            )
        ),
    }
    table = grid(
        w, v, {label: para(w, "") for label in ("账号名称", "粉丝数量", "运营主体", "手机", "联系地址")}
    )
    for label, xml in labels.items():
        table = _swap_label(table, label, xml)
    # 运营主体 (row 3) from the title paragraph; 手机 (third row from the bottom) from the line under the table.
    title = w.para(
        w.run("推荐表", '<w:b/><w:sz w:val="36"/>')
        + box("运营主体", 14, h=("margin", right_column * TWIP), v=("paragraph", 1600 * TWIP)),
        '<w:jc w:val="center"/>',
    )
    under = w.para(
        w.run("推荐单位（盖章）：")
        + box("手机", 15, h=("page", (1800 + right_column) * TWIP), v=("paragraph", -1320 * TWIP))
    )
    body = para(w, "附件1") + title + table + under + para(w, "填表日期：2021年7月30日")
    return w.package(body), v


def _swap_label(table: str, label: str, xml: str) -> str:
    """Replace the paragraph of `label`'s label cell with `xml`."""
    at = table.index(f">{label}<")
    start = max(table.rfind("<w:p ", 0, at), table.rfind("<w:p>", 0, at))
    end = table.index("</w:p>", at) + len("</w:p>")
    return table[:start] + xml + table[end:]


def wps_textboxes_beside_labels() -> tuple[bytes, dict[str, str]]:
    """A WPS form of "标签：" lines (no table) with five values typed into borderless text boxes
    beside their labels; each box is anchored to the line above its label (where it was drawn)."""
    w = Writer("wps")
    v = values("吉林", 22)
    boxed = ("账号名称", "粉丝数量", "联系人", "手机", "邮编")
    pitch = 312  # the document grid's line pitch: one line per paragraph
    lines = [w.text_para("推荐表", center=True)]
    for i, label in enumerate(FORM.labels):
        text = f"{label}：" if label in boxed else f"{label}：{v[label]}"
        lines.append(para(w, text))
        if label in boxed:
            beside = (len(label) + 1) * 210 + 60  # after "标签：" at 五号 size
            box = w.textbox(
                v[label],
                30 + i,
                h=("column", beside * TWIP),
                v=("paragraph", (pitch - 60) * TWIP),
                size=(3000 * TWIP, 330 * TWIP),
                wrap=NO_WRAP,
            )
            before = lines[-2]
            lines[-2] = before[: before.rindex("</w:p>")] + box + "</w:p>"
    body = para(w, "附件1") + "".join(lines) + para(w, "推荐单位（盖章）：")
    return w.package(body), v


def legacy_fields_below() -> tuple[bytes, dict[str, str]]:
    """A protected Word 97-2003 form (FORMTEXT fields): the long fields' labels head a row whose
    right part is left blank, and their fields fill the row below; one short field is left empty
    (Word shows five en spaces) and one label's field sits under it in a two-line cell pair."""
    w = Writer("word2016")
    v = values("通化", 23)
    n = iter(range(1, 40))

    def field(label: str) -> str:
        return w.para(w.formtext(v[label], f"Text{next(n)}"))

    v["运营人数"] = ""
    rows = [w.row(w.cell(w.text_para("推荐表", center=True, size=32), sum(WIDTHS), span=4), height=680)]
    for row in GRID_ROWS:
        if len(row) == 2:
            cells = "".join(
                w.cell(para(w, t), WIDTHS[0], shade=True) + w.cell(field(t), WIDTHS[1]) for t in row
            )
            rows.append(w.row(cells))
            continue
        (label,) = row
        rows.append(
            w.row(
                w.cell(para(w, label), WIDTHS[0], shade=True) + w.cell(para(w, ""), sum(WIDTHS[1:]), span=3)
            )
        )
        rows.append(
            w.row(w.cell(field(label), sum(WIDTHS), span=4), height=900 if len(v[label]) > 30 else 454)
        )
    return framed(w, w.table(rows, WIDTHS)), v


def label_and_value_in_one_cell() -> tuple[bytes, dict[str, str]]:
    """A retyped form of one cell per field, label and value together: "账号名称：…" with a
    colon, "注册时间　…" with a gap only, long values wrapping inside their cells, and a
    narrow cell where the line breaks right at the gap ("运营主体　" / "四平市针灸学会")."""
    w = Writer("wps")
    v = values("四平", 24)
    v["账号简介"] = "四平市针灸学会官方科普账号，普及针灸知识，传播中医药文化，每周发布原创科普文章三篇以上。"
    widths = [1300, 2853, 4153]
    spaced = {"注册时间", "运营主体", "运营人数", "手机", "邮编"}

    def one(label: str, span: int, width: int) -> str:
        gap = "\u3000" if label in spaced else "："
        return w.cell(para(w, f"{label}{gap}{v[label]}"), width, span=span)

    rows = [w.row(w.cell(w.text_para("推荐表", center=True, size=32), sum(widths), span=3), height=680)]
    for row in GRID_ROWS:
        if row == ("粉丝数量", "运营主体"):
            rows.append(w.row(one("运营主体", 1, widths[0]) + one("粉丝数量", 2, sum(widths[1:]))))
        elif len(row) == 2:
            rows.append(w.row(one(row[0], 2, sum(widths[:2])) + one(row[1], 1, widths[2])))
        else:
            rows.append(w.row(one(row[0], 3, sum(widths))))
    return framed(w, w.table(rows, widths)), v


def tracked_email_changed() -> tuple[bytes, dict[str, str]]:
    """Word with Track Changes on: the e-mail retyped (old one deleted, new one inserted), a
    deleted paragraph in 推荐理由, the phone replaced digit by digit, the address partly rewritten."""
    w = Writer("word2016")
    v = values("辽源", 25)
    v["电子邮箱"] = "liaoyuan_zj@163.com"
    inner = {
        "电子邮箱": w.para(w.deleted("old@example.com") + w.inserted(v["电子邮箱"])),
        "手机": w.para(w.run(v["手机"][:7]) + w.deleted("0000") + w.inserted(v["手机"][7:])),
        "推荐理由": w.para(w.deleted("（此栏请删除后填写）")) + w.para(w.run(v["推荐理由"])),
        "联系地址": w.para(w.run(v["联系地址"][:4]) + w.deleted("西安区") + w.inserted(v["联系地址"][4:])),
    }
    return framed(w, grid(w, v, inner), track=True), v


def two_accounts_values() -> list[dict[str, str]]:
    """The two accounts of two_accounts_side_by_side (one contact for both)."""
    first, second = values("白山", 26), values("白山", 27)
    second["账号名称"] = "白山中医针灸科普"
    second["运营主体"] = "白山市中医院"
    for label in ("联系人", "手机", "电子邮箱", "邮编", "联系地址"):
        second[label] = first[label]
    return [first, second]


def two_accounts_side_by_side() -> tuple[bytes, dict[str, str]]:
    """WPS: a unit widened the form by a column to nominate two accounts, "栏目 | 账号一 | 账号二";
    the contact rows are merged across both accounts."""
    w = Writer("wps")
    first, second = two_accounts_values()
    widths = [1906, 3200, 3200]
    rows = [
        w.row(w.cell(w.text_para("推荐表", center=True, size=32), sum(widths), span=3), height=680),
        w.row(
            w.cell(para(w, "栏目"), widths[0], shade=True)
            + w.cell(para(w, "推荐账号一"), widths[1], shade=True)
            + w.cell(para(w, "推荐账号二"), widths[2], shade=True)
        ),
    ]
    shared = ("联系人", "手机", "电子邮箱", "邮编", "联系地址")
    for label in FORM.labels:
        cells = w.cell(para(w, label), widths[0], shade=True)
        if label in shared:
            cells += w.cell(para(w, first[label]), widths[1] + widths[2], span=2)
        else:
            cells += w.cell(para(w, first[label]), widths[1]) + w.cell(para(w, second[label]), widths[2])
        rows.append(w.row(cells))
    return framed(w, w.table(rows, widths)), first
