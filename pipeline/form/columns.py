"""One form, several accounts side by side: "标签 | 账号一 | 账号二".

A unit nominating two accounts sometimes widens the form by a column
instead of filling it twice. Read as usual, each label takes the cell on
its right and the second account is dropped without a word. Here such a
table is recognised (the identity field, 账号名称, has two or more different
values in a row of plain cells right of it, and so do at least two more
labels) and the document is seen once per account: that table keeps its
label column and one value column (labels widened over the other columns,
so sources still name the original column); cells spanning every value
column (a shared 推荐理由, the title) stay in each view.
"""

from __future__ import annotations

from dataclasses import replace

from ..campaign import FormSpec, Kind, Vocabulary
from ..model import Cell, Document, FormResult, Table
from .normalize import normalize_fields
from .tables import CellKind, classify_cells

MIN_ROWS = 3  # label rows with two or more values, the identity row among them
MAX_ACCOUNTS = 20
MIN_OWN_TYPED = 2  # values of a checked kind (count, date, link, phone…) each further account must show


def account_views(doc: Document, vocab: Vocabulary) -> list[Document]:
    """One Document per account when a table holds several accounts in value columns, else [doc]."""
    for index, table in enumerate(doc.tables):
        columns = _value_columns(table, classify_cells(table, vocab), vocab)
        if len(columns) < 2:
            continue
        views = []
        for column in columns:
            tables = list(doc.tables)
            tables[index] = _one_column(table, column, columns)
            views.append(replace(doc, tables=tables, paragraphs=list(doc.paragraphs)))
        return views
    return [doc]


def confirmed(forms: list[FormResult], spec: FormSpec) -> bool:
    """True when every view reads as the form and each further account shows at least
    MIN_OWN_TYPED values of its own that pass their kind's check: a column of notes beside
    the values ("请填写全称", "按月统计") is never taken for a second account."""
    if not all(f.found for f in forms):
        return False
    first = forms[0]
    typed = [f.label for f in spec.fields if f.kind not in (Kind.TEXT, Kind.LONG_TEXT)]
    for form in forms[1:]:
        normalized = normalize_fields(form.fields, spec)
        own = sum(
            1
            for label in typed
            if form.fields.get(label)
            and normalized.get(label) is not None
            and form.sources.get(label) != first.sources.get(label)
        )
        if own < MIN_OWN_TYPED:
            return False
    return True


def _runs(table: Table, kinds: dict[int, CellKind]) -> dict[str, list[Cell]]:
    """label -> the plain one-row, one-column cells right of its label cell, up to the next label."""
    at = {(c.row, c.col): c for c in table.cells}
    out: dict[str, list[Cell]] = {}
    for cell in table.cells:
        kind = kinds[id(cell)]
        if not kind.canon or kind.shared or cell.row_span != 1 or kind.canon in out:
            continue
        run: list[Cell] = []
        col = cell.col + cell.col_span
        while len(run) <= MAX_ACCOUNTS:
            right = at.get((cell.row, col))
            if right is None or kinds[id(right)].is_label or right.row_span != 1 or right.col_span != 1:
                break
            run.append(right)
            col += 1
        out[kind.canon] = run
    return out


def _value_columns(table: Table, kinds: dict[int, CellKind], vocab: Vocabulary) -> list[int]:
    """The value columns of a several-account table, [] for an ordinary one."""
    runs = _runs(table, kinds)
    identity = runs.get(vocab.spec.identity_label, [])
    names = [c.text.strip() for c in identity if c.text.strip()]
    if len(names) < 2 or len(set(names)) < len(names):
        return []
    columns = [c.col for c in identity if c.text.strip()]
    rows = sum(1 for run in runs.values() if sum(1 for c in run if c.col in columns and c.text.strip()) >= 2)
    return columns if rows >= MIN_ROWS else []


def _one_column(table: Table, keep: int, columns: list[int]) -> Table:
    """`table` with only value column `keep` of `columns`; cells left of it widened over the others."""
    first = min(columns)
    cells = []
    for cell in table.cells:
        end = cell.col + cell.col_span
        if cell.col in columns and cell.col_span == 1 and cell.col != keep:
            continue  # another account's value
        if end == first and keep > first:
            cell = replace(cell, col_span=keep - cell.col)  # the label reaches the kept column
        cells.append(cell)
    return Table(name=table.name, cells=cells)
