"""`run.py form init`: a campaign's blank form (and scoring table) -> the form:/scoring: sections.

Blank forms are built the way Word and WPS build them (tests/corpus/wordml.py):
the notice's 4-column 附件1 with a wrapped label, a WPS 2-column form with
spaced labels, notes in brackets and a label merged down two rows, the second
example campaign's 申报表 with content controls, and the same forms saved as
.doc and printed to PDF by LibreOffice. The output must load back through the
configuration's own reader unchanged.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
import yaml
from corpus.layout import EMPTY, framed, grid
from corpus.wordml import Writer
from fixtures_forms import soffice_convert

from pipeline.campaign import Kind, builtin, form_from_mapping, scoring_from_mapping
from pipeline.config import load_config
from pipeline.documents import read_document
from pipeline.form.blank import BlankFormError, read_blank_form, split_label
from pipeline.form.init import form_init
from pipeline.form.scoring_table import read_scoring_table

ROOT = Path(__file__).resolve().parent.parent
KEPU = ROOT / "examples" / "campaigns" / "kepu"
BLANK = KEPU / "附件1-优秀科普作品申报表.docx"
SCORING = KEPU / "附件2-评分细则.docx"

KEPU_FIELDS = {
    "作品名称": Kind.TEXT,
    "作品类别": Kind.TEXT,
    "首次发布时间": Kind.DATE,
    "第一作者": Kind.TEXT,
    "作者单位": Kind.TEXT,
    "发布平台": Kind.TEXT,
    "主创人数": Kind.INTEGER,
    "作品链接": Kind.URL,
    "累计阅读/播放次数": Kind.INTEGER,
    "作品简介": Kind.LONG_TEXT,
    "推荐理由": Kind.LONG_TEXT,
    "联系人": Kind.TEXT,
    "联系电话": Kind.PHONE,
    "电子邮箱": Kind.EMAIL,
    "邮政编码": Kind.POSTCODE,
    "通讯地址": Kind.TEXT,
}
KEPU_ROWS = [
    ("作品名称",),
    ("作品类别", "首次发布时间"),
    ("第一作者", "作者单位"),
    ("发布平台", "主创人数"),
    ("作品链接",),
    ("累计阅读/播放次数",),
    ("作品简介",),
    ("推荐理由",),
    ("联系人", "联系电话"),
    ("电子邮箱", "邮政编码"),
    ("通讯地址",),
]


def _spec(text: str):
    """The form a printed section defines, failing on any problem the configuration reader reports."""
    problems: list[tuple[str, str]] = []
    data = yaml.safe_load(text)
    form = form_from_mapping(data["form"], lambda key, msg, fix: problems.append((key, msg)))
    scoring = None
    if "scoring" in data:
        scoring = scoring_from_mapping(data["scoring"], lambda k, m, f: problems.append((k, m)), form=form)
    assert problems == []
    return form, scoring


def _check_kepu(text: str) -> None:
    form, _ = _spec(text)
    assert {f.label: f.kind for f in form.fields} == KEPU_FIELDS
    assert list(form.labels) == list(KEPU_FIELDS)
    assert [tuple(r) for r in form.layout] == KEPU_ROWS
    assert form.identity_label == "作品名称" and form.title == "申报表"
    assert form.name == "附件1 优秀科普作品申报表"
    assert form.other_labels == ("推荐单位意见", "填表日期")
    assert [f.label for f in form.fields if not f.required] == ["主创人数"]  # printed "（选填）"
    assert [f.label for f in form.fields if f.common] == ["联系人", "通讯地址"]
    assert "手机" in form.field("联系电话").variants and "邮编" in form.field("邮政编码").variants


def test_example_blank_form_docx():
    text = form_init(BLANK)
    _check_kepu(text)
    # Staff see what each guess rests on and how the label was printed.
    assert "表上分行印作“首次发布”“时间”" in text
    assert "表上注明“选填”" in text and "栏目名含“次数”" in text


@pytest.fixture(scope="module")
def converted(tmp_path_factory) -> dict[str, bytes]:
    """The example's blank form saved as .doc and printed to PDF by LibreOffice."""
    out = tmp_path_factory.mktemp("blank")
    data = {BLANK.name: BLANK.read_bytes()}
    return {
        "doc": soffice_convert(data, out / "doc", "doc:MS Word 97")[BLANK.name],
        "pdf": soffice_convert(data, out / "pdf", "pdf:writer_pdf_Export")[BLANK.name],
    }


@pytest.mark.parametrize("fmt", ["doc", "wps", "pdf"])
def test_example_blank_form_as_doc_and_pdf(converted, tmp_path, fmt):
    """Word's grey prompts stay in the .doc as plain text (a .wps is the same binary format), the PDF
    has no controls at all: same fields."""
    path = tmp_path / f"申报表.{fmt}"
    path.write_bytes(converted["doc" if fmt == "wps" else fmt])
    _check_kepu(form_init(path))


def test_blank_notice_form_gives_the_builtin_definition():
    """The notice's own 附件1, blank (4 columns, 账号ID/网页链接 wrapped in its cell): the built-in fields."""
    w = Writer("word2016")
    data = framed(w, grid(w, EMPTY, labels={"账号ID/网页链接": "账号ID/网\n页链接"}))
    draft = read_blank_form(_read("附件1.docx", data))
    want = builtin().form
    assert [f.label for f in draft.fields] == list(want.labels)
    assert [f.kind for f in draft.fields] == [f.kind for f in want.fields]
    assert draft.rows == [tuple(r) for r in want.layout]
    assert [f.label for f in draft.fields if f.common] == [f.label for f in want.fields if f.common]
    assert draft.identity == "账号名称" and draft.title == "推荐表" and draft.attachment == "附件1"
    assert draft.other_labels == ["推荐单位（盖章）", "填表日期"]


def _wps_two_columns() -> bytes:
    """A WPS 2-column 推荐表: title row, spaced and wrapped labels, notes, a label merged down two rows."""
    w = Writer("wps")
    widths = [2200, 6106]

    def row(label: str, value: str = "", height: int = 454) -> str:
        cell = "".join(w.para(w.run(part)) for part in label.split("\n"))
        return w.row(
            w.cell(cell, widths[0], shade=True) + w.cell(w.para(w.run(value) if value else ""), widths[1]),
            height,
        )

    rows = [
        w.row(
            w.cell(w.text_para("科技志愿服务先进个人推荐表", center=True, size=30), sum(widths), span=2), 680
        ),
        row("姓  名"),
        row("性\u3000\u3000别"),
        row("出生\n年月"),
        row("工作单位及职务"),
        row("手\u3000\u3000机："),
        row("电子邮箱（必填）"),
        row("服务次数\n（次）"),
        row("志愿服务\n平台网址（选填）"),
        w.row(
            w.cell(
                w.para(w.run("主要事迹")) + w.para(w.run("（1000字以内）")),
                widths[0],
                vmerge="restart",
                shade=True,
            )
            + w.cell(w.para(""), widths[1], vmerge="restart"),
            1400,
        ),
        w.row(
            w.cell(w.para(""), widths[0], vmerge="continue")
            + w.cell(w.para(""), widths[1], vmerge="continue"),
            1400,
        ),
        row("推荐单位意见", "（盖章）\n年  月  日"),
    ]
    body = w.text_para("附件2") + w.table(rows, widths) + w.text_para("填表人：            联系电话：")
    return w.package(body)


def test_wps_two_column_form():
    draft = read_blank_form(_read("推荐表.docx", _wps_two_columns()))
    assert [(f.label, f.kind) for f in draft.fields] == [
        ("姓名", Kind.TEXT),
        ("性别", Kind.TEXT),
        ("出生年月", Kind.DATE),
        ("工作单位及职务", Kind.TEXT),
        ("手机", Kind.PHONE),
        ("电子邮箱", Kind.EMAIL),
        ("服务次数", Kind.INTEGER),
        ("志愿服务平台网址", Kind.URL),
        ("主要事迹", Kind.LONG_TEXT),
    ]
    assert draft.rows == [(f.label,) for f in draft.fields]  # one label a row, as printed
    assert (
        draft.title == "推荐表"
        and draft.heading == "科技志愿服务先进个人推荐表"
        and draft.attachment == "附件2"
    )
    assert draft.identity == "姓名"
    assert [f.label for f in draft.fields if not f.required] == ["志愿服务平台网址"]
    assert [f.label for f in draft.fields if f.common] == ["姓名", "性别", "出生年月"]
    assert next(f for f in draft.fields if f.label == "主要事迹").tall
    # The signature row and the lines under the table are printed, not fields.
    assert draft.other_labels == ["推荐单位意见", "填表人", "联系电话"]


def test_blank_sheet_form(tmp_path):
    """A blank form made in a sheet: empty value cells are not stored at all, merged ones are."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws["A1"] = "青年人才申报表"
    ws.merge_cells("A1:D1")
    for r, (a, b) in enumerate(
        [("申报人姓名", "出生日期"), ("所在单位", "手机号码"), ("论文数量（篇）", "邮箱")], start=2
    ):
        ws.cell(r, 1, a)
        ws.cell(r, 3, b)
    ws["A5"] = "主要成果简介"
    ws.merge_cells("B5:D5")
    path = tmp_path / "申报表.xlsx"
    wb.save(path)
    form, _ = _spec(form_init(path))
    assert [(f.label, f.kind) for f in form.fields] == [
        ("申报人姓名", Kind.TEXT),
        ("出生日期", Kind.DATE),
        ("所在单位", Kind.TEXT),
        ("手机号码", Kind.PHONE),
        ("论文数量", Kind.INTEGER),
        ("邮箱", Kind.EMAIL),
        ("主要成果简介", Kind.LONG_TEXT),
    ]
    assert form.layout[0] == ("申报人姓名", "出生日期") and form.title == "申报表"


def test_form_without_a_table():
    lines = [
        "报名表",
        "作品名称：____________  作者：__________",
        "联系电话：____________",
        "单位盖章：",
        "日期：  年 月 日",
    ]
    from pipeline.model import Document

    draft = read_blank_form(Document("报名表.docx", "docx", paragraphs=lines))
    assert [(f.label, f.kind) for f in draft.fields] == [
        ("作品名称", Kind.TEXT),
        ("作者", Kind.TEXT),
        ("联系电话", Kind.PHONE),
    ]
    assert draft.rows == [("作品名称", "作者"), ("联系电话",)]
    assert draft.other_labels == ["单位盖章", "日期"]


@pytest.mark.parametrize(
    ("printed", "label", "note"),
    [
        ("联系电话（必填）", "联系电话", "必填"),
        ("账号ID/网\n页链接", "账号ID/网页链接", ""),
        ("联 系 人：", "联系人", ""),
        ("*作品简介\n（300字以内）", "作品简介", "300字以内"),
        ("1.粉丝数量（截至7月）（万）", "粉丝数量", "截至7月；万"),
        ("E-mail", "E-mail", ""),
        ("Contact\nPerson", "Contact Person", ""),
    ],
)
def test_split_label(printed, label, note):
    assert split_label(printed) == (label, note)


def test_scoring_table_of_the_example():
    form, _ = _spec(form_init(BLANK))
    draft = read_scoring_table(_read(SCORING.name, SCORING.read_bytes()), form=form)
    assert draft.total == 100 and len(draft.items) == 7
    assert [(i.group, i.points) for i in draft.items] == [
        ("科学性", 20),
        ("科学性", 10),
        ("通俗性", 15),
        ("通俗性", 10),
        ("创新性", 20),
        ("传播力", 15),
        ("传播力", 10),
    ]
    assert draft.items[0].rule == "内容科学准确，无知识性错误" and draft.items[0].name == "内容科学准确"
    assert [i.prefill for i in draft.items if i.prefill] == ["累计阅读/播放次数"]
    assert draft.title == "附件2 优秀科普作品评分细则"


def with_sections(text: str) -> str:
    """The repository's inbox_rules.yaml with its form:/scoring: sections replaced by `text`."""
    kept, skipping = [], False
    for line in (ROOT / "inbox_rules.yaml").read_text(encoding="utf-8").splitlines():
        top = line[:1] not in ("", " ", "#")
        if top:
            skipping = line.startswith(("form:", "scoring:"))
        if not skipping:
            kept.append(line)
    return "\n".join(kept) + "\n\n" + text


def test_output_pasted_into_a_config_loads_unchanged(tmp_path):
    """The printed text replaces the form: section of a full configuration and check-config accepts it."""
    text = form_init(BLANK, SCORING)
    config_file = tmp_path / "inbox_rules.yaml"
    config_file.write_text(with_sections(text), encoding="utf-8")
    config = load_config(config_file)
    form, scoring = _spec(text)
    assert config.form == form and config.scoring == scoring
    assert config.scoring.by_name["作品累计阅读"].prefill.field == "累计阅读/播放次数"


def run_py(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run(
        [sys.executable, str(ROOT / "run.py"), *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=cwd,
        env=env,
    )


def test_the_command(tmp_path):
    out = tmp_path / "栏目定义.yaml"
    proc = run_py(tmp_path, "form", "init", str(BLANK), "--scoring", str(SCORING), "--output", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "已写入" in proc.stdout
    assert out.read_text(encoding="utf-8") == form_init(BLANK, SCORING)
    # A file that holds no form: one Chinese line and a non-zero status, not a traceback.
    letter = tmp_path / "推荐函.docx"
    shutil.copy(ROOT / "tests" / "corpus" / "real" / "推荐函.docx", letter)
    proc = run_py(tmp_path, "form", "init", str(letter))
    assert proc.returncode != 0 and "Traceback" not in proc.stderr
    assert "没有在“推荐函.docx”中找到表格的栏目" in proc.stderr
    help_text = run_py(tmp_path, "form", "init", "-h").stdout
    assert "例如" in help_text and "--scoring" in help_text


def test_no_form_is_an_error_not_a_guess():
    from pipeline.model import Document

    with pytest.raises(BlankFormError):
        read_blank_form(Document("函.docx", "docx", paragraphs=["各有关单位：", "现将有关事项通知如下。"]))


def _read(name: str, data: bytes):
    return read_document(name, data)


def test_commented_example_in_inbox_rules_loads():
    """The form:/scoring: example that inbox_rules.yaml shows in comments is valid once uncommented."""
    text = (ROOT / "inbox_rules.yaml").read_text(encoding="utf-8")
    start = text.index("  # name: 附件1")
    form_lines = ["form:"]
    for line in text[start:].splitlines():
        if not line.startswith("  # "):
            break
        form_lines.append("  " + line[4:])
    scoring_lines = []
    for line in text[text.index("# scoring:") :].splitlines():
        if not line.startswith("#"):
            break
        scoring_lines.append(line[2:])
    data = yaml.safe_load("\n".join(form_lines) + "\n" + "\n".join(scoring_lines))
    data["form"].pop("template")  # a file of the example folder
    data["form"]["fields"].append({"label": "累计阅读/播放次数", "kind": "integer"})
    form, scoring = _spec(yaml.safe_dump(data, allow_unicode=True))
    assert form.labels == ("作品名称", "联系电话", "联系人", "累计阅读/播放次数")
    assert form.field("联系人").common and form.field("联系人").width == 8
    assert [i.points for i in scoring.items] == [20, 15]


def test_a_filled_form_is_not_taken_for_a_blank_one():
    """Every cell holds text: nothing to call a place for a value, and staff are told why."""
    name = "申报表-北京针灸学会.docx"
    with pytest.raises(BlankFormError, match="可能是已经填好的表格"):
        read_blank_form(_read(name, (KEPU / "filled" / name).read_bytes()))
