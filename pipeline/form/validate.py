"""Itemized checks of the 推荐表 fields, each with a Chinese fix-it sentence.

Codes are stable snake_case (for tests, the ledger and statistics); the
message tells the sender exactly which 栏目 is wrong, what we read, and what
to send instead. Placeholder prompts (单击此处输入文字) count as empty.
"""

from __future__ import annotations

import re

from ..model import FORM_LABELS, Problem
from .labels import is_placeholder
from .normalize import NUMBER_FIELDS

LINK = "账号ID/网页链接"
_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_SHOW_MAX = 40


def _show(raw: str) -> str:
    text = " ".join(raw.split())
    return text if len(text) <= _SHOW_MAX else text[:_SHOW_MAX] + "…"


def _empty(raw: str) -> bool:
    return not raw.strip() or is_placeholder(raw)


def validate_fields(fields: dict[str, str], normalized: dict, required: list[str]) -> list[Problem]:
    """One Problem per wrong or missing field, in form order."""
    problems: list[Problem] = []
    need = set(required)
    for label in FORM_LABELS:
        raw = fields.get(label, "") or ""
        value = normalized.get(label)
        if _empty(raw):
            if label == LINK:
                problems.append(
                    Problem(
                        label,
                        "link_missing",
                        "推荐表未填写「账号ID/网页链接」，请填写账号ID或可直接打开的网页链接后重新发送。",
                    )
                )
            elif label in need:
                hint = "（请勿保留“单击此处输入文字”等提示语）" if raw.strip() else ""
                problems.append(
                    Problem(label, "missing", f"推荐表未填写「{label}」{hint}，请补充后重新发送。")
                )
            continue
        shown = _show(raw)
        if label == "手机" and not (isinstance(value, str) and _MOBILE.match(value)):
            problems.append(
                Problem(
                    label,
                    "phone_invalid",
                    f"「手机」应为11位手机号码（如 13812345678），当前填写为“{shown}”，请更正后重新发送。",
                )
            )
        elif label == "邮编" and value is None:
            problems.append(
                Problem(
                    label,
                    "postcode_invalid",
                    f"「邮编」应为6位数字（如 100029），当前填写为“{shown}”，请更正后重新发送。",
                )
            )
        elif label == "电子邮箱" and value is None:
            problems.append(
                Problem(
                    label,
                    "email_invalid",
                    f"「电子邮箱」格式不正确（应如 name@example.com），当前填写为“{shown}”，请更正后重新发送。",
                )
            )
        elif label in NUMBER_FIELDS and value is None:
            problems.append(
                Problem(
                    label,
                    "number_invalid",
                    f"「{label}」应填写一个数字（如 12000 或 1.2万），当前填写为“{shown}”，请更正后重新发送。",
                )
            )
        elif label == "注册时间" and value is None:
            problems.append(
                Problem(
                    label,
                    "date_invalid",
                    f"「注册时间」应写明年月（如 2015年6月 或 2015-06-12），当前填写为“{shown}”，请更正后重新发送。",
                )
            )
    return problems
