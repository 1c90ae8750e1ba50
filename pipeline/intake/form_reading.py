"""The one place intake and staff re-assessment call the form package.

The form package's functions are moving to the campaign registry (agreed
signatures: `extract_form(doc, spec)`, `analyze_document(doc, spec, form)`,
`normalize_fields(fields, spec)`, `validate_fields(fields, normalized, spec)`,
`read_document(..., form=spec)`). Every caller above it goes through these
wrappers, which take the campaign's `FormSpec`, so that port is one edit here.
"""

from __future__ import annotations

from ..campaign import FormSpec
from ..config import Limits
from ..documents import read_document
from ..form import analyze_document, choose_forms, extract_form, normalize_fields, validate_fields
from ..model import Document, FormResult, Problem

__all__ = ["analyze", "choose", "extract", "normalize", "read", "validate"]


def read(name: str, data: bytes, limits: Limits, converter, spec: FormSpec) -> Document:
    """One attachment's bytes as a Document (never raises for bad input)."""
    return read_document(name, data, limits, converter)


def extract(doc: Document, spec: FormSpec) -> FormResult:
    """The form's fields found by their labels, and how surely `doc` is the form."""
    return extract_form(doc)


def analyze(doc: Document, spec: FormSpec, form: FormResult) -> tuple[FormResult, dict, list[Problem]]:
    """A found form normalised and validated (problems start with the reader's own)."""
    return analyze_document(doc, list(spec.required), form)


def normalize(fields: dict[str, str], spec: FormSpec) -> dict:
    return normalize_fields(fields)


def validate(fields: dict[str, str], normalized: dict, spec: FormSpec) -> list[Problem]:
    return validate_fields(fields, normalized, list(spec.required))


choose = choose_forms  # which of a mail's documents are the form (no campaign data involved)
