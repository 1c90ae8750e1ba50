"""Turn the raw form text into typed values for checks and the 汇总表, by field kind.

Numbers accept 12.3万 / 10万+ / 1.2亿 / 1,024 / full-width digits / 约5000人;
phones lose spaces, dashes and +86; dates become ISO "YYYY-MM" or
"YYYY-MM-DD" (also from Excel serials). Anything we cannot read with
confidence becomes None, and validate.py explains it to the sender.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from ..campaign import FormSpec, Kind, is_placeholder

_UNITS = {"万": 10_000, "w": 10_000, "亿": 100_000_000, "千": 1_000, "k": 1_000, "百": 100}
_NUM = re.compile(
    r"^(?:约|近|超过|超|逾|共|共计|累计|总计|合计|大约|达|已达|总数)?"
    r"(?P<n>\d+(?:\.\d+)?)(?P<u>万|亿|千|百|w|k)?"
    r"(?:余|多|\+)*(?:人|个|名|篇|条|次|位|户|粉丝|名粉丝|个粉丝|人次)?(?:以上|左右|余|多|\+)*$"
)
_MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
_EMAIL = re.compile(
    r"^[a-z0-9._%+\-]+@[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?)*\.[a-z]{2,}$"
)
_DATE = re.compile(
    r"^(?P<y>\d{4})\s*[年./\-]\s*(?P<m>\d{1,2})\s*(?:月|[./\-])?\s*"
    r"(?:(?P<d>\d{1,2})\s*[日号]?)?"
    r"(?:\s*[T ]\s*\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?\s*(?:注册|开通|开设)?$"
)
_COMPACT_DATE = re.compile(r"^(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})?$")
_SERIAL = re.compile(r"^(?P<n>\d{5})(?:\.0+)?$")
EXCEL_EPOCH = date(1899, 12, 30)


def _nfkc(text: str | None) -> str:
    return unicodedata.normalize("NFKC", text or "").strip()


def _empty(text: str | None) -> bool:
    return not (text or "").strip() or is_placeholder(text or "")


def to_int(text: str | None) -> int | None:
    """Read a count such as 12.3万, 10万+, 1,024, ５０００, 约5000人; None if unsure."""
    if _empty(text):
        return None
    s = _nfkc(text).lower()
    s = re.sub(r"[\s]+", "", s)
    s = re.sub(r"(?<=\d),(?=\d{3}(?!\d))", "", s)
    m = _NUM.match(s)
    if not m:
        return None
    try:
        n = Decimal(m.group("n"))
    except InvalidOperation:
        return None
    if m.group("u"):
        n *= _UNITS[m.group("u")]
    return int(n.to_integral_value(rounding=ROUND_HALF_UP))


def to_phone(text: str | None) -> str | None:
    """11 ASCII digits (mobile-looking preferred), or None."""
    if _empty(text):
        return None
    s = _nfkc(text)
    if re.fullmatch(r"\d+\.0+", s):  # a phone typed as an Excel number
        s = s.split(".")[0]
    compact = re.sub(r"[\s\-—–()（）.·]", "", s)
    for prefix in ("+86", "0086"):
        if compact.startswith(prefix):
            compact = compact[len(prefix) :]
    if compact.startswith("86") and len(compact) == 13:
        compact = compact[2:]
    if re.fullmatch(r"\d{11}", compact):
        return compact
    m = _MOBILE.search(compact)
    return m.group(0) if m else None


def to_postcode(text: str | None) -> str | None:
    if _empty(text):
        return None
    s = re.sub(r"\s", "", _nfkc(text))
    if s.endswith(".0"):
        s = s[:-2]
    return s if re.fullmatch(r"\d{6}", s) else None


def to_email(text: str | None) -> str | None:
    if _empty(text):
        return None
    s = re.sub(r"\s", "", _nfkc(text)).lower()
    if s.startswith("mailto:"):
        s = s[7:]
    return s if _EMAIL.match(s) else None


def to_date(text: str | None) -> str | None:
    """ISO "YYYY-MM" or "YYYY-MM-DD"; Excel serial numbers are converted."""
    if _empty(text):
        return None
    s = _nfkc(text)
    m = _SERIAL.match(s)
    if m:
        n = int(m.group("n"))
        if 20000 <= n <= 80000:
            return (EXCEL_EPOCH + timedelta(days=n)).isoformat()
        return None
    m = _DATE.match(s) or _COMPACT_DATE.match(s)
    if not m:
        return None
    y, mo = int(m.group("y")), int(m.group("m"))
    d = m.group("d")
    if not (1900 <= y <= 2100 and 1 <= mo <= 12):
        return None
    if d is None:
        return f"{y:04d}-{mo:02d}"
    try:
        return date(y, mo, int(d)).isoformat()
    except ValueError:
        return None


def to_text(text: str | None) -> str | None:
    if _empty(text):
        return None
    return (text or "").strip()


READERS: dict[Kind, Callable[[str | None], object]] = {
    Kind.INTEGER: to_int,
    Kind.PHONE: to_phone,
    Kind.DATE: to_date,
    Kind.POSTCODE: to_postcode,
    Kind.EMAIL: to_email,
}


def normalize_fields(fields: dict[str, str], spec: FormSpec) -> dict:
    """Every label of `spec` -> typed value by its kind (int / ISO text / cleaned text) or None."""
    return {f.label: READERS.get(f.kind, to_text)(fields.get(f.label, "") or "") for f in spec.fields}
