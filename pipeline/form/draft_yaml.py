"""Write a blank form's draft (and a scoring table's) as the `form:` / `scoring:` sections
of inbox_rules.yaml, with Chinese comments saying what each guess rests on.

The text is meant to be pasted unchanged: it is written in the same keys the
configuration reads (pipeline/campaign/load.py), strings are quoted only when
YAML would read them as something else, and `form_init` loads it back before
printing it.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Sequence

import yaml

from ..campaign import Kind
from .blank import BlankForm, DraftField
from .scoring_table import ScoringDraft

COMMENT_AT = 38  # display column of the comments
_FLOW_UNSAFE = set(":#[]{},&*!|>'\"%@`")


def scalar(value: object) -> str:
    """A YAML scalar that reads back as exactly `value`."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    text = str(value)
    plain = (
        text
        and text == text.strip()
        and "\n" not in text
        and not _FLOW_UNSAFE.intersection(text)
        and not text.startswith(("-", "?", "~"))
        and yaml.safe_load(text) == text
    )
    return text if plain else json.dumps(text, ensure_ascii=False)


def flow(items: Sequence[object]) -> str:
    return "[" + ", ".join(scalar(i) for i in items) + "]"


def width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def line(code: str, comment: str = "") -> str:
    if not comment:
        return code
    return code + " " * max(1, COMMENT_AT - width(code)) + "# " + comment


def form_section(draft: BlankForm, source: str) -> list[str]:
    out = [
        line("form:", f"{draft.title}的栏目：由 form init 读“{source}”得到，请核对"),
        line(f"  name: {scalar(draft.name)}", "给工作人员看的名称"),
        line(f"  title: {scalar(draft.title)}", f"通知对这张表的称呼（回执写“{draft.title}未填写……”）"),
        line(f"  identity: {scalar(draft.identity)}", "名额按这一栏计：同一名称的新版本替换旧版本"),
        line(
            f"  # template: {scalar(source) if source.lower().endswith('.docx') else '空白表格.docx'}",
            "空白表格（.docx），上报材料包中的表格按它填写；写相对本配置文件的路径",
        ),
        line("  fields:", "每个栏目一项，按表上的顺序；kind 是猜的类型"),
    ]
    summary = _summary(draft)
    for f in draft.fields:
        out.extend(_field(f, f.label in summary))
    out.append(line("  layout:", "表上的排版：每行一个或两个栏目"))
    out.extend(f"    - {flow(row)}" for row in draft.rows)
    if draft.other_labels:
        out.append(line(f"  other_labels: {flow(draft.other_labels)}", "表上印着、但不是栏目的文字"))
    return out


def _summary(draft: BlankForm) -> set[str]:
    """Columns of the short list: the identity, the contact person and the first phone."""
    chosen = {draft.identity}
    contact = next((f.label for f in draft.fields if f.label.startswith("联系人")), None)
    phone = next((f.label for f in draft.fields if f.kind is Kind.PHONE), None)
    chosen.update(x for x in (contact, phone) if x)
    return chosen


def _field(f: DraftField, summary: bool) -> list[str]:
    lines = [" ".join(part.split()) for part in f.printed.split("\n") if part.strip()]
    if len(lines) > 1:
        printed = "表上分行印作" + "".join(f"“{part}”" for part in lines)
    else:
        printed = f"表上印作“{lines[0]}”" if lines and lines[0] != f.label else ""
    why = f"{f.kind.zh}" + (f"：{f.why}" if f.why else "")
    out = [line(f"    - label: {scalar(f.label)}", printed)]
    out.append(line(f"      kind: {f.kind.value}", why))
    note = f"表上注明“{f.note}”" if f.note else ""
    out.append(
        line(f"      required: {scalar(f.required)}", note if not f.required or "必填" in f.note else "")
    )
    if f.variants:
        out.append(line(f"      variants: {flow(f.variants)}", "单位也会这样写"))
    if f.common:
        out.append(line("      common: true", "几乎每种表格都有，不作为认出这张表的依据"))
    if summary:
        out.append(line("      summary: true", "列入简短名单"))
    return out


def scoring_section(draft: ScoringDraft, source: str) -> list[str]:
    out = [
        line("scoring:", f"评分细则：由 form init 读“{source}”得到，请核对分值和简称"),
        f"  title: {scalar(draft.title)}",
        line("  items:", f"共 {len(draft.items)} 项，满分 {draft.total}；name 是评分表的列名，可改短"),
    ]
    for item in draft.items:
        parts = [
            f"group: {scalar(item.group)}",
            f"name: {scalar(item.name)}",
            f"rule: {scalar(item.rule)}",
            f"points: {item.points}",
        ]
        comment = ""
        if item.prefill:
            parts.append(f"prefill: {{field: {scalar(item.prefill)}}}")
            comment = f"按“{item.prefill}”预填（评委可改）"
        out.append(line("    - {" + ", ".join(parts) + "}", comment))
    return out


def header(sources: list[str], checks: list[str]) -> list[str]:
    kinds = "、".join(f"{k.value} {k.zh}" for k in Kind)
    out = [
        f"# 由 python run.py form init 生成（{'；'.join(sources)}）。",
        "# 请逐项核对栏目名、类型（kind）和是否必填（required），再把下面的内容粘贴到 inbox_rules.yaml，",
        "# 替换其中原有的 form: 和 scoring: 两节，然后运行 python run.py check-config。",
        f"# 类型：{kinds}。",
    ]
    out.extend(f"# 请注意：{c}" for c in checks)
    return out
