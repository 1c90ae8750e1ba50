"""Read a notice's scoring table (附件2 评议细则/评分标准) into draft scoring items.

Such tables have a header row (评价指标 | 评价要点 | 分值, sometimes 一级指标 |
二级指标 | 评分标准 | 分值) and one row per item; a group's cell is merged
down its items and often carries the group's total ("科学性（30分）"). A row
with 合计/总分 is the total. Each item becomes (group, name, rule, points):
the name is the second-level indicator when the table has one, else the
rule's first phrase, which staff may shorten.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..campaign import FormSpec, Kind
from ..errors import UserFacingError
from ..model import Cell, Document, Table

_POINTS_HEAD = re.compile(r"分值|分数|满分|赋分|权重|最高分|标准分")
_GROUP_HEAD = re.compile(r"一级指标|评价指标|评分指标|评审指标|指标|项目|维度|类别|评价项目")
_NAME_HEAD = re.compile(r"二级指标|评分项|子项")
_RULE_HEAD = re.compile(r"要点|标准|细则|内容|说明|要求|评分依据|观测点")
_TOTAL = re.compile(r"^(?:合计|总计|总分|小计)")
_POINTS = re.compile(r"^\s*(\d{1,3})\s*分?\s*$")
_GROUP_POINTS = re.compile(r"\s*[(（]?\s*\d{1,3}\s*分\s*[)）]?\s*$")
_FIRST_PHRASE = re.compile(r"[，,；;。：:（(]")
NAME_MAX = 8


class ScoringTableError(UserFacingError):
    """The file holds no scoring table."""


@dataclass
class DraftItem:
    group: str
    name: str
    rule: str
    points: int
    prefill: str = ""  # an integer field of the form this item is pre-filled from


@dataclass
class ScoringDraft:
    file: str
    items: list[DraftItem] = field(default_factory=list)
    title: str = "评分细则"
    checks: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(i.points for i in self.items)


def read_scoring_table(doc: Document, form: FormSpec | None = None) -> ScoringDraft:
    """The items of the first table with a points column; `form` lets an item about a
    count (粉丝量, 阅读量) be pre-filled from the form's integer field."""
    draft = ScoringDraft(file=doc.file)
    heading = [p.strip() for p in doc.paragraphs[:6] if p.strip()]
    attachment = next((h for h in heading if re.fullmatch(r"附件\s*\d+", h)), "")
    title = next((h for h in heading if re.search(r"细则|标准|办法|评分|评议|评审", h) and len(h) <= 30), "")
    draft.title = " ".join(x for x in (attachment.replace(" ", ""), title or "评分细则") if x)
    for table in doc.tables:
        items = _items(table)
        if items:
            draft.items = items
            break
    if not draft.items:
        raise ScoringTableError(
            f"没有在“{doc.file}”中找到评分表：需要一个带“分值”列的表格（如 评价指标 | 评价要点 | 分值）"
        )
    _unique_names(draft)
    if form is not None:
        for item in draft.items:
            item.prefill = _prefill(item, form)
    return draft


def _items(table: Table) -> list[DraftItem]:
    at: dict[tuple[int, int], Cell] = {}
    for cell in table.cells:
        for r in range(cell.row, cell.row + max(cell.row_span, 1)):
            for c in range(cell.col, cell.col + max(cell.col_span, 1)):
                at.setdefault((r, c), cell)
    if not at:
        return []
    rows = max(r for r, _ in at) + 1
    cols = max(c for _, c in at) + 1

    def text(r: int, c: int) -> str:
        cell = at.get((r, c))
        return " ".join(cell.text.split()) if cell is not None else ""

    header = next(
        (r for r in range(min(rows, 3)) if any(_POINTS_HEAD.search(text(r, c)) for c in range(cols))), None
    )
    if header is None:
        return []
    heads = [text(header, c) for c in range(cols)]
    points_col = next(c for c in range(cols) if _POINTS_HEAD.search(heads[c]))
    group_col = next(
        (c for c in range(cols) if _GROUP_HEAD.search(heads[c]) and not _NAME_HEAD.search(heads[c])), None
    )
    name_col = next((c for c in range(cols) if _NAME_HEAD.search(heads[c])), None)
    rule_col = next(
        (c for c in range(cols) if _RULE_HEAD.search(heads[c]) and c not in (group_col, name_col)), None
    )
    if rule_col is None:  # the widest text column left of the points
        others = [c for c in range(points_col) if c not in (group_col, name_col)]
        rule_col = others[-1] if others else name_col
    if rule_col is None:
        return []
    items = []
    for r in range(header + 1, rows):
        m = _POINTS.match(text(r, points_col))
        first = text(r, 0)
        if not m or _TOTAL.match(first) or _TOTAL.match(text(r, rule_col)):
            continue
        group = _GROUP_POINTS.sub("", text(r, group_col)) if group_col is not None else ""
        rule = text(r, rule_col)
        name = text(r, name_col) if name_col is not None else ""
        if not rule and not name:
            continue
        items.append(
            DraftItem(group=group or "评分", name=name or _short(rule), rule=rule or name, points=int(m[1]))
        )
    return items


def _short(rule: str) -> str:
    """The rule's first phrase, at most NAME_MAX characters: a column name for the sheets.
    A long phrase stops at its first 、 when what comes before says enough (引用文献、数据来源可靠)."""
    first = _FIRST_PHRASE.split(rule, 1)[0].strip() or rule
    if len(first) > NAME_MAX:
        head = first.split("、", 1)[0]
        if len(head) >= 4:
            first = head
    return first[:NAME_MAX]


def _unique_names(draft: ScoringDraft) -> None:
    seen: dict[str, int] = {}
    for item in draft.items:
        base = item.name
        if base in seen:
            seen[base] += 1
            item.name = f"{base}{seen[base]}"
            draft.checks.append(f"评分项“{base}”重名，第二个改为“{item.name}”")
        else:
            seen[base] = 1


def _prefill(item: DraftItem, form: FormSpec) -> str:
    """The integer field an item about a count speaks of: 粉丝数量 for "账号粉丝量"."""
    wording = item.rule + item.name
    for label in form.of_kind(Kind.INTEGER):
        stem = re.sub(r"^(?:累计|总)", "", label)
        stem = re.sub(r"(?:数量|次数|人数|数|量)$", "", stem)
        stem = stem.split("/")[0]
        if len(stem) >= 2 and stem in wording and "人数" not in label:
            return label
    return ""
