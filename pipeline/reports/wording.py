"""Small rules of Chinese wording shared by every notice, digest and sheet."""

from __future__ import annotations

from datetime import datetime


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
