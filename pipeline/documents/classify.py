"""What a read document is, by its text alone: running prose (an article) or not.

Which role an attachment plays in a submission (推荐表, 图文案例, picture…)
needs the form reader too, so it is decided above the form package
(pipeline/intake/classify.py).
"""

from __future__ import annotations

import re

from ..model import Document

# An article has running prose: enough text, mostly in paragraphs of some length.
ARTICLE_MIN_CHARS = 150
ARTICLE_MIN_PARAGRAPH = 30
ARTICLE_MIN_LONG_PARAGRAPHS = 2

_WS = re.compile(r"\s+")


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
