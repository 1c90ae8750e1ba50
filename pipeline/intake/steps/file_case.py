"""登记: the mail on its ledger row — sender, unit, case number — and one
submission per nominee (a row of its own for each further account of a packet).

Runs in the mail's one transaction; the facts the rules need from the ledger
(a first copy of this Message-ID, the case a reply refers to, lateness allowed,
the unit's quota) are looked up here.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...case_numbers import case_number, case_number_in
from ...documents.materials import check_materials
from ...ledger import MessageRow, OutboxRow, SeenMessageId, claim_record
from ...ledger import journal as journal_mod
from ...ledger.unit_addresses import sender_unit
from ...model import AttachmentKind, ParsedMessage
from ...rules.accounts import split_by_account
from ..cases import late_allowed_for
from ..state import IntakeEnv, MailState, Submission
from ..step import Step


def fill_envelope(s: Session, env: IntakeEnv, row: MessageRow, parsed: ParsedMessage) -> None:
    """Who sent it, about what, and its case number (kept when it already has one)."""
    row.case_no = row.case_no or case_number(row.arrival, row.id, env.config.tz)
    row.message_id = parsed.message_id
    row.subject = parsed.subject
    row.sender = parsed.from_addr
    row.sender_name = parsed.from_name
    row.reply_to_ids = [x for x in [parsed.in_reply_to, *parsed.references] if x]
    row.automatic_reason = parsed.automatic
    row.big_links = [
        {"provider": b.provider, "url": b.url, "name": b.name, "expires": b.expires} for b in parsed.big_links
    ]
    row.unit = sender_unit(s, env.roster, parsed.from_addr, row.id)


def first_copy(s: Session, row: MessageRow, message_id: str) -> str | None:
    """The case number of the first copy of this Message-ID, when this is not it."""
    seen = s.get(SeenMessageId, message_id)
    if seen is None:
        s.add(SeenMessageId(message_id=message_id, message_row=row.id))
        s.flush()
        return None
    if seen.message_row == row.id:
        return None
    first = s.get(MessageRow, seen.message_row)
    return first.case_no if first else "?"


def related_case(s: Session, parsed: ParsedMessage) -> str | None:
    """The case a reply refers to: its number in the text, else our mail it answers."""
    case = case_number_in(parsed.subject, parsed.body_text)
    if case:
        return case
    ids = [x for x in [parsed.in_reply_to, *parsed.references] if x]
    if ids:
        return s.scalar(select(OutboxRow.case_no).where(OutboxRow.message_id.in_(ids)).limit(1))
    return None


_SHARED = (
    "message_id",
    "subject",
    "sender",
    "sender_name",
    "reply_to_ids",
    "automatic_reason",
    "big_links",
    "unit",
    "late_allowed",
)


def part_row(env: IntakeEnv, s: Session, parent: MessageRow, index: int) -> MessageRow:
    """The row of the (index+1)-th account of a mail (see MessageRow.part_of).

    Found again when it exists (a rebuild restores it from the claims journal),
    so its case number never changes; a new one is journaled like a claim.
    """
    folder = f"{parent.folder}#{index + 1}"
    part = s.scalar(
        select(MessageRow).where(
            MessageRow.mailbox == parent.mailbox,
            MessageRow.folder == folder,
            MessageRow.uidvalidity == parent.uidvalidity,
            MessageRow.uid == parent.uid,
        )
    )
    if part is None:
        part = MessageRow(
            mailbox=parent.mailbox,
            folder=folder,
            uidvalidity=parent.uidvalidity,
            uid=parent.uid,
            raw_sha256=parent.raw_sha256,
            raw_path=parent.raw_path,
            arrival=parent.arrival,
            state="claimed",
            claimed_by=parent.claimed_by,
            claimed_at=parent.claimed_at,
            attempts=parent.attempts,
            part_of=parent.id,
        )
        s.add(part)
        s.flush()
        journal_mod.stage(s, journal_mod.CLAIMS, {**claim_record(part), "part_of": parent.id})
    part.part_of = parent.id
    for attr in _SHARED:
        setattr(part, attr, getattr(parent, attr))
    part.case_no = case_number(parent.arrival, part.id, env.config.tz)
    return part


def run(state: MailState) -> None:
    s, parsed, env = state.session, state.parsed, state.env
    row = s.get(MessageRow, state.row_id)
    fill_envelope(s, env, row, parsed)
    state.row = row
    state.unit = row.unit
    state.duplicate_of = first_copy(s, row, parsed.message_id)
    state.related_case = related_case(s, parsed)
    state.late_allowed = bool(row.late_allowed) or late_allowed_for(s, row.unit)
    state.quota = state.config.quota_for(row.unit)
    parts = [(state.forms, state.files)]
    if row.unit is not None and not state.duplicate_of and not parsed.automatic:
        parts = split_by_account(state.forms, state.files, state.quota)
    for index, (forms, files) in enumerate(parts):
        if len(parts) == 1:
            material_problems = state.material_problems
        else:
            materials = [f for f in files if f[1] is not AttachmentKind.FORM]
            material_problems = check_materials(materials, state.config.materials)
        this = row if index == 0 else part_row(env, s, row, index)
        state.submissions.append(Submission(this, forms, files, material_problems))


STEP = Step(
    "file_case",
    "登记邮件",
    "put the sender, unit and case number on the ledger row; one submission (row) per nominee",
    run,
    transaction=True,
)
