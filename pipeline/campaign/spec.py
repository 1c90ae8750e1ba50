"""What a campaign's form is, as data: the one field registry everything reads.

A `FormSpec` lists the form's fields (`FieldSpec`: the label, how units also
write it, its kind, whether it is required, its width in sheets), which field
names the nominee (`identity`, the quota's unit of account), how the printed
form lays the fields out, the labels on the form that are not fields, and the
blank form itself when the campaign supplied one. Readers, the form judge,
normalisation, validation, the rendered form, the sheets, the packet, the
console and the config checks all take their fields from here; nothing else
lists fields. The built-in 附件1 of 百佳账号 is `builtin.yaml` beside this file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property
from pathlib import Path

from ..model import AttachmentKind


class Kind(StrEnum):
    """What a field holds; decides how it is normalised, checked and shown."""

    TEXT = "text"
    LONG_TEXT = "long_text"  # may run over several lines (简介, 推荐理由)
    INTEGER = "integer"  # a count: 12.3万, 约5000人, 1,024
    DATE = "date"
    PHONE = "phone"  # a mobile number
    EMAIL = "email"
    POSTCODE = "postcode"
    URL = "url"  # an account ID or a link

    @property
    def zh(self) -> str:
        return KIND_ZH[self]


KIND_ZH: dict[Kind, str] = {
    Kind.TEXT: "文字",
    Kind.LONG_TEXT: "长文字",
    Kind.INTEGER: "数量",
    Kind.DATE: "日期",
    Kind.PHONE: "手机号码",
    Kind.EMAIL: "电子邮箱",
    Kind.POSTCODE: "邮编",
    Kind.URL: "链接或账号ID",
}

# Column width (characters) in sheets when a field does not say.
DEFAULT_WIDTH: dict[Kind, int] = {
    Kind.TEXT: 12,
    Kind.LONG_TEXT: 22,
    Kind.INTEGER: 8,
    Kind.DATE: 10,
    Kind.PHONE: 13,
    Kind.EMAIL: 16,
    Kind.POSTCODE: 7,
    Kind.URL: 18,
}

# Kinds nearly every Chinese form has a field of: weak evidence that a document is *this* form.
COMMON_KINDS = frozenset({Kind.PHONE, Kind.EMAIL, Kind.POSTCODE})


@dataclass(frozen=True)
class FieldSpec:
    """One field of the form."""

    label: str  # as the form prints it; the key of `fields` in every output
    variants: tuple[str, ...] = ()  # other wordings units write (联系电话 for 手机)
    kind: Kind = Kind.TEXT
    required: bool = True
    width: int | None = None  # column width in sheets (characters); by kind when None
    # A label nearly every form has (联系人, 联系地址): counts little as evidence that a
    # document is this form. Phone, e-mail and postcode fields always count little.
    common: bool = False
    summary: bool = False  # one of the few columns of the short 汇总 sheet and lists

    @property
    def sheet_width(self) -> int:
        return self.width or DEFAULT_WIDTH[self.kind]

    @property
    def weak_evidence(self) -> bool:
        return self.common or self.kind in COMMON_KINDS


@dataclass(frozen=True)
class FormSpec:
    """A campaign's form (附件1 and its kin)."""

    fields: tuple[FieldSpec, ...]
    title: str = "推荐表"  # what the notice calls it: 推荐表, 申报表, 报名表
    identity: str = ""  # the field naming the nominee (账号名称, 作品名称); the first field when ""
    # Rows of the printed form, each one or two labels (a single label's value spans the row).
    layout: tuple[tuple[str, ...], ...] = ()
    other_labels: tuple[str, ...] = ()  # printed on the form, not fields (推荐单位（盖章）)
    template: Path | None = None  # the campaign's blank form (.docx), filled for the packet
    name: str = ""  # e.g. 附件1 推荐表; for staff

    def __post_init__(self) -> None:
        labels = [f.label for f in self.fields]
        if len(set(labels)) != len(labels):
            raise ValueError(f"duplicate field labels: {labels}")
        if not labels:
            raise ValueError("a form needs at least one field")
        if self.identity and self.identity not in labels:
            raise ValueError(f"identity {self.identity!r} is not a field")

    @cached_property
    def noun(self) -> str:
        """What one nomination is called in sentences: 账号 for 账号名称, 作品 for 作品名称."""
        label = self.identity_label
        for suffix in ("名称", "名字", "题目", "标题"):
            if label.endswith(suffix) and len(label) > len(suffix):
                return label[: -len(suffix)]
        return "推荐对象"

    def kind_name(self, kind: str) -> str:
        """An attachment's kind as this campaign says it: the form is its title (申报表), not 推荐表."""
        return self.title if kind == AttachmentKind.FORM else kind

    @cached_property
    def labels(self) -> tuple[str, ...]:
        """Field labels in form order."""
        return tuple(f.label for f in self.fields)

    @cached_property
    def by_label(self) -> dict[str, FieldSpec]:
        return {f.label: f for f in self.fields}

    def field(self, label: str) -> FieldSpec | None:
        return self.by_label.get(label)

    @property
    def identity_label(self) -> str:
        """The label whose value names the nominee (one account, one work, one person)."""
        return self.identity or self.fields[0].label

    @cached_property
    def required(self) -> tuple[str, ...]:
        return tuple(f.label for f in self.fields if f.required)

    @cached_property
    def summary_labels(self) -> tuple[str, ...]:
        """The short list's columns: the identity first, then the fields marked `summary`."""
        rest = [f.label for f in self.fields if f.summary and f.label != self.identity_label]
        return (self.identity_label, *rest)

    def of_kind(self, *kinds: Kind) -> tuple[str, ...]:
        return tuple(f.label for f in self.fields if f.kind in kinds)

    @cached_property
    def rows(self) -> tuple[tuple[str, ...], ...]:
        """The printed layout: `layout` when given (fields it leaves out follow one per
        row), else two short fields per row and a long one alone."""
        if self.layout:
            placed = {label for row in self.layout for label in row}
            return tuple(self.layout) + tuple((f.label,) for f in self.fields if f.label not in placed)
        rows: list[tuple[str, ...]] = []
        pending: list[str] = []
        for f in self.fields:
            if f.kind in (Kind.LONG_TEXT, Kind.URL) or f.kind is Kind.TEXT and len(f.label) > 8:
                if pending:
                    rows.append(tuple(pending))
                    pending = []
                rows.append((f.label,))
            else:
                pending.append(f.label)
                if len(pending) == 2:
                    rows.append(tuple(pending))
                    pending = []
        if pending:
            rows.append(tuple(pending))
        return tuple(rows)

    def empty_fields(self) -> dict[str, str]:
        """Every label -> "" (the shape of `fields` when nothing was read)."""
        return {label: "" for label in self.labels}

    def ordered(self, fields: dict[str, str] | None) -> dict[str, str]:
        """`fields` with every label of this form, in form order ("" where absent)."""
        fields = fields or {}
        return {label: fields.get(label, "") or "" for label in self.labels}


@dataclass(frozen=True)
class Prefill:
    """How an objective item is pre-filled from a field (reviewers may change it)."""

    field: str  # e.g. 粉丝数量 (an integer field)
    method: str = "log_scale"  # the largest value gets full points, the rest by log10 ratio


@dataclass(frozen=True)
class ScoringItem:
    """One line of the scoring rules (附件2 评议细则)."""

    group: str  # 群众性 / 创新性 / 传播力
    name: str  # short column name
    rule: str  # the notice's wording, shown to reviewers
    points: int  # the most this item gives
    prefill: Prefill | None = None


@dataclass(frozen=True)
class ScoringSpec:
    items: tuple[ScoringItem, ...]
    title: str = "评议细则"

    def __post_init__(self) -> None:
        names = [i.name for i in self.items]
        if len(set(names)) != len(names):
            raise ValueError(f"duplicate scoring items: {names}")

    @property
    def total(self) -> int:
        return sum(i.points for i in self.items)

    @cached_property
    def by_name(self) -> dict[str, ScoringItem]:
        return {i.name: i for i in self.items}

    @property
    def groups(self) -> list[tuple[str, list[ScoringItem]]]:
        """Items by group, in order of first appearance."""
        out: dict[str, list[ScoringItem]] = {}
        for item in self.items:
            out.setdefault(item.group, []).append(item)
        return list(out.items())


@dataclass(frozen=True)
class Campaign:
    """The campaign-specific data the core reads: its form and its scoring rules."""

    form: FormSpec
    scoring: ScoringSpec = field(default_factory=lambda: ScoringSpec(()))
