"""Itemized checks of a form's fields by kind, each with a Chinese fix-it sentence.

Codes are stable snake_case (for tests, the ledger and statistics); the
message tells the sender exactly which 栏目 is wrong, what we read, and what
to send instead. Placeholder prompts (单击此处输入文字) count as empty. A
missing link (a url field, 账号ID/网页链接 in the built-in 附件1) has its own
code, link_missing: without it reviewers cannot look at what is nominated.
"""

from __future__ import annotations

import re

from ..campaign import FieldSpec, FormSpec, Kind, is_placeholder
from ..model import Problem

_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_SHOW_MAX = 40


def _show(raw: str) -> str:
    text = " ".join(raw.split())
    return text if len(text) <= _SHOW_MAX else text[:_SHOW_MAX] + "…"


def _empty(raw: str) -> bool:
    return not raw.strip() or is_placeholder(raw)


def validate_fields(fields: dict[str, str], normalized: dict, spec: FormSpec) -> list[Problem]:
    """One Problem per wrong or missing field, in form order; required fields from `spec`."""
    problems: list[Problem] = []
    for f in spec.fields:
        raw = fields.get(f.label, "") or ""
        if _empty(raw):
            if f.required:
                problems.append(_missing(f, raw, spec.title))
            continue
        problem = _malformed(f, normalized.get(f.label), _show(raw))
        if problem is not None:
            problems.append(problem)
    return problems


def _missing(f: FieldSpec, raw: str, title: str) -> Problem:
    if f.kind is Kind.URL:
        what = (
            "账号ID或可直接打开的网页链接"
            if "账号" in f.label or "ID" in f.label.upper()
            else "可直接打开的网页链接"
        )
        return Problem(f.label, "link_missing", f"{title}未填写「{f.label}」，请填写{what}后重新发送。")
    hint = "（请勿保留“单击此处输入文字”等提示语）" if raw.strip() else ""
    return Problem(f.label, "missing", f"{title}未填写「{f.label}」{hint}，请补充后重新发送。")


def _malformed(f: FieldSpec, value: object, shown: str) -> Problem | None:
    label = f.label
    if f.kind is Kind.PHONE and not (isinstance(value, str) and _MOBILE.match(value)):
        return Problem(
            label,
            "phone_invalid",
            f"「{label}」应为11位手机号码（如 13812345678），当前填写为“{shown}”，请更正后重新发送。",
        )
    if value is not None:
        return None
    if f.kind is Kind.POSTCODE:
        return Problem(
            label,
            "postcode_invalid",
            f"「{label}」应为6位数字（如 100029），当前填写为“{shown}”，请更正后重新发送。",
        )
    if f.kind is Kind.EMAIL:
        return Problem(
            label,
            "email_invalid",
            f"「{label}」格式不正确（应如 name@example.com），当前填写为“{shown}”，请更正后重新发送。",
        )
    if f.kind is Kind.INTEGER:
        return Problem(
            label,
            "number_invalid",
            f"「{label}」应填写一个数字（如 12000 或 1.2万），当前填写为“{shown}”，请更正后重新发送。",
        )
    if f.kind is Kind.DATE:
        return Problem(
            label,
            "date_invalid",
            f"「{label}」应写明年月（如 2015年6月 或 2015-06-12），当前填写为“{shown}”，请更正后重新发送。",
        )
    return None
