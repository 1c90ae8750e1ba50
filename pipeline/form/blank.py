"""Read a campaign's blank form (附件1 as the notice attached it) into a draft definition.

A blank form is a table of printed labels beside (or above) empty cells.
Any reader's Document will do (Word, WPS, PDF exported from Word, a sheet):
a cell that is blank once Word's prompts, bracketed instructions, underscores
and checkbox lists are removed is a place for a value; the printed cell to
its left (or above it, when labels stand side by side over a row of blanks)
is a field's label. A label's line breaks are joined ("账号ID/网\n页链接"),
its note in brackets is kept apart ("联系电话（必填）": 必填), and text that
has no place for a value, or whose place holds 盖章/签字 (推荐单位意见, 填表日期),
is printed on the form but is not a field. Forms without a table
("作品名称：________") are read from their lines.

The result is a draft for staff to check (`run.py form init` prints it as
YAML); every guess says what it rests on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..campaign import Kind
from ..campaign.vocabulary import KIND_SYNONYMS, is_placeholder
from ..errors import UserFacingError
from ..model import Cell, Document, Table
from .clean import clean_value
from .guess import guess_common, guess_kind, guess_required

MAX_LABEL = 24  # characters of a label without its note; longer text is an instruction
_TRAILING_NOTE = re.compile(r"[(（]([^()（）]{0,40})[)）]$")
_MARKERS = re.compile(r"^(?:[*＊※★☆]+|\d{1,2}[.、．)）]|[(（]\d{1,2}[)）]|[一二三四五六七八九十]{1,3}、)")
_SPACE_NEAR_CJK = re.compile(r"(?<=[^\x00-\x7f])\s+|\s+(?=[^\x00-\x7f])")
_FILLER = re.compile(r"[_＿\s\u3000…·.．]+")
_CHECKBOX = re.compile(r"[□☐■☑✓√○]")
_DATE_TEMPLATE = re.compile(r"^[\s\u3000年月日]*$")
_INSTRUCTIONS = re.compile(r"^(?:注|说明|备注|填表说明)\s*[:：\d一１]")  # 注：1. …
_SIGNATURE = re.compile(r"盖章|签字|签名|签章")
_ATTACHMENT = re.compile(r"^附件\s*(\d+)\s*[:：]?$")
# Printed on forms, never a field of one: the date and signature lines.
_OTHER_WORDS = frozenset(
    {"填表日期", "填报日期", "日期", "填表人", "审核人", "盖章", "单位盖章", "签字", "签名"}
)
_TITLE_WORD = re.compile(r"(推荐|申报|报名|申请|登记|信息|评审|推选|审批|征集|汇总)表$")
_BLANK_FIELD = re.compile(r"([^\s:：_＿]{2,24}?)\s*[:：]\s*(?:[_＿]{2,}|[ \u3000]{4,})[\s_＿\u3000]*")
_COLON_LINE = re.compile(r"([^\s:：_＿]{2,24}?)\s*[:：][\s_＿\u3000年月日]*(?=$|[^\s_＿\u3000年月日])")


class BlankFormError(UserFacingError):
    """The file holds no form to read labels from."""


@dataclass
class DraftField:
    """One field as guessed from the blank form."""

    label: str  # as printed, line breaks joined, note and colon removed
    printed: str  # exactly as printed
    note: str = ""  # the bracketed hint printed with the label: 必填, 300字以内
    kind: Kind = Kind.TEXT
    why: str = ""  # what the kind guess rests on
    required: bool = True
    common: bool = False
    tall: bool = False

    @property
    def variants(self) -> tuple[str, ...]:
        """How units also write a phone, e-mail or postcode label."""
        return tuple(v for v in KIND_SYNONYMS.get(self.kind, ()) if v.lower() != self.label.lower())


@dataclass
class BlankForm:
    """What a blank form says about the campaign's form."""

    file: str
    fields: list[DraftField] = field(default_factory=list)
    rows: list[tuple[str, ...]] = field(default_factory=list)  # labels per printed row
    other_labels: list[str] = field(default_factory=list)
    title: str = "推荐表"  # 推荐表, 申报表 …
    heading: str = ""  # the form's full heading: 优秀科普作品申报表
    attachment: str = ""  # 附件1
    checks: list[str] = field(default_factory=list)  # things staff should look at

    @property
    def name(self) -> str:
        return " ".join(p for p in (self.attachment, self.heading or self.title) if p)

    @property
    def identity(self) -> str:
        """The field naming what is nominated: the first whose label ends in 名称, else the first."""
        named = [f.label for f in self.fields if f.label.endswith("名称")]
        return named[0] if named else self.fields[0].label


def split_label(text: str) -> tuple[str, str]:
    """(label, note) of a printed label: "联系电话（必填）：" -> ("联系电话", "必填")."""
    lines = [ln.strip() for ln in text.replace("\r", "\n").split("\n") if ln.strip()]
    joined = ""
    for line in lines:
        if (
            joined
            and joined[-1].isascii()
            and joined[-1].isalnum()
            and line[0].isascii()
            and line[0].isalnum()
        ):
            joined += " "
        joined += line
    label = _SPACE_NEAR_CJK.sub("", joined).strip()
    label = re.sub(r"\s+", " ", label)
    label = _MARKERS.sub("", label).strip().rstrip(":：").strip()
    notes: list[str] = []
    while True:
        m = _TRAILING_NOTE.search(label)
        if not m or m.start() == 0:
            break
        notes.insert(0, m.group(1).strip())
        label = label[: m.start()].rstrip().rstrip(":：").strip()
    return label, "；".join(n for n in notes if n)


def is_blank(text: str) -> bool:
    """True for a place to write: empty once prompts, instructions, underscores and boxes go."""
    if not text.strip() or is_placeholder(text):
        return True
    rest = clean_value(text)
    if _CHECKBOX.search(rest):
        return True  # "□图文 □视频": options to tick
    rest = _FILLER.sub("", rest)
    return not rest or bool(_DATE_TEMPLATE.match(rest))


def _hint(text: str) -> str:
    """An instruction printed in a value cell (（300字以内）), kept as a note."""
    m = re.search(r"[(（]([^()（）]{1,60})[)）]", text or "")
    return m.group(1).strip() if m else ""


class _Grid:
    def __init__(self, table: Table) -> None:
        self.at: dict[tuple[int, int], Cell] = {}
        for cell in table.cells:
            for r in range(cell.row, cell.row + max(cell.row_span, 1)):
                for c in range(cell.col, cell.col + max(cell.col_span, 1)):
                    self.at.setdefault((r, c), cell)
        self.rows = max((r for r, _ in self.at), default=-1) + 1
        self.cols = max((c for _, c in self.at), default=-1) + 1

    def place(self, r: int, c: int) -> Cell | None | bool:
        """The cell at (r, c); True for an empty spot inside the table (a sheet's empty cell); None outside."""
        if not (0 <= r < self.rows and 0 <= c < self.cols):
            return None
        return self.at.get((r, c), True)


def read_blank_form(doc: Document) -> BlankForm:
    """The draft definition a blank form gives; BlankFormError when there is none."""
    form = BlankForm(file=doc.file)
    _headings(form, doc.paragraphs)
    table = _main_table(doc)
    if table is not None:
        _from_table(form, table)
        _other_lines(form, doc.paragraphs)
    if not form.fields:
        _from_lines(form, doc.paragraphs)
    if not form.fields:
        filled = any(sum(1 for c in t.cells if not is_blank(c.text)) >= 6 for t in doc.tables)
        why = "（其中的表格没有空白的填写处，可能是已经填好的表格）" if filled else ""
        raise BlankFormError(
            f"没有在“{doc.file}”中找到表格的栏目{why}：请给出通知所附的空白表格"
            "（Word、WPS 或从 Word 导出的 PDF；扫描件和照片不能用来生成栏目定义）"
        )
    if len(form.other_labels) > len(form.fields):
        form.checks.append(
            f"表中只有 {len(form.fields)} 个栏目旁有空白的填写处，另有 {len(form.other_labels)} 处印着文字："
            "如果这是已经填好的表格，请改用通知所附的空白表格"
        )
    _dedupe(form)
    for f in form.fields:
        f.kind, f.why = guess_kind(f.label, f.note, f.tall)
        f.required = guess_required(f.note)
        f.common = guess_common(f.label)
    return form


def _headings(form: BlankForm, paragraphs: list[str]) -> None:
    for text in paragraphs[:6]:
        line = _SPACE_NEAR_CJK.sub("", text.strip())
        m = _ATTACHMENT.match(line)
        if m and not form.attachment:
            form.attachment = f"附件{m.group(1)}"
        elif line.endswith("表") and len(line) <= 40 and not form.heading:
            _set_heading(form, line)


def _set_heading(form: BlankForm, line: str) -> None:
    form.heading = line
    m = _TITLE_WORD.search(line)
    form.title = m.group(0) if m else (line if len(line) <= 6 else "推荐表")


def _main_table(doc: Document) -> Table | None:
    """The table with the most places for values."""
    best, best_count = None, 0
    for table in doc.tables:
        count = sum(1 for c in table.cells if is_blank(c.text))
        labels = sum(1 for c in table.cells if not is_blank(c.text))
        if labels and count > best_count:
            best, best_count = table, count
    return best


def _from_table(form: BlankForm, table: Table) -> None:
    grid = _Grid(table)
    order = sorted(table.cells, key=lambda c: (c.row, c.col))
    printed = [c for c in order if not is_blank(c.text)]
    labelish = {id(c) for c in printed if _looks_like_label(c.text)}
    used: set[int] = set()
    placed: list[tuple[Cell, DraftField]] = []
    for cell in printed:
        if id(cell) in used:
            continue
        label, note = split_label(cell.text)
        if id(cell) not in labelish:
            if cell.row == 0 and not form.heading and label.endswith("表"):
                _set_heading(form, label)
            continue  # a heading or an instruction row
        value = _value_place(cell, grid, labelish, used)
        if isinstance(value, _Signature) or _SIGNATURE.search(cell.text) or label in _OTHER_WORDS:
            form.other_labels.append(_other_text(cell.text))
            spot = value.cell if isinstance(value, _Signature) else value
            if isinstance(spot, Cell):
                used.add(id(spot))
            continue
        if value is None:
            if cell.row == 0 and label.endswith("表"):
                if not form.heading:
                    _set_heading(form, label)
            else:
                form.other_labels.append(_other_text(cell.text))
            continue
        if isinstance(value, Cell):
            used.add(id(value))
            if not note:
                note = _hint(value.text)
        tall = max(cell.row_span, value.row_span if isinstance(value, Cell) else 1) > 1
        placed.append((cell, DraftField(label=label, printed=cell.text.strip(), note=note, tall=tall)))
        used.add(id(cell))
    form.fields = [f for _, f in placed]
    by_row: dict[int, list[tuple[int, str]]] = {}
    for cell, f in placed:
        by_row.setdefault(cell.row, []).append((cell.col, f.label))
    for _, items in sorted(by_row.items()):
        labels = [label for _, label in sorted(items)]
        form.rows.extend(tuple(labels[i : i + 2]) for i in range(0, len(labels), 2))


def _looks_like_field(text: str) -> bool:
    """A label cell that merely mentions signing ("负责人签字") is still a label."""
    label, _ = split_label(text)
    return bool(label) and not label.startswith(("（", "(")) and len(label) <= 8 and "年" not in label


def _looks_like_label(text: str) -> bool:
    label, _ = split_label(text)
    return 1 < len(label) <= MAX_LABEL and not _INSTRUCTIONS.match(label)


@dataclass
class _Signature:
    """A label's neighbour that is a 盖章/签字 block: the label is not a field."""

    cell: Cell


def _value_place(
    label: Cell, grid: _Grid, labelish: set[int], used: set[int]
) -> Cell | bool | _Signature | None:
    """The blank cell beside `label` (or below it, when labels stand side by side), True for an
    empty spot of a sheet, a _Signature for a 盖章/签字 block, None when there is no place."""

    def blank(spot) -> bool:
        if spot is True:
            return True
        return isinstance(spot, Cell) and spot is not label and id(spot) not in used and is_blank(spot.text)

    right = grid.place(label.row, label.col + max(label.col_span, 1))
    below = grid.place(label.row + max(label.row_span, 1), label.col)
    below_ok = blank(below) and (below is True or (isinstance(below, Cell) and below.col == label.col))
    left = grid.place(label.row, label.col - 1)
    in_band = any(isinstance(n, Cell) and id(n) in labelish for n in (left, right))
    if isinstance(right, Cell) and _SIGNATURE.search(right.text) and not _looks_like_field(right.text):
        return _Signature(right)
    if in_band and below_ok:
        return below
    if blank(right):
        return right
    if below_ok and (right is None or isinstance(right, Cell) and id(right) in labelish):
        return below
    return None


def _other_text(text: str) -> str:
    """A non-field label as printed, on one line: 推荐单位意见, 推荐单位（盖章）."""
    label, note = split_label(text)
    return f"{label}（{note}）" if note and _SIGNATURE.search(note) else label


def _other_lines(form: BlankForm, paragraphs: list[str]) -> None:
    """Lines around the table such as 推荐单位（盖章）： and 填表日期：   年  月  日."""
    for text in paragraphs:
        for line in text.split("\n"):
            line = line.strip()
            if not line or len(line) > 60 or _INSTRUCTIONS.match(line):
                continue
            for m in _COLON_LINE.finditer(line):
                label = _other_text(m.group(1))
                if label and not _ATTACHMENT.match(label) and label not in form.other_labels:
                    form.other_labels.append(label)


def _from_lines(form: BlankForm, paragraphs: list[str]) -> None:
    """A form without a table: lines made only of "作品名称：________" blanks."""
    others: list[str] = []
    for text in paragraphs:
        for line in text.split("\n"):
            line = line.strip()
            if not line:
                continue
            if _BLANK_FIELD.sub("", line).strip():  # text after a colon: a letter, not a blank form
                m = _COLON_LINE.fullmatch(line)
                if m and len(line) <= 30:
                    others.append(_other_text(m.group(1)))
                continue
            labels = []
            for m in _BLANK_FIELD.finditer(line):
                label, note = split_label(m.group(1))
                if _SIGNATURE.search(m.group(1)) or label in _OTHER_WORDS:
                    others.append(_other_text(m.group(1)))
                    continue
                form.fields.append(DraftField(label=label, printed=m.group(1), note=note))
                labels.append(label)
            form.rows.extend(tuple(labels[i : i + 2]) for i in range(0, len(labels), 2))
    if form.fields:
        form.other_labels.extend(x for x in others if _looks_like_label(x))


def _dedupe(form: BlankForm) -> None:
    """A label printed twice keeps its first place; staff are told."""
    seen: set[str] = set()
    kept = []
    for f in form.fields:
        if f.label in seen:
            form.checks.append(f"栏目“{f.label}”在表中出现了两次，只保留了第一处")
            continue
        seen.add(f.label)
        kept.append(f)
    form.fields = kept
    form.rows = [r for r in (tuple(dict.fromkeys(x for x in row if x in seen)) for row in form.rows) if r]
    placed: set[str] = set()
    rows = []
    for row in form.rows:
        row = tuple(x for x in row if x not in placed)
        placed.update(row)
        if row:
            rows.append(row)
    form.rows = rows
    form.other_labels = list(dict.fromkeys(x for x in form.other_labels if x and x not in seen))
