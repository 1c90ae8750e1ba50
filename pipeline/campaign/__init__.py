"""A campaign as data: its form's fields (one registry every stage reads) and its scoring rules.

    spec = builtin().form                      # the notice's 附件1 推荐表
    spec.labels, spec.field("手机").kind       # fields in form order, each with its kind
    vocabulary(spec).match_label("联 系 人")   # ("联系人", 2)

`load.form_from_mapping` reads a `form:` section of inbox_rules.yaml (or of
`run.py form init`'s output); without `fields` it is the built-in 附件1.
"""

from .load import builtin, form_from_mapping, scoring_from_mapping
from .spec import Campaign, FieldSpec, FormSpec, Kind, Prefill, ScoringItem, ScoringSpec
from .vocabulary import Vocabulary, is_placeholder, norm, norm_label, vocabulary

__all__ = [
    "Campaign",
    "FieldSpec",
    "FormSpec",
    "Kind",
    "Prefill",
    "ScoringItem",
    "ScoringSpec",
    "Vocabulary",
    "builtin",
    "form_from_mapping",
    "is_placeholder",
    "norm",
    "norm_label",
    "scoring_from_mapping",
    "vocabulary",
]
