"""A unit's corrections written in a mail: "手机：13912345678" lines of its own text.

Stricter than reading a form's paragraphs (lines.py): a mail is prose, so a field
is only taken where its label (or one of its wordings in the campaign's
vocabulary: 联系电话 for 手机, 邮箱 for 电子邮箱…) is followed by a colon, or by
改为/更正为/修改为/更改为/应为 ("邮编改为300010"). Several may share a line
("手机：139… 邮编：300010"); a long field (简介, 推荐理由) may go on over the
following lines up to a blank line or the next label. Values that say nothing
("（未填写）", a Word prompt) are not corrections.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..campaign import FormSpec, is_placeholder, vocabulary
from .lines import scan_lines

_VERB = re.compile(
    r"^(\s*[*＊]?\s*)([^\s:：，,。；;]{1,20}?)\s*(?:改为|更正为|修改为|更改为|应为|应改为)\s*[:：]?\s*(?=\S)"
)
_TRIM = " \t\u3000:：;；,，。"
_QUOTES = "“”\"'‘’「」『』"
EMPTY_WORDS = frozenset({"（未填写）", "(未填写)", "未填写", "（空）", "(空)", "无变化"})


@dataclass(frozen=True)
class ReplyValue:
    """One correction the unit wrote: the form's label, the new value, the line as written."""

    label: str
    value: str
    line: str


def reply_values(text: str, spec: FormSpec) -> list[ReplyValue]:
    """The corrections in `text` (a mail's own text, quote removed), in the order written;
    a label written twice counts once (the first)."""
    vocab = vocabulary(spec)
    written = (text or "").splitlines()
    lines = [_verb_to_colon(line, vocab) for line in written]
    hits = [h for h in scan_lines(lines, vocab) if h.colon]
    out: list[ReplyValue] = []
    for k, hit in enumerate(hits):
        if not hit.canon:
            continue
        nxt = hits[k + 1] if k + 1 < len(hits) else None
        line = lines[hit.line]
        end = nxt.start if nxt is not None and nxt.line == hit.line else len(line)
        value = line[hit.end : end].strip(" \t\u3000:：")
        if hit.canon in vocab.long_fields and (nxt is None or nxt.line != hit.line):
            stop = nxt.line if nxt is not None else len(lines)
            more = []
            for following in lines[hit.line + 1 : stop]:
                if not following.strip():
                    break
                more.append(following.strip())
            value = "\n".join([value, *more]).strip() if more else value
        value = value.strip(_QUOTES).strip(_TRIM)
        if not value or value in EMPTY_WORDS or is_placeholder(value):
            continue
        out.append(ReplyValue(hit.canon, value, written[hit.line].strip()))
    return out


def _verb_to_colon(line: str, vocab) -> str:
    """ "邮编改为300010" reads as "邮编：300010" when what comes before the verb is a label."""
    m = _VERB.match(line)
    if m is None or vocab.match_label(m.group(2)) is None:
        return line
    return f"{m.group(1)}{m.group(2)}：{line[m.end() :]}"
