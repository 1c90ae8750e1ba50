"""Who a recorded problem speaks to, and what status the problems add up to.

A submission's problems are stored as the rules (and later staff) recorded
them. Every notice, digest line and console view reads them through this
module, so the same facts always give the same letter:

- "reason": why the submission is not (yet) accepted — late, over quota,
  sender not on the roster, rejected. Shown to the unit as the result.
- "unit": something the unit must fix and send again (a missing field, an
  encrypted file, too few pictures, a staff request).
- "staff": something staff must check, never put to the unit — the gaps of a
  scan's OCR reading (the unit did fill the form in; the OCR missed it).
- "note": information for the unit that asks nothing of it (the form is a
  scan and staff will check it; a big attachment link staff will download).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from ..model import Problem, Status

REASON_CODES = frozenset(
    {
        "automatic",
        "duplicate",
        "before_opening",
        "correspondence",
        "unknown_unit",
        "late",
        "over_quota",
        "several_accounts",
        "rejected",
        "spam",
    }
)
NOTE_CODES = frozenset(
    {
        "scan",
        "scan_unread",  # a scan staff will read themselves (OCR could not, or the machine ran short)
        "scan_unclear",  # most of a scan's values still to check: a clearer copy is asked for
        "big_attachment_link",
        "message_too_large",
        "message_unreadable",
        "processing_failed",
        "no_address",
    }
)
# Notes that mean staff have work to do before anything can be accepted.
STAFF_WORK_NOTES = NOTE_CODES
# Codes of validate_fields(): a field's value is missing or malformed.
FIELD_CODES = frozenset(
    {
        "missing",
        "link_missing",
        "phone_invalid",
        "postcode_invalid",
        "email_invalid",
        "number_invalid",
        "date_invalid",
    }
)

ProblemLike = Problem | Mapping


def _get(p: ProblemLike, key: str):
    return getattr(p, key) if isinstance(p, Problem) else p.get(key)


def is_field_problem(p: ProblemLike) -> bool:
    """A field's value is missing or malformed (only field validation records these codes)."""
    return bool(_get(p, "field")) and _get(p, "code") in FIELD_CODES


def audience(p: ProblemLike, is_scan: bool) -> str:
    """ "reason" | "unit" | "staff" | "note" (see the module docstring)."""
    code = _get(p, "code") or ""
    if code in REASON_CODES:
        return "reason"
    if code in NOTE_CODES:
        return "note"
    if is_scan and is_field_problem(p):
        return "staff"
    return "unit"


def split(problems: Iterable[ProblemLike], is_scan: bool) -> dict[str, list[ProblemLike]]:
    """Problems grouped by audience, each group in recorded order."""
    groups: dict[str, list[ProblemLike]] = {"reason": [], "unit": [], "staff": [], "note": []}
    for p in problems:
        groups[audience(p, is_scan)].append(p)
    return groups


def derive_status(problems: Iterable[ProblemLike], is_scan: bool) -> Status:
    """The status a submission's current problems add up to.

    The strongest reason wins (rejected, an unknown sender, late, over quota);
    then anything the unit must fix; then anything staff must check (a scan is
    always checked by a person: OCR can misread a value that still looks valid).
    """
    problems = list(problems)
    codes = {_get(p, "code") for p in problems}
    if "rejected" in codes:
        return Status.REJECTED
    if "unknown_unit" in codes:  # first who; a late mail from an unknown address is still unknown
        return Status.UNKNOWN_UNIT
    if "late" in codes:
        return Status.LATE
    if codes & {"over_quota", "several_accounts"}:
        return Status.OVER_QUOTA
    groups = split(problems, is_scan)
    if groups["unit"]:
        return Status.NEEDS_FIX
    if is_scan or groups["staff"] or any(_get(p, "code") in STAFF_WORK_NOTES for p in groups["note"]):
        return Status.MANUAL_REVIEW
    return Status.ACCEPTED


def staff_text(p: ProblemLike, is_scan: bool) -> str:
    """How staff read a problem: OCR gaps say what to check, the rest as recorded."""
    if audience(p, is_scan) == "staff":
        field = _get(p, "field")
        if _get(p, "code") in ("missing", "link_missing"):
            return f"扫描件中「{field}」未能识别：请对照原件填写（更正）该栏。"
        return f"扫描件中「{field}」识别结果格式不对：请对照原件核对、更正。"
    return _get(p, "message") or ""


# The reasons a status is explained by, in a notice.
STATUS_REASONS: dict[Status, frozenset[str]] = {
    Status.REJECTED: frozenset({"rejected"}),
    Status.UNKNOWN_UNIT: frozenset({"unknown_unit"}),
    Status.LATE: frozenset({"late"}),
    Status.OVER_QUOTA: frozenset({"over_quota", "several_accounts"}),
}
