"""Small rules of Chinese wording shared by every notice, digest and sheet."""

from __future__ import annotations

from datetime import datetime

from ..campaign import FormSpec


def quote_zh(text: str) -> str:
    """“text”, with quotes inside turned into ‘’ so quotes never nest as “…“…”…”."""
    inner = (text or "").replace("“", "‘").replace("”", "’")
    return f"“{inner}”"


def days_phrase(now: datetime, due: datetime) -> str:
    """ "还有 3 天" / "今天截止" / "已截止 2 天" (calendar days in the deadline's zone)."""
    days = (due.date() - now.astimezone(due.tzinfo).date()).days
    if now > due:
        return f"已截止 {-days} 天" if days < 0 else "已截止"
    if days == 0:
        return "今天截止"
    return f"还有 {days} 天"


def nominee_noun(form: FormSpec) -> str:
    """What the campaign nominates, from the label naming it: 账号名称 -> 账号, 作品名称 -> 作品."""
    label = form.identity_label
    for suffix in ("名称", "名字", "题目", "标题"):
        if label.endswith(suffix) and len(label) > len(suffix):
            return label[: -len(suffix)]
    return "推荐对象"
