"""Case numbers (受理编号): how one is made and how one is found again.

A case number is "TJ-<arrival date in the campaign's time zone>-<ledger row id>",
e.g. TJ-20210801-0007. Every receipt and notice carries it, so a reply that lost
its threading headers still finds its case. Both directions live here, so the
format is written once.
"""

from __future__ import annotations

import re
from datetime import datetime, tzinfo

PREFIX = "TJ"
CASE_NUMBER = re.compile(rf"(?<![A-Za-z0-9]){PREFIX}-(\d{{8}})-(\d{{4}})(?!\d)", re.IGNORECASE)


def case_number(arrival: datetime, row_id: int, tz: tzinfo) -> str:
    """The case number of ledger row `row_id` that arrived at `arrival`."""
    return f"{PREFIX}-{arrival.astimezone(tz):%Y%m%d}-{row_id:04d}"


def case_number_in(subject: str, body: str) -> str | None:
    """The first case number in the subject, else in the (quoted) body."""
    for text in (subject or "", body or ""):
        m = CASE_NUMBER.search(text)
        if m:
            return f"{PREFIX}-{m.group(1)}-{m.group(2)}"
    return None
