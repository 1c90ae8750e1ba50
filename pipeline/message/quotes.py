"""What the sender wrote in this mail: the text above the quote and the signature.

A reply carries our receipt below the unit's own lines, and that receipt is full of
"手机：…" lines; only the new text may be read as the unit's words. Chinese clients
quote in ways the quotation libraries (quotequail, talon, mail-parser-reply) do not
know, and several do not prefix the quote with ">", so the quote has to be found by
its header:

- QQ Mail: "------------------ 原始邮件 ------------------" (QQ's text part keeps a
  literal "&nbsp;" there), then 发件人:/发送时间:/收件人:/主题: lines; QQ on a
  phone: "------------------ Original ------------------" and From:/Date: lines.
- 163/126 (Coremail): "在 2021-07-21 10:01:00，"名称" <地址> 写道：" over ">" lines;
  its HTML puts the quote in <blockquote id="isReplyContent">; 网易邮箱大师 writes
  "---- 回复的原邮件 ----" and a | 发件人 | … | table.
- Foxmail: the quote starts with a 发件人：/发送时间：/收件人：/主题： block (full-width
  colons, no ">"); its HTML wraps it in a div with a blue top border.
- Outlook: "发件人: …/发送时间: …" (after a line of underscores in newer versions),
  or "-----原始邮件-----"/"-----Original Message-----"; HTML: divRplyFwdMsg or the
  grey top border div.
- Apple Mail: "在 2021年7月21日，上午10:01，名称 <地址> 写道：" over ">" lines; HTML
  <blockquote type="cite">.
- Gmail: "名称 <地址> 于2021年7月21日周三 上午10:01写道：" (may wrap), ">" lines;
  HTML class gmail_quote.

Signatures end the new text too: "-- ", a line of dashes, "发自我的iPhone",
"发自网易邮箱大师", "Sent from my…".

When a mail has a text part it is read (clients write the same quote header
there); an HTML-only reply is turned into text with the quote's container
marked, so a quote without any textual header is still cut.
"""

from __future__ import annotations

import re

from .html_text import BLOCK_TAGS, VisibleText, read_visible

__all__ = ["new_text"]

CUT = "\x00"  # marks where an HTML quote container starts

_SEPARATOR = re.compile(
    r"^[\s>]*[-—－_=]{2,}\s*(?:原始邮件|邮件原件|原邮件|回复的原邮件|Original(?: Message)?|Forwarded message|转发邮件)"
    r"\s*[-—－_=]{2,}\s*$",
    re.IGNORECASE,
)
_RULE = re.compile(r"^\s*[-—－_=~*]{6,}\s*$")  # a line of dashes or underscores (Outlook, signatures)
_SIG_DASHES = re.compile(r"^--\s?$")
_WROTE = re.compile(r"(?:写道|寫道|wrote|schrieb|a écrit)\s*[:：]\s*$", re.IGNORECASE)
_ON = re.compile(r"^\s*(?:On|在)\s.*\d", re.IGNORECASE)  # "On Wed, …" / "在 2021-07-21 …" (may wrap)
_HEADER_FROM = re.compile(r"^[\s>*]*(?:\|\s*)?(?:发件人|寄件者|寄件人|From)\s*(?:[:：]|\|)", re.IGNORECASE)
_HEADER_REST = re.compile(
    r"^[\s>*]*(?:\|\s*)?(?:发送时间|发送日期|日期|时间|收件人|抄送|主题|Sent|Date|To|Cc|Subject)\s*(?:[:：]|\|)",
    re.IGNORECASE,
)
_SIGNATURE = re.compile(
    r"^\s*(?:(?:发自|来自|從|从)(?:我的)?\s*\S{0,20}?(?:iPhone|iPad|Android|手机|手機|设备|邮箱大师|邮箱|Mail|客户端)\s*(?:发送)?"
    r"|Sent from my\b.*|Get Outlook for\b.*|Sent from (?:Mail|Outlook)\b.*)\s*$",
    re.IGNORECASE,
)

# HTML elements that hold the quoted mail (each client's container for it).
_QUOTE_IDS = ("isreplycontent", "isforwardcontent", "divrplyfwdmsg", "appendonsend", "qqmailoriginal")
_QUOTE_CLASSES = (
    "gmail_quote",
    "gmail_attr",
    "yahoo_quoted",
    "moz-cite-prefix",
    "j-reply",
    "ntes-mailmaster-quote",
)
_QUOTE_STYLES = ("border-top:solid #b5c4df", "border-top:solid #e1e1e1")  # Foxmail, Outlook header divs


def new_text(plain: str, html: str = "") -> str:
    """The lines the sender wrote in this mail, without the quoted mail and the signature."""
    text = plain if plain and plain.strip() else _html_text(html)
    lines = _clean(text).splitlines()
    return "\n".join(lines[: _quote_start(lines)]).strip()


def _clean(text: str) -> str:
    """QQ's text part keeps "&nbsp;"; phones put zero-width and BOM characters in."""
    text = text.replace("&nbsp;", " ").replace("\xa0", " ").replace("\u3000", " ")
    return re.sub("[\ufeff\u200b\u200c\u200d]", "", text).replace("\r\n", "\n").replace("\r", "\n")


def _quote_start(lines: list[str]) -> int:
    """Index of the first line that is not the sender's own (len(lines) when all are)."""
    for i, line in enumerate(lines):
        stripped = line.strip()
        if CUT in line:
            return i
        if stripped.startswith(">") or stripped.startswith("＞"):
            return _attribution_above(lines, i)
        if _SEPARATOR.match(line) or _SIG_DASHES.match(line) or _SIGNATURE.match(line):
            return i
        if _RULE.match(line):
            return i
        if _WROTE.search(stripped):
            # "On …\nwrote:" and Gmail's "名称 <地址>\n于…写道：" wrap over two lines.
            return i - 1 if i and _wrapped_attribution(lines[i - 1], stripped) else i
        if _HEADER_FROM.match(line) and _header_block_follows(lines, i):
            return i
    return len(lines)


def _attribution_above(lines: list[str], i: int) -> int:
    """Where a ">" quote starts: with its attribution line(s) just above, if any."""
    j = i
    while j > 0 and not lines[j - 1].strip():
        j -= 1
    if j > 0 and _WROTE.search(lines[j - 1].strip()):
        j -= 1
        if j > 0 and _wrapped_attribution(lines[j - 1], lines[j].strip()):
            j -= 1
        return j
    return i


def _wrapped_attribution(previous: str, wrote_line: str) -> bool:
    prev = previous.strip()
    if not prev:
        return False
    if _ON.match(prev) and not _ON.match(wrote_line):
        return True
    return bool(re.search(r"<[^<>@\s]+@[^<>\s]+>\s*$", prev)) and wrote_line.startswith(("于", "於"))


def _header_block_follows(lines: list[str], i: int) -> bool:
    """发件人:/From: starts a quoted mail's header block when a 日期/收件人/主题 line follows."""
    seen = 0
    for line in lines[i + 1 : i + 6]:
        if not line.strip():
            continue
        if _HEADER_REST.match(line):
            return True
        seen += 1
        if seen >= 2:  # a long 发件人 value may wrap once (QQ pads it with spaces)
            return False
    return False


class _QuoteMarking(VisibleText):
    """Visible text of an HTML body, one line per block, with CUT where a quote container starts."""

    block_tags = BLOCK_TAGS | {"pre"}

    def opening(self, tag: str, attrs: dict) -> str | None:
        return f"\n{CUT}\n" if _is_quote(tag, attrs) else None


def _is_quote(tag: str, attrs: dict) -> bool:
    if tag == "blockquote":
        return True
    ident = (attrs.get("id") or "").lower()
    classes = (attrs.get("class") or "").lower().split()
    style = re.sub(r"\s+", "", (attrs.get("style") or "").lower())
    return (
        any(ident.startswith(q) for q in _QUOTE_IDS)
        or any(c in _QUOTE_CLASSES for c in classes)
        or any(s.replace(" ", "") in style for s in _QUOTE_STYLES)
    )


def _html_text(html: str) -> str:
    if not html:
        return ""
    return "\n".join(" ".join(line.split()) for line in read_visible(_QuoteMarking(), html).splitlines())
