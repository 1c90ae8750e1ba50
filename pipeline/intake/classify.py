"""What role an attachment plays: 推荐表, 图文案例, picture, video, archive, other.

By content first: senders name files "新建 Microsoft Word 文档.docx" or
"附件1.doc", and a photographed form is a .jpg. The name only breaks ties
when the content says nothing (an unreadable file).

This sits above the form package (a document is the 推荐表 when the form
reader finds the form's labels in it); documents/classify.py keeps what can be
told from the document alone (is it prose, how long is it).
"""

from __future__ import annotations

import re

from ..campaign import FormSpec, builtin
from ..documents import sniff as kinds
from ..documents.classify import is_article
from ..documents.sniff import sniff
from ..model import AttachmentKind, Document, FormResult
from . import form_reading

_FORM_NAME = re.compile(r"推荐表|附件\s*1|申报表|信息表")
_ARTICLE_NAME = re.compile(r"案例|图文|材料|文章|稿")

_DOCUMENT_KINDS = {
    kinds.DOCX,
    kinds.XLSX,
    kinds.DOC,
    kinds.XLS,
    kinds.PDF,
    kinds.RTF,
    kinds.HTML,
    kinds.ODT,
    kinds.ODS,
    kinds.ENCRYPTED,
    kinds.CORRUPT,
}


def classify_attachment(
    att_name: str,
    data: bytes,
    doc: Document | None,
    form: FormResult | None = None,
    spec: FormSpec | None = None,
) -> AttachmentKind:
    """The AttachmentKind of one attachment, from its bytes, its read Document and
    what the form reader found in it (`form`; read here when not given)."""
    spec = spec or builtin().form
    if doc is not None:
        if form is None:
            form = _extract_or_none(doc, spec)
        if form is not None and form.found:
            return AttachmentKind.FORM  # even a photo, when it shows the form
    found = sniff(data, att_name)
    if found.kind == kinds.IMAGE:
        return AttachmentKind.PICTURE
    if found.kind == kinds.VIDEO:
        return AttachmentKind.VIDEO
    if found.kind == kinds.ARCHIVE:
        return AttachmentKind.ARCHIVE
    if doc is not None and not doc.is_scan and is_article(doc):
        return AttachmentKind.ARTICLE
    if doc is not None and doc.is_scan and found.kind == kinds.PDF and is_article(doc):
        return AttachmentKind.ARTICLE
    if doc is None or _unreadable(doc):
        # Nothing to go on but the name (e.g. an encrypted 推荐表.doc): keep its
        # intended role so the sender is told about the right file.
        if found.kind in _DOCUMENT_KINDS:
            if _FORM_NAME.search(att_name) or (spec.title and spec.title in att_name):
                return AttachmentKind.FORM
            if _ARTICLE_NAME.search(att_name):
                return AttachmentKind.ARTICLE
    return AttachmentKind.OTHER


def is_media(att_name: str, data: bytes) -> bool:
    """A picture or a video: not read as a document unless no form came (pictures are OCR'd then)."""
    return sniff(data, att_name).kind in (kinds.IMAGE, kinds.VIDEO)


def _extract_or_none(doc: Document, spec: FormSpec) -> FormResult | None:
    try:
        return form_reading.extract(doc, spec)
    except Exception:
        return None


def _unreadable(doc: Document) -> bool:
    return bool(doc.problems) and not doc.text.strip()
