"""Decide what role an attachment plays: 推荐表, 图文案例, picture, video, archive, other.

By content first: senders name files "新建 Microsoft Word 文档.docx" or
"附件1.doc", and a photographed form is a .jpg. The name only breaks ties
when the content says nothing (an unreadable file, no Document given).
"""

from __future__ import annotations

import re

from ..model import AttachmentKind, Document, FormResult
from . import sniff as kinds
from .sniff import sniff

# An article has running prose: enough text, mostly in paragraphs of some length.
ARTICLE_MIN_CHARS = 150
ARTICLE_MIN_PARAGRAPH = 30
ARTICLE_MIN_LONG_PARAGRAPHS = 2

_WS = re.compile(r"\s+")
_FORM_NAME = re.compile(r"推荐表|附件\s*1|申报表|信息表")
_ARTICLE_NAME = re.compile(r"案例|图文|材料|文章|稿")


def classify_attachment(
    att_name: str, data: bytes, doc: Document | None, form: FormResult | None = None
) -> AttachmentKind:
    """The AttachmentKind of one attachment, from its bytes and its read Document.

    `form` is the form stage's verdict on `doc` (pipeline.form.extract_form, which sits
    above this package); without it the document is classified as if it were not the form."""
    if doc is not None and form is not None and form.found:
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
            if _FORM_NAME.search(att_name):
                return AttachmentKind.FORM
            if _ARTICLE_NAME.search(att_name):
                return AttachmentKind.ARTICLE
    return AttachmentKind.OTHER


_DOCUMENT_KINDS = {
    kinds.DOCX,
    kinds.XLSX,
    kinds.DOC,
    kinds.XLS,
    kinds.PDF,
    kinds.RTF,
    kinds.HTML,
    kinds.WORDML,
    kinds.ODT,
    kinds.ODS,
    kinds.ENCRYPTED,
    kinds.CORRUPT,
}


def _unreadable(doc: Document) -> bool:
    return bool(doc.problems) and not doc.text.strip()


def article_chars(doc: Document) -> int:
    """Characters of the article text, whitespace excluded (the notice's 字数)."""
    return len(_WS.sub("", doc.text))


def is_article(doc: Document) -> bool:
    """Running prose, not a table of fields: ≥150 characters with ≥2 real paragraphs."""
    paragraphs = [_WS.sub("", p) for p in doc.paragraphs]
    long_ones = [p for p in paragraphs if len(p) >= ARTICLE_MIN_PARAGRAPH]
    prose = sum(len(p) for p in paragraphs)
    if prose >= ARTICLE_MIN_CHARS and len(long_ones) >= ARTICLE_MIN_LONG_PARAGRAPHS:
        return True
    # A short write-up built around pictures still counts as 图文.
    return doc.image_count > 0 and prose >= ARTICLE_MIN_PARAGRAPH and len(long_ones) >= 1
