"""A label cell the stamp or the blur made unreadable, named by the value beside it.

When the unit's 公章 is pressed right over a label (手机, 邮编 under the
stamp's star), or the photo is out of focus (on the 720 px thumbnail 邮编 reads
"RCA"), its cell reads nothing or a few wrong characters, and the
value beside it, even when read right, would be lost for want of its label.
The form says which labels the page should show; those it does not show are
missing, and a value of a kind that only one missing field can hold (a
mobile number, a 6-digit 邮编, an e-mail, a date) names its label. The label
is a guess from the value: the value's cell is flagged GUESSED so that staff
check it (ocr_confidence), whatever the recogniser's score.
"""

from __future__ import annotations

from dataclasses import replace

from ..campaign import FieldSpec, FormSpec, Kind, builtin
from ..model import Cell, Table
from .form_labels import form_vocabulary
from .ocr_cells import STAMP
from .ocr_confidence import MIN_SCORE, kind_ok

GUESSED = "label_guessed"  # Cell flag: the label beside this value was named from the value's kind
# Kinds whose check a value of another field fails (free text passes every check).
TELLING_KINDS = frozenset({Kind.PHONE, Kind.POSTCODE, Kind.EMAIL, Kind.DATE})


def place_stamped_labels(tables: list[Table], form: FormSpec | None, soft: bool = False) -> None:
    """Name each label cell under a stamp (any cell, on a `soft` page: out of focus)
    that reads as no label, from the value on its right: the one missing field (of a
    telling kind) whose check that value passes."""
    spec = form if form is not None else builtin().form
    vocab = form_vocabulary(spec)
    present = {hit[0] for t in tables for c in t.cells if (hit := vocab.match_label(c.text))}
    missing = [f for f in spec.fields if f.label not in present and f.kind in TELLING_KINDS]
    for table in tables:
        at = {(c.row, c.col): i for i, c in enumerate(table.cells)}
        for i, cell in enumerate(table.cells):
            if not missing or not _unreadable_label(cell, vocab.match_label(cell.text) is not None, soft):
                continue
            j = at.get((cell.row, cell.col + max(1, cell.col_span)))
            if j is None:
                continue
            value = table.cells[j]
            field = _only_fit(missing, value.text)
            if field is None:
                continue
            missing.remove(field)
            table.cells[i] = replace(cell, text=field.label)
            table.cells[j] = replace(value, flags=tuple(sorted({*value.flags, GUESSED})))


def _unreadable_label(cell: Cell, is_label: bool, soft: bool) -> bool:
    """A cell under a stamp (any cell on a soft page) that reads nothing, or no label
    and not surely."""
    if not (soft or STAMP in cell.flags) or is_label:
        return False
    return not cell.text.strip() or (cell.confidence or 0.0) < MIN_SCORE


def _only_fit(missing: list[FieldSpec], value: str) -> FieldSpec | None:
    """The one missing field whose kind check `value` passes (None: none or several)."""
    if not value.strip():
        return None
    fits = [f for f in missing if kind_ok(f.kind, value)]
    return fits[0] if len(fits) == 1 else None
