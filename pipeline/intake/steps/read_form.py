"""读取推荐表: the form's fields from the documents that are the form, and the materials checked."""

from __future__ import annotations

from ...documents.materials import check_materials
from ...model import AttachmentKind
from ...rules import FormFound
from .. import form_reading
from ..state import FileItem, MailState
from ..step import Step


def choose(forms: list[FormFound], files: list[FileItem]) -> list[FormFound]:
    """The documents that are the 推荐表: every real form (a summary sheet or a cover
    letter that also names some labels is not one), else the best list sheet; else
    the unreadable files named as the form, so the unit hears about that file.
    The files not chosen become "other" in `files`."""
    chosen = form_reading.choose([f for f in forms if f.form.score > 0], lambda f: f.form.score)
    if not chosen:
        chosen = [f for f in forms if f.form.score <= 0]
    keep = {id(f.attachment) for f in chosen}
    for i, (att, kind, doc) in enumerate(files):
        if kind is AttachmentKind.FORM and id(att) not in keep:
            files[i] = (att, AttachmentKind.OTHER, doc)
    return chosen


def run(state: MailState) -> None:
    spec = state.config.form
    files: list[FileItem] = []
    forms: list[FormFound] = []
    for item in state.reads:
        files.append((item.attachment, item.kind, item.doc))
        if item.kind is AttachmentKind.FORM and item.doc is not None:
            # One per account: a form widened to two accounts is two nominations (split in file_case).
            for found in form_reading.extract_all(item.doc, spec):
                form, normalized, problems = form_reading.analyze(item.doc, spec, found)
                forms.append(FormFound(item.attachment, form, normalized, problems, spec.identity_label))
    state.forms = choose(forms, files)
    state.files = files
    materials = [f for f in files if f[1] is not AttachmentKind.FORM]
    state.material_problems = check_materials(materials, state.config.materials) if state.forms else []


STEP = Step(
    "read_form",
    "读取推荐表",
    "normalise and validate the form's fields, choose the documents that are the form, check the materials",
    run,
)
