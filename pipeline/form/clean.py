"""Strip what a template printed into a value cell before the unit typed there.

Word's content-control prompts ("单击或点击此处输入文字。") survive as plain
text once a form is saved as .doc or printed, and templates carry hints in
brackets ("（必填，用于通知与联系）", "（优先填写队长手机号）"). Neither is a
value: a prompt is removed wherever it stands, a bracketed hint only at the
start or end of the value and only when it reads like an instruction, so
"中国针灸学会（北京）" or "12.3万（截至7月）" stay as typed.
"""

from __future__ import annotations

import re
import unicodedata

from ..campaign import is_placeholder

# Word (zh-CN, en-US) and WPS prompt texts, matched after NFKC with any spacing.
PROMPTS = (
    "单击或点击此处输入文字",
    "单击或点按此处输入文字",
    "点击或轻击此处输入文字",
    "单击此处输入文字",
    "点击此处输入文字",
    "单击或点击以输入日期",
    "单击此处输入日期",
    "选择一项",
    "Click or tap here to enter text",
    "Click here to enter text",
    "Click or tap to enter a date",
    "Click here to enter a date",
    "Choose an item",
)
_PROMPT = re.compile(
    "(?:" + "|".join(r"\s*".join(map(re.escape, p)) for p in PROMPTS) + r")[\s。.．!！]*",
    re.IGNORECASE,
)
# Words that make a bracketed note an instruction to whoever fills the form.
_INSTRUCTION = re.compile(
    r"必填|选填|非必填|可不填|请|填写|填至|优先|不超过|不少于|\d*字以内|字以内|以内|如：|如:|例：|例:|例如|格式|注：|注:|可附"
)
_NOTE = r"[(（][^()（）]{0,60}[)）]"
_LEADING = re.compile(r"^\s*(" + _NOTE + r")")
_TRAILING = re.compile(r"(" + _NOTE + r")\s*$")


def clean_value(text: str) -> str:
    """The value without prompt texts and pre-printed bracketed instructions."""
    if not text:
        return ""
    value = _PROMPT.sub("", unicodedata.normalize("NFC", text))
    for _ in range(3):  # a value may carry a hint on both ends, or two in a row
        before = value
        m = _LEADING.match(value)
        if m and _INSTRUCTION.search(m.group(1)):
            value = value[m.end() :]
        m = _TRAILING.search(value)
        if m and _INSTRUCTION.search(m.group(1)):
            value = value[: m.start()]
        value = value.strip()
        if value == before:
            break
    value = value.strip(" \t\u3000:：")
    return "" if is_placeholder(value) else value
