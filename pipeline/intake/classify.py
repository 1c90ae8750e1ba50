"""An attachment's role in the submission, decided in the read step.

Whether a document is the form is the form reader's verdict (above the documents
package); documents/classify.py decides the rest from the content (an article,
a picture…) and takes that verdict as a parameter. This module gives the read
step the form's verdict and the content-only shortcut for pictures and videos.
"""

from __future__ import annotations

from ..campaign import FormSpec
from ..documents import sniff as kinds
from ..documents.classify import classify_attachment
from ..documents.sniff import sniff
from ..model import AttachmentKind, Document, FormResult
from . import form_reading

__all__ = ["classify", "is_media"]


def is_media(att_name: str, data: bytes) -> bool:
    """A picture or a video: not read as a document unless no form came (pictures are OCR'd then)."""
    return sniff(data, att_name).kind in (kinds.IMAGE, kinds.VIDEO)


def classify(
    att_name: str, data: bytes, doc: Document | None, spec: FormSpec
) -> tuple[AttachmentKind, FormResult | None]:
    """The attachment's kind, and what the form reader found in `doc` (None when not read)."""
    form = form_reading.extract(doc, spec) if doc is not None else None
    return classify_attachment(att_name, data, doc, form), form
