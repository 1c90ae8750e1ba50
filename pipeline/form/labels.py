"""The 推荐表 labels, their spelling variants, and label normalisation.

Units retype the form: labels gain spaces (联 系 人), line breaks (账号ID/网
页链接), full-width letters, colons, asterisks and hints in brackets. We
compare a normalised key, and know a few synonyms per field. Known non-field
labels (推荐单位（盖章）, 填表日期 ...) are listed so they are never taken as
a value of a neighbouring field.
"""

from __future__ import annotations

import re
import unicodedata

from ..model import FORM_LABELS

# canonical label -> normalised variants (the canonical key comes first).
VARIANTS: dict[str, tuple[str, ...]] = {
    "账号名称": ("账号名称", "账号名", "公众号名称", "账号昵称"),
    "注册时间": ("注册时间", "注册日期", "开通时间", "开设时间", "账号注册时间"),
    "粉丝数量": ("粉丝数量", "粉丝数", "粉丝量", "粉丝总数", "关注人数"),
    "运营主体": ("运营主体", "运营单位", "账号主体", "主办单位"),
    "账号ID/网页链接": (
        "账号id/网页链接",
        "账号id/网址",
        "账号id/链接",
        "账号id或网页链接",
        "账号id、网页链接",
        "账号id网页链接",
        "网页链接",
        "账号id",
        "账号链接",
        "网址",
        "链接",
    ),
    "运营人数": ("运营人数", "运营团队人数", "运营人员数", "运营人员数量"),
    "发布数量": (
        "发布数量",
        "发布数",
        "发布量",
        "发文数量",
        "发文量",
        "发稿数量",
        "作品数量",
        "累计发布数量",
    ),
    "账号简介": ("账号简介", "账号介绍", "简介"),
    "传播实效": ("传播实效", "传播效果", "传播成效"),
    "推荐理由": ("推荐理由",),
    "联系人": ("联系人", "联系人姓名"),
    "手机": ("手机", "手机号", "手机号码", "移动电话", "联系电话", "联系手机"),
    "电子邮箱": ("电子邮箱", "邮箱", "电子邮件", "email", "e-mail", "电子信箱"),
    "邮编": ("邮编", "邮政编码"),
    "联系地址": ("联系地址", "通讯地址", "通信地址", "邮寄地址", "地址"),
}

# Labels that belong to the sheet but are not one of the 15 fields.
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

# Long free-text fields may run over several lines in paragraph layouts.
LONG_FIELDS = frozenset({"账号简介", "传播实效", "推荐理由"})

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

_STRIP = re.compile(r"[\s\u3000*※★☆:：]+")
_ENUM = re.compile(r"^(?:\d{1,2}[.、)]|[(]\d{1,2}[)]|[一二三四五六七八九十]{1,3}、)")
_TRAIL_NOTE = re.compile(r"[(（][^()（）]{0,30}[)）]$")

_LOOKUP: dict[str, tuple[str, int]] = {}
for _canon, _vars in VARIANTS.items():
    for _i, _v in enumerate(_vars):
        _LOOKUP.setdefault(_v, (_canon, 2 if _i == 0 else 1))
EXTRA_SET = frozenset(EXTRA_LABELS)

assert set(VARIANTS) == set(FORM_LABELS)


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


def match_label(text: str) -> tuple[str, int] | None:
    """(canonical field, score) when `text` is exactly a field label; score 2 = canonical wording."""
    if not text or len(text) > 40:
        return None
    return _LOOKUP.get(norm_label(text))


def is_extra_label(text: str) -> bool:
    return bool(text) and len(text) <= 40 and norm_label(text) in EXTRA_SET


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


def _variant_pattern(variant: str) -> str:
    return r"[ \t\u3000]*".join(_char_class(ch) for ch in variant)


def _build_scanner() -> re.Pattern:
    entries: list[tuple[str, str]] = []
    for canon, variants in VARIANTS.items():
        for v in variants:
            entries.append((v, canon))
    for extra in EXTRA_LABELS:
        entries.append((extra, ""))
    entries.sort(key=lambda e: -len(e[0]))
    alts = []
    for i, (v, _) in enumerate(entries):
        alts.append(f"(?P<l{i}>{_variant_pattern(v)})")
    SCAN_KEYS.extend(entries)
    return re.compile(
        r"[*＊※]?(?:" + "|".join(alts) + r")"
        r"(?P<note>[(（][^()（）\n]{0,30}[)）])?[ \t\u3000]*(?P<colon>[:：])?"
    )


# A label in running text must start a line or follow one of these.
BOUNDARY = frozenset(" \t\r\n\u3000\u00a0,，;；。|│、.．)）")
CANONICAL = frozenset(v[0] for v in VARIANTS.values())
SCAN_KEYS: list[tuple[str, str]] = []  # (variant, canonical or "" for extras), by group index
SCANNER = _build_scanner()


def _build_candidates() -> re.Pattern:
    """Where a label can start: the first two characters of any variant, found
    with a lookahead so overlapping starts are all reported. Running the big
    SCANNER only at these positions makes long article paragraphs cheap."""
    heads = sorted({r"[ \t\u3000]*".join(_char_class(ch) for ch in v[:2]) for v, _ in SCAN_KEYS})
    return re.compile("(?=(?:" + "|".join(heads) + "))")


CANDIDATES = _build_candidates()
STARS = frozenset("*＊※")


def label_matches(line: str):
    """The same matches as SCANNER.finditer(line), found only where a label can start."""
    end = 0
    for cand in CANDIDATES.finditer(line):
        pos = cand.start()
        if pos < end:
            continue
        start = pos - 1 if pos > end and line[pos - 1] in STARS else pos
        m = SCANNER.match(line, start)
        if m is not None:
            end = m.end()
            yield m
