"""How a form's labels are written, and how to recognise them in text.

Units retype the form: labels gain spaces (联 系 人), line breaks (账号ID/网
页链接), full-width letters, colons, asterisks and hints in brackets. We
compare a normalised key, and know the wordings each field lists in its spec
(`FieldSpec.variants`). Labels every Chinese form carries that are not fields
(推荐单位（盖章）, 填表日期 ...) are known too, so they are never taken as the
value of a neighbouring field.

The language knowledge (normalisation, Word's prompt texts, generic wordings)
is module-level; what depends on the campaign's fields lives in a
`Vocabulary`, built once per FormSpec (`vocabulary(spec)`).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import cache

from .spec import FormSpec, Kind

# Labels that belong on such sheets but are never one of a form's fields.
EXTRA_LABELS: tuple[str, ...] = (
    "推荐单位",
    "推荐单位名称",
    "填表日期",
    "填报日期",
    "日期",
    "填表人",
    "审核人",
    "负责人",
    "序号",
    "备注",
    "盖章",
    "单位盖章",
    "签字",
    "推荐意见",
    "单位意见",
    "审核意见",
    "推荐表",
    "附件",
    "附件1",
    "材料名称",
    "材料类型",
    "文件名称",
    "办公电话",
    "固定电话",
    "座机",
    "传真",
)

# Variants too generic to trust in running text without a colon after them.
WEAK_VARIANTS = frozenset({"简介", "地址", "邮箱", "网址", "链接", "联系电话", "日期", "备注", "附件"})

# Wordings other forms use too: half evidence that a document is this form (judge.py).
GENERIC_WORDING = frozenset(
    {"主办单位", "网址", "链接", "网页链接", "简介", "作品数量", "开设时间", "注册日期", "账号id"}
)

PLACEHOLDERS = (
    "请输入",
    "请填写",
    "单击此处输入文字",
    "单击或点击此处输入文字",
    "点击或轻击此处输入文字",
    "点击此处输入文字",
    "单击此处输入日期",
    "单击或点击以输入日期",
    "选择一项",
    "clickheretoentertext",
    "clickortapheretoentertext",
    "clickortaptoenteradate",
    "chooseanitem",
)

# Wordings units commonly use for a field of each kind, whatever the form calls it
# (`form init` offers them as variants; they are not added to a campaign behind its back).
KIND_SYNONYMS: dict[Kind, tuple[str, ...]] = {
    Kind.PHONE: ("手机", "手机号", "手机号码", "移动电话", "联系电话", "联系手机"),
    Kind.EMAIL: ("电子邮箱", "邮箱", "电子邮件", "email", "e-mail", "电子信箱"),
    Kind.POSTCODE: ("邮编", "邮政编码"),
}

_STRIP = re.compile(r"[\s\u3000*※★☆:：]+")
_ENUM = re.compile(r"^(?:\d{1,2}[.、)]|[(]\d{1,2}[)]|[一二三四五六七八九十]{1,3}、)")
_TRAIL_NOTE = re.compile(r"[(（][^()（）]{0,30}[)）]$")

# A label in running text must start a line or follow one of these.
BOUNDARY = frozenset(" \t\r\n\u3000\u00a0,，;；。|│、.．)）")
STARS = frozenset("*＊※")


def norm(text: str) -> str:
    """Comparison key: NFKC, no whitespace/colons/asterisks, 帐→账, lower-case ASCII."""
    key = unicodedata.normalize("NFKC", text or "")
    key = _STRIP.sub("", key).replace("帐", "账").lower()
    return key


def norm_label(text: str) -> str:
    """Like norm() but also drops numbering and a trailing hint: 1.粉丝数量（万） -> 粉丝数量."""
    key = _ENUM.sub("", norm(text))
    for _ in range(2):
        stripped = _TRAIL_NOTE.sub("", key)
        if stripped == key or not stripped:
            break
        key = stripped
    return key


def is_placeholder(text: str) -> bool:
    """True for Word's prompt texts, e.g. 单击此处输入文字。"""
    key = re.sub(r"[\s\u3000。.,，!！…]+", "", unicodedata.normalize("NFKC", text or "")).lower()
    key = key.replace("或点按", "或点击")
    return any(key == p or (key.startswith(p) and len(key) <= len(p) + 4) for p in PLACEHOLDERS)


def _char_class(ch: str) -> str:
    if ch in "账帐":
        return "[账帐]"
    if ch.isascii() and ch.isalnum():
        opts = {ch.lower(), ch.upper()}
        opts |= {chr(ord(o) + 0xFEE0) for o in list(opts)}
        return "[" + "".join(sorted(opts)) + "]"
    if ch == "/":
        return "[/／]"
    if ch == "-":
        return "[-－]"
    if ch == "、":
        return "、"
    return re.escape(ch)


def variant_pattern(variant: str) -> str:
    """A regex for `variant` as typed: spaces between characters, full-width letters, 帐 for 账."""
    return r"[ \t\u3000]*".join(_char_class(ch) for ch in variant)


NEAR_MIN = 4  # characters: a shorter wording is one misread away from other words


def one_edit(a: str, b: str) -> bool:
    """Whether `a` becomes `b` by exactly one inserted, deleted or replaced character."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) > len(b):
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    return a[i + (len(a) == len(b)) :] == b[i + 1 :]


@dataclass
class Vocabulary:
    """Everything about one form's labels that the readers need, compiled once."""

    spec: FormSpec
    variants: dict[str, tuple[str, ...]] = field(init=False)  # label -> normalised wordings, own first
    lookup: dict[str, tuple[str, int]] = field(init=False)  # wording -> (label, 2 own / 1 variant)
    extra: frozenset[str] = field(init=False)  # normalised non-field labels
    canonical: frozenset[str] = field(init=False)  # each field's own normalised wording
    long_fields: frozenset[str] = field(init=False)
    scan_keys: list[tuple[str, str]] = field(init=False)  # (wording, label or "" for extras), by group
    scanner: re.Pattern = field(init=False)
    candidates: re.Pattern = field(init=False)
    glued: re.Pattern = field(init=False)

    def __post_init__(self) -> None:
        spec = self.spec
        self.variants = {}
        for f in spec.fields:
            own = norm_label(f.label)
            rest = [norm_label(v) for v in f.variants]
            self.variants[f.label] = tuple(dict.fromkeys([own, *(v for v in rest if v)]))
        self.lookup = {}
        for label, wordings in self.variants.items():
            for i, w in enumerate(wordings):
                self.lookup.setdefault(w, (label, 2 if i == 0 else 1))
        extras = [norm_label(x) for x in (*EXTRA_LABELS, *spec.other_labels)]
        extras = list(dict.fromkeys(x for x in extras if x and x not in self.lookup))
        self.extra = frozenset(extras)
        self.canonical = frozenset(w[0] for w in self.variants.values())
        self.long_fields = frozenset(f.label for f in spec.fields if f.kind is Kind.LONG_TEXT)
        entries = [(w, label) for label, wordings in self.variants.items() for w in wordings]
        entries += [(x, "") for x in extras]
        entries.sort(key=lambda e: -len(e[0]))
        self.scan_keys = entries
        alts = [f"(?P<l{i}>{variant_pattern(v)})" for i, (v, _) in enumerate(entries)]
        self.scanner = re.compile(
            r"[*＊※]?(?:" + "|".join(alts) + r")"
            r"(?P<note>[(（][^()（）\n]{0,30}[)）])?[ \t\u3000]*(?P<colon>[:：])?"
        )
        # Where a label can start: the first two characters of any wording, found with a
        # lookahead so overlapping starts are all reported. Running the big scanner only
        # at these positions makes long article paragraphs cheap.
        heads = sorted({variant_pattern(v[:2]) for v, _ in entries})
        self.candidates = re.compile("(?=(?:" + "|".join(heads) + "))")
        glued = []
        for index, label in sorted(enumerate(spec.labels), key=lambda x: -len(x[1])):
            chars = [("[账帐]" if ch == "账" else "[/／]?" if ch == "/" else re.escape(ch)) for ch in label]
            glued.append(f"(?P<g{index}>" + "".join(chars) + ")")
        self.glued = re.compile("|".join(glued), re.IGNORECASE)

    def match_label(self, text: str) -> tuple[str, int] | None:
        """(field label, score) when `text` is exactly a field label; score 2 = the form's own wording."""
        if not text or len(text) > 40:
            return None
        return self.lookup.get(norm_label(text))

    def near_label(self, text: str) -> str | None:
        """The field whose wording `text` misses by one character (a recogniser dropped,
        added or misread one: 账号ID/页链接), when exactly one field's wording does; only
        wordings of NEAR_MIN characters or more, where one character cannot turn one
        label into another."""
        key = norm_label(text)
        if len(key) < NEAR_MIN - 1 or len(key) > 40 or key in self.lookup:
            return None
        near = {
            label
            for wording, (label, _) in self.lookup.items()
            if len(wording) >= NEAR_MIN and one_edit(key, wording)
        }
        return near.pop() if len(near) == 1 else None

    def is_extra_label(self, text: str) -> bool:
        return bool(text) and len(text) <= 40 and norm_label(text) in self.extra

    def label_matches(self, line: str):
        """The same matches as scanner.finditer(line), found only where a label can start."""
        end = 0
        for cand in self.candidates.finditer(line):
            pos = cand.start()
            if pos < end:
                continue
            start = pos - 1 if pos > end and line[pos - 1] in STARS else pos
            m = self.scanner.match(line, start)
            if m is not None:
                end = m.end()
                yield m


@cache
def vocabulary(spec: FormSpec) -> Vocabulary:
    """The compiled vocabulary of `spec` (built on first use, then shared)."""
    return Vocabulary(spec)
