"""A campaign is data: the second example campaign (examples/campaigns/kepu/) and a 16th field.

The 优秀科普作品 申报表 has its own fields, kinds and wording; its rules file is
`form init`'s output after review. Every filled copy (.docx with content
controls, the .doc Word 97 and PDF copies LibreOffice made, a retyped WPS
sheet) reads exactly with that definition, the readers never take the
百佳账号 推荐表 or any other document for it (nor it for the 推荐表), and the
built-in campaign gains a field by one edit of its definition.
"""

from __future__ import annotations

import importlib.util
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pypdfium2
import pytest
import yaml
from corpus.layout import framed, grid, values
from corpus.wordml import Writer

from pipeline.campaign import builtin, form_from_mapping
from pipeline.campaign.load import BUILTIN as BUILTIN_YAML
from pipeline.config import load_config
from pipeline.documents import read_document
from pipeline.form import analyze_document, extract_form
from pipeline.form.init import form_init
from pipeline.form.judge import FORM_TIER
from pipeline.model import Cell, Document, Table

ROOT = Path(__file__).resolve().parent.parent
KEPU = ROOT / "examples" / "campaigns" / "kepu"
EXPECTED: dict[str, dict] = json.loads((KEPU / "expected.json").read_text(encoding="utf-8"))
CORPUS = ROOT / "tests" / "corpus" / "real"


@pytest.fixture(scope="module")
def config():
    return load_config(KEPU / "inbox_rules.yaml")


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_filled_copies_read_exactly(config, name):
    spec = config.form
    doc = read_document(name, (KEPU / "filled" / name).read_bytes(), form=spec)
    form, normalized, problems = analyze_document(doc, spec)
    assert form.score == 1.0, (name, form.labels_found)
    assert form.fields == EXPECTED[name]["fields"]
    assert problems == []  # 上海's empty 主创人数 is optional (printed "（选填）")
    assert isinstance(normalized["累计阅读/播放次数"], int) and normalized["联系电话"].isdigit()


def test_unreviewed_form_init_output_reads_them_too(tmp_path):
    """form init's output as printed, pasted into a configuration: every field of every copy."""
    base = (ROOT / "inbox_rules.yaml").read_text(encoding="utf-8")
    printed = (KEPU / "form_init.yaml").read_text(encoding="utf-8")
    config_file = tmp_path / "inbox_rules.yaml"
    config_file.write_text(_replace_form(base, printed), encoding="utf-8")
    spec = load_config(config_file).form
    for name, expected in EXPECTED.items():
        doc = read_document(name, (KEPU / "filled" / name).read_bytes(), form=spec)
        assert extract_form(doc, spec).fields == expected["fields"], name


def test_copies_cover_every_format():
    assert {Path(n).suffix for n in EXPECTED} == {".docx", ".doc", ".pdf", ".xlsx"}
    assert {e["unit"] for e in EXPECTED.values()} <= {u["name"] for u in _rules()["units"]}


def test_normalised_by_kind(config):
    spec = config.form
    name = "申报表-北京针灸学会.docx"
    doc = read_document(name, (KEPU / "filled" / name).read_bytes(), form=spec)
    _, normalized, _ = analyze_document(doc, spec)
    assert normalized["累计阅读/播放次数"] == 126000  # 约12.6万次
    assert normalized["首次发布时间"] == "2023-09-15"
    assert normalized["联系电话"] == "13912345678"
    assert normalized["主创人数"] == 3 and normalized["邮政编码"] == "100700"


def test_problems_speak_of_this_form(config):
    spec = config.form
    fields = dict(EXPECTED["申报表-北京针灸学会.docx"]["fields"])
    fields.update({"作品链接": "", "联系电话": "010-6408", "累计阅读/播放次数": "很多", "作者单位": ""})
    doc = Document(
        "x.docx",
        "docx",
        tables=[
            Table(
                "表格1",
                [Cell(i, c, t) for i, (k, v) in enumerate(fields.items()) for c, t in ((0, k), (1, v))],
            )
        ],
    )
    _, _, problems = analyze_document(doc, spec)
    assert [(p.field, p.code) for p in problems] == [
        ("作者单位", "missing"),
        ("作品链接", "link_missing"),
        ("累计阅读/播放次数", "number_invalid"),
        ("联系电话", "phone_invalid"),
    ]
    messages = {p.field: p.message for p in problems}
    assert messages["作者单位"] == "申报表未填写「作者单位」，请补充后重新发送。"
    assert messages["作品链接"] == "申报表未填写「作品链接」，请填写可直接打开的网页链接后重新发送。"
    assert messages["联系电话"].startswith("「联系电话」应为11位手机号码")


def test_extract_command_with_the_config(tmp_path):
    rules = (
        (KEPU / "inbox_rules.yaml")
        .read_text(encoding="utf-8")
        .replace("../../../data/kepu", str(tmp_path / "data"))
    )
    (tmp_path / "inbox_rules.yaml").write_text(rules, encoding="utf-8")
    (tmp_path / "附件1-优秀科普作品申报表.docx").write_bytes(
        (KEPU / "附件1-优秀科普作品申报表.docx").read_bytes()
    )
    files = [str(KEPU / "filled" / n) for n in sorted(EXPECTED)]
    proc = subprocess.run(
        [
            sys.executable,
            str(ROOT / "run.py"),
            "extract",
            "--config",
            str(tmp_path / "inbox_rules.yaml"),
            *files,
        ],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
    )
    assert proc.returncode == 0, proc.stderr
    results = json.loads(proc.stdout)
    assert {Path(r["file"]).name: r["fields"] for r in results} == {
        n: e["fields"] for n, e in EXPECTED.items()
    }
    assert all(list(r["fields"]) == list(EXPECTED[Path(r["file"]).name]["fields"]) for r in results)


def test_packet_form_from_the_blank_template_reads_back(config, tmp_path):
    """The example's blank 申报表 is the campaign's template: each unit's values written into it
    (as the packet does) read back exactly."""
    from pipeline.reports.form_docx import render_form_docx, template_problems

    assert template_problems(config.form) == []
    for name, expected in EXPECTED.items():
        out = tmp_path / f"{expected['unit']}.docx"
        render_form_docx(expected["fields"], expected["unit"], config.form, out)
        doc = read_document(out.name, out.read_bytes(), form=config.form)
        assert extract_form(doc, config.form).fields == expected["fields"], name


# ---------------------------------------------------------------- the example folder


def _rules() -> dict:
    return yaml.safe_load((KEPU / "inbox_rules.yaml").read_text(encoding="utf-8"))


def test_rules_file_is_form_init_output_reviewed():
    """Review added variants, summary columns, the template and shorter item names; the fields stand."""
    printed = yaml.safe_load((KEPU / "form_init.yaml").read_text(encoding="utf-8"))
    reviewed = _rules()
    keep = ("label", "kind", "required", "common")
    assert [{k: f.get(k) for k in keep} for f in reviewed["form"]["fields"]] == [
        {k: f.get(k) for k in keep} for f in printed["form"]["fields"]
    ]
    for key in ("name", "title", "identity", "layout", "other_labels"):
        assert reviewed["form"][key] == printed["form"][key], key
    strip = lambda items: [(i["group"], i["rule"], i["points"], i.get("prefill")) for i in items]  # noqa: E731
    assert strip(reviewed["scoring"]["items"]) == strip(printed["scoring"]["items"])


def test_form_init_output_is_current():
    """form_init.yaml is what the command prints today for the example's files."""
    text = form_init(KEPU / "附件1-优秀科普作品申报表.docx", KEPU / "附件2-评分细则.docx")
    assert (KEPU / "form_init.yaml").read_text(encoding="utf-8") == text


def test_generator_reproduces_the_checked_in_files():
    """The Word and sheet files come out byte for byte (the .doc/.pdf copies depend on LibreOffice)."""
    spec = importlib.util.spec_from_file_location("make_kepu", KEPU / "make_example.py")
    make = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make)
    assert (KEPU / make.BLANK).read_bytes() == make.application_form(None)
    assert (KEPU / make.SCORING).read_bytes() == make.scoring_rules()
    for unit, fmt in make.FORMATS.items():
        name = f"申报表-{unit}.{fmt}"
        assert EXPECTED[name]["fields"] == make.UNITS[unit]
        if fmt == "docx":
            assert (KEPU / "filled" / name).read_bytes() == make.application_form(
                make.UNITS[unit], make._opinion(unit)
            )
        if fmt == "xlsx":
            assert (KEPU / "filled" / name).read_bytes() == make.retyped_sheet(make.UNITS[unit])


def _photo_of_rows(rows: list[tuple[str, str]]) -> bytes:
    """A 200-dpi picture of a ruled two-column table (小四 text), as a scan of part of a form."""
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 33)
    img = Image.new("RGB", (1654, 1000), "white")
    draw = ImageDraw.Draw(img)
    left, mid, right, y = 200, 520, 1450, 150
    for label, value in rows:
        draw.line([(left, y), (right, y)], fill="black", width=3)
        draw.text((left + 20, y + 25), label, font=font, fill="black")
        draw.text((mid + 20, y + 25), value, font=font, fill="black")
        for x in (left, mid, right):
            draw.line([(x, y), (x, y + 90)], fill="black", width=3)
        y += 90
    draw.line([(left, y), (right, y)], fill="black", width=3)
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def test_ocr_looks_for_the_campaign_form(config):
    """read_document hands the campaign's form to OCR (in the sandbox): a photo showing only this
    form's labels is recognised and read; looking for the built-in 附件1, its first look finds no
    label and the picture is left as a picture."""
    png = _photo_of_rows(
        [("作品名称", "艾灸那些事"), ("作品类别", "动漫"), ("第一作者", "周婷"), ("发布平台", "抖音")]
    )
    doc = read_document("照片.png", png, form=config.form)
    assert doc.is_scan and [p.code for p in doc.problems] == ["scan"]
    form = extract_form(doc, config.form)
    assert form.found and form.fields["作品名称"] == "艾灸那些事" and form.fields["发布平台"] == "抖音"
    other = read_document("照片.png", png)
    assert other.problems == [] and other.tables == [] and other.paragraphs == []


def test_a_grey_200_dpi_picture_of_the_filled_form_reads_every_field(config):
    """The filled 申报表 PDF rendered at 200 dpi in grey, as a copier or a "print to image"
    makes it: its label column is shaded and the detector's box for "作品简介（300 字以内）"
    reaches over the column rule; every cell still reads apart, all 16 values right
    (it read 0/16 when that rule was lost: "作品名称艾灸那些事" in one cell)."""
    name = "申报表-江苏省针灸学会.pdf"
    pdf = pypdfium2.PdfDocument((KEPU / "filled" / name).read_bytes())
    picture = pdf[0].render(scale=200 / 72, grayscale=True).to_pil()
    buf = io.BytesIO()
    picture.save(buf, "PNG")
    doc = read_document("申报表.png", buf.getvalue(), form=config.form)
    assert doc.is_scan and [p.code for p in doc.problems] == ["scan"]
    form = extract_form(doc, config.form)
    assert form.found
    wrong = {k: form.fields.get(k) for k, v in EXPECTED[name]["fields"].items() if form.fields.get(k) != v}
    assert wrong == {}


# ---------------------------------------------------------------- one form is not another


@pytest.fixture(scope="module")
def corpus_docs() -> dict[str, Document]:
    expected = json.loads((CORPUS / "expected.json").read_text(encoding="utf-8"))
    return {name: read_document(name, (CORPUS / name).read_bytes()) for name in expected}


def test_no_other_document_is_the_second_form(config, corpus_docs):
    """Every 推荐表 of this year's campaign, and every 报名表/申请表/notice of the corpus, is not a 申报表."""
    for name, doc in corpus_docs.items():
        form = extract_form(doc, config.form)
        assert form.score == 0 and not any(form.fields.values()), (name, form.labels_found)


def test_the_second_form_is_not_the_builtin_form(config):
    for name in EXPECTED:
        doc = read_document(name, (KEPU / "filled" / name).read_bytes(), form=config.form)
        form = extract_form(doc, builtin().form)
        assert form.score == 0 and not any(form.fields.values()), name


def test_a_list_of_works_is_not_a_form(config):
    labels = list(config.form.labels)
    records = [list(e["fields"].values()) for e in EXPECTED.values()]
    several = extract_form(
        Document(
            "汇总.xlsx",
            "xlsx",
            tables=[_rows([["序号", *labels]] + [[str(i), *r] for i, r in enumerate(records)])],
        ),
        config.form,
    )
    assert several.score == 0
    one = extract_form(Document("汇总.xlsx", "xlsx", tables=[_rows([labels, records[0]])]), config.form)
    assert 0 < one.score < FORM_TIER  # read only when no real form came


def test_a_small_form_needs_more_than_two_shared_labels():
    """A campaign form of five fields, three of them distinctive: a sheet with two of them (and the
    contact labels every form has) is not it, nor is a list of its records; the form itself is."""
    small = form_from_mapping(
        {
            "fields": [
                {"label": "项目名称"},
                {"label": "负责单位"},
                {"label": "实施年份", "kind": "date"},
                {"label": "联系人", "common": True},
                {"label": "手机", "kind": "phone"},
            ]
        },
        _no_problem,
    )
    two = _rows(
        [["项目名称", "针灸进社区"], ["负责单位", "某学会"], ["联系人", "张三"], ["手机", "13800138000"]]
    )
    assert extract_form(Document("报名表.docx", "docx", tables=[two]), small).score == 0
    full = _rows(
        [
            ["项目名称", "针灸进社区"],
            ["负责单位", "某学会"],
            ["实施年份", "2023年"],
            ["联系人", "张三"],
            ["手机", "13800138000"],
        ]
    )
    assert extract_form(Document("表.docx", "docx", tables=[full]), small).score == 1.0
    header = ["项目名称", "负责单位", "实施年份", "联系人", "手机"]
    rows = [header, ["A", "甲", "2021年", "张", "13800138000"], ["B", "乙", "2022年", "李", "13900139000"]]
    assert extract_form(Document("汇总.xlsx", "xlsx", tables=[_rows(rows)]), small).score == 0


# ---------------------------------------------------------------- a 16th field


def test_a_sixteenth_field_is_one_edit_of_the_definition(tmp_path):
    """builtin.yaml's form section plus one field, in a configuration: that field is read from a form
    that has it, everything else as before, and a form without it says the field is missing."""
    section = BUILTIN_YAML.read_text(encoding="utf-8").split("\nscoring:")[0]
    edited = section.replace(
        "  layout:", "    - {label: 账号类型, variants: [账号类别], kind: text}\n  layout:", 1
    )
    assert edited != section
    base = (ROOT / "inbox_rules.yaml").read_text(encoding="utf-8")
    config_file = tmp_path / "inbox_rules.yaml"
    config_file.write_text(_replace_form(base, edited), encoding="utf-8")
    spec = load_config(config_file).form
    assert spec.labels == (*builtin().form.labels, "账号类型") and spec.rows[-1] == ("账号类型",)

    w = Writer("word2016")
    v = values("营口", 21)
    extra = w.row(
        w.cell(w.para(w.run("账号类别")), 1550, shade=True)
        + w.cell(w.para(w.run("微信公众号")), 7756, span=3)
    )
    data = framed(w, grid(w, v, after={"联系地址": [extra]}))
    doc = read_document("推荐表.docx", data, form=spec)
    form, _, problems = analyze_document(doc, spec)
    assert form.fields == {**v, "账号类型": "微信公众号"} and problems == []

    plain = read_document("推荐表.docx", framed(Writer("word2016"), grid(Writer("word2016"), v)))
    form, _, problems = analyze_document(plain, spec)
    assert form.fields == {**v, "账号类型": ""}
    assert [(p.field, p.code) for p in problems] == [("账号类型", "missing")]
    assert extract_form(plain, builtin().form).fields == v  # the built-in campaign is unchanged


def _replace_form(base: str, section: str) -> str:
    kept, skipping = [], False
    for line in base.splitlines():
        if line[:1] not in ("", " ", "#"):
            skipping = line.startswith(("form:", "scoring:"))
        if not skipping:
            kept.append(line)
    return "\n".join(kept) + "\n\n" + section.strip("\n") + "\n"


def _rows(rows: list[list[str]]) -> Table:
    return Table("表格1", [Cell(r, c, t) for r, row in enumerate(rows) for c, t in enumerate(row)])


def _no_problem(key: str, message: str, fix: str) -> None:
    raise AssertionError((key, message))
