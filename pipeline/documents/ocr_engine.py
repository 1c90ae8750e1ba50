"""One PP-OCR engine per process (rapidocr-onnxruntime), built on first use.

PP-OCR reads the 推荐表's values exactly where tesseract chi_sim misread them
(1.1万 → 1万, 许诺 → 许读; research/ocr.md), and its detection/recognition
models ship inside the wheel, so it works offline. Documents are read in a
forked sandbox child (isolate.py), and ONNX Runtime's thread pools do not
survive a fork, so the engine is built lazily in the process that uses it
(the warm child builds it on its first scan and keeps it, ~200 MB, for the
child's life) and rebuilt if a forked copy of this process ever calls it.
An engine inherited through a fork is never freed: its sessions' destructors
join pool threads that do not exist in the child and hang forever.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from . import ocr_model

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from rapidocr_onnxruntime import RapidOCR

# The wheel's PP-OCRv4 models (rapidocr_onnxruntime's config.yaml), read through ocr_model.
DET_MODEL, REC_MODEL = "ch_PP-OCRv4_det_infer.onnx", "ch_PP-OCRv4_rec_infer.onnx"
MAX_SIDE = 2400  # we size images ourselves; the engine must not shrink them again
# The recogniser pads every batch of line images to at least rec_img_shape's width
# (PaddleOCR's 48x320), so a short value ("许诺", "8000") costs what a 320 px line does,
# and a form's cells are mostly short. Padding a batch only to its widest line (at
# least two characters' width) read the 16 copies and photos of the test corpus with
# 15 % less CPU (36.4 s -> 31.0 s) and the same values, except one label on the blurred
# photo that lost a character, which ocr_page now snaps back (Vocabulary.near_label),
# and the one value the small blurred thumbnail had read right by chance.
REC_HEIGHT, REC_MIN_WIDTH = 48, 96
# On a page out of focus the small marks that end or split a sentence (。，、) fade to a
# grey smudge beside the last character, and the recogniser, though it sees them, gives
# their step to blank: on the corpus's blurred photo two sentences' 。 had 0.18 and 0.36
# against blank's 0.79 and 0.40. So on such pages (ocr_page.SOFT_PAGE) a blank step where
# one of these marks has FAINT_MARK or more is read as that mark. That read the corpus's
# blurred photo 12 -> 14 of 15 right and ten more like it (bench/ocr.py --blur-seeds 10)
# 112 -> 115 of 150, none of the eleven losing a value; forced onto every sharp copy and
# photo of the corpus it changed no value.
FAINT_MARKS = "。，、"
FAINT_MARK = 0.1
# The decimal point of a count ("3.2万") fades the same way, and what it costs is a
# factor of ten (粉丝数量 read "32万" on the 720 px thumbnail). Between two digits a
# blank step where "." has DIGIT_POINT or more is read as the point: on that page the
# point of 3.2万 had 0.031 and of 6.7万 0.207, every other gap between digits 0.008 at
# most (dates, a phone number, 邮编, 2318). A line's score is no higher than the
# point's probability, so the value goes to staff (ocr_confidence.MIN_SCORE).
DIGIT_POINT = 0.02
# ...and a step left to blank with less than UNNAMED_INK is ink the recogniser saw but
# could not name: the blurred 篇 of 2318篇, a dense blob, had blank 0.70 and the rest
# spread thin (首 0.06, 面 0.05), so the value read 2318 at 0.999 and passed as certain
# on six of the ten photos of --blur-seeds. On a page out of focus a line's confidence is
# no higher than such a step's blank, which puts the value up for checking (its score
# below ocr_confidence.MIN_SCORE): on those ten photos all six are, and no other value.
UNNAMED_INK = 0.9
# On a page too small and soft for greedy decoding to name its labels (the 720 px
# thumbnail: 账号名称 read 账学机称, 注册时间 注材间, 传播实效 通实位), the form's own
# wordings are scored against what the recogniser saw (the CTC probability of each
# wording, PP-OCR's own output summed over every alignment) and a one-cell line takes
# the likeliest wording when it is likely enough (log-probability LEX_MIN or more) and
# stands out from every other label's wordings by LEX_MARGIN. On that thumbnail the nine
# one-piece label cells greedy decoding missed scored -5.1 to -15.1, standing out by 3.9
# to 16.4 (邮编, read RCA, scored -23.9 and stood out by 0.5: left as read), while every
# value cell's likeliest wording scored below LEX_MIN (a long value: -58.7 to -92.6) or
# stood out by 2.5 at most (浙江 -> 手机 -22.9, 0.8 over the next label).
LEX_MIN, LEX_MARGIN = -24.0, 3.0
# Threads ONNX Runtime may use for one recognition (default: its own choice, one per core).
# The tests set 1 (tests/conftest.py): two test workers on two cores, each engine's pool
# spinning on both cores, cost ~40 % more CPU and were slower as well.
THREADS_ENV = "INTAKE_OCR_THREADS"

# Full-width letters and digits (PP-OCR's dictionary has both; a lone "5" in a
# cell often comes back as "５") and the full-width @.
_WIDE = str.maketrans(
    {
        chr(c): chr(c - 0xFEE0)
        for c in [*range(0xFF10, 0xFF1A), *range(0xFF21, 0xFF3B), *range(0xFF41, 0xFF5B)]
    }
    | {"＠": "@"}
)
# Full-width punctuation inside an ASCII run (a URL, an e-mail, 1．1万) is ASCII too;
# between Chinese characters it stays as typed (，：（）).
_WIDE_PUNCT = re.compile(r"(?<=[!-~])[．／：－＿](?=[!-~．／：－＿])")
# ...and an ASCII comma, semicolon or colon between Chinese characters is the
# full-width one the unit typed (PP-OCR often answers "," for "，").
_CJK_PUNCT = re.compile(r"(?<=[\u3400-\u9fff）])([,;:!?])(?=[\u3400-\u9fff（])")
_AT = re.compile(r"(?<=\w) *@ *(?=\w)")  # "name@ example.com": an address has no spaces
_FULL = {",": "，", ";": "；", ":": "：", "!": "！", "?": "？"}

_lock = threading.Lock()
_engine: RapidOCR | None = None
_owner = 0
_inherited: list[RapidOCR] = []  # see the module docstring: kept, never freed


@dataclass(frozen=True)
class TextBox:
    """One recognised text line: its four corners (tl, tr, br, bl), text and confidence."""

    quad: tuple[tuple[float, float], ...]
    text: str
    score: float

    @property
    def x0(self) -> float:
        return min(p[0] for p in self.quad)

    @property
    def x1(self) -> float:
        return max(p[0] for p in self.quad)

    @property
    def y0(self) -> float:
        return min(p[1] for p in self.quad)

    @property
    def y1(self) -> float:
        return max(p[1] for p in self.quad)

    @property
    def cx(self) -> float:
        return (self.x0 + self.x1) / 2

    @property
    def cy(self) -> float:
        return (self.y0 + self.y1) / 2

    @property
    def height(self) -> float:
        return self.y1 - self.y0


def engine() -> RapidOCR:
    """The process's engine; built here, never inherited across a fork."""
    global _engine, _owner
    with _lock:
        if _engine is None or _owner != os.getpid():
            from rapidocr_onnxruntime import RapidOCR

            if _engine is not None:
                _inherited.append(_engine)
            threads = os.environ.get(THREADS_ENV, "")
            chosen = {"intra_op_num_threads": int(threads)} if threads.isdigit() and int(threads) > 0 else {}
            try:
                _engine = RapidOCR(max_side_len=MAX_SIDE, print_verbose=False, **chosen, **_lean_models())
            except Exception:  # a damaged cached model: read with the shipped ones
                log.warning("精简后的 PP-OCR 模型无法载入，改用原模型", exc_info=True)
                _engine = RapidOCR(max_side_len=MAX_SIDE, print_verbose=False, **chosen)
            _engine.text_rec.rec_image_shape = [3, REC_HEIGHT, REC_MIN_WIDTH]
            _owner = os.getpid()
        return _engine


def _lean_models() -> dict[str, str]:
    """The wheel's detector and recogniser as ocr_model folds them (the same readings,
    ~22 % less CPU); the classifier, another architecture, stays as shipped."""
    import rapidocr_onnxruntime

    models = Path(rapidocr_onnxruntime.__file__).resolve().parent / "models"
    chosen = {}
    for key, name in (("det_model_path", DET_MODEL), ("rec_model_path", REC_MODEL)):
        if (models / name).exists():
            chosen[key] = str(ocr_model.cached_model(models / name))
    return chosen


def read_text(img: np.ndarray) -> list[TextBox]:
    """Detect and recognise every line of an upright page (BGR or grey)."""
    result, _ = engine()(img, use_cls=False)
    boxes = []
    for quad, text, score in result or []:
        text = ascii_forms(text.strip())
        if text:
            boxes.append(TextBox(tuple((float(x), float(y)) for x, y in quad), text, float(score)))
    return boxes


def ascii_forms(text: str) -> str:
    """Full-width letters, digits and in-word punctuation as ASCII (see _WIDE);
    ASCII punctuation between Chinese characters full-width (see _CJK_PUNCT)."""
    text = _CJK_PUNCT.sub(lambda m: _FULL[m.group(1)], text.translate(_WIDE))
    text = _AT.sub("@", text)
    while True:  # "：／／" turns one character per pass, left to right
        narrowed = _WIDE_PUNCT.sub(lambda m: chr(ord(m.group()) - 0xFEE0), text)
        if narrowed == text:
            return text
        text = narrowed


def detect(img: np.ndarray) -> list[np.ndarray]:
    """Text-line quadrilaterals only (the cheap half of OCR), top to bottom."""
    eng = engine()
    quads, _ = eng.text_det(img)
    if quads is None or len(quads) == 0:
        return []
    return list(eng.sorted_boxes(quads))


def line_images(img: np.ndarray, quads: list[np.ndarray]) -> list[np.ndarray]:
    """Each quad cut out and straightened; tall ones are turned a quarter left."""
    return engine().get_crop_img_list(img, [q.astype(np.float32) for q in quads])


def upright(lines: list[np.ndarray]) -> tuple[list[np.ndarray], list[tuple[str, float]]]:
    """Turn upside-down line images right way up; returns them and ("0"|"180", score) each."""
    if not lines:
        return [], []
    fixed, labels, _ = engine().text_cls(lines)
    return fixed, [(str(label), float(score)) for label, score in labels]


@dataclass(frozen=True)
class Lexicon:
    """Wordings a line may be (a form's labels): wording -> the label it names."""

    words: Mapping[str, str]

    def encoded(self, chars: list[str]) -> list[tuple[str, list[int]]]:
        """(wording, class indexes) of every wording the recogniser can spell."""
        index = {c: i for i, c in enumerate(chars)}
        return [(w, [index[c] for c in w]) for w in self.words if w and all(c in index for c in w)]


def recognise(
    lines: list[np.ndarray],
    soft: bool = False,
    lexicon: Lexicon | None = None,
    lexical: Sequence[bool] = (),
) -> list[tuple[str, float]]:
    """(text, confidence) for each straightened line image. `soft`: the lines come from
    a page out of focus (their faint marks are read and unnamed ink lowers the
    confidence: FAINT_MARK, UNNAMED_INK); with it, the lines marked in `lexical` that
    greedy decoding does not read as one of `lexicon`'s wordings take the wording they
    most likely show, when one stands out (LEX_MIN, LEX_MARGIN)."""
    if not lines:
        return []
    if soft:
        return _recognise_soft(lines, lexicon, lexical)
    result, _ = engine().text_rec(lines)
    return [(str(text), float(score)) for text, score, *_ in result]


def _recognise_soft(
    lines: list[np.ndarray], lexicon: Lexicon | None = None, lexical: Sequence[bool] = ()
) -> list[tuple[str, float]]:
    """recognise() with PP-OCR's batching (lines sorted by shape, padded to the batch's
    widest, as TextRecognizer does), decoded by _decode_soft."""
    rec = engine().text_rec
    chars = rec.postprocess_op.character
    marks = np.array([chars.index(c) for c in FAINT_MARKS if c in chars])
    point = chars.index(".") if "." in chars else None
    digits = np.array([i for i, c in enumerate(chars) if c in "0123456789"])
    spelled = lexicon.encoded(chars) if lexicon is not None and any(lexical) else []
    # A line read as more than twice the longest wording is a value, not a label.
    longest = 2 * max((len(w) for w, _ in spelled), default=0)
    _, height, width = rec.rec_image_shape
    ratios = [line.shape[1] / line.shape[0] for line in lines]
    order = np.argsort(ratios)
    out: list[tuple[str, float]] = [("", 0.0)] * len(lines)
    for start in range(0, len(lines), rec.rec_batch_num):
        batch = order[start : start + rec.rec_batch_num]
        widest = max([width / height] + [ratios[i] for i in batch])
        images = np.concatenate([rec.resize_norm_img(lines[i], widest)[np.newaxis] for i in batch])
        preds = rec.session(images.astype(np.float32))[0]
        for i, probs in zip(batch, preds, strict=True):
            out[i] = _decode_soft(probs, chars, marks, point, digits)
            if spelled and lexicon is not None and i < len(lexical) and lexical[i]:
                text = out[i][0]
                if text not in lexicon.words and len(text) <= longest:
                    out[i] = _likeliest(probs, spelled, lexicon) or out[i]
    return out


def _likeliest(
    probs: np.ndarray, spelled: list[tuple[str, list[int]]], lexicon: Lexicon
) -> tuple[str, float] | None:
    """The wording a line most likely shows and how sure it is that label rather than the
    next likeliest (P(best) / (P(best) + P(rival))), when it is likely enough and stands
    out from other labels' wordings; else None."""
    scores = _ctc_log_probs(np.log(np.maximum(probs, 1e-12)), [seq for _, seq in spelled])
    order = np.argsort(-scores)
    best = int(order[0])
    word = spelled[best][0]
    label = lexicon.words[word]
    rival = next((scores[j] for j in order[1:] if lexicon.words[spelled[j][0]] != label), -np.inf)
    if scores[best] < LEX_MIN or scores[best] - rival < LEX_MARGIN:
        return None
    return word, float(1 / (1 + np.exp(rival - scores[best])))  # this label rather than another


def _ctc_log_probs(logp: np.ndarray, seqs: list[list[int]]) -> np.ndarray:
    """log P(seq | line) under CTC (blank = class 0) for each of `seqs`: the forward
    algorithm, all sequences at once (each padded with blanks it may not use)."""
    longest = max(len(s) for s in seqs)
    width = 2 * longest + 1
    ext = np.zeros((len(seqs), width), dtype=np.int64)  # blank, c1, blank, c2, ..., blank
    ends = np.array([2 * len(s) for s in seqs])
    for k, seq in enumerate(seqs):
        ext[k, 1 : 2 * len(seq) : 2] = seq
    pos = np.arange(width)
    valid = pos[None, :] <= ends[:, None]
    skip = np.zeros_like(valid)  # a step may jump a blank between two different characters
    skip[:, 2:] = (ext[:, 2:] != 0) & (ext[:, 2:] != ext[:, :-2])
    alpha = np.full((len(seqs), width), -np.inf)
    alpha[:, 0] = logp[0, 0]
    alpha[:, 1] = logp[0, ext[:, 1]]
    for t in range(1, logp.shape[0]):
        one = np.concatenate([np.full((len(seqs), 1), -np.inf), alpha[:, :-1]], axis=1)
        two = np.concatenate([np.full((len(seqs), 2), -np.inf), alpha[:, :-2]], axis=1)
        step = np.logaddexp(alpha, one)
        step = np.where(skip, np.logaddexp(step, two), step)
        alpha = np.where(valid, step + logp[t, ext], -np.inf)
    rows = np.arange(len(seqs))
    return np.logaddexp(alpha[rows, ends], alpha[rows, ends - 1])


def _point_between_digits(probs: np.ndarray, best: np.ndarray, digits: np.ndarray, point: int) -> float:
    """In `best` (a step's class), the likeliest blank step between two digits goes to
    the decimal point `point` where its probability is DIGIT_POINT or more; returns
    the lowest such probability (1.0: none), which the line's score may not exceed."""
    doubt = 1.0
    named = np.flatnonzero(best != 0)
    for a, b in zip(named, named[1:], strict=False):
        if b - a < 2 or best[a] not in digits or best[b] not in digits:
            continue
        step = a + 1 + int(np.argmax(probs[a + 1 : b, point]))
        if probs[step, point] >= DIGIT_POINT:
            best[step] = point
            doubt = min(doubt, float(probs[step, point]))
    return doubt


def _decode_soft(
    probs: np.ndarray,
    chars: list[str],
    marks: np.ndarray,
    point: int | None = None,
    digits: np.ndarray | None = None,
) -> tuple[str, float]:
    """CTC greedy decoding (PP-OCR's: best class per step, repeats and blanks dropped,
    confidence the mean of the kept steps' probabilities), except that a step won by
    blank where one of FAINT_MARKS has at least FAINT_MARK goes to that mark, a blank
    step between two `digits` to the decimal `point` (DIGIT_POINT), and the confidence
    is no higher than such a point or a step still won by blank with less than UNNAMED_INK."""
    best = probs.argmax(axis=1)
    blank = np.flatnonzero(best == 0)
    if len(blank) and len(marks):
        mark = marks[probs[blank][:, marks].argmax(axis=1)]
        faint = probs[blank, mark] >= FAINT_MARK
        best[blank[faint]] = mark[faint]
    doubt = 1.0
    if point is not None and digits is not None:
        doubt = _point_between_digits(probs, best, digits, point)
    keep = best != 0
    keep[1:] &= best[1:] != best[:-1]
    steps = np.flatnonzero(keep)
    text = "".join(chars[best[t]] for t in steps)
    score = float(probs[steps, best[steps]].mean()) if len(steps) else 0.0
    unnamed = probs[best == 0, 0]
    unnamed = unnamed[unnamed < UNNAMED_INK]
    score = min(score, doubt)
    return text, min(score, float(unnamed.min())) if len(unnamed) else score
