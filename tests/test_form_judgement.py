"""Is this document the 推荐表? Scores, list sheets, prompts, combined labels, glued text."""

from __future__ import annotations

import pytest
from fixtures_forms import LABELS, sample_values

from pipeline.campaign import builtin, vocabulary
from pipeline.form import extract_form
from pipeline.form.clean import clean_value
from pipeline.form.combined import combined_label, split_combined
from pipeline.form.judge import choose_forms, evidence, form_score, label_weight
from pipeline.form.lines import values_from_glued
from pipeline.model import Cell, Document, Table

FORM = builtin().form
VOCAB = vocabulary(FORM)


def _rows(name: str, rows: list[list[str]]) -> Table:
    return Table(name, [Cell(r, c, text) for r, row in enumerate(rows) for c, text in enumerate(row)])


def _form(values: dict[str, str], labels=LABELS) -> Table:
    return _rows("表格1", [[k, values[k]] for k in labels])


# ---------------------------------------------------------------- judge


def test_common_labels_alone_are_not_the_form():
    values = sample_values(0)
    doc = Document("报名表.docx", "docx", tables=[_form(values, LABELS[10:])])
    form = extract_form(doc, FORM)
    assert form.labels_found == 5 and form.score == 0 and not form.found
    assert not any(form.fields.values()) and form.sources == {}


def test_three_distinctive_labels_make_a_form_two_do_not():
    values = sample_values(1)
    two = extract_form(Document("a.docx", "docx", tables=[_form(values, LABELS[:2] + LABELS[10:])]), FORM)
    three = extract_form(Document("b.docx", "docx", tables=[_form(values, LABELS[:3] + LABELS[10:])]), FORM)
    assert two.score == 0 and two.fields["手机"] == ""
    assert (
        three.found
        and three.fields["手机"] == values["手机"]
        and three.fields["粉丝数量"] == values["粉丝数量"]
    )
    assert (
        0.5
        < three.score
        < extract_form(Document("c.docx", "docx", tables=[_form(values)]), FORM).score
        == 1.0
    )


def test_builtin_form_weighs_as_before():
    """Weights come from the form's fields; for 附件1 (ten distinctive, five weak) they are the old constants."""
    ev = evidence(FORM)
    assert ev.distinctive == frozenset(LABELS[:10])
    assert ev.distinctive_weight == pytest.approx(0.095) and ev.min_match == pytest.approx(0.28)
    assert label_weight(FORM, "联系地址", "地址") == 0.01


def test_generic_wordings_count_half():
    assert label_weight(FORM, "运营主体", "主办单位") == label_weight(FORM, "运营主体", "运营主体") / 2
    assert label_weight(FORM, "账号ID/网页链接", "网址") < label_weight(
        FORM, "账号ID/网页链接", "账号ID/网页链接"
    )
    assert label_weight(FORM, "手机", "手机") < label_weight(FORM, "推荐理由", "推荐理由") / 5
    # A meeting notice: 主办单位, 网址, 简介 plus every contact label is still not a form.
    paired = {"运营主体": "主办单位", "账号ID/网页链接": "网址", "账号简介": "简介"}
    paired.update({k: k for k in LABELS[10:]})
    assert form_score(FORM, paired, None) == 0
    assert form_score(FORM, {k: k for k in LABELS[:3]}, None) >= 0.5 + evidence(FORM).min_match / 2


def test_labels_without_a_value_place_do_not_count():
    """A header row of labels with nothing under them is a list heading, not label→value pairs."""
    doc = Document("x.docx", "docx", tables=[_rows("表格1", [list(LABELS)])])
    form = extract_form(doc, FORM)
    assert form.labels_found == 15 and form.score == 0


def test_summary_sheet_one_record_is_read_but_ranks_low():
    values = sample_values(2)
    header = ["序号", "推荐单位", *LABELS, "问题"]
    row = ["1", "北京针灸学会", *(values[k] for k in LABELS), "「手机」应为11位手机号码"]
    form = extract_form(Document("汇总表.xlsx", "xlsx", tables=[_rows("汇总", [header, row])]), FORM)
    assert form.fields == values  # 联系地址 is the cell under it, never the "问题" header
    assert 0 < form.score < 0.5


def test_summary_sheet_with_several_records_is_not_a_form():
    rows = [["序号", *LABELS]] + [[str(i), *sample_values(i).values()] for i in range(1, 4)]
    form = extract_form(Document("汇总表.xlsx", "xlsx", tables=[_rows("汇总", rows)]), FORM)
    assert form.score == 0 and not any(form.fields.values())


def test_form_sheet_wins_over_a_summary_sheet_before_it():
    values = sample_values(3)
    other = sample_values(4)
    summary = _rows("汇总", [list(LABELS), [other[k] for k in LABELS]])
    doc = Document("book.xlsx", "xlsx", tables=[summary, _form(values, LABELS)])
    form = extract_form(doc, FORM)
    assert form.fields == values and form.score == 1.0
    assert form.sources["账号名称"] == "book.xlsx 表格1 第1行第2列"


def test_choose_forms_prefers_any_real_form_over_a_summary_sheet():
    values = sample_values(11)
    sheet = extract_form(
        Document("汇总表.xlsx", "xlsx", tables=[_rows("汇总", [list(LABELS), list(values.values())])]), FORM
    )
    form = extract_form(
        Document("推荐表.docx", "docx", tables=[_form(values, LABELS[:4] + LABELS[10:])]), FORM
    )
    letter = extract_form(
        Document("推荐函.docx", "docx", paragraphs=["联系人：王五", "手机：13900000000"]), FORM
    )
    assert 0 < sheet.score < form.score and letter.score == 0
    score = lambda r: r.score  # noqa: E731
    assert choose_forms([sheet, letter, form], score) == [form]
    assert choose_forms([letter, sheet], score) == [sheet]
    assert choose_forms([letter], score) == []


# ---------------------------------------------------------------- layouts


def test_label_band_takes_the_cell_below_not_the_photo_column():
    values = sample_values(5)
    rows = [
        ["账号名称", "注册时间", "照片（二寸）"],
        [values["账号名称"], values["注册时间"], ""],
        ["粉丝数量", "运营主体", "尺寸：40 mm x 35 mm"],
        [values["粉丝数量"], values["运营主体"], "白色背景"],
    ] + [[k, values[k], ""] for k in LABELS[4:]]
    form = extract_form(Document("v.docx", "docx", tables=[_rows("表格1", rows)]), FORM)
    assert form.fields == values


def test_label_beside_its_value_is_not_a_band():
    """Grid rows "label | value | label | value": the value is on the right even with text below."""
    values = sample_values(6)
    rows = [
        ["账号名称", values["账号名称"], "注册时间", values["注册时间"]],
        ["粉丝数量", values["粉丝数量"], "运营主体", values["运营主体"]],
    ] + [[k, values[k], "", ""] for k in LABELS[4:]]
    form = extract_form(Document("g.docx", "docx", tables=[_rows("表格1", rows)]), FORM)
    assert form.fields == values


@pytest.mark.parametrize(
    ("label", "value", "expected"),
    [
        ("联系人及手机", "张三 13800138000", {"联系人": "张三", "手机": "13800138000"}),
        ("联系人/手机", "张三\n138-0013-8000", {"联系人": "张三", "手机": "138-0013-8000"}),
        ("联系人及电话", "李四（010-64089967）", {"联系人": "李四", "手机": "010-64089967"}),
        (
            "所在地址及邮编",
            "沈阳市皇姑区崇山东路79号 110847",
            {"联系地址": "沈阳市皇姑区崇山东路79号", "邮编": "110847"},
        ),
        (
            "联系地址及邮编",
            "北京市东城区16号（邮编：100700）",
            {"联系地址": "北京市东城区16号", "邮编": "100700"},
        ),
        (
            "通讯地址和邮政编码",
            "100700，北京市东城区16号",
            {"联系地址": "北京市东城区16号", "邮编": "100700"},
        ),
        ("电子邮箱及手机", "a@b.cn；13900000000", {"电子邮箱": "a@b.cn", "手机": "13900000000"}),
    ],
)
def test_combined_labels_split_their_value(label, value, expected):
    canons = combined_label(label, VOCAB)
    assert canons == tuple(expected)
    assert split_combined(canons, value, FORM) == expected


@pytest.mark.parametrize(
    "text", ["账号ID/网页链接", "推荐单位及盖章", "联系人", "姓名及性别", "联系人及联系人"]
)
def test_not_combined_labels(text):
    assert combined_label(text, VOCAB) is None


# ---------------------------------------------------------------- values that are not values


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("单击或点击此处输入文字。", ""),
        ("单击此处输入文字。", ""),
        ("单击或点击以输入日期。", ""),
        ("Click or tap here to enter text.", ""),
        ("Click here to enter text.", ""),
        ("（必填，用于通知与联系）", ""),
        ("（优先填写队长手机号）", ""),
        ("（选填，如微博、微信公众号等）", ""),
        ("王晓东（必填）", "王晓东"),
        ("（请填写可直接打开的网页链接）https://weibo.com/x", "https://weibo.com/x"),
        ("2016年8月（填写至月）", "2016年8月"),
        ("张三单击或点击此处输入文字。", "张三"),
        ("中国针灸学会（北京）", "中国针灸学会（北京）"),
        ("12.3万（截至7月）", "12.3万（截至7月）"),
        ("本账号（含视频号）坚持更新", "本账号（含视频号）坚持更新"),
        ("13800138000", "13800138000"),
    ],
)
def test_clean_value(raw, clean):
    assert clean_value(raw) == clean


def test_instructions_in_cells_are_empty_fields():
    values = sample_values(7)
    table = _form(values)
    hint = next(c for c in table.cells if c.text == values["手机"])
    hint.text = "（优先填写队长手机号）"
    form = extract_form(Document("h.docx", "docx", tables=[table]), FORM)
    assert form.fields["手机"] == "" and form.fields["联系人"] == values["联系人"]


# ---------------------------------------------------------------- glued text


def test_glued_text_is_read_in_form_order():
    values = sample_values(8)
    glued = "".join(f"{k}{values[k]}" for k in LABELS)
    form = extract_form(Document("g.docx", "docx", paragraphs=["推荐表", glued]), FORM)
    assert form.fields == values
    assert form.sources["手机"] == "g.docx 正文第2段"


def test_glued_text_label_quoted_in_a_long_value_is_not_a_label():
    values = sample_values(9)
    values["推荐理由"] = "坚持联系人民群众，联系人群广泛"
    glued = "".join(f"{k}{values[k]}" for k in LABELS)
    assert {k: v.value for k, v in values_from_glued([glued], VOCAB).items()} == values


def test_sentence_naming_labels_is_not_glued_text():
    text = "该账号粉丝数量稳步增长，推荐理由详见推荐表，联系人手机已在表中填写。"
    assert values_from_glued([text], VOCAB) == {}
    assert not extract_form(Document("函.docx", "docx", paragraphs=[text]), FORM).found


def test_combined_labels_in_running_text():
    values = sample_values(10)
    lines = [f"{k}：{values[k]}" for k in LABELS[:10]] + [
        f"联系人及手机：{values['联系人']} {values['手机']}",
        f"电子邮箱：{values['电子邮箱']}  所在地址及邮编：{values['联系地址']} {values['邮编']}",
    ]
    form = extract_form(Document("p.docx", "docx", paragraphs=lines), FORM)
    assert form.fields == values
