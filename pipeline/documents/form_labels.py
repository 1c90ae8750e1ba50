"""Which of a form's labels a read document shows, without reading the form.

The readers need a cheap hint before the form stage runs: whether an OCR'd
photo shows the form at all (to tell the sender it was recognised), whether a
long scan already yielded every label (to stop looking at further pages), and
which labels a page's short lines name (ocr_survey). They look the form's
labels up in its vocabulary (pipeline/campaign/) — a label that is a whole
cell or line, or starts one followed by a colon — and leave pairing labels
with values, and judging, to pipeline/form/, which sits above this package.
"""

from __future__ import annotations

from ..campaign import FormSpec, Vocabulary, builtin, vocabulary
from ..model import Document


def form_vocabulary(form: FormSpec | None) -> Vocabulary:
    """The vocabulary of `form`; None means the built-in 附件1."""
    return vocabulary(form if form is not None else builtin().form)


def labels_shown(doc: Document, form: FormSpec | None) -> set[str]:
    """The field labels of `form` that `doc` shows as labels (cells, lines, "标签：…")."""
    vocab = form_vocabulary(form)
    seen: set[str] = set()
    texts = [cell.text for table in doc.tables for cell in table.cells] + list(doc.paragraphs)
    for text in texts:
        whole = vocab.match_label(text.strip())
        if whole:
            seen.add(whole[0])
            continue
        for line in text.split("\n"):
            line = line.strip()
            hit = vocab.match_label(line)
            if hit:
                seen.add(hit[0])
                continue
            for m in vocab.label_matches(line):
                if m.start() == 0 and m.group("colon"):
                    group = next(k for k, v in m.groupdict().items() if v is not None and k[0] == "l")
                    label = vocab.scan_keys[int(group[1:])][1]
                    if label:
                        seen.add(label)
                break  # only a label that starts the line
    return seen
