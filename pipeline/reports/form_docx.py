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
from dataclasses import dataclass, field
from pathlib import Path

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH

from ..campaign import FormSpec, is_placeholder, norm_label, vocabulary
from .blank_form import BODY_FONT, blank_form_docx, set_font
from .docx_grid import (
    GridCell,
    between,
    loose_paragraphs,
    own,
    paragraph_text,
    prompting,
    table_grid,
    tables,
    w,
)

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


def _value_place(
    form: FormSpec, grid: list[list[GridCell]], label: GridCell, taken: set[int]
) -> _Place | None:
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
        return _Place(list(own(label.tc, "p"))[-1], after_colon=True)
    return None


def find_places(doc, form: FormSpec) -> dict[str, _Place]:
    """Field label -> where its value goes in `doc`. A label printed twice: its own wording wins,
    then the first."""
    voc = vocabulary(form)
    best: dict[str, tuple[int, GridCell, list[list[GridCell]]]] = {}
    for tbl in tables(doc):
        grid = table_grid(tbl)
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
    for p in loose_paragraphs(doc):  # a form written as lines: "账号名称：________"
        head, colon, rest = paragraph_text(p).partition("：" if "：" in paragraph_text(p) else ":")
        match = voc.match_label(head) if colon and _FILL_MARKS.match(rest) else None
        if match is not None and match[0] not in places:
            places[match[0]] = _Place(p, after_colon=True)
    return places


# ---------------------------------------------------------------- writing


def _run_properties(tc):
    """The formatting text typed into this cell would get: its paragraph mark's, else its first run's."""
    for p in own(tc, "p"):
        mark = p.find(f"{w('pPr')}/{w('rPr')}")
        if mark is not None:
            return _without_placeholder_style(mark)
    for r in own(tc, "r"):
        rpr = r.find(w("rPr"))
        if rpr is not None and not any(prompting(el) for el in between(r, tc)):
            return _without_placeholder_style(rpr)
    return None  # only a prompt's grey look to copy: the paragraph style's look it is


def _without_placeholder_style(rpr):
    rpr = copy.deepcopy(rpr)
    style = rpr.find(w("rStyle"))
    if style is not None and "placeholder" in (style.get(w("val")) or "").lower():
        rpr.remove(style)
    for tag in ("vanish", "rPrChange", "ins", "del"):
        for el in rpr.findall(w(tag)):
            rpr.remove(el)
    rpr.tag = w("rPr")
    return rpr


def _run(parent, text: str, rpr) -> None:
    """Append a run of `text` (newlines as line breaks) to paragraph `parent`."""
    run = parent.makeelement(w("r"), {})
    if rpr is not None:
        run.append(copy.deepcopy(rpr))
    for i, line in enumerate(text.split("\n")):
        if i:
            run.append(run.makeelement(w("br"), {}))
        if line:
            t = run.makeelement(w("t"), {})
            t.text = line
            t.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
            run.append(t)
    parent.append(run)


def _let_row_grow(el) -> None:
    tr = next(el.iterancestors(w("tr")), None)
    height = tr.find(f"{w('trPr')}/{w('trHeight')}") if tr is not None else None
    if height is not None and height.get(w("hRule")) == "exact":
        height.set(w("hRule"), "atLeast")


def _write_cell(tc, text: str) -> None:
    """Replace the cell's content with `text`, keeping its first paragraph's formatting."""
    rpr = _run_properties(tc)
    first = next(own(tc, "p"), None)
    ppr = copy.deepcopy(first.find(w("pPr"))) if first is not None else None
    for child in list(tc):
        if child.tag != w("tcPr"):
            tc.remove(child)
    p = tc.makeelement(w("p"), {})
    if ppr is not None:
        p.append(ppr)
    if text:
        _run(p, text, rpr)
        _let_row_grow(tc)
    tc.append(p)


def _write_after_colon(p, text: str) -> None:
    """Append `text` after the label's colon in its paragraph ("账号名称：___" -> "账号名称：值")."""
    runs = list(p.iter(w("r")))
    rpr = runs[-1].find(w("rPr")) if runs else None
    _trim_fill_marks(p)
    if text:
        _run(p, text, _without_placeholder_style(rpr) if rpr is not None else None)
        _let_row_grow(p)


def _trim_fill_marks(p) -> None:
    """Drop the underscores and spaces after the last colon (the line printed to write on)."""
    for t in reversed(list(p.iter(w("t")))):
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
    for tbl in tables(doc):
        grid = table_grid(tbl)
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
    for p in loose_paragraphs(doc):
        text = paragraph_text(p)
        match = _UNIT_LINE.match(text)
        is_field = match is not None and voc.match_label(text[: match.end()]) is not None
        if match and not is_field and _FILL_MARKS.match(text[match.end() :]):
            _write_after_colon(p, unit)
            return
    footer = doc.sections[0].footer
    paragraph = footer.paragraphs[0] if footer.paragraphs and not footer.paragraphs[0].text else None
    paragraph = paragraph or footer.add_paragraph()
    paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    set_font(paragraph.add_run(f"推荐单位：{unit}"), BODY_FONT, 10.5)
