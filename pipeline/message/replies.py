"""Tie a reply to its case: our case number in the subject or quoted body.

Providers may rewrite Message-IDs, so receipts carry the case number
("TJ-20210801-0007") in subject and body and we look for it here.
"""

from __future__ import annotations

import re

CASE_NUMBER = re.compile(r"(?<![A-Za-z0-9])TJ-(\d{8})-(\d{4})(?!\d)", re.IGNORECASE)
_REPLY = re.compile(r"^\s*(?:re|回复|答复|回覆|答覆|aw|sv|vs)\s*(?:\[\d+\])?\s*[:：]", re.IGNORECASE)


def case_number_in(subject: str, body: str) -> str | None:
    """The first case number in the subject, else in the (quoted) body."""
    for text in (subject or "", body or ""):
        m = CASE_NUMBER.search(text)
        if m:
            return f"TJ-{m.group(1)}-{m.group(2)}"
    return None


def is_reply_subject(subject: str) -> bool:
    """True for "Re:", "回复：", "答复:", "RE：" prefixes; forwards are not replies."""
    return bool(_REPLY.match(subject or ""))
