"""Locate, normalise and check the 推荐表 (附件1) in any read Document.

    form = extract_form(doc)                       # 15 raw fields + sources, and form.score
    forms = choose_forms(candidates, score)        # which of a mail's documents are the 推荐表
    normalized = normalize_fields(form.fields)     # typed values or None
    problems = validate_fields(form.fields, normalized, required)

`analyze_document` runs all three and adds the reader's own problems.
"""

from __future__ import annotations

from ..documents.ocr_confidence import judge_scan
from ..model import FORM_LABELS, Document, FormResult, Problem
from .judge import choose_forms, form_score
from .locate import locate
from .normalize import normalize_fields
from .validate import validate_fields

__all__ = ["analyze_document", "choose_forms", "extract_form", "normalize_fields", "validate_fields"]

FORM_NOT_FOUND = "form_not_found"


def extract_form(doc: Document) -> FormResult:
    """Find the 15 fields by their labels (tables first, then paragraphs) and judge
    whether `doc` is the 推荐表 at all; a document that is not yields no fields."""
    found = locate(doc)
    score = form_score(found.paired, found.list_records)
    result = FormResult(
        file=doc.file,
        fields={label: "" for label in FORM_LABELS},
        labels_found=len(found.located),
        is_scan=doc.is_scan,
        score=score,
    )
    if score > 0:
        result.fields = found.fields
        result.sources = {label: found.sources[label] for label in FORM_LABELS if label in found.sources}
    if doc.is_scan:  # which values staff must check; an unread scan is still the form
        judge_scan(doc, result, found.fields, found.sources, None)
    return result


def analyze_document(
    doc: Document, required: list[str], form: FormResult | None = None
) -> tuple[FormResult, dict, list[Problem]]:
    """extract_form + normalize_fields + validate_fields; problems start with doc.problems."""
    form = form if form is not None else extract_form(doc)
    normalized = normalize_fields(form.fields)
    problems: list[Problem] = list(doc.problems)
    unreadable = any(p.code not in ("scan", "pdf_no_text") for p in doc.problems)
    if not form.found and unreadable:
        pass  # an encrypted or broken file: its own problem says what to do
    elif not form.found:
        problems.append(
            Problem(
                None,
                FORM_NOT_FOUND,
                f"未能在“{doc.file}”中找到推荐表的栏目（如“账号名称”“注册时间”），"
                "请按通知附件1的推荐表格式填写后重新发送。",
            )
        )
    else:
        problems.extend(validate_fields(form.fields, normalized, required))
    form.problems = problems
    return form, normalized, problems
