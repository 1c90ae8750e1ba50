"""A Word table as a grid of its real cells, as a person sees it: spans and vertical merges
explicit, rows and cells found inside content controls too, a cell's own text without that of
tables nested in it, and a content control still showing its prompt read as empty."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from docx.oxml.ns import qn


@dataclass
class GridCell:
    """One real cell: where it starts in the table's column grid and how many columns it spans."""

    tc: object  # the w:tc element
    row: int
    col: int  # first grid column
    span: int
    text: str
    continued: bool = False  # the lower part of a vertically merged cell (no content of its own)

    @property
    def end(self) -> int:
        return self.col + self.span


def w(tag: str) -> str:
    """The Clark name of a WordprocessingML tag: w("tc") -> {http://…/main}tc."""
    return qn(f"w:{tag}")


def children(parent, tag: str) -> Iterator:
    """Children named `tag`, also those wrapped in content controls or custom XML."""
    for child in parent:
        if child.tag == w(tag):
            yield child
        elif child.tag == w("sdt"):
            content = child.find(w("sdtContent"))
            if content is not None:
                yield from children(content, tag)
        elif child.tag == w("customXml"):
            yield from children(child, tag)


def own(tc, tag: str) -> Iterator:
    """Elements `tag` of this cell, not of a table nested in it."""
    for el in tc.iter(w(tag)):
        if next(el.iterancestors(w("tc")), None) is tc:
            yield el


def paragraph_text(p, skip: Callable | None = None) -> str:
    """Text of a paragraph (tabs as spaces, breaks as newlines), leaving out what lies in an
    element `skip` accepts."""
    parts = []
    for el in p.iter(w("t"), w("tab"), w("br"), w("cr")):
        if skip is not None and any(skip(a) for a in between(el, p)):
            continue
        parts.append(el.text or "" if el.tag == w("t") else " " if el.tag == w("tab") else "\n")
    return "".join(parts)


def cell_text(tc) -> str:
    """The cell's own text; a content control still showing its prompt counts as empty."""
    lines = []
    for p in own(tc, "p"):
        if not any(prompting(el) for el in between(p, tc)):
            lines.append(paragraph_text(p, skip=prompting))
    return "\n".join(lines).strip()


def prompting(el) -> bool:
    """A content control (w:sdt) showing its placeholder text rather than content."""
    return el.tag == w("sdt") and el.find(f"{w('sdtPr')}/{w('showingPlcHdr')}") is not None


def between(el, top) -> Iterator:
    """The ancestors of `el` below `top`, nearest first."""
    for ancestor in el.iterancestors():
        if ancestor is top:
            return
        yield ancestor


def _int_attr(parent, path: str, default: int) -> int:
    el = parent.find(path) if parent is not None else None
    try:
        return int(el.get(w("val"))) if el is not None else default
    except (TypeError, ValueError):
        return default


def table_grid(tbl) -> list[list[GridCell]]:
    """The table's real cells per row, with their grid columns (spans and merges explicit)."""
    rows: list[list[GridCell]] = []
    for r, tr in enumerate(children(tbl, "tr")):
        tr_pr = tr.find(w("trPr"))
        col = _int_attr(tr_pr, w("gridBefore"), 0)
        cells = []
        for tc in children(tr, "tc"):
            tc_pr = tc.find(w("tcPr"))
            span = max(1, _int_attr(tc_pr, w("gridSpan"), 1))
            vmerge = tc_pr.find(w("vMerge")) if tc_pr is not None else None
            continued = vmerge is not None and vmerge.get(w("val"), "continue") != "restart"
            cells.append(GridCell(tc, r, col, span, "" if continued else cell_text(tc), continued))
            col += span
        rows.append(cells)
    return rows


def loose_paragraphs(doc) -> Iterator:
    """Body paragraphs outside tables."""
    for p in doc.element.body.iter(w("p")):
        if next(p.iterancestors(w("tbl")), None) is None:
            yield p


def tables(doc) -> list:
    """Every table of the document body, nested ones included."""
    return list(doc.element.body.iter(w("tbl")))
