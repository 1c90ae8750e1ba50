"""Tie a reply to its case: our case number in the subject or quoted body.

Providers may rewrite Message-IDs, so receipts carry the case number
("TJ-20210801-0007") in subject and body; `case_number_in` (pipeline/case_numbers.py,
where the format is made too) finds it again.
"""

from __future__ import annotations

import re

from ..case_numbers import CASE_NUMBER, case_number_in

__all__ = ["CASE_NUMBER", "case_number_in", "is_reply_subject"]

_REPLY = re.compile(r"^\s*(?:re|回复|答复|回覆|答覆|aw|sv|vs)\s*(?:\[\d+\])?\s*[:：]", re.IGNORECASE)


def is_reply_subject(subject: str) -> bool:
    """True for "Re:", "回复：", "答复:", "RE：" prefixes; forwards are not replies."""
    return bool(_REPLY.match(subject or ""))
