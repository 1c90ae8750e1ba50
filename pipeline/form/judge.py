"""How sure we are that a document is the 推荐表, as one score in [0, 1].

Every Chinese form has 联系人/手机/邮编/电子邮箱/地址, so those five count
for little; the ten labels only our form has (账号名称, 粉丝数量, 运营主体 ...)
count for almost all of it. Only labels laid out as label→value pairs count,
and a generic wording (主办单位 for 运营主体, 网址 for the link, 简介 for
账号简介) counts half. A document is the form when the pairs weigh at least
FORM_MIN_MATCH (three distinctive labels).

The score ranks the candidates of one mail: a real label→value form scores
in [0.5 + FORM_MIN_MATCH/2, 1]; a list sheet (all labels in one header row,
records below) with exactly one record scores below 0.5, so it is chosen
only when nothing better came; anything else scores 0.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from ..model import FORM_LABELS
from .labels import norm_label

T = TypeVar("T")

# The ten labels only our form has; the last five (联系人, 手机, 电子邮箱, 邮编,
# 联系地址) are on nearly every Chinese form and count little.
DISTINCTIVE = FORM_LABELS[:10]
DISTINCTIVE_WEIGHT = 0.095
COMMON_WEIGHT = 0.01  # 联系人, 手机, 电子邮箱, 邮编, 联系地址
FORM_MIN_MATCH = 0.28
FORM_TIER = 0.5  # every label→value form scores at least this; a list sheet below it
# Variants other forms use too: they are half evidence.
GENERIC_WORDING = frozenset(
    {"主办单位", "网址", "链接", "网页链接", "简介", "作品数量", "开设时间", "注册日期", "账号id"}
)


def label_weight(canon: str, wording: str) -> float:
    """Evidence one located label gives, by field and by how it was written."""
    if canon not in DISTINCTIVE:
        return COMMON_WEIGHT
    key = norm_label(wording) if wording else canon
    return DISTINCTIVE_WEIGHT / 2 if key in GENERIC_WORDING else DISTINCTIVE_WEIGHT


def match_strength(paired: dict[str, str]) -> float:
    """Sum of label weights over the labels found as pairs (canonical -> wording)."""
    return min(1.0, sum(label_weight(canon, wording) for canon, wording in paired.items()))


def form_score(paired: dict[str, str], list_records: int | None) -> float:
    """The document's score; `list_records` is the record count of a list layout, None for a form."""
    strength = match_strength(paired)
    if strength < FORM_MIN_MATCH:
        return 0.0
    if list_records is None:
        return round(FORM_TIER + strength / 2, 4)
    if list_records == 1:
        return round(min(0.49, strength / 2), 4)
    return 0.0


def choose_forms(candidates: list[T], score: Callable[[T], float]) -> list[T]:
    """The candidates of one mail to treat as 推荐表, best first: every real form, or
    else the single best list sheet; nothing scoring 0."""
    ranked = sorted((c for c in candidates if score(c) > 0), key=score, reverse=True)
    forms = [c for c in ranked if score(c) >= FORM_TIER]
    return forms if forms else ranked[:1]
