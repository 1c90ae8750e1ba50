"""A cheap first look at a page: which way up, how skewed, could it be the form.

Full OCR of an A4 page costs seconds; this look costs a fraction: text
detection on a ~1000 px copy, the 0/180° line classifier on every line, and
recognition of the short lines only (labels such as 账号名称 are short;
running text is long), a batch at a time from the top, until two labels, one
of them this form's own, settle that the page shows the form (a ruled page
reads its labels again cell by cell, so reading more here would be paid twice). From that we learn the quarter turn that makes the
text upright (lines taller than wide = page on its side; most lines read
upside down = page upside down), the residual skew (median slope of long
lines), the text height (to pick the recognition scale), and which form
labels the page shows (to skip pages of a long scanned PDF that cannot
hold the 推荐表).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..campaign import FormSpec
from . import ocr_engine
from .form_labels import form_vocabulary

SIDE = 1000  # long side of the surveyed copy (~85 dpi for A4)
SHORT_LINE = 8.0  # max length/height of a line worth recognising here
MAX_SHORT_LINES = 36  # a form shows its labels among its first short lines
MIN_LEGIBLE = 11.0  # px: shorter lines may be misread at this scale
FORM_LABELS_MIN = 2
ENOUGH_LABELS = 2  # labels, one distinctive, that settle "this page shows the form"
CHUNK = 6  # short lines recognised per batch of the first look (one recogniser batch)


@dataclass
class Survey:
    """What the first look found, in the surveyed copy's pixels."""

    quarter: int = 0  # counter-clockwise quarter turns that make text upright
    skew: float = 0.0  # then rotate this many degrees counter-clockwise
    text_height: float = 0.0  # median line height
    lines: int = 0
    labels: set[str] = field(default_factory=set)  # form labels read
    soft: bool = False  # the page is out of focus (ocr_page.SOFT_PAGE)
    # What the short lines it recognised read: quad index -> (text, score).
    read: dict[int, tuple[str, float]] = field(default_factory=dict, repr=False)
    quads: list[np.ndarray] = field(default_factory=list, repr=False)  # every detected line

    @property
    def legible(self) -> bool:
        """Whether text was large enough at this scale for `labels` to be trusted."""
        return self.lines == 0 or self.text_height >= MIN_LEGIBLE

    @property
    def may_hold_form(self) -> bool:
        return len(self.labels) >= FORM_LABELS_MIN or (self.lines >= 5 and not self.legible)


def survey(
    img: np.ndarray, form: FormSpec | None = None, enough: int | None = ENOUGH_LABELS, soft: bool = False
) -> Survey:
    """Look at `img` (already about SIDE px long); never reads long lines, and stops
    reading short ones once `enough` labels are seen, one of them not a contact
    label every form has (None: read them all). `form`: the campaign's form whose
    labels are looked for (None: the built-in 附件1). `soft`: the page is out of
    focus; its short lines are read as the form's wordings where greedy decoding
    fails them (ocr_engine.LEX_MIN), as its cells will be, so the labels that settle
    the question are seen in the first batches instead of after every short line."""
    vocabulary = form_vocabulary(form)
    match_label = vocabulary.match_label
    lexicon = label_lexicon(form) if soft else None

    quads = ocr_engine.detect(img)
    if not quads:
        return Survey(soft=soft)
    sizes = [_size(q) for q in quads]
    tall = sum(1 for w, h in sizes if h > 1.5 * w)
    wide = sum(1 for w, h in sizes if w > 1.5 * h)
    sideways = tall > wide
    lines = ocr_engine.line_images(img, quads)  # tall lines come back turned a quarter left
    lines, turns = ocr_engine.upright(lines)
    flipped = sum(1 for label, score in turns if label == "180" and score >= 0.9)
    level = sum(1 for label, score in turns if label == "0" and score >= 0.9)
    upside_down = flipped > level
    if sideways:
        quarter = 3 if upside_down else 1
    else:
        quarter = 2 if upside_down else 0
    short = [i for i, (w, h) in enumerate(sizes) if max(w, h) <= SHORT_LINE * max(1.0, min(w, h))]
    short = short[:MAX_SHORT_LINES]
    labels: set[str] = set()
    read: dict[int, tuple[str, float]] = {}
    for start in range(0, len(short), CHUNK):  # top to bottom, until enough labels are seen
        chunk = short[start : start + CHUNK]
        found = ocr_engine.recognise([lines[i] for i in chunk], soft, lexicon, [True] * len(chunk))
        for i, (text, score) in zip(chunk, found, strict=True):
            read[i] = (text, score)
            hit = match_label(text) if score >= 0.5 else None
            if hit:
                labels.add(hit[0])
        if (
            enough is not None
            and len(labels) >= enough
            and any(_distinctive(vocabulary.spec, lb) for lb in labels)
        ):
            break
    return Survey(
        quarter=quarter,
        skew=_skew(quads, sizes),
        text_height=float(np.median([min(w, h) for w, h in sizes])),
        lines=len(quads),
        labels=labels,
        soft=soft,
        read=read,
        quads=quads,
    )


def label_lexicon(form: FormSpec | None) -> ocr_engine.Lexicon:
    """The form's label wordings, for reading the labels of a soft page (ocr_engine.LEX_MIN)."""
    variants = form_vocabulary(form).variants
    return ocr_engine.Lexicon({w: label for label, wordings in variants.items() for w in wordings})


def _distinctive(spec: FormSpec, label: str) -> bool:
    """A label only this kind of form has (账号名称), not a contact label (联系人, 手机)."""
    found = spec.field(label)
    return found is not None and not found.weak_evidence


def _size(quad: np.ndarray) -> tuple[float, float]:
    """(width, height) of a detected line along its own edges."""
    width = float(np.linalg.norm(quad[1] - quad[0]))
    height = float(np.linalg.norm(quad[3] - quad[0]))
    return width, height


def _skew(quads: list[np.ndarray], sizes: list[tuple[float, float]]) -> float:
    """Median slope of long lines, folded into (-45°, 45°]; the value survives a
    quarter turn, so it applies after `quarter` is undone.

    A line going down to the right (positive slope, y pointing down) needs a
    counter-clockwise turn of that many degrees.
    """
    angles = []
    for quad, (w, h) in zip(quads, sizes, strict=True):
        if max(w, h) < 3 * min(w, h):
            continue
        a, b = (quad[0], quad[1]) if w >= h else (quad[0], quad[3])
        dx, dy = b - a
        angle = math.degrees(math.atan2(dy, dx))
        angles.append((angle + 45) % 90 - 45)
    if len(angles) < 3:
        return 0.0
    return float(np.median(angles))
