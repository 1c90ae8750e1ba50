"""extract_form on hand-built Documents: layouts, label variants, neighbours."""

from __future__ import annotations

import pytest
from fixtures_forms import LABELS, sample_values
from hypothesis import given
from hypothesis import strategies as st

from pipeline.campaign import builtin, vocabulary
from pipeline.form import analyze_document, extract_form
from pipeline.model import Cell, Document, Problem, Table

FORM = builtin().form


def _rows_table(name: str, rows: list[list[str]]) -> Table:
    return Table(name, [Cell(r, c, text) for r, row in enumerate(rows) for c, text in enumerate(row)])


def _vertical(values: dict[str, str], labels: dict[str, str] | None = None, name="表格1") -> Table:
    labels = labels or {}
    return _rows_table(name, [[labels.get(k, k), values[k]] for k in LABELS])


@pytest.mark.parametrize(
    ("label", "written"),
    [
        ("联系人", "联 系 人"),
        ("联系人", "联\u3000系\u3000人："),
        ("手机", "手  机"),
        ("手机", "手机号码"),
        ("手机", "*手机:"),
        ("账号ID/网页链接", "账号ID/网\n页链接"),
        ("账号ID/网页链接", "账号ＩＤ／网页链接："),
        ("账号ID/网页链接", "账号ID/网址"),
        ("账号ID/网页链接", "网页链接"),
        ("账号ID/网页链接", "账号id"),
        ("运营人数", "运营\n人数"),
        ("粉丝数量", "粉丝数量（万）"),
        ("电子邮箱", "E-mail"),
        ("邮编", "邮政编码"),
        ("账号名称", "帐号名称"),
        ("联系地址", "通讯地址"),
        ("联系地址", "15.联系地址"),
        ("推荐理由", "（10）推荐理由\n（500字以内）"),
        ("账号简介", "八、账号简介"),
    ],
)
def test_label_variants(label, written):
    values = sample_values(0)
    form = extract_form(Document("f.docx", "docx", tables=[_vertical(values, {label: written})]), FORM)
    assert form.fields == values


def test_grid_pairs_and_empty_value_not_taken_from_neighbour():
    values = sample_values(1)
    rows = [
        ["账号名称", values["账号名称"], "注册时间", values["注册时间"]],
        ["粉丝数量", values["粉丝数量"], "运营主体", values["运营主体"]],
        ["联系人", "", "手机", values["手机"]],
        ["电子邮箱", values["电子邮箱"], "邮编", ""],
    ]
    form = extract_form(Document("g.docx", "docx", tables=[_rows_table("表格1", rows)]), FORM)
    assert form.fields["联系人"] == ""  # empty cell, not the 手机 label nor its value
    assert form.fields["手机"] == values["手机"]
    assert form.fields["邮编"] == ""
    assert form.labels_found == 8
    assert "联系人" not in form.sources or form.sources["联系人"] == "g.docx 表格1 第3行第2列"


def test_missing_value_cell_does_not_steal_label_below():
    rows = [["联系人", "手机"], ["电子邮箱", "邮编"]]
    form = extract_form(Document("x.docx", "docx", tables=[_rows_table("表格1", rows)]), FORM)
    assert form.fields["联系人"] == "" and form.fields["手机"] == ""
    assert form.labels_found == 4


def test_value_under_label():
    values = sample_values(2)
    labels = list(LABELS)
    rows = []
    for i in range(0, 15, 5):
        rows.append(labels[i : i + 5])
        rows.append([values[k] for k in labels[i : i + 5]])
    form = extract_form(Document("u.xlsx", "xlsx", tables=[_rows_table("Sheet1", rows)]), FORM)
    assert form.fields == values
    assert form.sources["注册时间"] == "u.xlsx Sheet1 第2行第2列"


def test_most_labels_wins_and_split_form_is_joined():
    values = sample_values(3)
    materials = _rows_table(
        "表格1", [["序号", "材料名称", "备注"], ["1", "推荐表", "手机"], ["2", "视频", ""]]
    )
    first = _rows_table("表格2", [[k, values[k]] for k in LABELS[:10]])
    second = _rows_table("表格3", [[k, values[k]] for k in LABELS[10:]])
    form = extract_form(Document("s.pdf", "pdf", tables=[materials, first, second]), FORM)
    assert form.fields == values
    assert form.sources["手机"] == "s.pdf 表格3 第2行第2列"


def test_page_split_leaves_one_row_in_a_second_table():
    values = sample_values(14)
    first = _rows_table("表格1", [[k, values[k]] for k in LABELS[:14]])
    second = _rows_table("表格2", [["联系地址", values["联系地址"]]])
    form = extract_form(Document("p.pdf", "pdf", tables=[first, second]), FORM)
    assert form.fields == values
    assert form.sources["联系地址"] == "p.pdf 表格2 第1行第2列"


def test_inline_label_value_cells():
    values = sample_values(4)
    cells = [Cell(0, 0, f"{k}：{values[k]}") for k in LABELS]
    table = Table("表格1", [Cell(i, 0, c.text) for i, c in enumerate(cells)])
    form = extract_form(Document("i.docx", "docx", tables=[table]), FORM)
    assert form.fields == values


def test_two_fields_in_one_cell():
    values = sample_values(5)
    rows = [[f"联系人：{values['联系人']}  手机：{values['手机']}"]] + [[k, values[k]] for k in LABELS[:10]]
    form = extract_form(Document("t.docx", "docx", tables=[_rows_table("表格1", rows)]), FORM)
    assert form.fields["联系人"] == values["联系人"]
    assert form.fields["手机"] == values["手机"]


def test_value_cell_repeating_its_label():
    values = sample_values(6)
    rows = [[k, values[k]] for k in LABELS]
    rows[9][1] = f"推荐理由：{values['推荐理由']}"
    form = extract_form(Document("r.docx", "docx", tables=[_rows_table("表格1", rows)]), FORM)
    assert form.fields == values


def test_extra_rows_are_not_values():
    values = sample_values(7)
    rows = [[k, values[k]] for k in LABELS] + [
        ["推荐单位（盖章）", "中国针灸学会"],
        ["填表日期", "2021年7月30日"],
    ]
    rows[14] = ["联系地址", values["联系地址"]]
    form = extract_form(Document("e.docx", "docx", tables=[_rows_table("表格1", rows)]), FORM)
    assert form.fields == values


def test_ocr_lines_without_colons():
    values = sample_values(8)
    lines = [
        "推荐表",
        f"账号名称 {values['账号名称']} 注册时间 {values['注册时间']}",
        f"粉丝数量 {values['粉丝数量']} 运营主体 {values['运营主体']}",
        f"账号ID/网页链接 {values['账号ID/网页链接']}",
        f"运营人数 {values['运营人数']} 发布数量 {values['发布数量']}",
        f"账号简介 {values['账号简介']}",
        f"传播实效 {values['传播实效']}",
        "推荐理由",
        values["推荐理由"],
        f"联系人 {values['联系人']} 手机 {values['手机']}",
        f"电子邮箱 {values['电子邮箱']} 邮编 {values['邮编']}",
        f"联系地址 {values['联系地址']}",
    ]
    doc = Document("scan.jpg", "image", paragraphs=lines, is_scan=True)
    form = extract_form(doc, FORM)
    assert form.fields == values
    assert form.is_scan is True
    assert form.sources["推荐理由"] == "scan.jpg 正文第9行"


def test_labels_glued_to_previous_value():
    """Borderless PDFs and OCR lose the gap before the next label."""
    values = sample_values(15)
    lines = [
        f"账号名称 {values['账号名称']}注册时间 {values['注册时间']}",
        f"电子邮箱 {values['电子邮箱']}邮编 {values['邮编']}",
        f"联系人：{values['联系人']}手机：{values['手机']}",
        f"粉丝数量 {values['粉丝数量']}运营主体 {values['运营主体']}",
    ]
    form = extract_form(Document("g.pdf", "pdf", paragraphs=lines), FORM)
    for label in ("账号名称", "注册时间", "电子邮箱", "邮编", "联系人", "手机"):
        assert form.fields[label] == values[label], label


def test_running_text_is_not_a_label():
    values = sample_values(9)
    values["推荐理由"] = "方便群众通过手机端随时获取健康知识，粉丝数量稳步增长，联系人民群众"
    lines = [f"{k}：{values[k]}" for k in LABELS]
    form = extract_form(Document("p.docx", "docx", paragraphs=lines), FORM)
    assert form.fields == values


def test_numbered_paragraphs():
    values = sample_values(13)
    lines = [
        f"{i}.{k}：{values[k]}" if i % 2 else f"（{i}）{k}：{values[k]}" for i, k in enumerate(LABELS, 1)
    ]
    form = extract_form(Document("n.docx", "docx", paragraphs=lines), FORM)
    assert form.fields == values


def test_notice_text_does_not_fill_a_located_empty_field():
    values = sample_values(10)
    values["联系人"] = ""
    doc = Document(
        "n.docx",
        "docx",
        tables=[_vertical(values)],
        paragraphs=["联系人：刘晶晶 易文军", "邮箱：1187093@qq.com"],
    )
    assert extract_form(doc, FORM).fields == values


def test_paragraphs_fill_fields_missing_from_table():
    values = sample_values(11)
    table = _rows_table("表格1", [[k, values[k]] for k in LABELS[:12]])
    paras = [f"电子邮箱：{values['电子邮箱']}  邮编：{values['邮编']}", f"联系地址：{values['联系地址']}"]
    form = extract_form(Document("m.docx", "docx", tables=[table], paragraphs=paras), FORM)
    assert form.fields == values
    assert form.sources["联系地址"] == "m.docx 正文第2段"


def test_no_form():
    doc = Document("文章.docx", "docx", paragraphs=["这是一篇图文案例，讲述针灸科普工作。"] * 3)
    form = extract_form(doc, FORM)
    assert form.labels_found == 0 and not form.found
    assert set(form.fields) == set(LABELS) and not any(form.fields.values())
    _, _, problems = analyze_document(doc, FORM)
    assert [p.code for p in problems] == ["form_not_found"]


def test_analyze_document_itemizes_problems():
    values = sample_values(12)
    values.update(
        {"手机": "010-6408", "邮编": "1000", "电子邮箱": "abc", "粉丝数量": "很多", "注册时间": "去年"}
    )
    values["账号ID/网页链接"] = "单击或点击此处输入文字。"
    values["联系地址"] = ""
    reader_problem = Problem(None, "pdf_truncated", "PDF 文件过长。")
    doc = Document("a.docx", "docx", tables=[_vertical(values)], problems=[reader_problem])
    form, normalized, problems = analyze_document(doc, FORM)
    assert problems[0] == reader_problem
    by_field = {p.field: p.code for p in problems[1:]}
    assert by_field == {
        "手机": "phone_invalid",
        "邮编": "postcode_invalid",
        "电子邮箱": "email_invalid",
        "粉丝数量": "number_invalid",
        "注册时间": "date_invalid",
        "账号ID/网页链接": "link_missing",
        "联系地址": "missing",
    }
    phone = next(p for p in problems if p.field == "手机")
    assert "010-6408" in phone.message and "11位" in phone.message
    assert form.problems == problems
    assert normalized["手机"] is None


def test_huge_span_is_bounded():
    table = Table("表格1", [Cell(0, 0, "联系人", row_span=10**9, col_span=10**9), Cell(0, 5, "张三")])
    form = extract_form(Document("h.docx", "docx", tables=[table]), FORM)
    assert form.fields["联系人"] == ""


@given(
    st.sampled_from(LABELS),
    st.lists(st.sampled_from(["", " ", "\u3000", "\n", "  "]), min_size=12, max_size=12),
    st.sampled_from(["", "*", "＊"]),
    st.sampled_from(["", ":", "：", " ："]),
)
def test_any_spacing_of_a_label_still_matches(label, gaps, star, colon):
    written = star + "".join(ch + gaps[i % len(gaps)] for i, ch in enumerate(label)).strip() + colon
    assert vocabulary(FORM).match_label(written) == (label, 2)
    values = sample_values(0)
    form = extract_form(Document("h.docx", "docx", tables=[_vertical(values, {label: written})]), FORM)
    assert form.fields == values
