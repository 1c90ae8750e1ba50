"""Process one fetched message: claim, keep the raw mail, read, decide, record.

Everything a message changes (its status, superseded older versions, the
receipt in the outbox) is committed in one transaction after the claim, so a
crash at any point leaves either the claim (processed again) or the result.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .config import Config
from .documents import read_document
from .documents.classify import article_chars, classify_attachment
from .documents.materials import check_materials
from .documents.media import video_info
from .errors import is_machine_trouble
from .form import analyze_document, choose_forms, extract_form, extract_forms
from .ledger import AttachmentRow, Ledger, MessageRow, OutboxRow, SeenMessageId, claim_record, utcnow
from .ledger import journal as journal_mod
from .message import parse_message
from .message.filenames import storage_name
from .message.replies import case_number_in
from .model import (
    QUOTA_STATUSES,
    Attachment,
    AttachmentKind,
    Document,
    FormResult,
    ParsedMessage,
    Problem,
    RawMail,
    Status,
)
from .roster import Roster
from .rules import ActiveSubmission, Context, FormFound, decide
from .rules.accounts import split_by_account
from .staff.notices import enqueue_receipt

log = logging.getLogger(__name__)

ACTIVE = sorted(s.value for s in QUOTA_STATUSES)  # for SQL IN (...)
MEDIA = (AttachmentKind.PICTURE, AttachmentKind.VIDEO)
MAX_ATTEMPTS = 3  # tries before a failing message is handed to staff
MAX_UNFINISHED = 10  # tries that never ended (the process died) before it is handed to staff


@dataclass
class Reading:
    """What the documents stage found among a message's attachments."""

    files: list[tuple[Attachment, AttachmentKind, Document | None]]
    forms: list[FormFound]
    material_problems: list[Problem]


def store_raw(config: Config, raw: bytes) -> tuple[str, Path]:
    """Keep every raw message, content-addressed, readable by the service user only."""
    digest = hashlib.sha256(raw).hexdigest()
    folder = config.path(config.storage.raw_dir) / digest[:2]
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = folder / f"{digest}.eml"
    if not path.exists():
        tmp = path.with_suffix(f".tmp{os.getpid()}")
        try:
            with open(tmp, "wb", opener=_owner_only) as fh:
                fh.write(raw)
                fh.flush()
                os.fsync(fh.fileno())
            tmp.replace(path)
        except OSError:
            tmp.unlink(missing_ok=True)  # disk full: leave no half-written copy
            raise
    return digest, path


SUBMISSION_WORDS = ("推荐表", "推荐材料", "申报", "报送")


def looks_like_submission(config: Config, parsed: ParsedMessage, forms: list, files: list) -> bool:
    """A 推荐表 or case materials were found, or the subject names the campaign."""
    if forms or any(kind in (AttachmentKind.ARTICLE, AttachmentKind.VIDEO) for _, kind, _ in files):
        return True
    subject = "".join((parsed.subject or "").split())
    words = [*SUBMISSION_WORDS, "".join(config.campaign.split())]
    words += re.findall(r"[“\"「](.+?)[”\"」]", config.campaign)  # the campaign's short name, e.g. 百佳账号
    return any(w and w in subject for w in words)


def file_facts(att: Attachment, kind: AttachmentKind, doc: Document | None) -> dict:
    """What staff see beside each file: its format and what the material checks measured."""
    facts: dict = {}
    if doc is not None:
        facts["format"] = doc.format
        if doc.is_scan:
            facts["scan"] = True
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


def _owner_only(path: str, flags: int) -> int:
    """open() opener: files hold phone numbers and addresses (mode 0600)."""
    return os.open(path, flags, 0o600)


class Processor:
    def __init__(self, config: Config, ledger: Ledger, converter=None):
        self.config = config
        self.ledger = ledger
        self.roster = Roster(config.units)
        self.converter = converter
        self.own = {config.smtp.from_addr.lower(), *(b.user.lower() for b in config.mailboxes if b.user)} - {
            ""
        }

    # ------------------------------------------------------------ entry points

    def handle(self, mail: RawMail) -> MessageRow | None:
        """Claim and process one message; None when another worker has it."""
        digest, path = store_raw(self.config, mail.raw)
        row = self.ledger.claim(mail, digest, str(path))
        if row is None:
            return None
        return self._process_guarded(row, mail.raw, mail.internaldate)

    def resume_stale(self) -> int:
        """Finish messages whose worker died (or failed) after claiming them."""
        done = 0
        for stale in self.ledger.stale_claims():
            row = self.ledger.retake(stale.id)
            if row is None:
                continue
            if row.attempts > MAX_UNFINISHED:
                # Started this often and never finished (the process died each time):
                # the mail itself is the likely cause. Staff get it; intake goes on.
                self.ledger.release(row.id)
                self._record_failure(row.id, MAX_ATTEMPTS, RuntimeError("processing never finished"), None)
            else:
                self._process_guarded(row, None, row.arrival)
            done += 1
        return done

    def _process_guarded(self, row: MessageRow, raw: bytes | None, arrival) -> MessageRow | None:
        """A message that keeps failing must not block its mailbox: after
        MAX_ATTEMPTS it goes to staff as manual_review (the raw copy is kept),
        whatever stage failed (storing files, reading, deciding, composing its
        receipt). Only the machine's trouble (errors.is_machine_trouble: a full
        disk, an unreachable database) propagates: the claim waits for the next run."""
        try:
            if raw is None:
                raw = Path(row.raw_path).read_bytes()
            return self._process(row.id, raw, arrival)
        except Exception as exc:
            if is_machine_trouble(exc):
                raise
            log.exception("processing %s (attempt %d) failed", row.id, row.attempts)
            return self._record_failure(row.id, row.attempts, exc, raw)
        finally:
            self.ledger.release(row.id)

    def _record_failure(
        self, row_id: int, attempts: int, exc: Exception, raw: bytes | None
    ) -> MessageRow | None:
        envelope = self._envelope_or_none(row_id, raw) if attempts >= MAX_ATTEMPTS else None
        with self.ledger.session() as s:
            row = s.get(MessageRow, row_id)
            row.error = f"{type(exc).__name__}: {exc}"[:2000]
            if attempts < MAX_ATTEMPTS:
                return None  # stays claimed: resume_stale() tries again
            tz = self.config.tz
            row.case_no = row.case_no or f"TJ-{row.arrival.astimezone(tz):%Y%m%d}-{row.id:04d}"
            if envelope is not None:
                row.message_id = envelope.message_id
                row.subject, row.sender, row.sender_name = (
                    envelope.subject,
                    envelope.from_addr,
                    envelope.from_name,
                )
                row.unit = self.roster.unit_for(envelope.from_addr) if envelope.from_addr else None
            row.status = Status.MANUAL_REVIEW.value
            row.problems = [
                Problem(
                    None,
                    "processing_failed",
                    "系统多次处理此邮件均未成功，已转工作人员人工处理（原始邮件已保存）。",
                ).as_dict()
            ]
            row.state = "done"
            row.processed_at = row.changed_at = utcnow()
            return row

    def _envelope_or_none(self, row_id: int, raw: bytes | None) -> ParsedMessage | None:
        """Sender and subject for staff, when even that can be read (the failure may be the parse)."""
        try:
            if raw is None:
                with self.ledger.session() as s:
                    raw = Path(s.get(MessageRow, row_id).raw_path).read_bytes()
            return parse_message(raw, self.config.limits, self.own)
        except Exception:
            log.exception("even the envelope of a failing message could not be read")
            return None

    # ------------------------------------------------------------ work

    def _process(self, row_id: int, raw: bytes, arrival) -> MessageRow:
        limits = self.config.limits
        if len(raw) > limits.max_message_mb * 1024 * 1024:
            parsed = self._oversized(raw)
            reading = Reading([], [], [])
        else:
            parsed = parse_message(raw, limits, self.own)
            reading = self._read_attachments(parsed) if not parsed.automatic else Reading([], [], [])
        try:
            with self.ledger.session() as s:
                return self._decide_and_record(s, row_id, parsed, reading, arrival)
        except IntegrityError:
            # Another worker recorded the same Message-ID at the same moment:
            # run again, now seeing it as a duplicate.
            with self.ledger.session() as s:
                return self._decide_and_record(s, row_id, parsed, reading, arrival)

    def _oversized(self, raw: bytes) -> ParsedMessage:
        """Too big to open safely: read the envelope only and hand it to staff.

        The raw message is already kept in the raw store, so nothing is lost.
        """
        ends = [i for i in (raw.find(b"\r\n\r\n"), raw.find(b"\n\n")) if i >= 0]
        head = raw[: min(ends) + 2] if ends else raw[:65536]
        parsed = parse_message(head, self.config.limits, self.own)
        mb = self.config.limits.max_message_mb
        parsed.problems.append(
            Problem(
                None,
                "message_too_large",
                f"邮件超过 {mb} MB，系统未自动拆读附件，已转工作人员人工处理；"
                "如可能，请将视频等大文件压缩或改用网盘链接发送。",
            )
        )
        return parsed

    def _read_attachments(self, parsed: ParsedMessage) -> Reading:
        files: list[tuple[Attachment, AttachmentKind, Document | None]] = []
        forms: list[FormFound] = []
        for att in parsed.attachments:
            kind = classify_attachment(att.name, att.data, None)
            if kind in MEDIA:
                files.append((att, kind, None))
                continue
            doc = read_document(att.name, att.data, self.config.limits, self.converter, self.config.form)
            found = extract_forms(doc, self.config.form)  # one per account (a form widened for two)
            kind = classify_attachment(att.name, att.data, doc, found[0])
            if kind is AttachmentKind.FORM:
                forms.extend(self._form(att, doc, form) for form in found)
            files.append((att, kind, doc))
        if not forms:
            # A phone photo of the printed form: OCR pictures only when no
            # editable form came, so ordinary case pictures cost nothing.
            for i, (att, kind, _) in enumerate(files):
                if kind is not AttachmentKind.PICTURE:
                    continue
                doc = read_document(att.name, att.data, self.config.limits, self.converter, self.config.form)
                form = extract_form(doc, self.config.form)
                if classify_attachment(att.name, att.data, doc, form) is AttachmentKind.FORM:
                    forms.append(self._form(att, doc, form))
                    files[i] = (att, AttachmentKind.FORM, doc)
        forms = self._choose(forms, files)
        materials = [item for item in files if item[1] is not AttachmentKind.FORM]
        material_problems = check_materials(materials, self.config.materials) if forms else []
        return Reading(files, forms, material_problems)

    @staticmethod
    def _choose(forms: list[FormFound], files: list) -> list[FormFound]:
        """The documents that are the 推荐表: every real form (a summary sheet or a cover
        letter that also names some labels is not one), else the best list sheet; else
        the unreadable files named as the form, so the unit hears about that file."""
        chosen = choose_forms([f for f in forms if f.form.score > 0], lambda f: f.form.score)
        if not chosen:
            chosen = [f for f in forms if f.form.score <= 0]
        keep = {id(f.attachment) for f in chosen}
        for i, (att, kind, doc) in enumerate(files):
            if kind is AttachmentKind.FORM and id(att) not in keep:
                files[i] = (att, AttachmentKind.OTHER, doc)
        return chosen

    def _form(self, att: Attachment, doc: Document, found: FormResult) -> FormFound:
        form, normalized, problems = analyze_document(doc, self.config.form, found)
        return FormFound(att, form, normalized, problems)

    def _decide_and_record(
        self, s: Session, row_id: int, parsed: ParsedMessage, reading: Reading, arrival
    ) -> MessageRow:
        row = s.get(MessageRow, row_id)
        self._envelope(row, parsed, arrival)
        unit = row.unit
        duplicate_of = self._first_copy(s, row, parsed.message_id)
        related = self._related_case(s, parsed)
        late_allowed = row.late_allowed or self._late_allowed_for(s, unit)
        quota = self.config.quota_for(unit)
        parts = [(reading.forms, reading.files)]
        if unit is not None and not duplicate_of and not parsed.automatic:
            parts = split_by_account(reading.forms, reading.files, quota)
        for index, (forms, files) in enumerate(parts):
            part_row = row if index == 0 else self._part_row(s, row, index)
            materials = [item for item in files if item[1] is not AttachmentKind.FORM]
            if len(parts) == 1:
                material_problems = reading.material_problems
            else:
                material_problems = check_materials(materials, self.config.materials)
            ctx = Context(
                config=self.config,
                message=parsed,
                arrival=arrival,
                unit=unit,
                forms=forms,
                files=files,
                material_problems=material_problems,
                active=self._active_submissions(s, unit, part_row.id),
                duplicate_of=duplicate_of,
                related_case=related,
                late_allowed=late_allowed,
                quota=quota,
            )
            self._record(s, part_row, ctx, Reading(files, forms, material_problems), parsed)
        s.flush()
        return row

    def _envelope(self, row: MessageRow, parsed: ParsedMessage, arrival) -> None:
        tz = self.config.tz
        row.case_no = row.case_no or f"TJ-{arrival.astimezone(tz):%Y%m%d}-{row.id:04d}"
        row.message_id = parsed.message_id
        row.subject = parsed.subject
        row.sender = parsed.from_addr
        row.sender_name = parsed.from_name
        row.reply_to_ids = [x for x in [parsed.in_reply_to, *parsed.references] if x]
        row.automatic_reason = parsed.automatic
        row.big_links = [
            {"provider": b.provider, "url": b.url, "name": b.name, "expires": b.expires}
            for b in parsed.big_links
        ]
        row.unit = self.roster.unit_for(parsed.from_addr) if parsed.from_addr else None

    def _part_row(self, s: Session, parent: MessageRow, index: int) -> MessageRow:
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
        for attr in (
            "message_id",
            "subject",
            "sender",
            "sender_name",
            "reply_to_ids",
            "automatic_reason",
            "big_links",
            "unit",
            "late_allowed",
        ):
            setattr(part, attr, getattr(parent, attr))
        tz = self.config.tz
        part.case_no = f"TJ-{parent.arrival.astimezone(tz):%Y%m%d}-{part.id:04d}"
        return part

    def _record(
        self, s: Session, row: MessageRow, ctx: Context, reading: Reading, parsed: ParsedMessage
    ) -> None:
        decision = decide(ctx)
        primary = ctx.primary
        row.status = decision.status.value
        row.problems = [p.as_dict() for p in decision.problems]
        row.related_case = ctx.related_case
        if primary is not None:
            row.fields = dict(primary.form.fields)
            row.fields_read = dict(primary.form.fields)
            row.normalized = primary.normalized
            row.sources = dict(primary.form.sources)
            row.account_key = primary.account_key or None
            row.is_scan = primary.form.is_scan
        self._store_files(row, reading)
        superseded = self._supersede(s, row, decision.status)
        row.state = "done"
        row.error = None
        row.processed_at = row.changed_at = utcnow()
        if not self._answers(decision.status, ctx, reading):
            return
        if self._may_answer(s, parsed.from_addr):
            enqueue_receipt(s, self.config, row, parsed.message_id, parsed.references, superseded)
        else:
            log.warning("receipt to %s suppressed (cap or own address)", parsed.from_addr)

    def _answers(self, status: Status, ctx: Context, reading: Reading) -> bool:
        """Whether this mail gets a receipt. Robots, duplicates and letters never do;
        an unknown sender only when the mail looks like a submission (no backscatter
        to spam or mailing lists that happen to carry an attachment)."""
        if status in (Status.IGNORED, Status.DUPLICATE, Status.CORRESPONDENCE):
            return False
        if status is Status.UNKNOWN_UNIT:
            return looks_like_submission(self.config, ctx.message, reading.forms, reading.files)
        return True

    # ------------------------------------------------------------ helpers

    def _first_copy(self, s: Session, row: MessageRow, message_id: str) -> str | None:
        seen = s.get(SeenMessageId, message_id)
        if seen is None:
            s.add(SeenMessageId(message_id=message_id, message_row=row.id))
            s.flush()
            return None
        if seen.message_row == row.id:
            return None
        first = s.get(MessageRow, seen.message_row)
        return first.case_no if first else "?"

    def _related_case(self, s: Session, parsed: ParsedMessage) -> str | None:
        case = case_number_in(parsed.subject, parsed.body_text)
        if case:
            return case
        ids = [x for x in [parsed.in_reply_to, *parsed.references] if x]
        if ids:
            return s.scalar(select(OutboxRow.case_no).where(OutboxRow.message_id.in_(ids)).limit(1))
        return None

    def _active_submissions(self, s: Session, unit: str | None, exclude: int) -> list[ActiveSubmission]:
        if unit is None:
            return []
        rows = s.scalars(
            select(MessageRow).where(
                MessageRow.unit == unit,
                MessageRow.status.in_(ACTIVE),
                MessageRow.id != exclude,
                MessageRow.account_key.is_not(None),
            )
        )
        return [ActiveSubmission(r.case_no, r.account_key, Status(r.status)) for r in rows]

    def _late_allowed_for(self, s: Session, unit: str | None) -> bool:
        from .ledger import DecisionRow

        if unit is None:
            return False
        return (
            s.scalar(
                select(DecisionRow.id)
                .where(DecisionRow.unit == unit, DecisionRow.action == "allow_late")
                .limit(1)
            )
            is not None
        )

    def _supersede(self, s: Session, row: MessageRow, status: Status) -> list[str]:
        """A newer version of the same account from the same unit replaces the older one."""
        if status not in QUOTA_STATUSES or not row.unit or not row.account_key:
            return []
        older = s.scalars(
            select(MessageRow).where(
                MessageRow.unit == row.unit,
                MessageRow.account_key == row.account_key,
                MessageRow.status.in_(ACTIVE),
                MessageRow.id != row.id,
                MessageRow.arrival <= row.arrival,
            )
        ).all()
        for old in older:
            old.status = Status.SUPERSEDED.value
            old.superseded_by = row.case_no
            old.changed_at = utcnow()
            if old.selected:
                old.selected, row.selected = False, True
        return [o.case_no for o in older]

    def _may_answer(self, s: Session, address: str) -> bool:
        from .outbox import receipts_sent_recently

        if not address or address.lower() in self.own:
            return False
        cap = self.config.smtp.max_receipts_per_sender_hour
        return receipts_sent_recently(s, address, timedelta(hours=1)) < cap

    def _store_files(self, row: MessageRow, reading: Reading) -> None:
        """Keep each attachment under files/<case>/ for staff and the packet."""
        if row.attachments:
            return
        folder = self.config.path(self.config.storage.files_dir) / row.case_no
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        used: set[str] = set()
        for att, kind, doc in reading.files:
            path = folder / storage_name(att.name, used)  # att.name stays what staff see
            with open(path, "wb", opener=_owner_only) as fh:
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
                    facts=file_facts(att, kind, doc),
                )
            )
