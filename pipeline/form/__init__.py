"""Locate, normalise and check a campaign's form (附件1 and its kin) in any read Document.

Everything here reads the form's definition, a `FormSpec` (pipeline/campaign/):
its labels and how units write them, each field's kind, which are required.

    spec = config.form                             # or builtin().form: the notice's 附件1
    form = extract_form(doc, spec)                 # the fields + sources, and form.score
    forms = extract_forms(doc, spec)               # the same, one per account of a several-account form
    forms = choose_forms(candidates, score)        # which of a mail's documents are the form
    normalized = normalize_fields(form.fields, spec)   # typed values or None
    problems = validate_fields(form.fields, normalized, spec)

`analyze_document` runs all three and adds the reader's own problems.
`blank.read_blank_form` reads a campaign's *blank* form into a draft spec (`run.py form init`).
"""

from __future__ import annotations

from ..campaign import FormSpec, vocabulary
from ..documents.ocr_confidence import judge_scan
from ..model import Document, FormResult, Problem
from .columns import account_views, confirmed
from .judge import choose_forms, form_score
from .locate import locate
from .normalize import normalize_fields
from .validate import validate_fields

__all__ = [
    "analyze_document",
    "choose_forms",
    "extract_form",
    "extract_forms",
    "normalize_fields",
    "validate_fields",
]

FORM_NOT_FOUND = "form_not_found"


def extract_form(doc: Document, spec: FormSpec) -> FormResult:
    """Find `spec`'s fields by their labels (tables first, then paragraphs) and judge
    whether `doc` is that form at all; a document that is not yields no fields."""
    found = locate(doc, vocabulary(spec))
    score = form_score(spec, found.paired, found.list_records)
    result = FormResult(
        file=doc.file,
        fields=spec.empty_fields(),
        labels_found=len(found.located),
        is_scan=doc.is_scan,
        score=score,
    )
    if score > 0:
        result.fields = found.fields
        result.sources = {label: found.sources[label] for label in spec.labels if label in found.sources}
    if doc.is_scan:  # which values staff must check; an unread scan is still the form
        judge_scan(doc, result, found.fields, found.sources, spec)
    return result


def extract_forms(doc: Document, spec: FormSpec) -> list[FormResult]:
    """extract_form for each account a document holds: usually one; several when the form
    was widened to "标签 | 账号一 | 账号二" (form/columns.py). Each is its own nomination;
    a column of notes beside the values is not an account (columns.confirmed)."""
    views = account_views(doc, vocabulary(spec))
    if len(views) == 1:
        return [extract_form(doc, spec)]
    forms = [extract_form(view, spec) for view in views]
    return forms if confirmed(forms, spec) else [extract_form(doc, spec)]


def analyze_document(
    doc: Document, spec: FormSpec, form: FormResult | None = None
) -> tuple[FormResult, dict, list[Problem]]:
    """extract_form + normalize_fields + validate_fields; problems start with doc.problems."""
    form = form if form is not None else extract_form(doc, spec)
    normalized = normalize_fields(form.fields, spec)
    problems: list[Problem] = list(doc.problems)
    unreadable = any(p.code not in ("scan", "pdf_no_text") for p in doc.problems)
    if not form.found and unreadable:
        pass  # an encrypted or broken file: its own problem says what to do
    elif not form.found:
        problems.append(Problem(None, FORM_NOT_FOUND, _not_found_message(doc.file, spec)))
    else:
        problems.extend(validate_fields(form.fields, normalized, spec))
    form.problems = problems
    return form, normalized, problems


def _not_found_message(file: str, spec: FormSpec) -> str:
    """For the built-in 附件1: 未能在“x”中找到推荐表的栏目（如“账号名称”“注册时间”），请按通知附件1的…"""
    examples = "".join(f"“{label}”" for label in spec.labels[:2])
    where = spec.name.split()[0] if spec.name else "附件"
    return (
        f"未能在“{file}”中找到{spec.title}的栏目（如{examples}），"
        f"请按通知{where}的{spec.title}格式填写后重新发送。"
    )
