"""读取附件: each attachment read into a Document and given its role.

A picture or a video is not read, unless no editable form came: then the
pictures are recognised (OCR), since a phone photo of the printed form is the
form. Robots' mail (auto-replies, bounces) is not read at all.
"""

from __future__ import annotations

from ...model import AttachmentKind
from .. import form_reading
from ..classify import classify, is_media
from ..state import FileRead, MailState
from ..step import Step


def _read(state: MailState, item: FileRead) -> None:
    """Read one attachment and classify it by what the form reader finds."""
    config, att = state.config, item.attachment
    item.doc = form_reading.read(att.name, att.data, config.limits, state.env.converter, config.form)
    item.kind, item.form = classify(att.name, att.data, item.doc, config.form)


def run(state: MailState) -> None:
    parsed = state.parsed
    state.reads = []
    if parsed is None or parsed.automatic:
        return
    for att in parsed.attachments:
        if is_media(att.name, att.data):
            state.reads.append(FileRead(att, classify(att.name, att.data, None, state.config.form)[0], None))
            continue
        item = FileRead(att, AttachmentKind.OTHER, None)
        _read(state, item)
        state.reads.append(item)
    if any(item.kind is AttachmentKind.FORM for item in state.reads):
        return
    # A phone photo of the printed form: OCR pictures only when no editable form
    # came, so ordinary case pictures cost nothing.
    for item in state.reads:
        if item.kind is not AttachmentKind.PICTURE:
            continue
        photo = FileRead(item.attachment, item.kind, None)
        _read(state, photo)
        if photo.kind is AttachmentKind.FORM:
            item.kind, item.doc, item.form = photo.kind, photo.doc, photo.form


STEP = Step(
    "read_attachments",
    "读取附件",
    "read each attachment into a Document and tell the form, articles, pictures and videos apart",
    run,
)
