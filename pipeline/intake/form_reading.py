"""The one place intake and staff re-assessment call the form package (and the
document reader, which needs the form to find a scan's form page).

Every caller above them goes through these wrappers, which take the campaign's
`FormSpec`: a change of the form package's signatures is one edit here.
"""

from __future__ import annotations

from ..campaign import FormSpec
from ..config import Limits
from ..documents import read_document
from ..form import (
    analyze_document,
    choose_forms,
    extract_form,
    extract_forms,
    normalize_fields,
    validate_fields,
)
from ..form.reply_lines import ReplyValue
from ..form.reply_lines import reply_values as read_reply_values
from ..model import Document, FormResult, Problem

__all__ = [
    "ReplyValue",
    "analyze",
    "choose",
    "extract",
    "extract_all",
    "normalize",
    "read",
    "reply_values",
    "validate",
]


def read(name: str, data: bytes, limits: Limits, converter, spec: FormSpec) -> Document:
    """One attachment's bytes as a Document (never raises for bad input)."""
    return read_document(name, data, limits, converter, form=spec)


def extract(doc: Document, spec: FormSpec) -> FormResult:
    """The form's fields found by their labels, and how surely `doc` is the form."""
    return extract_form(doc, spec)


def extract_all(doc: Document, spec: FormSpec) -> list[FormResult]:
    """The same, once per account: a form widened to "栏目 | 账号一 | 账号二" holds several."""
    return extract_forms(doc, spec)


def analyze(doc: Document, spec: FormSpec, form: FormResult) -> tuple[FormResult, dict, list[Problem]]:
    """A found form normalised and validated (problems start with the reader's own)."""
    return analyze_document(doc, spec, form)


def normalize(fields: dict[str, str], spec: FormSpec) -> dict:
    return normalize_fields(fields, spec)


def validate(fields: dict[str, str], normalized: dict, spec: FormSpec) -> list[Problem]:
    return validate_fields(fields, normalized, spec)


choose = choose_forms  # which of a mail's documents are the form (no campaign data involved)


def reply_values(text: str, spec: FormSpec) -> list[ReplyValue]:
    """The "栏目：内容" corrections a unit wrote in a mail's own text."""
    return read_reply_values(text, spec)
