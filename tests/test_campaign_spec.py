"""The campaign as data: the built-in 附件1/附件2 and a form defined in inbox_rules.yaml."""

from __future__ import annotations

import pytest
import yaml

from pipeline.campaign import Kind, builtin, vocabulary
from pipeline.config import ConfigError, load_config

BASE = {
    "campaign": "测试",
    "this_level": {"name": "学会", "deadline": "2021-08-02 00:00"},
    "mailboxes": [{"name": "本地", "kind": "folder", "path": "mail"}],
    "smtp": {"dry_run": True, "from_addr": "me@society.example.cn"},
    "units": [{"name": "北京针灸学会", "addresses": ["bjzj@bj.example.cn"]}],
}


def write(tmp_path, **sections):
    path = tmp_path / "rules.yaml"
    path.write_text(
        yaml.safe_dump({**BASE, **sections}, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    return path


def test_builtin_is_the_notice_form_and_its_scoring_rules():
    campaign = builtin()
    form = campaign.form
    assert form.labels[:3] == ("账号名称", "注册时间", "粉丝数量") and len(form.labels) == 15
    assert form.identity_label == "账号名称"
    assert form.field("手机").kind is Kind.PHONE and form.field("推荐理由").kind is Kind.LONG_TEXT
    assert form.of_kind(Kind.INTEGER) == ("粉丝数量", "运营人数", "发布数量")
    assert form.rows[2] == ("账号ID/网页链接",) and len(form.rows) == 10
    assert campaign.scoring.total == 100
    assert campaign.scoring.by_name["粉丝量"].prefill.field == "粉丝数量"
    assert vocabulary(form).match_label("联 系 人：") == ("联系人", 2)
    assert vocabulary(form).match_label("联系电话") == ("手机", 1)


def test_a_config_without_a_form_section_reads_the_builtin_form(tmp_path):
    config = load_config(write(tmp_path))
    assert config.form == builtin().form and config.scoring == builtin().scoring
    config = load_config(write(tmp_path, form={"required": ["账号名称", "手机"]}))
    assert config.form.required == ("账号名称", "手机")  # the older list still works
    assert config.form.labels == builtin().form.labels


def test_a_campaign_defines_its_own_fields_and_scoring(tmp_path):
    (tmp_path / "blank.docx").write_bytes(b"PK")
    form = {
        "title": "申报表",
        "identity": "作品名称",
        "template": "blank.docx",
        "fields": [
            {"label": "作品名称", "kind": "text", "summary": True},
            {"label": "作品类型", "kind": "文字"},  # the Chinese kind name works too
            {"label": "字数", "kind": "integer", "required": False, "width": 6},
            {"label": "作者简介", "kind": "long_text"},
            {"label": "联系电话", "variants": ["手机", "手机号码"], "kind": "phone"},
        ],
        "layout": [["作品名称", "作品类型"], ["作者简介"]],
        "other_labels": ["申报单位（盖章）"],
    }
    scoring = {"items": [{"group": "科学性", "name": "准确", "rule": "内容科学准确", "points": 60}]}
    config = load_config(write(tmp_path, form=form, scoring=scoring))
    spec = config.form
    assert spec.labels == ("作品名称", "作品类型", "字数", "作者简介", "联系电话")
    assert spec.identity_label == "作品名称" and spec.title == "申报表"
    assert spec.required == ("作品名称", "作品类型", "作者简介", "联系电话")
    assert spec.field("字数").sheet_width == 6 and spec.field("作品类型").sheet_width == 12
    assert spec.rows == (("作品名称", "作品类型"), ("作者简介",), ("字数",), ("联系电话",))
    assert spec.template == tmp_path / "blank.docx"
    assert vocabulary(spec).match_label("手机号码") == ("联系电话", 1)
    assert vocabulary(spec).is_extra_label("申报单位（盖章）") or vocabulary(spec).is_extra_label("申报单位")
    assert config.scoring.total == 60


def test_every_mistake_in_a_form_section_is_reported_with_its_line(tmp_path):
    form = {
        "identity": "不存在",
        "fields": [
            {"label": "作品名称", "kind": "color"},
            {"label": "作品名称"},
            {"kind": "text"},
            {"label": "字数", "width": 500, "colour": 1},
        ],
        "layout": [["作品名称", "没有这栏"]],
    }
    scoring = {
        "items": [
            {"name": "准确", "points": 0},
            {"name": "粉丝", "points": 10, "prefill": {"field": "作品名称"}},
        ]
    }
    with pytest.raises(ConfigError) as err:
        load_config(write(tmp_path, form=form, scoring=scoring))
    found = {p.key: p for p in err.value.problems}
    for key in (
        "form.identity",
        "form.fields[0].kind",
        "form.fields[1].label",
        "form.fields[2].label",
        "form.fields[3].width",
        "form.fields[3].colour",
        "form.layout[0]",
        "scoring.items[0].points",
        "scoring.items[1].prefill.field",
    ):
        assert key in found, (key, sorted(found))
        assert found[key].line is not None, key
    assert "integer" in found["form.fields[0].kind"].fix
