"""Read a campaign's `form:` and `scoring:` sections (YAML mappings) into specs.

One reader for the built-in definition (builtin.yaml) and for what staff paste
into inbox_rules.yaml. Every mistake is reported through `report(key, message,
fix)` in Chinese with its key path (`form.fields[3].kind`), so `check-config`
lists them all with their lines; the built-in definition raises on the first.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path

import yaml

from .spec import Campaign, FieldSpec, FormSpec, Kind, Prefill, ScoringItem, ScoringSpec

Report = Callable[[str, str, str], None]
BUILTIN = Path(__file__).with_name("builtin.yaml")

FORM_KEYS = ("name", "title", "identity", "fields", "layout", "other_labels", "template", "required")
FIELD_KEYS = ("label", "variants", "kind", "required", "width", "common", "summary")
SCORING_KEYS = ("title", "items")
ITEM_KEYS = ("group", "name", "rule", "points", "prefill")
KIND_WORDS = {k.value: k for k in Kind} | {k.zh: k for k in Kind}
KIND_FIX = "可用的类型：" + "、".join(f"{k.value}（{k.zh}）" for k in Kind)


@cache
def builtin() -> Campaign:
    """The 百佳账号 campaign of the notice: its 附件1 推荐表 and 附件2 评议细则."""
    data = yaml.safe_load(BUILTIN.read_text(encoding="utf-8"))
    form = form_from_mapping(data["form"], _raise)
    return Campaign(form=form, scoring=scoring_from_mapping(data["scoring"], _raise, form=form))


def _raise(key: str, message: str, fix: str) -> None:
    raise ValueError(f"{BUILTIN.name}: {key}: {message}（{fix}）")


def form_from_mapping(
    data: object, report: Report, base_dir: Path | None = None, where: str = "form"
) -> FormSpec:
    """The form a `form:` section defines. Without `fields` it is the built-in 附件1
    (its `required` list, if any, still applies). Problems go to `report`; what is
    wrong falls back to the built-in value so later checks still run."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        report(where, "应是若干“名称: 值”", "写 fields:（栏目列表）等项，或删除 form 一节使用内置的附件1")
        data = {}
    _unknown_keys(data, FORM_KEYS, where, report)
    if data.get("fields") is None:
        base = builtin().form
        fields = base.fields
        defaults = {"name": base.name, "title": base.title, "identity": base.identity}
        default_layout = base.layout
    else:
        fields = _fields(data["fields"], f"{where}.fields", report)
        defaults = {"name": "", "title": "推荐表", "identity": ""}
        default_layout = ()
    labels = [f.label for f in fields]
    if "required" in data:  # the older way: a list of the required labels
        required = _labels(data["required"], f"{where}.required", labels, report)
        fields = tuple(_replace(f, required=f.label in required) for f in fields)
    identity = _text(data.get("identity", defaults["identity"]), f"{where}.identity", report)
    if identity and identity not in labels:
        report(f"{where}.identity", f"没有栏目“{identity}”", f"写 fields 中的一个栏目名，如 {labels[0]}")
        identity = ""
    layout = default_layout
    if "layout" in data:
        layout = _layout(data["layout"], f"{where}.layout", labels, report)
    other = tuple(_labels(data.get("other_labels") or [], f"{where}.other_labels", None, report))
    template = None
    if data.get("template"):
        template = Path(str(data["template"]))
        if not template.is_absolute() and base_dir is not None:
            template = base_dir / template
        if not template.is_file():
            report(
                f"{where}.template",
                f"找不到空白表格文件 {data['template']}",
                "写 .docx 文件的路径（相对本配置文件）",
            )
            template = None
        elif template.suffix.lower() != ".docx":
            report(
                f"{where}.template", "空白表格应是 .docx 文件", "用 Word/WPS 把表格另存为 .docx 后再填写路径"
            )
            template = None
    return FormSpec(
        fields=fields,
        name=_text(data.get("name", defaults["name"]), f"{where}.name", report),
        title=_text(data.get("title", defaults["title"]), f"{where}.title", report) or "推荐表",
        identity=identity,
        layout=layout,
        other_labels=other,
        template=template,
    )


def scoring_from_mapping(
    data: object, report: Report, where: str = "scoring", form: FormSpec | None = None
) -> ScoringSpec:
    """The scoring rules a `scoring:` section defines; the built-in 附件2 without `items`.
    An item pre-filled from a field must name an integer field of `form`."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        report(where, "应是若干“名称: 值”", "写 items:（评分项列表），或删除 scoring 一节使用内置的附件2")
        data = {}
    _unknown_keys(data, SCORING_KEYS, where, report)
    if data.get("items") is None:
        return builtin().scoring
    items: list[ScoringItem] = []
    if not isinstance(data["items"], list):
        report(f"{where}.items", "应是列表", "每个评分项一行，以“- ”开头")
        return builtin().scoring
    for i, raw in enumerate(data["items"]):
        key = f"{where}.items[{i}]"
        if not isinstance(raw, dict):
            report(
                key,
                "应是若干“名称: 值”",
                "写成 {group: 群众性, name: 群众导向, rule: 评分细则原文, points: 20}",
            )
            continue
        _unknown_keys(raw, ITEM_KEYS, key, report)
        name = _text(raw.get("name"), f"{key}.name", report)
        if not name:
            report(f"{key}.name", "缺少评分项名称", "写一个简短的名称，如 群众导向")
            continue
        if name in {it.name for it in items}:
            report(f"{key}.name", f"评分项“{name}”重复", "每个评分项起一个不同的名称")
            continue
        points = raw.get("points")
        if not isinstance(points, int) or isinstance(points, bool) or points <= 0:
            report(f"{key}.points", "分值应是正整数", "例如 points: 20")
            continue
        prefill = None
        if raw.get("prefill") is not None:
            pre = raw["prefill"]
            if not isinstance(pre, dict) or not pre.get("field"):
                report(f"{key}.prefill", "应写明按哪一栏预填", "例如 prefill: {field: 粉丝数量}")
            else:
                prefill = Prefill(field=str(pre["field"]), method=str(pre.get("method") or "log_scale"))
                spec = form.field(prefill.field) if form is not None else None
                if form is not None and (spec is None or spec.kind is not Kind.INTEGER):
                    report(
                        f"{key}.prefill.field",
                        f"“{prefill.field}”不是推荐表中的数量栏目",
                        "只能按数量栏目（kind: integer）预填，如 粉丝数量；或删除 prefill",
                    )
                    prefill = None
        items.append(
            ScoringItem(
                group=_text(raw.get("group"), f"{key}.group", report) or "评分",
                name=name,
                rule=_text(raw.get("rule"), f"{key}.rule", report) or name,
                points=points,
                prefill=prefill,
            )
        )
    if not items:
        report(f"{where}.items", "没有可用的评分项", "至少写一项，或删除 scoring 一节使用内置的附件2")
        return builtin().scoring
    return ScoringSpec(
        items=tuple(items), title=_text(data.get("title", "评分细则"), f"{where}.title", report)
    )


# ---------------------------------------------------------------- pieces


def _fields(data: object, where: str, report: Report) -> tuple[FieldSpec, ...]:
    if not isinstance(data, list) or not data:
        report(
            where, "应是栏目的列表", "每个栏目一项，以“- label: 栏目名”开头；或删除 fields 使用内置的附件1"
        )
        return builtin().form.fields
    out: list[FieldSpec] = []
    for i, raw in enumerate(data):
        key = f"{where}[{i}]"
        if isinstance(raw, str):
            raw = {"label": raw}
        if not isinstance(raw, dict):
            report(key, "应是一个栏目", "写成 - label: 栏目名（可再写 kind、required 等）")
            continue
        _unknown_keys(raw, FIELD_KEYS, key, report)
        label = _text(raw.get("label"), f"{key}.label", report).strip()
        if not label:
            report(f"{key}.label", "缺少栏目名", "写推荐表上印的栏目名，如 label: 账号名称")
            continue
        if label in {f.label for f in out}:
            report(f"{key}.label", f"栏目“{label}”重复", "每个栏目只写一次；其他写法放在 variants 中")
            continue
        kind_word = str(raw.get("kind", "text")).strip()
        kind = KIND_WORDS.get(kind_word.lower()) or KIND_WORDS.get(kind_word)
        if kind is None:
            report(f"{key}.kind", f"未知的类型 {kind_word}", KIND_FIX)
            kind = Kind.TEXT
        variants = tuple(
            v for v in _labels(raw.get("variants") or [], f"{key}.variants", None, report) if v != label
        )
        width = raw.get("width")
        if width is not None and (
            not isinstance(width, int) or isinstance(width, bool) or not 2 <= width <= 80
        ):
            report(
                f"{key}.width", "列宽应是 2～80 的整数（字符数）", "例如 width: 12，或删除此项按类型取默认值"
            )
            width = None
        out.append(
            FieldSpec(
                label=label,
                variants=variants,
                kind=kind,
                required=_flag(raw.get("required", True), f"{key}.required", report),
                width=width,
                common=_flag(raw.get("common", False), f"{key}.common", report),
                summary=_flag(raw.get("summary", False), f"{key}.summary", report),
            )
        )
    return tuple(out) or builtin().form.fields


def _layout(data: object, where: str, labels: list[str], report: Report) -> tuple[tuple[str, ...], ...]:
    if not isinstance(data, list):
        report(where, "应是列表，每行一项", "例如 - [账号名称, 注册时间]")
        return ()
    rows: list[tuple[str, ...]] = []
    placed: set[str] = set()
    for i, row in enumerate(data):
        row = [row] if isinstance(row, str) else row
        if not isinstance(row, list) or not 1 <= len(row) <= 2:
            report(f"{where}[{i}]", "每行写一个或两个栏目", "例如 - [联系人, 手机] 或 - [推荐理由]")
            continue
        names = tuple(str(x) for x in row)
        bad = [n for n in names if n not in labels or n in placed]
        if bad:
            report(
                f"{where}[{i}]", f"“{'、'.join(bad)}”不是栏目或已排过", "只写 fields 中的栏目，每个栏目一次"
            )
            continue
        placed.update(names)
        rows.append(names)
    return tuple(rows)


def _labels(data: object, where: str, allowed: list[str] | None, report: Report) -> list[str]:
    if isinstance(data, str):
        data = [data]
    if not isinstance(data, list):
        report(where, "应是列表", "写成 [第一项, 第二项]")
        return []
    out = []
    for i, item in enumerate(data):
        if item is None or isinstance(item, dict | list):
            report(f"{where}[{i}]", "应是文字", "直接写栏目名")
            continue
        text = str(item).strip()
        if allowed is not None and text not in allowed:
            report(f"{where}[{i}]", f"未知字段 {text}", f"可用的栏目：{'、'.join(allowed)}")
            continue
        out.append(text)
    return out


def _text(value: object, key: str, report: Report) -> str:
    if value is None:
        return ""
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        return str(value)
    report(key, "应是文字", "直接写文字；含冒号、# 等符号时用引号括起来")
    return ""


def _flag(value: object, key: str, report: Report) -> bool:
    if isinstance(value, bool):
        return value
    report(key, "应是 true 或 false", "写 true（是）或 false（否）")
    return False


def _unknown_keys(data: dict, allowed: tuple[str, ...], where: str, report: Report) -> None:
    for name in data:
        if name not in allowed:
            report(f"{where}.{name}", "未知的配置项", f"这里可用的项：{'、'.join(allowed)}")


def _replace(spec: FieldSpec, **changes) -> FieldSpec:
    from dataclasses import replace

    return replace(spec, **changes)
