"""Find the form's fields in a Document by their labels, never by position.

Tables first: the table with the most labels laid out as a form is the
form (a list sheet whose labels head columns of records ranks after any
form); fields it lacks may come from another table that also looks like
part of the form (a form split over pages), then from paragraphs
("账号名称：…" lines, OCR text, or label-glued text from a lost table).
`Located.paired` records which labels had a place for a value, for judge.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..campaign import Vocabulary
from ..model import Document
from .clean import clean_value
from .lines import GLUED_MIN_LABELS, values_from_glued, values_from_lines
from .tables import classify_cells, list_records, locate_in_table, table_labels


@dataclass
class Located:
    fields: dict[str, str]
    sources: dict[str, str] = field(default_factory=dict)
    located: set[str] = field(default_factory=set)
    paired: dict[str, str] = field(default_factory=dict)  # label -> its wording
    list_records: int | None = None  # records of the list sheet read as the form; None for a form layout


def locate(doc: Document, vocab: Vocabulary) -> Located:
    """Every label of the form found in `doc` and the value next to it (not yet judged)."""
    labels = vocab.spec.labels
    out = Located(fields=vocab.spec.empty_fields())
    kinds = [classify_cells(t, vocab) for t in doc.tables]
    ranked = []
    for i, table in enumerate(doc.tables):
        count = len(table_labels(table, kinds[i]))
        if count:
            ranked.append((list_records(table, kinds[i], len(labels)), count, i))
    # Forms before lists, then by how many labels, then document order.
    ranked.sort(key=lambda x: (x[0] is not None, -x[1], x[2]))
    best_count = ranked[0][1] if ranked else 0
    for rank, (records, count, i) in enumerate(ranked):
        if rank == 0:
            out.list_records = records
        elif records is not None or out.list_records is not None:
            continue  # never mix a list's records (other people's phones) into a form
        elif count < 2 and best_count < 5:
            break  # a lone label elsewhere counts only when the main table is clearly the form
        _merge(out, locate_in_table(doc.tables[i], doc.file, vocab, kinds[i]))
        if len(out.located) == len(labels):
            break
    if len(out.located) < len(labels) and doc.paragraphs:
        _paragraphs(out, doc, vocab)
    return out


def _merge(out: Located, found) -> None:
    for canon in found.located:
        if canon in out.located:
            continue
        out.located.add(canon)
        out.fields[canon] = found.values.get(canon, "")
        if canon in found.paired:
            out.paired[canon] = found.paired[canon]
        if canon in found.sources:
            out.sources[canon] = found.sources[canon]


def _paragraphs(out: Located, doc: Document, vocab: Vocabulary) -> None:
    lines: list[str] = []
    para_of: list[int] = []
    for pi, para in enumerate(doc.paragraphs):
        for ln in para.split("\n"):
            lines.append(ln)
            para_of.append(pi)
    unit = "行" if doc.is_scan else "段"
    found = values_from_lines(lines, vocab)
    if len(found) < GLUED_MIN_LABELS:  # labels without colons or gaps: text from a lost table?
        glued = values_from_glued(lines, vocab)
        if len(glued) > len(found):
            found = glued
    for canon, hit in found.items():
        if canon in out.located:
            continue
        out.located.add(canon)
        out.paired[canon] = hit.wording
        value = clean_value(hit.value)
        out.fields[canon] = value
        if value:
            n = (hit.line + 1) if doc.is_scan else para_of[min(hit.line, len(para_of) - 1)] + 1
            out.sources[canon] = f"{doc.file} 正文第{n}{unit}"
