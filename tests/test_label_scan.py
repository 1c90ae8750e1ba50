"""The fast label scan (candidates first) finds exactly what the full scanner finds."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.campaign import builtin, vocabulary

L = vocabulary(builtin().form)

PIECES = [v for v, _ in L.scan_keys] + [
    "*",
    "＊",
    "※",
    "：",
    ":",
    " ",
    "\u3000",
    "\t",
    "针灸",
    "账",
    "号",
    "手机端",
    "联 系",
    "电 子 邮",
    "（截至7月）",
    "(备注)",
    "1.",
    "、",
    "13800138000",
    "https://weibo.com/x",
    "推荐单位（盖章）",
]


@settings(max_examples=2000, deadline=None)
@given(st.lists(st.sampled_from(PIECES), min_size=1, max_size=14))
def test_label_matches_equals_full_scan(parts):
    line = "".join(parts)
    full = [(m.start(), m.end(), m.lastgroup) for m in L.scanner.finditer(line)]
    fast = [(m.start(), m.end(), m.lastgroup) for m in L.label_matches(line)]
    assert fast == full


def test_long_article_paragraph_without_labels_has_no_matches():
    line = "针灸科普坚持以群众需求为导向，围绕常见病防治开展线上答疑和健康宣教。" * 40
    assert list(L.label_matches(line)) == list(L.scanner.finditer(line)) == []
