"""How sure we are that a document is the campaign's form, as one score in [0, 1].

Every Chinese form has 联系人/手机/邮编/电子邮箱/地址, so fields that are weak
evidence (`FieldSpec.weak_evidence`: phone, e-mail and postcode kinds, and
fields marked `common`) count for little; the fields only this form has
(账号名称, 粉丝数量, 运营主体 … in the built-in 附件1) share almost all of it.
Only labels laid out as label→value pairs count, and a generic variant
wording (主办单位 for 运营主体, 网址 for the link, 简介 for 账号简介) counts
half. A document is the form when the pairs weigh at least as much as three
distinctive labels — more on a long form (three in ten of its distinctive
fields), and on a form with fewer than three distinctive fields all of them
plus common ones up to three labels, so a small campaign form is not taken
from any sheet that shares two of its labels.

For the built-in 附件1 (ten distinctive fields, five weak) this is: 0.095 per
distinctive label, 0.01 per weak one, a form from 0.28 on.

The score ranks the candidates of one mail: a real label→value form scores
in [0.5 + min_match/2, 1]; a list sheet (all labels in one header row,
records below) with exactly one record scores below 0.5, so it is chosen
only when nothing better came; anything else scores 0.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import TypeVar

from ..campaign import FormSpec, norm_label
from ..campaign.vocabulary import GENERIC_WORDING

T = TypeVar("T")

COMMON_WEIGHT = 0.01  # a weak-evidence field (联系人, 手机, 电子邮箱, 邮编, 联系地址)
MIN_LABELS = 3  # the evidence a form needs: this many distinctive labels ...
MIN_SHARE_TENTHS = 3  # ... or this many tenths of the distinctive fields, whichever is more
FORM_TIER = 0.5  # every label→value form scores at least this; a list sheet below it


@dataclass(frozen=True)
class Evidence:
    """What each located label of one form is worth."""

    distinctive: frozenset[str]
    own_wording: dict[str, str]  # label -> its own normalised wording
    distinctive_weight: float
    min_match: float

    def weight(self, label: str, wording: str) -> float:
        if label not in self.distinctive:
            return COMMON_WEIGHT
        key = norm_label(wording) if wording else self.own_wording[label]
        if key != self.own_wording[label] and key in GENERIC_WORDING:
            return self.distinctive_weight / 2
        return self.distinctive_weight


@cache
def evidence(spec: FormSpec) -> Evidence:
    """The weights of `spec`'s labels: weak fields COMMON_WEIGHT, the rest share what is left."""
    distinctive = [f.label for f in spec.fields if not f.weak_evidence]
    if not distinctive:  # only contact fields: nothing better to go on
        distinctive = list(spec.labels)
    weak = len(spec.fields) - len(distinctive)
    share = (1 - weak * COMMON_WEIGHT) / len(distinctive)
    count = len(distinctive)
    need = max(min(MIN_LABELS, count), -(-count * MIN_SHARE_TENTHS // 10))
    need_weak = max(0, min(MIN_LABELS, len(spec.fields)) - need)
    return Evidence(
        distinctive=frozenset(distinctive),
        own_wording={f.label: norm_label(f.label) for f in spec.fields},
        distinctive_weight=share,
        min_match=need * share + need_weak * COMMON_WEIGHT - COMMON_WEIGHT / 2,
    )


def label_weight(spec: FormSpec, label: str, wording: str) -> float:
    """Evidence one located label gives, by field and by how it was written."""
    return evidence(spec).weight(label, wording)


def match_strength(spec: FormSpec, paired: dict[str, str]) -> float:
    """Sum of label weights over the labels found as pairs (label -> wording)."""
    ev = evidence(spec)
    return min(1.0, sum(ev.weight(label, wording) for label, wording in paired.items()))


def form_score(spec: FormSpec, paired: dict[str, str], list_records: int | None) -> float:
    """The document's score; `list_records` is the record count of a list layout, None for a form."""
    strength = match_strength(spec, paired)
    if strength < evidence(spec).min_match:
        return 0.0
    if list_records is None:
        return round(FORM_TIER + strength / 2, 4)
    if list_records == 1:
        return round(min(0.49, strength / 2), 4)
    return 0.0


def choose_forms(candidates: list[T], score: Callable[[T], float]) -> list[T]:
    """The candidates of one mail to treat as the form, best first: every real form, or
    else the single best list sheet; nothing scoring 0."""
    ranked = sorted((c for c in candidates if score(c) > 0), key=score, reverse=True)
    forms = [c for c in ranked if score(c) >= FORM_TIER]
    return forms if forms else ranked[:1]
