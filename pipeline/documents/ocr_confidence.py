"""Which values read from a scan a person must check (the form result's `uncertain`).

OCR can misread a value that still looks valid, so a scan always goes to
staff; but staff should not have to compare fifteen values character by
character to find the one that is wrong. A value is uncertain when

- it is empty (the unit filled the form in; OCR may have missed it), or it was
  found in running text rather than in a cell of the form's grid;
- its cell's geometry is in doubt (ocr_cells, ocr_labels flags): a stamp lies
  over it, the stamp's lettering was taken out of it, ink could not be read, its
  text runs into the cell's border, its label was named from its kind (the
  label's cell unreadable under a stamp), or, with no grid, it spans several lines
  placed by the labels' geometry alone, or it is free text on a page out of focus;
- the recogniser was not sure of it (its lowest line score is below MIN_SCORE);
- it fails its kind's check (a phone of 11 digits, a 6-digit 邮编, an e-mail,
  a date, a count, a link), the field kinds coming from the campaign's form.

A scan the OCR could not read at all (out of memory, or a page that shows
the form's labels but too poorly to pair them: code UNREAD on the Document)
is still the form: it is handed to staff with every field uncertain.

This module only reads cells and the form spec; pipeline/form/ calls it
(judge_scan) once it has located the values.
"""

from __future__ import annotations

import re
import unicodedata
from typing import TYPE_CHECKING

from ..campaign import FormSpec, Kind, builtin
from ..model import Cell, Document, Problem

if TYPE_CHECKING:
    from ..model import FormResult

UNREAD = "scan_unread"  # Problem code: a scan that shows (or may show) the form, not read
UNREAD_SCORE = 0.3  # an unread scan's form score: below every real form (form/judge.FORM_TIER)
MIN_SCORE = 0.9  # the recogniser's lowest line score below which a value is checked
# The cell flags of ocr_cells, ocr_labels, ocr_page and ocr_label_guess ("label_guessed":
# the label beside the value was named from the value's kind, its own cell unreadable).
DOUBTFUL_FLAGS = frozenset({"stamp", "lettering", "unread", "crowded", "loose", "soft", "label_guessed"})

_SOURCE = re.compile(r" (?P<table>\S+) 第(?P<row>\d+)行第(?P<col>\d+)列$")
_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_POSTCODE = re.compile(r"^\d{6}$")
_EMAIL = re.compile(
    r"^[a-z0-9._%+\-]+@[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?)*\.[a-z]{2,}$"
)
_DATE = re.compile(
    r"^(?P<y>(?:19|20)\d{2})\s*[年./\-]\s*(?P<m>\d{1,2})\s*(?:月|[./\-])?\s*(?:(?P<d>\d{1,2})\s*[日号]?)?$"
)
_COUNT = re.compile(
    r"^(?:约|近|超过|超|逾|共|共计|累计|总计|合计|大约|达|已达)?\d+(?:[.,]\d+)*(?:万|亿|千|百|w|k)?"
    r"(?:余|多|\+)*(?:人|个|名|篇|条|次|位|户|粉丝|名粉丝|个粉丝|人次)?(?:以上|左右|余|多|\+)*$"
)
_URL = re.compile(r"^https?://[a-z0-9\-]+(?:\.[a-z0-9\-]+)+(?:[/?#][!-~]*)?$")
_ACCOUNT_ID = re.compile(r"^[\w.\-@/:]+$")


def unread_problem(name: str, why: str = "") -> Problem:
    """The note for a scan staff will read themselves (never "damaged")."""
    return Problem(
        None,
        UNREAD,
        f"《{name}》是扫描件或照片，{why or '系统未能可靠识别其中的内容'}，工作人员将对照原件录入，无需重新发送。",
    )


def judge_scan(
    doc: Document, result: FormResult, fields: dict[str, str], sources: dict[str, str], spec: FormSpec | None
) -> None:
    """Fill `result.uncertain` and `result.boxes` for a scanned document; an unread
    scan that otherwise would not count as the form becomes one (UNREAD_SCORE) with
    whatever was read and every field uncertain. `fields`/`sources`: what the
    locator found, whether or not the document was judged to be the form."""
    if not doc.is_scan:
        return
    spec = spec or builtin().form
    unread = any(p.code == UNREAD for p in doc.problems)
    if result.score <= 0:
        if not (unread or doc.form_seen):
            return
        unread = True  # the form is there, its values could not be paired with its labels
        result.score = UNREAD_SCORE
        result.fields = spec.ordered(fields)
        result.sources = {label: sources[label] for label in spec.labels if label in sources}
    cells = {t.name: {(c.row, c.col): c for c in t.cells} for t in doc.tables}
    uncertain, boxes, why = [], {}, {}
    for f in spec.fields:
        cell = value_cell(cells, result.sources.get(f.label, ""))
        if cell is not None and cell.box is not None:
            boxes[f.label] = cell.box.as_dict()
        reasons = [UNREAD] if unread else doubts(f.kind, result.fields.get(f.label, ""), cell)
        if reasons:
            uncertain.append(f.label)
            why[f.label] = reasons
    result.uncertain = uncertain
    result.boxes = boxes
    result.doubts = why


def value_cell(cells: dict[str, dict[tuple[int, int], Cell]], source: str) -> Cell | None:
    """The cell a source ("x.png 表格1 第8行第4列") names, if it is one of the document's."""
    m = _SOURCE.search(source)
    if not m:
        return None
    return cells.get(m["table"], {}).get((int(m["row"]) - 1, int(m["col"]) - 1))


def doubts(kind: Kind, value: str, cell: Cell | None) -> list[str]:
    """Why a value read by OCR must be checked by a person ([] when nothing says so)."""
    why = []
    if not value.strip():
        why.append("empty")
    if cell is None:
        why.append("no_cell")
    else:
        why.extend(sorted(DOUBTFUL_FLAGS.intersection(cell.flags)))
        if cell.confidence is not None and cell.confidence < MIN_SCORE:
            why.append("low_score")
    if value.strip() and not kind_ok(kind, value):
        why.append("kind")
    return why


def kind_ok(kind: Kind, value: str) -> bool:
    """Whether `value` looks like a value of its kind (stricter than validation: a
    misread digit or letter should fail it)."""
    text = unicodedata.normalize("NFKC", value).strip()
    compact = re.sub(r"[\s\-]", "", text)
    if kind is Kind.PHONE:
        return bool(_MOBILE.match(compact.removeprefix("+86")))
    if kind is Kind.POSTCODE:
        return bool(_POSTCODE.match(compact))
    if kind is Kind.EMAIL:
        return bool(_EMAIL.match(text.lower()))
    if kind is Kind.DATE:
        m = _DATE.match(text)
        return m is not None and 1 <= int(m["m"]) <= 12 and (m["d"] is None or 1 <= int(m["d"]) <= 31)
    if kind is Kind.INTEGER:
        return bool(_COUNT.match(compact.lower()))
    if kind is Kind.URL:
        low = text.lower()
        if low.startswith("http"):
            return bool(_URL.match(low))
        if low.startswith("www."):
            return bool(_URL.match("http://" + low))
        return bool(_ACCOUNT_ID.match(text))
    return True
