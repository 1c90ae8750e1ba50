"""记录结果: each submission's status, problems and fields on its row, its files
kept under files/<case>/, and older versions of the same nominee superseded."""

from __future__ import annotations

from ...documents.classify import article_chars
from ...documents.media import video_info
from ...ledger import AttachmentRow, MessageRow, utcnow
from ...message.filenames import storage_name
from ...model import Attachment, AttachmentKind, Document, FormResult
from ...rules import FormFound
from ..cases import supersede_older, touch
from ..state import FileItem, IntakeEnv, MailState, Submission
from ..step import Step
from .store_raw import owner_only


def file_facts(
    att: Attachment, kind: AttachmentKind, doc: Document | None, form: FormResult | None = None
) -> dict:
    """What staff see beside each file: its format and what the material checks measured;
    for a scanned form, the labels whose values staff must check (`uncertain`) and where
    each value lies on the original page (`boxes`: label -> page, x, y, w, h ...) and why
    each uncertain value is in doubt (`doubts`: label -> ocr_confidence codes)."""
    facts: dict = {}
    if doc is not None:
        facts["format"] = doc.format
        if doc.is_scan:
            facts["scan"] = True
            if form is not None and form.found:
                facts["uncertain"] = list(form.uncertain)
                facts["boxes"] = dict(form.boxes)
                facts["doubts"] = {label: list(why) for label, why in form.doubts.items()}
        if kind is AttachmentKind.ARTICLE:
            facts["chars"] = article_chars(doc)
            facts["pictures"] = doc.image_count
    if kind is AttachmentKind.VIDEO:
        info = video_info(att.data)
        if info is not None:
            facts["format"] = info.container
            if info.duration_seconds is not None:
                facts["duration"] = round(info.duration_seconds, 1)
    return facts


def store_files(env: IntakeEnv, row: MessageRow, files: list[FileItem], forms: list[FormFound] = ()) -> None:
    """Keep each attachment under files/<case>/ for staff and the packet, under a
    name that fits on disk (the original name is what staff and units see).
    A mail without files leaves no folder. `forms`: the forms read among them."""
    if row.attachments or not files:
        return
    read = {id(f.attachment): f.form for f in forms}
    folder = env.config.path(env.config.storage.files_dir) / row.case_no
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    used: set[str] = set()
    for att, kind, doc in files:
        path = folder / storage_name(att.name, used)
        with open(path, "wb", opener=owner_only) as fh:
            fh.write(att.data)
        row.attachments.append(
            AttachmentRow(
                name=att.name,
                origin=att.origin,
                kind=kind.value,
                sha256=att.sha256,
                size=att.size,
                path=str(path),
                raw_name=att.raw_name,
                facts=file_facts(att, kind, doc, read.get(id(att))),
            )
        )


def record(state: MailState, sub: Submission) -> None:
    row, decision, ctx = sub.row, sub.decision, sub.context
    row.status = decision.status.value
    row.problems = [p.as_dict() for p in decision.problems]
    row.related_case = state.related_case
    primary = ctx.primary
    if primary is not None:
        row.fields = dict(primary.form.fields)
        row.fields_read = dict(primary.form.fields)
        row.normalized = primary.normalized
        row.sources = dict(primary.form.sources)
        row.account_key = primary.account_key or None
        row.is_scan = primary.form.is_scan
    store_files(state.env, row, sub.files, ctx.forms)
    sub.superseded = supersede_older(state.session, row, state.config.form.identity_label)
    row.state = "done"
    row.error = None
    row.processed_at = utcnow()
    touch(row)


def run(state: MailState) -> None:
    for sub in state.submissions:
        record(state, sub)
    state.session.flush()


STEP = Step(
    "record",
    "记录结果",
    "write each submission's status, problems and fields, keep its files, supersede older versions",
    run,
    transaction=True,
)
