"""Fill a campaign's 推荐表 with one submission's values: the filled form in the packet.

The blank form is the campaign's own (`FormSpec.template`, the .docx it sent
out as 附件) when it gave one, else the one `blank_form` draws from the field
registry. Each value goes where a person filling the form would type it: the
field's label cell is found with the form's vocabulary (labels may be wrapped,
spaced "联 系 人", starred, or carry a note in brackets), and the value is
written into the next empty cell to its right in that row, else the empty cell
below it, else after the label's colon in the same cell. The template's fonts,
borders and layout stay; only a row of fixed height is let grow (at least that
high) so long text is never cut off.

The recommending unit is not a field of the form: it goes into the form's own
推荐单位 cell or "推荐单位（盖章）：" line when it has one, else into the page
footer, where a reader at the next level will not take it for a field.

Values are plain text in Word runs: escaped by lxml, control characters
dropped (`clean_text`), newlines as line breaks; nothing in a value is
interpreted as a template or as markup.
"""

from __future__ import annotations

import copy
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn

from ..campaign import FormSpec, is_placeholder, norm_label, vocabulary
from .blank_form import BODY_FONT, blank_form_docx, set_font

# XML 1.0 forbids most C0 controls; \t \a \f would become tabs/paragraphs/page breaks in Word.
_BAD_CHARS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\ufffe\uffff]")
MAX_VALUE_CHARS = 20000

# How forms name the recommending unit (推荐单位（盖章）, 申报单位).
UNIT_WORDINGS = frozenset({"推荐单位", "推荐单位名称", "申报单位", "报送单位", "推荐单位盖章"})
_UNIT_LINE = re.compile(
    r"^[\s\u3000]*(推荐|申报|报送)单位[\s\u3000]*(?:[(（][^()（）]{0,12}[)）])?[\s\u3000]*[:：]"
)
_FILL_MARKS = re.compile(r"^[\s\u3000_＿]*$")  # what a blank cell or line may hold: spaces, underscores
_COLON_END = re.compile(r"[:：][\s\u3000_＿]*$")
_HINT = re.compile(r"^[(（][^()（）]{0,60}[)）]$")  # （请填写可直接打开的网页链接）


def clean_text(value: object) -> str:
    """Plain text safe for a Word text run: newlines kept (become line breaks), controls dropped."""
    text = "" if value is None else str(value)
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    text = _BAD_CHARS.sub("", text)
    # Lone surrogates (from badly decoded mail) cannot be encoded to UTF-8.
    text = text.encode("utf-8", "replace").decode("utf-8")
    return text[:MAX_VALUE_CHARS]


@dataclass
class FilledForm:
    path: Path
    unplaced: list[str] = field(default_factory=list)  # labels with a value the blank form has no place for


def render_form_docx(fields: dict[str, str], unit: str, form: FormSpec, out: Path) -> FilledForm:
    """Write `form` filled with `fields` (label -> value) to `out` (atomically)."""
    if form.template is not None:
        doc = Document(str(form.template))
    else:
        doc = Document(io.BytesIO(blank_form_docx(form)))
    unplaced = fill_document(
        doc, form, {label: clean_text((fields or {}).get(label, "")) for label in form.labels}
    )
    place_unit(doc, form, clean_text(unit))
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    doc.save(str(tmp))
    tmp.replace(out)
    return FilledForm(out, unplaced)


def template_problems(form: FormSpec) -> list[str]:
    """Labels of `form` its blank form has no place for (empty: every field can be filled)."""
    if form.template is None:
        return []
    doc = Document(str(form.template))
    places = find_places(doc, form)
    return [label for label in form.labels if label not in places]


# ---------------------------------------------------------------- the form's table grid


@dataclass
class _Cell:
    tc: object  # the w:tc element
    row: int
    col: int  # first grid column
    span: int
    text: str
    continued: bool = False  # the lower part of a vertically merged cell (no content of its own)

    @property
    def end(self) -> int:
        return self.col + self.span


def _w(tag: str) -> str:
    return qn(f"w:{tag}")


def _children(parent, tag: str) -> Iterator:
    """Children named `tag`, also those wrapped in content controls or custom XML."""
    for child in parent:
        if child.tag == _w(tag):
            yield child
        elif child.tag == _w("sdt"):
            content = child.find(_w("sdtContent"))
            if content is not None:
                yield from _children(content, tag)
        elif child.tag == _w("customXml"):
            yield from _children(child, tag)


def _own(tc, tag: str) -> Iterator:
    """Elements `tag` of this cell, not of a table nested in it."""
    for el in tc.iter(_w(tag)):
        if next(el.iterancestors(_w("tc")), None) is tc:
            yield el


def _paragraph_text(p, skip=None) -> str:
    """Text of a paragraph (tabs as spaces, breaks as newlines), leaving out what lies in an
    element `skip` accepts."""
    parts = []
    for el in p.iter(_w("t"), _w("tab"), _w("br"), _w("cr")):
        if skip is not None and any(skip(a) for a in _between(el, p)):
            continue
        parts.append(el.text or "" if el.tag == _w("t") else " " if el.tag == _w("tab") else "\n")
    return "".join(parts)


def _cell_text(tc) -> str:
    """The cell's own text; a content control still showing its prompt counts as empty."""
    lines = []
    for p in _own(tc, "p"):
        if not any(_prompting(el) for el in _between(p, tc)):
            lines.append(_paragraph_text(p, skip=_prompting))
    return "\n".join(lines).strip()


def _prompting(el) -> bool:
    """A content control (w:sdt) showing its placeholder text rather than content."""
    return el.tag == _w("sdt") and el.find(f"{_w('sdtPr')}/{_w('showingPlcHdr')}") is not None


def _between(el, top) -> Iterator:
    for ancestor in el.iterancestors():
        if ancestor is top:
            return
        yield ancestor


def _int_attr(parent, path: str, default: int) -> int:
    el = parent.find(path) if parent is not None else None
    try:
        return int(el.get(_w("val"))) if el is not None else default
    except (TypeError, ValueError):
        return default


def _grid(tbl) -> list[list[_Cell]]:
    """The table's real cells per row, with their grid columns (spans and merges explicit)."""
    rows: list[list[_Cell]] = []
    for r, tr in enumerate(_children(tbl, "tr")):
        tr_pr = tr.find(_w("trPr"))
        col = _int_attr(tr_pr, _w("gridBefore"), 0)
        cells = []
        for tc in _children(tr, "tc"):
            tc_pr = tc.find(_w("tcPr"))
            span = max(1, _int_attr(tc_pr, _w("gridSpan"), 1))
            vmerge = tc_pr.find(_w("vMerge")) if tc_pr is not None else None
            continued = vmerge is not None and vmerge.get(_w("val"), "continue") != "restart"
            cells.append(_Cell(tc, r, col, span, "" if continued else _cell_text(tc), continued))
            col += span
        rows.append(cells)
    return rows


# ---------------------------------------------------------------- where each value goes


@dataclass
class _Place:
    target: object  # the value cell (w:tc), or the label's paragraph (w:p) when after_colon
    after_colon: bool = False  # write after the label's colon, in the label's own paragraph


def _is_blank(text: str) -> bool:
    return bool(_FILL_MARKS.match(text)) or is_placeholder(text) or bool(_HINT.match(text.strip()))


def _is_label(form: FormSpec, text: str) -> bool:
    voc = vocabulary(form)
    return voc.match_label(text) is not None or voc.is_extra_label(text)


def _value_place(form: FormSpec, grid: list[list[_Cell]], label: _Cell, taken: set[int]) -> _Place | None:
    """The next empty cell right of `label` in its row, else the empty cell below it, else its own cell
    after a colon."""
    for cell in sorted(
        (c for c in grid[label.row] if c.col >= label.end and not c.continued), key=lambda c: c.col
    ):
        if _is_blank(cell.text) and not _is_label(form, cell.text):
            if id(cell.tc) not in taken:
                return _Place(cell.tc)
        break  # a label or a filled cell ends the search in this row
    for r in range(label.row + 1, len(grid)):
        below = next((c for c in grid[r] if c.col <= label.col < c.end), None)
        if below is None:
            break
        if below.continued and below.col == label.col:
            continue  # the label cell itself, merged down over this row
        if not below.continued and _is_blank(below.text) and not _is_label(form, below.text):
            if id(below.tc) not in taken:
                return _Place(below.tc)
        break
    if _COLON_END.search(label.text):
        return _Place(list(_own(label.tc, "p"))[-1], after_colon=True)
    return None


def _tables(doc) -> list:
    return list(doc.element.body.iter(_w("tbl")))


def find_places(doc, form: FormSpec) -> dict[str, _Place]:
    """Field label -> where its value goes in `doc`. A label printed twice: its own wording wins,
    then the first."""
    voc = vocabulary(form)
    best: dict[str, tuple[int, _Cell, list[list[_Cell]]]] = {}
    for tbl in _tables(doc):
        grid = _grid(tbl)
        for row in grid:
            for cell in row:
                match = voc.match_label(cell.text) if cell.text else None
                if match is None:
                    continue
                label, score = match
                if label not in best or score > best[label][0]:
                    best[label] = (score, cell, grid)
    places: dict[str, _Place] = {}
    taken: set[int] = {id(cell.tc) for _, cell, _ in best.values()}
    for label in form.labels:
        if label not in best:
            continue
        _, cell, grid = best[label]
        place = _value_place(form, grid, cell, taken)
        if place is not None:
            places[label] = place
            taken.add(id(place.target))
    for p in _loose_paragraphs(doc):  # a form written as lines: "账号名称：________"
        head, colon, rest = _paragraph_text(p).partition("：" if "：" in _paragraph_text(p) else ":")
        match = voc.match_label(head) if colon and _FILL_MARKS.match(rest) else None
        if match is not None and match[0] not in places:
            places[match[0]] = _Place(p, after_colon=True)
    return places


def _loose_paragraphs(doc) -> Iterator:
    """Body paragraphs outside tables."""
    for p in doc.element.body.iter(_w("p")):
        if next(p.iterancestors(_w("tbl")), None) is None:
            yield p


# ---------------------------------------------------------------- writing


def _run_properties(tc):
    """The formatting text typed into this cell would get: its paragraph mark's, else its first run's."""
    for p in _own(tc, "p"):
        mark = p.find(f"{_w('pPr')}/{_w('rPr')}")
        if mark is not None:
            return _without_placeholder_style(mark)
    for r in _own(tc, "r"):
        rpr = r.find(_w("rPr"))
        if rpr is not None and not any(_prompting(el) for el in _between(r, tc)):
            return _without_placeholder_style(rpr)
    return None  # only a prompt's grey look to copy: the paragraph style's look it is


def _without_placeholder_style(rpr):
    rpr = copy.deepcopy(rpr)
    style = rpr.find(_w("rStyle"))
    if style is not None and "placeholder" in (style.get(_w("val")) or "").lower():
        rpr.remove(style)
    for tag in ("vanish", "rPrChange", "ins", "del"):
        for el in rpr.findall(_w(tag)):
            rpr.remove(el)
    rpr.tag = _w("rPr")
    return rpr


def _run(parent, text: str, rpr) -> None:
    """Append a run of `text` (newlines as line breaks) to paragraph `parent`."""
    run = parent.makeelement(_w("r"), {})
    if rpr is not None:
        run.append(copy.deepcopy(rpr))
    for i, line in enumerate(text.split("\n")):
        if i:
            run.append(run.makeelement(_w("br"), {}))
        if line:
            t = run.makeelement(_w("t"), {})
            t.text = line
            t.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
            run.append(t)
    parent.append(run)


def _let_row_grow(el) -> None:
    tr = next(el.iterancestors(_w("tr")), None)
    height = tr.find(f"{_w('trPr')}/{_w('trHeight')}") if tr is not None else None
    if height is not None and height.get(_w("hRule")) == "exact":
        height.set(_w("hRule"), "atLeast")


def _write_cell(tc, text: str) -> None:
    """Replace the cell's content with `text`, keeping its first paragraph's formatting."""
    rpr = _run_properties(tc)
    first = next(_own(tc, "p"), None)
    ppr = copy.deepcopy(first.find(_w("pPr"))) if first is not None else None
    for child in list(tc):
        if child.tag != _w("tcPr"):
            tc.remove(child)
    p = tc.makeelement(_w("p"), {})
    if ppr is not None:
        p.append(ppr)
    if text:
        _run(p, text, rpr)
        _let_row_grow(tc)
    tc.append(p)


def _write_after_colon(p, text: str) -> None:
    """Append `text` after the label's colon in its paragraph ("账号名称：___" -> "账号名称：值")."""
    runs = list(p.iter(_w("r")))
    rpr = runs[-1].find(_w("rPr")) if runs else None
    _trim_fill_marks(p)
    if text:
        _run(p, text, _without_placeholder_style(rpr) if rpr is not None else None)
        _let_row_grow(p)


def _trim_fill_marks(p) -> None:
    """Drop the underscores and spaces after the last colon (the line printed to write on)."""
    for t in reversed(list(p.iter(_w("t")))):
        text = t.text or ""
        stripped = text.rstrip(" \u3000_＿\t")
        t.text = stripped
        if stripped:
            break


def fill_document(doc, form: FormSpec, values: dict[str, str]) -> list[str]:
    """Write each value at its place in `doc`; returns the labels with a value but no place."""
    places = find_places(doc, form)
    unplaced = []
    for label in form.labels:
        value = values.get(label, "")
        place = places.get(label)
        if place is None:
            if value:
                unplaced.append(label)
            continue
        (_write_after_colon if place.after_colon else _write_cell)(place.target, value)
    return unplaced


# ---------------------------------------------------------------- the recommending unit


def place_unit(doc, form: FormSpec, unit: str) -> None:
    """Put the recommending unit in the form's own 推荐单位 cell or line, else in the footer."""
    if not unit:
        return
    voc = vocabulary(form)
    for tbl in _tables(doc):
        grid = _grid(tbl)
        for row in grid:
            for cell in row:
                if (
                    cell.text
                    and voc.match_label(cell.text) is None
                    and norm_label(cell.text) in UNIT_WORDINGS
                ):
                    place = _value_place(form, grid, cell, set())
                    if place is not None:
                        (_write_after_colon if place.after_colon else _write_cell)(place.target, unit)
                        return
    for p in _loose_paragraphs(doc):
        text = _paragraph_text(p)
        match = _UNIT_LINE.match(text)
        if match and _FILL_MARKS.match(text[match.end() :]):
            _write_after_colon(p, unit)
            return
    footer = doc.sections[0].footer
    paragraph = footer.paragraphs[0] if footer.paragraphs and not footer.paragraphs[0].text else None
    paragraph = paragraph or footer.add_paragraph()
    paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    set_font(paragraph.add_run(f"推荐单位：{unit}"), BODY_FONT, 10.5)
